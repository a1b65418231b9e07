"""What every learning rule shares: the forward phase, the teacher's nudge, and plasticity.

A rule is a small class with its hyperparameters and two compiled kernels, written in
its own file (``backprop.py``, ``temporal_contrast.py``, ...):

- ``phases(net, m, x, target, h)``: one sample's forward phase (no teaching) and teaching
  phase; fills the compartments of every layer: soma, activity, dendrites, nudge N_l;
- ``plasticity(net, m, h, scale)``: the synapses change from those compartments, most
  rules as  dW_l = lr N_l (x) pre_{l-1},  db_l = lr_bias N_l  (``learn_forward_weights``).

``h`` holds the rule's numbers (``Rule.kernel_numbers``, in the order its kernels read them);
``scale`` multiplies every learning rate (1, or 1 - step / steps with ``lr_decay="linear"``).
``train`` runs the two kernels for every sample in one compiled loop (``dendritic.loop``);
``delta``, ``step`` and ``net.compartments`` run the same kernels on one sample.

Writing your own rule: subclass ``Rule`` (or a rule close to yours), write ``phases`` and
``plasticity`` with the helpers here and in ``dendritic.circuit`` / ``dendritic.linalg``,
decorate them with ``@phases_kernel`` / ``@plasticity_kernel``, and set them as class
attributes. It trains at the same speed as the built-in rules.
"""

import inspect

import numpy as np
import torch

from .. import checks
from ..circuit import (KINDS, State, W, activity, activity_backward, b, compartments, group_view, layers, nudge,
                       pack, presynaptic, soma, unpack, weight_view)
from ..jit import helper
from ..linalg import add_outer, clip, f32, matvec, relu

#: How the learning rates change over a training run: "constant" (poster) or "linear" (to 0 at the end).
LR_DECAYS = ("constant", "linear")


# --- equations every rule uses ------------------------------------------------------------
@helper
def forward(net, m, x):
    """The forward phase: a_0 = x, then z_l = W_l a_{l-1} + b_l and a_l = f(z_l) for l = 1..L."""
    activity(net, m, 0)[:] = x
    for l in range(1, layers(net) + 1):
        z, a, bias = soma(net, m, l), activity(net, m, l), b(net, m, l)
        matvec(W(net, m, l), activity(net, m, l - 1), z)
        for j in range(len(z)):
            z[j] += bias[j]
            a[j] = relu(z[j])


@helper
def output_nudge(net, m, target, gate):
    """The teacher: N_L = (2/K) f'(z_L) (onehot(target) - a_L), exactly -dLoss/dz_L of the MSE loss
    (mean over the K outputs). ``gate=False`` (not the poster's) drops f'(z_L), so a silent output
    unit whose target is 1 still gets the nudge and cannot die for good."""
    L = layers(net)
    a, N = activity(net, m, L), nudge(net, m, L)
    K = len(a)
    for j in range(K):
        want = f32(1) if j == target else f32(0)
        N[j] = f32(2 / K) * (want - a[j])
        if gate and not a[j] > 0:  # f'(z_L) = 0
            N[j] = f32(0)


@helper
def relu_derivative(z):
    """f'(z): 1 where the soma is active (z > 0), else 0."""
    return f32(1) if z > 0 else f32(0)


@helper
def clamp_nudge(net, m, l):
    """N_l = clamp(N_l, -1, 1) (the interneuron rule's clamp on the output nudge)."""
    N = nudge(net, m, l)
    for j in range(len(N)):
        N[j] = clip(N[j], f32(-1), f32(1))


@helper
def backward_activity(net, m, l):
    """a_l^B = f(z_l + N_l): the activity once the nudge has arrived (the teaching phase)."""
    z, N, a_B = soma(net, m, l), nudge(net, m, l), activity_backward(net, m, l)
    for j in range(len(z)):
        a_B[j] = relu(z[j] + N[j])


@helper
def set_presynaptic(net, m, clamp):
    """What the synapses see of each layer when they learn: pre_l = a_l, or clamp(a_l, 0, 1)."""
    for l in range(layers(net) + 1):
        a, pre = activity(net, m, l), presynaptic(net, m, l)
        for j in range(len(a)):
            pre[j] = clip(a[j], f32(0), f32(1)) if clamp else a[j]


@helper
def learn_forward_weights(net, m, lr, lr_bias, decay):
    """dW_l = lr N_l (x) pre_{l-1} - decay W_l,  db_l = lr_bias N_l  (biases only if they learn).

    The decay shrinks W_l first: W_l <- (1 - decay) W_l + lr N_l (x) pre_{l-1}.
    """
    for l in range(1, layers(net) + 1):
        Wl, N = W(net, m, l), nudge(net, m, l)
        if decay > 0:
            Wl *= f32(1 - decay)
        add_outer(Wl, f32(lr), N, presynaptic(net, m, l - 1))
        if net.learn_bias:
            bias, rate = b(net, m, l), f32(lr_bias)
            for j in range(len(bias)):
                bias[j] += rate * N[j]


# --- the rule object -----------------------------------------------------------------------
class Rule:
    """Base class of the learning rules; a subclass sets ``name``, ``phases``, ``plasticity``
    and ``kernel_numbers`` (and ``state_groups`` if it has synapses of its own).

    Two options that are not the poster's (defaults are): ``output_gate=False`` drops
    f'(z_L) from the output nudge (see ``output_nudge``); ``lr_decay="linear"`` makes
    ``train`` scale every learning rate by 1 - step / steps.
    """

    name = None
    phases = None
    plasticity = None
    #: The compartments this rule computes, what ``net.compartments`` shows after a step.
    compartments = ("soma", "activity", "nudge")

    def __init__(self, lr, output_gate=True, lr_decay="constant"):
        self.lr = checks.positive("lr", lr)
        self.output_gate = checks.boolean("output_gate", output_gate)
        self.lr_decay = checks.choice("lr_decay", lr_decay, LR_DECAYS)

    @property
    def lr_bias(self):
        return self.lr

    # --- hyperparameters -------------------------------------------------------------
    @classmethod
    def parameter_names(cls):
        """The constructor's arguments: every hyperparameter of the rule."""
        return [p for p in inspect.signature(cls).parameters]

    def hyperparameters(self):
        """Every hyperparameter (the constructor's arguments) and its value, for CSV / JSON."""
        return {name: getattr(self, name) for name in self.parameter_names()}

    def options(self):
        """The non-poster options in use (none in the poster configuration)."""
        return {k: v for k, v, poster in (("output_gate", self.output_gate, True),
                                          ("lr_decay", self.lr_decay, "constant")) if v != poster}

    def lr_factor(self, step, steps):
        """What ``train`` multiplies the learning rates by at ``step`` (0-based) of ``steps``."""
        return 1 - step / steps if self.lr_decay == "linear" else 1.0

    def __repr__(self):
        """The call that makes this rule: its name and the hyperparameters that differ from the defaults."""
        defaults = type(self)().hyperparameters()
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items() if v != defaults.get(k) or k == "lr")
        return f"rule({self.name!r}, {args})"

    # --- what the kernels get -------------------------------------------------------------
    def kernel_numbers(self, sizes):
        """The rule's numbers in the order its kernels read them (float64 array ``h``)."""
        raise NotImplementedError

    def numbers(self, sizes):
        return np.ascontiguousarray(self.kernel_numbers(tuple(sizes)), dtype=np.float64)

    def state_groups(self):
        """The synapse groups this rule keeps per layer (``dendritic.circuit.Group``); none by default."""
        return []

    def state(self, net):
        """The rule's synapses in ``net`` (made on first use): ``State``, group -> list per layer of
        [S, rows, cols] tensors (views of the network's buffers)."""
        out = State()
        for group in self.state_groups():
            tensors = group.tensors(net)
            out[group.attribute] = [tensors[l] for l in sorted(tensors)]
        return out

    def top_down_pairs(self, circuit):
        """(B_l, W_{l+1}) per hidden layer, numpy views of ``circuit``, where the rule has top-down
        weights of its own (a group named "top_down"); none where B_l = W_{l+1}^T."""
        for g, group in enumerate(self.state_groups()):
            if group.attribute == "top_down":
                return [(group_view(circuit, self, g, l), weight_view(circuit, l + 1))
                        for l in range(1, len(circuit.sizes) - 1)]
        return []

    def check_network(self, net):
        """Refuse a network this rule cannot train (before any work); a ValueError names the parameter."""

    # --- one sample at a time (notebooks, diagnostics) --------------------------------------
    def _sample(self, net, x, target):
        """x, target as the kernels take them: inputs [S, n_0] float32 and classes [S] int64."""
        K, n_in, S = net.sizes[-1], net.sizes[0], net.members
        x = torch.as_tensor(x)
        if not (x.is_floating_point() and x.shape[-1:] == (n_in,) and x.numel() in (n_in, S * n_in)):
            raise ValueError(f"x must be {n_in} float features ([{n_in}] or [{S}, {n_in}]), got "
                             f"{x.dtype} of shape {tuple(x.shape)}")
        x = x.to(torch.float32).reshape(-1, n_in).expand(S, n_in)
        if not torch.isfinite(x).all():
            raise ValueError("x must be finite (no NaN or inf)")
        target = torch.as_tensor(target)
        if target.is_floating_point():  # one-hot
            if target.shape[-1:] != (K,):
                raise ValueError(f"target must be a class in 0..{K - 1} or a one-hot vector of {K}, got shape "
                                 f"{tuple(target.shape)}")
            target = target.argmax(-1)
        target = target.reshape(-1).expand(S)
        if ((target < 0) | (target >= K)).any():
            raise ValueError(f"target class must be in 0..{K - 1}, got {target.tolist()}")
        return np.ascontiguousarray(x.numpy()), np.ascontiguousarray(target.numpy().astype(np.int64))

    def run_phases(self, net, x, target):
        """The ``Circuit`` of ``net`` after ``phases`` on one sample per member (nothing learns)."""
        self.check_network(net)
        circuit = pack(net, self)
        h = self.numbers(net.sizes)
        xs, targets = self._sample(net, x, target)
        for m in range(net.members):
            self.phases(circuit, m, xs[m], int(targets[m]), h)
        return circuit

    def compartments_of(self, net, x, target):
        """Every compartment of every layer for one sample, as ``net.compartments`` shows them
        after ``step``, without changing ``net``."""
        return compartments(self.run_phases(net, x, target), self.compartments, net.ensemble)

    def delta(self, net, x, target):
        """The update this rule would make for one sample, without changing ``net``.

        Args:
            x: one input, [in] (or [S, in] for an ensemble).
            target: class index (int) or one-hot [K] (or [S] / [S, K]).
        Returns:
            dict keyed like ``net.named_parameters()``, each value to be *added*
            to that parameter (same shape): lr N_l (x) pre_{l-1} (- decay W_l), lr_bias N_l.
        """
        circuit = self.run_phases(net, x, target)
        squeeze = (lambda t: t) if net.ensemble else (lambda t: t[0])
        params = dict(net.named_parameters())
        decay = getattr(self, "decay", 0.0)
        out = {}
        for l in range(1, net.layers + 1):
            N = torch.from_numpy(circuit.cells[:, KINDS.index("nudge"), circuit.units[l]:circuit.units[l + 1]].copy())
            pre = torch.from_numpy(circuit.cells[:, KINDS.index("presynaptic"),
                                                 circuit.units[l - 1]:circuit.units[l]].copy())
            dW = f32(self.lr) * N[:, :, None] * pre[:, None, :]
            if decay:
                dW = dW - decay * net.stacked()[0][l - 1]
            out[f"W{l}"] = squeeze(dW)
            if f"b{l}" in params:
                out[f"b{l}"] = squeeze(f32(self.lr_bias) * N)
        return out

    def step(self, net, x, target):
        """One online update for one sample (and the rule's own synapses, such as interneurons).
        Afterwards ``net.compartments`` holds every compartment of every layer for this sample;
        returns them."""
        circuit = self.run_phases(net, x, target)
        h = self.numbers(net.sizes)
        for m in range(net.members):
            self.plasticity(circuit, m, h, 1.0)
        unpack(circuit, net, self)
        net._compartments = compartments(circuit, self.compartments, net.ensemble)
        return net.compartments
