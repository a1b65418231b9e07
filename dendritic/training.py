"""Online training (batch 1) of one network or a whole ensemble at once.

Every member of an ensemble gets its own sample order, drawn from its own seed,
so member i trains exactly as ``Network(seed=seeds[i])`` would alone (bit for bit).
The rule's own kernels do every step (``dendritic.loop``); Python only looks in at the
evaluation and recording points.
"""

from dataclasses import dataclass, field
import math

import numpy as np
import torch

from . import checks, loop
from .circuit import compartments, pack, unpack
from .data import Spiral
from .network import Network
from .rules.base import Rule

#: Recording keeps at most this many snapshots, so memory stays bounded.
MAX_RECORDS = 2000
#: At most this many passes over the training set in one call (the sample orders are kept in memory).
MAX_EPOCHS = 100


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

    accuracy: np.ndarray      # [S], NaN for a diverged member
    loss: np.ndarray          # [S]
    dead_outputs: np.ndarray  # [S], output units with z <= 0 on every sample
    finite: np.ndarray        # [S] bool


def _evaluation(circuit, X, y):
    table = loop.evaluate(circuit, X.numpy(), y.numpy())
    finite = (table[:, 3] == 1) & np.isfinite(circuit.params).all(1)
    return Evaluation(np.where(finite, table[:, 0], np.nan), np.where(finite, table[:, 1], np.nan),
                      table[:, 2].astype(int), finite)


def evaluate(net, X, y):
    """Evaluate every member of ``net`` on (X [n, n_0], y [n]): an ``Evaluation``."""
    if not isinstance(net, Network):
        raise ValueError(f"net must be a dendritic.Network, got {type(net).__name__}")
    from .rules.backprop import Backprop  # no rule state: any rule packs the weights

    return _evaluation(pack(net, Backprop()), *_checked_split("X, y", (X, y), net))


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

    @classmethod
    def measured(cls, net, rule, data, steps, curve_steps, curve_val_acc, curve_val_loss, diverged_step=None,
                 seeds=None, records=None):
        """The result of ``steps`` of training of ``net`` with ``rule``, evaluated now on ``data``'s
        validation and test sets: a member whose outputs or weights are not finite, or that
        diverged earlier (``diverged_step``), is diverged and has no accuracy."""
        from .rules.backprop import Backprop  # no rule state: any rule packs the weights

        circuit = pack(net, Backprop())
        val, test = _evaluation(circuit, *data.val), _evaluation(circuit, *data.test)
        diverged_step = np.full(net.members, -1) if diverged_step is None else np.array(diverged_step)
        diverged = ~(val.finite & test.finite) | (diverged_step >= 0)
        diverged_step[diverged & (diverged_step < 0)] = steps
        return cls(seeds=tuple(seeds or net.seeds), rule=rule.name, hyperparameters=rule.hyperparameters(),
                   steps=steps, val_acc=np.where(diverged, np.nan, val.accuracy),
                   test_acc=np.where(diverged, np.nan, test.accuracy), diverged=diverged, diverged_step=diverged_step,
                   dead_outputs=val.dead_outputs, curve_steps=np.array(curve_steps),
                   curve_val_acc=np.array(curve_val_acc), curve_val_loss=np.array(curve_val_loss),
                   records=records or {})

    def rows(self):
        """One dict per member, for a CSV."""
        return [dict(rule=self.rule, seed=s, val_acc=float(self.val_acc[i]), test_acc=float(self.test_acc[i]),
                     diverged=bool(self.diverged[i]), dead_outputs=int(self.dead_outputs[i]))
                for i, s in enumerate(self.seeds)]


def _checked_split(name, split, net):
    """(X float32 [n, n_0], y int64 [n]) checked against ``net``; ValueError naming ``name``."""
    if not (isinstance(split, tuple) and len(split) == 2):
        raise ValueError(f"{name} must be a pair (X, y), got {type(split).__name__}")
    X, y = (torch.as_tensor(t) for t in split)
    if not X.is_floating_point() or X.dim() != 2 or X.shape[1] != net.sizes[0]:
        raise ValueError(f"{name}: X must be floats of shape [n, {net.sizes[0]}], got {X.dtype} {tuple(X.shape)}")
    if y.is_floating_point() or y.dim() != 1 or len(y) != len(X):
        raise ValueError(f"{name}: y must be {len(X)} integer class labels, got {y.dtype} {tuple(y.shape)}")
    if len(y) == 0:
        raise ValueError(f"{name} is empty: it needs at least one point")
    if not torch.isfinite(X).all():
        raise ValueError(f"{name}: X must be finite (no NaN or inf)")
    K = net.sizes[-1]
    if ((y < 0) | (y >= K)).any():
        raise ValueError(f"{name}: labels must be in 0..{K - 1} (the network has {K} outputs), "
                         f"got {int(y.min())}..{int(y.max())}")
    return X.to(torch.float32).contiguous(), y.to(torch.int64).contiguous()


def train(net, rule, data, epochs=1, seed=None, eval_every=200, record_every=None, progress=False):
    """Train ``net`` online (one sample per step) with ``rule`` on ``data.train``.

    Args:
        net: a ``Network`` (one network or an ensemble); trained in place.
        rule: a rule from ``dendritic.rule``.
        data: a ``Spiral`` from ``dendritic.spiral_data``.
        epochs: passes over the training set (>= 1).
        seed: sample-order seed(s); default: each member's own network seed.
        eval_every: steps between points of the learning curve (validation accuracy).
        record_every: if set, every that many steps record the compartment states
            of the current sample, the angle of the update to backprop's, the
            interneuron cancellation and the top-down alignment (``dendritic.diagnostics``).
        progress: show a tqdm progress bar.
    Returns:
        a ``TrainResult``; divergence (NaN / inf) is detected and reported there.

    >>> import dendritic
    >>> data = dendritic.spiral_data(per_class=100)
    >>> result = dendritic.train(dendritic.Network(seed=0), dendritic.rule("backprop"), data)
    >>> result.steps, bool(result.diverged[0])
    (280, False)
    """
    if not isinstance(net, Network):
        raise ValueError(f"net must be a dendritic.Network, got {type(net).__name__}")
    if not isinstance(rule, Rule):
        raise ValueError(f"rule must be a rule made by dendritic.rule(name), got {rule!r}")
    if not isinstance(data, Spiral):
        raise ValueError(f"data must be a dendritic.Spiral (from dendritic.spiral_data), got {type(data).__name__}")
    epochs = checks.integer("epochs", epochs, 1)
    if epochs > MAX_EPOCHS:
        raise ValueError(f"epochs must be an integer in 1..{MAX_EPOCHS}, got {epochs}")
    eval_every = checks.integer("eval_every", eval_every, 1)
    checks.boolean("progress", progress)
    seeds = net.seeds if seed is None else checks.seeds("seed", seed)
    if len(seeds) != net.members:
        raise ValueError(f"seed must give one sample-order seed per member ({net.members}), got {len(seeds)}")
    X_train, y_train = _checked_split("data.train", data.train, net)
    val = _checked_split("data.val", data.val, net)
    _checked_split("data.test", data.test, net)  # evaluated at the end: refused now, before any work
    rule.check_network(net)
    steps = epochs * len(y_train)
    recorder = None
    if record_every is not None:
        record_every = checks.integer("record_every", record_every, max(1, math.ceil(steps / MAX_RECORDS)))
        from .diagnostics import Recorder
        recorder = Recorder(rule, steps)

    order = torch.stack([sample_order(s, len(y_train), epochs) for s in seeds], dim=1)  # [steps, S]
    inputs = np.ascontiguousarray(X_train[order].numpy())                            # [steps, S, n_0]
    classes = np.ascontiguousarray(y_train[order].numpy())                           # [steps, S]
    circuit = pack(net, rule)
    h = rule.numbers(net.sizes)
    curve_steps, curve_acc, curve_loss = [], [], []
    diverged_step = np.full(net.members, -1)

    def checkpoint(step):
        ev = _evaluation(circuit, *val)
        diverged_step[(~ev.finite) & (diverged_step < 0)] = step
        curve_steps.append(step)
        curve_acc.append(ev.accuracy)
        curve_loss.append(ev.loss)

    from tqdm.auto import tqdm
    records = set(range(0, steps, record_every)) if recorder is not None else set()
    looks = sorted({*range(eval_every, steps, eval_every), steps, *records})
    with tqdm(total=steps, desc=f"{rule.name} x{net.members}", disable=not progress, leave=False) as bar:
        try:
            checkpoint(0)
            step = 0
            for stop in looks:
                if stop > step:
                    loop.run(rule, circuit, h, inputs, classes, step, stop, steps)
                    step = stop
                if step and (step % eval_every == 0 or step == steps):
                    checkpoint(step)
                    bar.update(step - bar.n)
                if step in records:  # this sample's compartments, before its update
                    for m in range(net.members):
                        rule.phases(circuit, m, inputs[step, m], int(classes[step, m]), h)
                    recorder.record(step, circuit, inputs[step], classes[step])
        finally:
            unpack(circuit, net, rule)  # what was learned is kept, even after Ctrl-C
    net._compartments = compartments(circuit, rule.compartments, net.ensemble)  # the last sample's, before its update

    return TrainResult.measured(net, rule, data, steps, curve_steps, curve_acc, curve_loss, diverged_step, seeds,
                                recorder.arrays() if recorder else None)
