"""What every learning rule shares: one sample in, one local update out.

A rule computes, for one sample, the *nudge* N_l of every layer; the plasticity
is then the same for all rules:  dW_l = lr * N_l (x) pre_l,  db_l = lr_bias * N_l,
where pre_l is the presynaptic activity a_{l-1}^F (the input x for l = 1).

All tensors carry a leading member dimension S (an ensemble of networks) and a
batch dimension of 1 (online learning): x [S, 1, in], activities [S, 1, n_l].
"""

import torch

from dendritic import checks
from dendritic.network import forward, relu_derivative

#: How the learning rates change over a training run: "constant" (poster) or "linear" (to 0 at the end).
LR_DECAYS = ("constant", "linear")


def output_nudge(activity, target, gate=True):
    """N_L = (2/K) f'(z_L) * (target - a_L), exactly -dLoss/dz_L for the MSE loss (mean over K).

    ``gate=False`` drops f'(z_L) (not the poster's rule): the teacher's nudge then also
    reaches a silent output unit whose target is above 0, so no output unit dies for good.
    """
    error = (2 / activity.shape[-1]) * (target - activity)
    return relu_derivative(activity) * error if gate else error


class Rule:
    """Base class. Subclasses set ``name`` and implement ``nudges``.

    Two options that are not the poster's (defaults are): ``output_gate=False`` drops
    f'(z_L) from the output nudge (see ``output_nudge``); ``lr_decay="linear"`` makes
    ``train`` scale every learning rate by 1 - step / steps.
    """

    name = None

    def __init__(self, lr, output_gate=True, lr_decay="constant"):
        self.lr = checks.positive("lr", lr)
        if not isinstance(output_gate, bool):
            raise ValueError(f"output_gate must be True or False, got {output_gate!r}")
        self.output_gate = output_gate
        self.lr_decay = checks.choice("lr_decay", lr_decay, LR_DECAYS)

    @property
    def lr_bias(self):
        return self.lr

    def hyperparameters(self):
        """The rule's hyperparameters as a plain dict (for CSV / JSON)."""
        return {"lr": self.lr, **self.options()}

    def options(self):
        """The non-poster options in use (none in the poster configuration)."""
        return {k: v for k, v, poster in (("output_gate", self.output_gate, True),
                                          ("lr_decay", self.lr_decay, "constant")) if v != poster}

    def lr_factor(self, step, steps):
        """What ``train`` multiplies the learning rates by at ``step`` (0-based) of ``steps``."""
        return 1 - step / steps if self.lr_decay == "linear" else 1.0

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"rule({self.name!r}, {args})"

    # --- the equations ------------------------------------------------------
    def nudges(self, weights, biases, interneurons, x, target):
        """Per layer 1..L a dict of compartment states, each with at least
        ``nudge`` [S, 1, n_l] and ``presynaptic`` [S, 1, n_{l-1}]."""
        raise NotImplementedError

    def forward_layers(self, weights, biases, x):
        """The forward phase (no teaching): soma and activity of every layer."""
        somas, activities = forward(weights, biases, x)
        return [{"soma": z, "activity": a, "presynaptic": pre}
                for z, a, pre in zip(somas, activities, [x] + activities[:-1])]

    def apply(self, weights, biases, interneurons, layers, learn_bias=True, scale=1.0):
        """dW_l = lr N_l (x) pre_l and db_l = lr_bias N_l, in place (rates times ``scale``)."""
        for W, b, layer in zip(weights, biases, layers):
            W.baddbmm_(layer["nudge"].mT, layer["presynaptic"], alpha=self.lr * scale)
            if learn_bias:
                b.add_(layer["nudge"], alpha=self.lr_bias * scale)

    # --- per-network state ----------------------------------------------------
    def state(self, net):
        """The network's rule state that ``nudges`` and ``apply`` get as their third
        argument (stacked views, leading member dimension): the interneuron matrices
        R_l here; rules with more state (top-down weights B_l, interneuron
        populations) return more (see ``dendritic.rules.feedback.Circuit``)."""
        return net.stacked()[2]

    def diagnostics(self, weights, state):
        """Rule-specific measurements for ``train(record_every=...)``: a dict of [S] tensors."""
        return {}

    # --- the public, one-sample interface -----------------------------------
    def _prepare(self, net, x, target):
        x = torch.as_tensor(x, dtype=torch.float32)
        x = x.reshape(net.members, 1, net.sizes[0])
        K = net.sizes[-1]
        target = torch.as_tensor(target)
        if target.dtype in (torch.int64, torch.int32) and target.shape[-1:] != (K,):
            if ((target < 0) | (target >= K)).any():
                raise ValueError(f"target class must be in 0..{K - 1}, got {target.tolist()}")
            target = torch.nn.functional.one_hot(target.long(), K).float()
        target = target.float().reshape(net.members, 1, K)
        return x, target

    def delta(self, net, x, target):
        """The update this rule would make for one sample, without changing ``net``.

        Args:
            x: one input, [in] (or [S, in] for an ensemble).
            target: class index (int) or one-hot [K] (or [S] / [S, K]).
        Returns:
            dict keyed like ``net.named_parameters()``, each value to be *added*
            to that parameter (same shape).
        """
        weights, biases, _ = net.stacked()
        interneurons = self.state(net)
        with torch.no_grad():
            layers = self.nudges(weights, biases, interneurons, *self._prepare(net, x, target))
        squeeze = (lambda t: t) if net.ensemble else (lambda t: t[0])
        params = dict(net.named_parameters())
        out = {}
        for l, layer in enumerate(layers, start=1):
            out[f"W{l}"] = squeeze(self.lr * torch.bmm(layer["nudge"].mT, layer["presynaptic"]))
            if f"b{l}" in params:
                out[f"b{l}"] = squeeze(self.lr_bias * layer["nudge"][:, 0])
        return out

    def step(self, net, x, target):
        """Apply one online update for one sample (and update any rule state,
        such as interneuron weights). Afterwards ``net.compartments`` holds the
        soma, dendrite and nudge of every layer for this sample."""
        weights, biases, _ = net.stacked()
        interneurons = self.state(net)
        with torch.no_grad():
            layers = self.nudges(weights, biases, interneurons, *self._prepare(net, x, target))
            self.apply(weights, biases, interneurons, layers, learn_bias=net.bias == "learned")
        net._last_step = layers
        return layers
