"""Online training (batch 1) of one network or a whole ensemble at once.

Every member of an ensemble gets its own sample order, drawn from its own seed,
so member i trains exactly as ``Network(seed=seeds[i])`` would alone.
"""

from dataclasses import dataclass, field
import math

import numpy as np
import torch

from . import checks, compiled
from .network import Network, forward

#: Recording keeps at most this many snapshots, so memory stays bounded.
MAX_RECORDS = 2000


def order_seed(seed):
    """Seed of a member's sample-order generator, distinct from its initialisation seed."""
    return int(np.random.SeedSequence([seed, 1]).generate_state(1)[0])


def sample_order(seed, n, epochs):
    """Indices of the training samples for ``epochs`` epochs: a new permutation each epoch."""
    generator = torch.Generator().manual_seed(order_seed(seed))
    return torch.cat([torch.randperm(n, generator=generator) for _ in range(epochs)])


@dataclass
class Evaluation:
    """Accuracy, loss and dead output units of each member on one split."""

    accuracy: np.ndarray  # [S], NaN for a diverged member
    loss: np.ndarray      # [S]
    dead_outputs: np.ndarray  # [S], output units with z <= 0 on every sample
    finite: np.ndarray    # [S] bool


def evaluate(net, X, y):
    """Evaluate every member of ``net`` on (X, y)."""
    weights, biases, _ = net.stacked()
    with torch.no_grad():
        somas, activities = forward(weights, biases, net._batch(X))
        out = activities[-1]
        finite = torch.isfinite(out).flatten(1).all(1) & torch.stack(
            [torch.isfinite(W).flatten(1).all(1) for W in weights]).all(0)
        accuracy = (out.argmax(-1) == y).double().mean(1)
        onehot = torch.nn.functional.one_hot(y, out.shape[-1]).float()
        loss = ((out - onehot) ** 2).mean((1, 2)).double()
        dead = (somas[-1] <= 0).all(1).sum(-1)
    nan = torch.full_like(accuracy, math.nan)
    return Evaluation(torch.where(finite, accuracy, nan).numpy(), torch.where(finite, loss, nan).numpy(),
                      dead.numpy(), finite.numpy())


@dataclass
class TrainResult:
    """What ``train`` returns. Per-member arrays have length S (the ensemble size).

    ``val_acc`` / ``test_acc`` are NaN for a diverged member: a diverged run has no accuracy.
    """

    seeds: tuple
    rule: str
    hyperparameters: dict
    steps: int
    val_acc: np.ndarray
    test_acc: np.ndarray
    diverged: np.ndarray         # bool [S]
    diverged_step: np.ndarray    # [S], first evaluation step that saw NaN / inf, -1 if none
    dead_outputs: np.ndarray     # [S], output units silent on every validation sample
    curve_steps: np.ndarray      # [E]
    curve_val_acc: np.ndarray    # [E, S]
    curve_val_loss: np.ndarray   # [E, S]
    records: dict = field(default_factory=dict)

    def rows(self):
        """One dict per member, for a CSV."""
        return [dict(rule=self.rule, seed=s, val_acc=float(self.val_acc[i]), test_acc=float(self.test_acc[i]),
                     diverged=bool(self.diverged[i]), dead_outputs=int(self.dead_outputs[i]))
                for i, s in enumerate(self.seeds)]


def train(net, rule, data, epochs=1, seed=None, eval_every=200, record_every=None, progress=False, fast=True):
    """Train ``net`` online (one sample per step) with ``rule`` on ``data.train``.

    Args:
        net: a ``Network`` (one network or an ensemble); trained in place.
        rule: a rule from ``dendritic.rule``.
        data: a ``Spiral`` from ``dendritic.spiral_data``.
        epochs: passes over the training set (>= 1).
        seed: sample-order seed(s); default: each member's own network seed.
        eval_every: steps between points of the learning curve (validation accuracy).
        record_every: if set, every that many steps record the compartment states
            of the current sample, the angle of the update to backprop's, and the
            interneuron cancellation residual (see ``dendritic.diagnostics``).
        progress: show a tqdm progress bar.
        fast: run the poster's three rules in the compiled loop of ``dendritic.compiled``
            (same equations, ~50x faster); False runs the rule's own torch code step by step.
            Other rules always run their torch code.
    Returns:
        a ``TrainResult``; divergence (NaN / inf) is detected and reported there.
    """
    if not isinstance(net, Network):
        raise ValueError(f"net must be a dendritic.Network, got {type(net).__name__}")
    epochs = checks.integer("epochs", epochs, 1)
    eval_every = checks.integer("eval_every", eval_every, 1)
    if not isinstance(fast, bool):
        raise ValueError(f"fast must be True or False, got {fast!r}")
    seeds = net.seeds if seed is None else (tuple(seed) if not isinstance(seed, int) else (seed,))
    if len(seeds) != net.members:
        raise ValueError(f"seed must give one sample-order seed per member ({net.members}), got {len(seeds)}")
    X_train, y_train = data.train
    steps = epochs * len(y_train)
    recorder = None
    if record_every is not None:
        record_every = checks.integer("record_every", record_every, max(1, math.ceil(steps / MAX_RECORDS)))
        from .diagnostics import Recorder
        recorder = Recorder(rule)

    K = net.sizes[-1]
    order = torch.stack([sample_order(s, len(y_train), epochs) for s in seeds], dim=1)  # [steps, S]
    inputs = X_train[order].unsqueeze(2)                                              # [steps, S, 1, in]
    targets = torch.nn.functional.one_hot(y_train[order], K).float().unsqueeze(2)      # [steps, S, 1, K]

    weights, biases, _ = net.stacked()
    interneurons = rule.state(net)  # R_l, and any other rule state (top-down B_l, ...)
    learn_bias = net.bias == "learned"
    curve_steps, curve_acc, curve_loss = [], [], []
    diverged_step = np.full(net.members, -1)

    def checkpoint(step):
        ev = evaluate(net, *data.val)
        newly = (~ev.finite) & (diverged_step < 0)
        diverged_step[newly] = step
        curve_steps.append(step)
        curve_acc.append(ev.accuracy)
        curve_loss.append(ev.loss)

    from tqdm.auto import tqdm
    bar = tqdm(total=steps, desc=f"{rule.name} x{net.members}", disable=not progress, leave=False)
    # Per-sample tensors are tiny: a second intra-op thread only adds synchronisation,
    # and on a busy machine it slows training many times over. Same numbers either way.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    layers = None
    try:
        checkpoint(0)
        with torch.inference_mode():
            if fast and compiled.supports(rule):
                layers = _train_compiled(rule, net, weights, biases, interneurons, inputs, targets, eval_every,
                                         record_every, recorder, checkpoint, bar)
            else:
                for step, (x, target) in enumerate(zip(inputs.unbind(0), targets.unbind(0))):
                    layers = rule.nudges(weights, biases, interneurons, x, target)
                    if recorder is not None and step % record_every == 0:
                        recorder.record(step, weights, biases, interneurons, x, target, layers)
                    rule.apply(weights, biases, interneurons, layers, learn_bias, scale=rule.lr_factor(step, steps))
                    if (step + 1) % eval_every == 0 or step + 1 == steps:
                        checkpoint(step + 1)
                        bar.update(step + 1 - bar.n)
    finally:
        torch.set_num_threads(threads)
    bar.close()
    net._last_step = layers

    val, test = evaluate(net, *data.val), evaluate(net, *data.test)
    diverged = ~(val.finite & test.finite) | (diverged_step >= 0)
    diverged_step[diverged & (diverged_step < 0)] = steps
    result = TrainResult(
        seeds=seeds, rule=rule.name, hyperparameters=rule.hyperparameters(), steps=steps,
        val_acc=np.where(diverged, np.nan, val.accuracy), test_acc=np.where(diverged, np.nan, test.accuracy),
        diverged=diverged, diverged_step=diverged_step, dead_outputs=val.dead_outputs,
        curve_steps=np.array(curve_steps), curve_val_acc=np.array(curve_acc), curve_val_loss=np.array(curve_loss),
        records=recorder.arrays() if recorder else {})
    return result


def _train_compiled(rule, net, weights, biases, interneurons, inputs, targets, eval_every, record_every, recorder,
                    checkpoint, bar):
    """The same loop for the poster's rules, run by ``dendritic.compiled`` between the
    points where Python looks: evaluations, recordings, and the last step (whose
    compartment states ``net.compartments`` shows). There the torch rule computes the
    states from the same weights; the compiled loop still makes every update."""
    steps = len(inputs)
    run = compiled.loop(rule, weights, biases, interneurons, net.bias == "learned")
    X, classes = inputs[:, :, 0].numpy(), targets[:, :, 0].argmax(-1).numpy()
    records = set(range(0, steps, record_every)) if recorder is not None else set()
    looks = sorted({*range(eval_every, steps, eval_every), steps, steps - 1, *records})
    step, layers = 0, None
    for stop in looks:
        if stop > step:
            run(X, classes, step, stop, steps)
            step = stop
        if step and (step % eval_every == 0 or step == steps):
            checkpoint(step)
            bar.update(step - bar.n)
        if step == steps - 1 or step in records:
            layers = rule.nudges(weights, biases, interneurons, inputs[step], targets[step])
            if step in records:
                recorder.record(step, weights, biases, interneurons, inputs[step], targets[step], layers)
    return layers
