"""The network as the compiled kernels see it: flat arrays, and named views into them.

``pack(net, rule)`` copies a ``Network`` (every member of an ensemble) and the rule's
state into a ``Circuit``; the kernels change it in place; ``unpack`` copies it back.
The arrays are flat so that a network of any depth has the same type and one compiled
loop serves them all; the views below give every piece its name from the equations:

    W(net, m, l), b(net, m, l)        forward weights and biases of layer l = 1..L (member m)
    synapses(net, m, group, l)        the rule's own synapses (interneurons R_l, top-down B_l, ...)
    soma(net, m, l), activity(...)    compartments of layer l = 0..L (0 is the input):
    presynaptic, activity_backward, nudge, top_down_forward, top_down_backward,
    interneuron, dendrite_forward, dendrite_backward

A compartment is one value per unit. After a sample, the compartments of every layer are
what ``net.compartments`` shows (the kernels leave them in place).
"""

from collections import namedtuple
import functools
import math
import zlib

import numpy as np
import torch

from .jit import helper

#: The compartments of every unit, in the order of the cells array (names as in ``net.compartments``).
KINDS = ("soma", "activity", "presynaptic", "activity_backward", "nudge", "top_down_forward",
         "top_down_backward", "interneuron", "dendrite_forward", "dendrite_backward")
(SOMA, ACTIVITY, PRESYNAPTIC, ACTIVITY_BACKWARD, NUDGE, TOP_DOWN_FORWARD, TOP_DOWN_BACKWARD, INTERNEURON,
 DENDRITE_FORWARD, DENDRITE_BACKWARD) = range(len(KINDS))

Circuit = namedtuple("Circuit", [
    "sizes",       # int64 [L + 1]: units per layer, input first
    "units",       # int64 [L + 2]: where layer l's units start in the cells array
    "params",      # float32 [S, P]: every member's W_l, b_l
    "W_at",        # int64 [L + 1]: where W_l starts in params (index 0 unused)
    "b_at",        # int64 [L + 1]: where b_l starts
    "learn_bias",  # bool: the network's biases learn ("learned") or not ("fixed", "zero")
    "state",       # float32 [S, Q]: the rule's own synapses, one group after another
    "state_at",    # int64 [G, L + 1, 3]: (start, rows, columns) of group g's matrix of layer l
    "cells",       # float32 [S, len(KINDS), U]: every compartment of every unit
])


@functools.cache
def circuit_type():
    """The numba type of a ``Circuit`` (the same for every network depth and rule)."""
    from .jit import numba

    t = numba().types
    i1, f2 = t.int64[::1], t.float32[:, ::1]
    return t.NamedTuple((i1, i1, f2, i1, i1, t.boolean, f2, t.int64[:, :, ::1], t.float32[:, :, ::1]), Circuit)


# --- named views, for the kernels ---------------------------------------------------
@helper
def layers(net):
    """L, the number of weight layers (3 for the poster's 2-128-32-4)."""
    return len(net.sizes) - 1


@helper
def W(net, m, l):
    """W_l [n_l, n_{l-1}] of member m (l = 1..L)."""
    rows, cols, start = net.sizes[l], net.sizes[l - 1], net.W_at[l]
    return net.params[m, start:start + rows * cols].reshape((rows, cols))


@helper
def b(net, m, l):
    """b_l [n_l] of member m."""
    start = net.b_at[l]
    return net.params[m, start:start + net.sizes[l]]


@helper
def synapses(net, m, group, l):
    """The rule's synapse group ``group`` (a number the rule defines) of layer l: [rows, columns]."""
    start, rows, cols = net.state_at[group, l, 0], net.state_at[group, l, 1], net.state_at[group, l, 2]
    return net.state[m, start:start + rows * cols].reshape((rows, cols))


@helper
def cell(net, m, kind, l):
    """Compartment ``kind`` (one of the numbers above) of every unit of layer l: [n_l]."""
    return net.cells[m, kind, net.units[l]:net.units[l + 1]]


@helper
def soma(net, m, l):
    """z_l = W_l a_{l-1} + b_l."""
    return cell(net, m, SOMA, l)


@helper
def activity(net, m, l):
    """a_l = f(z_l) in the forward phase (a_0 = the input x)."""
    return cell(net, m, ACTIVITY, l)


@helper
def presynaptic(net, m, l):
    """What the synapses of layer l + 1 see of layer l when they learn: a_l, or clamp(a_l, 0, 1)."""
    return cell(net, m, PRESYNAPTIC, l)


@helper
def activity_backward(net, m, l):
    """a_l^B = f(z_l + N_l), the activity after the teaching nudge."""
    return cell(net, m, ACTIVITY_BACKWARD, l)


@helper
def nudge(net, m, l):
    """N_l, the local error that gates plasticity."""
    return cell(net, m, NUDGE, l)


@helper
def top_down_forward(net, m, l):
    """I_TD^F = B_l a_{l+1}^F, the dendrite's top-down input before teaching."""
    return cell(net, m, TOP_DOWN_FORWARD, l)


@helper
def top_down_backward(net, m, l):
    """I_TD^B = B_l a_{l+1}^B, after teaching."""
    return cell(net, m, TOP_DOWN_BACKWARD, l)


@helper
def interneuron(net, m, l):
    """I_Int, the dendrite-targeting interneurons' input to the dendrite."""
    return cell(net, m, INTERNEURON, l)


@helper
def dendrite_forward(net, m, l):
    """D_l^F, the dendritic state before teaching."""
    return cell(net, m, DENDRITE_FORWARD, l)


@helper
def dendrite_backward(net, m, l):
    """D_l^B, the dendritic state after teaching."""
    return cell(net, m, DENDRITE_BACKWARD, l)


# --- the rule's state, as buffers of the network ---------------------------------------
class Group:
    """A group of synapses a rule keeps per layer, stored as network buffers ``f"{name}{l}"``.

    Args:
        name: buffer prefix (``R`` gives R1, R2, ...), unless ``key`` names the buffers.
        layers: "hidden" (l = 1..L-1) or "all" (l = 1..L).
        shape: ``shape(sizes, l)`` -> (rows, columns) of one member's matrix.
        make: ``make(net, l, generator, member)`` -> that matrix (a float32 tensor), drawn
            the first time a rule needs it; the generator is seeded from (member seed, buffer
            name), so an ensemble member gets what the network with that seed gets alone.
            None: the network has the buffer already (the interneurons R_l).
        attribute: the name of the group in ``rule.state(net)`` (default: ``name``).
        key: ``key(sizes, l)`` -> the buffer's name (default ``f"{name}{l}"``); the random
            draws of ``make`` are seeded by it.
        scratch: the group holds activities the kernels compute for each sample (an
            interneuron population's firing), not synapses.
        transposed: the circuit keeps this matrix transposed (M^T, rows and columns swapped):
            the kernels take M v every step, and M v = (M^T)^T v runs fastest as
            ``linalg.matvec_t`` along M^T's contiguous rows. ``synapses`` then gives M^T.
    """

    def __init__(self, name, layers, shape, make=None, attribute=None, key=None, scratch=False, transposed=False):
        if layers not in ("hidden", "all"):
            raise ValueError(f"layers must be 'hidden' or 'all', got {layers!r}")
        self.name, self.layers, self.shape, self.make = name, layers, shape, make
        self.attribute = attribute or name
        self.key = key or (lambda sizes, l: f"{name}{l}")
        self.scratch = scratch
        self.transposed = transposed

    def layer_range(self, L):
        return range(1, L if self.layers == "hidden" else L + 1)

    def tensors(self, net):
        """This group's buffers of ``net``, made on first use: {l: [S, rows, cols] view}."""
        out = {}
        for l in self.layer_range(net.layers):
            key = self.key(net.sizes, l)
            if key not in net._buffers:
                if self.make is None:
                    raise ValueError(f"the network has no buffer {key!r}")
                shape = self.shape(net.sizes, l)
                members = []
                for i, seed in enumerate(net.seeds):
                    generator = seeded_generator(seed, 2, zlib.crc32(key.encode()))
                    value = torch.as_tensor(self.make(net, l, generator, i), dtype=torch.float32).reshape(shape)
                    members.append(value)
                value = torch.stack(members) if net.ensemble else members[0]
                net.register_buffer(key, value.contiguous(), persistent=False)
            value = net._buffers[key]
            out[l] = value if net.ensemble else value.unsqueeze(0)
        return out


class State(dict):
    """A rule's state of one network (``rule.state(net)``): group attribute -> list of tensors per
    layer ([S, rows, cols] views of the network's buffers, changed in place by training).
    Attribute access works too: ``state.top_down[0]`` is B_1."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"this rule's state has no {name!r}; it has {', '.join(self)}") from None


# --- packing ---------------------------------------------------------------------------
def pack(net, rule, members=None):
    """A ``Circuit`` holding copies of ``net``'s weights, biases and ``rule``'s state.

    ``members``: indices of the ensemble members to pack (default: all).
    """
    sizes = np.array(net.sizes, dtype=np.int64)
    L = net.layers
    units = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    W_at, b_at = np.zeros(L + 1, np.int64), np.zeros(L + 1, np.int64)
    position = 0
    for l in range(1, L + 1):
        W_at[l] = position
        position += sizes[l] * sizes[l - 1]
        b_at[l] = position
        position += sizes[l]
    weights, biases, _ = net.stacked()
    pick = slice(None) if members is None else list(members)
    S = weights[0][pick].shape[0]
    params = np.empty((S, position), np.float32)
    for l in range(1, L + 1):
        params[:, W_at[l]:W_at[l] + sizes[l] * sizes[l - 1]] = weights[l - 1][pick].reshape(S, -1).numpy()
        params[:, b_at[l]:b_at[l] + sizes[l]] = biases[l - 1][pick].reshape(S, -1).numpy()

    groups = rule.state_groups()
    state_at = np.full((max(len(groups), 1), L + 1, 3), -1, np.int64)
    tensors = [{l: (v.mT if group.transposed else v) for l, v in group.tensors(net).items()} for group in groups]
    position = 0
    for g, group in enumerate(tensors):
        for l, value in group.items():
            rows, cols = value.shape[1:]
            state_at[g, l] = (position, rows, cols)
            position += rows * cols
    state = np.zeros((S, max(position, 1)), np.float32)
    for g, group in enumerate(tensors):
        for l, value in group.items():
            start, rows, cols = state_at[g, l]
            state[:, start:start + rows * cols] = value[pick].reshape(S, -1).numpy()
    cells = np.zeros((S, len(KINDS), units[-1]), np.float32)
    return Circuit(sizes, units, params, W_at, b_at, net.bias == "learned", state, state_at, cells)


def unpack(circuit, net, rule, members=None):
    """Copy ``circuit``'s weights, biases (if they learn) and rule state back into ``net``."""
    weights, biases, _ = net.stacked()
    pick = slice(None) if members is None else list(members)
    sizes, S = circuit.sizes, circuit.params.shape[0]
    with torch.no_grad():
        for l in range(1, len(sizes)):
            rows, cols = sizes[l], sizes[l - 1]
            start = circuit.W_at[l]
            weights[l - 1][pick] = torch.from_numpy(circuit.params[:, start:start + rows * cols].reshape(S, rows, cols))
            if circuit.learn_bias:
                start = circuit.b_at[l]
                biases[l - 1][pick] = torch.from_numpy(circuit.params[:, start:start + rows].reshape(S, 1, rows))
        for g, group in enumerate(rule.state_groups()):
            for l, value in group.tensors(net).items():
                start, rows, cols = circuit.state_at[g, l]
                stored = torch.from_numpy(circuit.state[:, start:start + rows * cols].reshape(S, rows, cols))
                value[pick] = stored.mT if group.transposed else stored


def weight_view(circuit, l):
    """W_l of every member of ``circuit``: a numpy view [S, n_l, n_{l-1}]."""
    rows, cols, start = circuit.sizes[l], circuit.sizes[l - 1], circuit.W_at[l]
    return circuit.params[:, start:start + rows * cols].reshape(circuit.params.shape[0], rows, cols)


def group_view(circuit, rule, group, l):
    """The matrix of layer l of the rule's synapse group number ``group`` (its index in
    ``rule.state_groups()``), every member: a numpy view [S, rows, cols] (untransposed)."""
    start, rows, cols = circuit.state_at[group, l]
    stored = circuit.state[:, start:start + rows * cols].reshape(circuit.state.shape[0], rows, cols)
    return stored.transpose(0, 2, 1) if rule.state_groups()[group].transposed else stored


def compartments(circuit, kinds, ensemble):
    """The cells of ``circuit`` as ``net.compartments`` shows them: one dict per layer 1..L of
    the ``kinds`` given, each a tensor [n_l] (or [S, n_l] for an ensemble)."""
    out = []
    for l in range(1, len(circuit.sizes)):
        lo, hi = circuit.units[l], circuit.units[l + 1]
        layer = {}
        for kind in kinds:
            value = torch.from_numpy(circuit.cells[:, KINDS.index(kind), lo:hi].copy())
            layer[kind] = value if ensemble else value[0]
        out.append(layer)
    return out


def seeded_generator(seed, *words):
    """A torch Generator seeded from ``seed`` and extra words (so different uses never share a stream)."""
    state = np.random.SeedSequence([seed, *words]).generate_state(2)
    return torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))


def linear_bound(fan_in):
    """nn.Linear's default init bound, 1 / sqrt(fan_in)."""
    return 1 / math.sqrt(fan_in)
