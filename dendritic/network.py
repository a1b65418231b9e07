"""The soma/dendrite network: 2 -> 128 -> 32 -> 4, ReLU everywhere (docs/science.md, "The network").

Weights are named as in the equations: ``W1, b1`` feed layer 1 from the input,
``WL, bL`` feed the output. Each hidden layer l also has a dendrite-targeting
interneuron matrix ``R_l`` (a buffer: it is rule state, learned only by the
``interneuron`` rule, never by gradient descent).

A network built with a list of seeds is an *ensemble*: every tensor carries a
leading member dimension, so many seeds train in one vectorised loop while each
member keeps its own initialisation.
"""

from collections.abc import Sequence
import math

import torch
from torch import nn

from . import checks

BIAS_MODES = ("learned", "fixed", "zero")
POSTER_SIZES = (2, 128, 32, 4)
#: Upper bounds of a network's shape: units per layer, and layers (input and output included).
MAX_UNITS, MAX_LAYERS = 4096, 16


def relu_derivative(activity):
    """f'(z) for f = relu, computed from the activity a = relu(z) >= 0: 1 where z > 0, else 0."""
    return torch.sign(activity)  # a cheap float mask: sign(a) is 1 exactly where a > 0


def forward(weights, biases, x):
    """Bottom-up pass. x [S, n, in]; weights[l] [S, out, in]; biases[l] [S, 1, out].

    Returns (somas, activities): lists over layers 1..L of [S, n, n_l] tensors.
    """
    somas, activities = [], []
    a = x
    for W, b in zip(weights, biases):
        z = torch.baddbmm(b, a, W.mT)  # soma: z_l = W_l a_{l-1} + b_l
        a = torch.relu(z)
        somas.append(z)
        activities.append(a)
    return somas, activities


def _uniform(shape, bound, generator):
    return torch.empty(shape).uniform_(-bound, bound, generator=generator)


class Network(nn.Module):
    """A ReLU network whose hidden units have a soma and a dendrite.

    Args:
        sizes: layer sizes, input first; the poster uses (2, 128, 32, 4).
        seed: an int for one network, or a sequence of ints for an ensemble whose
            member i is exactly the network ``Network(sizes, seed=seed[i])``.
        bias: "learned" (trained), "fixed" (random init, never updated) or "zero".

    Initialisation is PyTorch's ``nn.Linear`` default, U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    for weights and biases, drawn from a generator seeded with ``seed``; the
    interneuron matrices follow, like ``nn.Linear(n_l, n_l, bias=False)``.

    >>> net = Network((2, 128, 32, 4), seed=0)
    >>> net.W2.shape, net.layers, net.members
    (torch.Size([32, 128]), 3, 1)
    >>> ensemble = Network(seed=[0, 1, 2])
    >>> ensemble.W2.shape, bool((ensemble.W2[0] == net.W2).all())
    (torch.Size([3, 32, 128]), True)
    """

    def __init__(self, sizes=POSTER_SIZES, seed=0, bias="learned"):
        super().__init__()
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or not 2 <= len(sizes) <= MAX_LAYERS:
            raise ValueError(f"sizes must be a sequence of 2..{MAX_LAYERS} layer sizes (input ... output), got {sizes!r}")
        self.sizes = tuple(checks.integer(f"sizes[{i}]", n, 1) for i, n in enumerate(sizes))
        if max(self.sizes) > MAX_UNITS:
            raise ValueError(f"sizes must be integers in 1..{MAX_UNITS}, got {self.sizes}")
        self.bias = checks.choice("bias", bias, BIAS_MODES)
        self.ensemble = isinstance(seed, Sequence) and not isinstance(seed, (str, bytes))
        self.seeds = checks.seeds("seed", seed)
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seed must not repeat a member's seed, got {list(seed)}")

        members = [self._init_member(s) for s in self.seeds]
        for name in members[0]:
            value = torch.stack([m[name] for m in members])
            value = value if self.ensemble else value[0]
            if name.startswith("W") or (name.startswith("b") and self.bias == "learned"):
                self.register_parameter(name, nn.Parameter(value))
            else:
                self.register_buffer(name, value)
        self._compartments = None

    def _init_member(self, seed):
        generator = torch.Generator().manual_seed(seed)
        tensors = {}
        for l, (fan_in, fan_out) in enumerate(zip(self.sizes, self.sizes[1:]), start=1):
            bound = 1 / math.sqrt(fan_in)
            tensors[f"W{l}"] = _uniform((fan_out, fan_in), bound, generator)
            bias = _uniform((fan_out,), bound, generator)
            tensors[f"b{l}"] = bias if self.bias != "zero" else torch.zeros(fan_out)
        for l, n in enumerate(self.sizes[1:-1], start=1):
            tensors[f"R{l}"] = _uniform((n, n), 1 / math.sqrt(n), generator)
        return tensors

    # --- shapes and views -------------------------------------------------
    @property
    def layers(self):
        """Number of weight layers L (3 for the poster network)."""
        return len(self.sizes) - 1

    @property
    def members(self):
        """Ensemble size S (1 for a single network)."""
        return len(self.seeds)

    @property
    def weights(self):
        return [getattr(self, f"W{l}") for l in range(1, self.layers + 1)]

    @property
    def biases(self):
        return [getattr(self, f"b{l}") for l in range(1, self.layers + 1)]

    @property
    def interneurons(self):
        """R_l for the hidden layers l = 1 .. L-1, each [n_l, n_l] (or [S, n_l, n_l])."""
        return [getattr(self, f"R{l}") for l in range(1, self.layers)]

    def stacked(self, detach=True):
        """Views with a leading member dimension, sharing storage with the network.

        Returns (weights [S, out, in], biases [S, 1, out], interneurons [S, n, n]):
        updating them in place updates the network. ``detach=False`` keeps the
        autograd graph (for ``forward``); the learning rules work on detached views.
        """
        lead = (lambda t: t) if self.ensemble else (lambda t: t.unsqueeze(0))
        raw = (lambda t: t.detach()) if detach else (lambda t: t)
        weights = [lead(raw(W)) for W in self.weights]
        biases = [lead(raw(b)).unsqueeze(1) for b in self.biases]
        interneurons = [lead(R) for R in self.interneurons]
        return weights, biases, interneurons

    def _batch(self, X):
        """X [n, in] (shared by all members) or [S, n, in] -> [S, n, in]."""
        X = torch.as_tensor(X, dtype=torch.float32)
        if X.shape[-1] != self.sizes[0]:
            raise ValueError(f"X must have {self.sizes[0]} features in its last dimension, got shape {tuple(X.shape)}")
        if X.dim() == 1:
            X = X.unsqueeze(0)
        if X.dim() == 2:
            return X.unsqueeze(0).expand(self.members, -1, -1)
        return X

    def _unbatch(self, t):
        return t if self.ensemble else t[0]

    # --- use ----------------------------------------------------------------
    def forward(self, X):
        """Output activity a_L for a batch: X [n, in] -> [n, K] ([S, n, K] for an ensemble)."""
        weights, biases, _ = self.stacked(detach=False)
        _, activities = forward(weights, biases, self._batch(X))
        return self._unbatch(activities[-1])

    def somas_and_activities(self, X):
        """Per layer, the soma z_l and activity a_l for a batch (lists of [n, n_l] or [S, n, n_l])."""
        weights, biases, _ = self.stacked()
        somas, activities = forward(weights, biases, self._batch(X))
        return [self._unbatch(z) for z in somas], [self._unbatch(a) for a in activities]

    def predict(self, X):
        """Predicted class per sample: argmax of the output activity."""
        return self.forward(X).argmax(-1)

    @property
    def compartments(self):
        """The compartment states of the last sample of ``rule.step`` or ``train`` (before its
        update): one dict per layer 1..L, None before any.

        Keys (where the rule has them): soma, activity, top_down_forward,
        top_down_backward, interneuron, dendrite_forward, dendrite_backward,
        nudge, activity_backward. Each tensor is [n_l] ([S, n_l] for an ensemble).
        """
        return self._compartments

    def extra_repr(self):
        members = f", members={self.members}" if self.ensemble else ""
        return f"sizes={self.sizes}, bias={self.bias!r}{members}"
