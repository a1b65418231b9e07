"""Rule 3 with nonlinear interneurons that predict the layer above (Sacramento et al. 2018).

A linear matrix R_l cannot cancel the top-down input B_l a_{l+1} = B_l f(W_{l+1} a_l + b_{l+1}):
the layer above is a *nonlinear* function of a_l, so rule 3 keeps a residual |D^F|. Here
each hidden layer has a population of interneurons, each paired with one unit of the
layer above and taught by it. An interneuron that has learned to fire like its partner
(V_l -> W_{l+1}, c_l -> b_{l+1}) can, through weights U_l -> B_l, cancel the top-down input:

    i_l   = f(V_l a_l^F + c_l)                         interneurons (m_l of them, default n_{l+1})
    I_Int = U_l i_l
    D_l^F = clamp(B_l a_{l+1}^F - I_Int, -1, 1),   D_l^B = clamp(B_l a_{l+1}^B - I_Int, -1, 1)
    N_l   = f'(z_l) * D_l^B                        forward weights learn as in rule 3
    dV_l  = lr_int (P_l a_{l+1}^F - i_l) (x) clamp(a_l^F, 0, 1),   dc_l = lr_int (P_l a_{l+1}^F - i_l)
    dU_l  = lr_rec_l D_l^F (x) clamp(i_l, 0, 1)          anti-Hebbian, drives D^F to 0

Interneuron k of layer l is taught by unit k mod n_{l+1} of the layer above (P_l picks it).

Where the circuit starts (``start``): "self_predicting" (default), as Sacramento et al. 2018
start theirs: every interneuron fires like its partner (V_l = P_l W_{l+1}, c_l = P_l b_{l+1})
and U_l P_l = B_l, so D^F = 0 at the first sample (a one-time copy at "development"; they
show the state can also be learned). "random": drawn like ``nn.Linear`` layers; the circuit
has to learn to cancel from scratch.
"""

from collections.abc import Sequence
import math

import torch

from .. import checks
from ..circuit import (Group, activity, activity_backward, dendrite_backward, dendrite_forward, interneuron, layers,
                       nudge, presynaptic, soma, synapses, top_down_backward, top_down_forward)
from ..jit import helper, phases_kernel, plasticity_kernel
from ..linalg import clip, f32, matvec, relu
from .base import (backward_activity, clamp_nudge, forward, learn_forward_weights, output_nudge, relu_derivative,
                   set_presynaptic)
from .interneuron import Interneuron
from .top_down import TRANSPOSE, learn_top_down, top_down_group, top_down_input

STARTS = ("self_predicting", "random")
V, C, U, CELLS, TOP_DOWN = range(5)  # the synapse groups (CELLS: the interneurons' activity i_l, [1, m_l])


@helper
def cancel(net, m, l, clamp, B):
    """Layer l's dendrites: top-down input, the interneurons' cancelling input, D^F, D^B, N_l, a_l^B."""
    I_F, I_B, I_int = top_down_forward(net, m, l), top_down_backward(net, m, l), interneuron(net, m, l)
    top_down_input(net, m, l, activity(net, m, l + 1), I_F, B)                 # I_TD^F = B_l a_{l+1}^F
    top_down_input(net, m, l, activity_backward(net, m, l + 1), I_B, B)        # I_TD^B = B_l a_{l+1}^B
    cells, c = synapses(net, m, CELLS, l)[0], synapses(net, m, C, l)[0]
    matvec(synapses(net, m, V, l), activity(net, m, l), cells)
    for k in range(len(cells)):
        cells[k] = relu(cells[k] + c[k])                                       # i_l = f(V_l a_l + c_l)
    matvec(synapses(net, m, U, l), cells, I_int)                               # I_Int = U_l i_l
    D_F, D_B = dendrite_forward(net, m, l), dendrite_backward(net, m, l)
    z, N, a_B = soma(net, m, l), nudge(net, m, l), activity_backward(net, m, l)
    for j in range(len(N)):
        D_F[j], D_B[j] = I_F[j] - I_int[j], I_B[j] - I_int[j]                 # D_l = I_TD - I_Int
        if clamp:
            D_F[j], D_B[j] = clip(D_F[j], f32(-1), f32(1)), clip(D_B[j], f32(-1), f32(1))
        N[j] = relu_derivative(z[j]) * D_B[j]                                  # N_l = f'(z_l) D_l^B
        a_B[j] = relu(z[j] + N[j])


@phases_kernel
def phases(net, m, x, target, h):
    gate, clamp, B = h[1] != 0, h[2] != 0, int(h[4])
    forward(net, m, x)
    set_presynaptic(net, m, clamp)
    L = layers(net)
    output_nudge(net, m, target, gate)
    if clamp:
        clamp_nudge(net, m, L)
    backward_activity(net, m, L)
    for l in range(L - 1, 0, -1):                                              # hidden layers, from the top down
        cancel(net, m, l, clamp, B)


@helper
def learn_interneurons(net, m, l, lr_int, lr_rec):
    """dV_l = lr_int (P a_{l+1} - i_l) (x) pre_l, dc_l = lr_int (P a_{l+1} - i_l), dU_l = lr_rec D^F (x) clamp(i_l)."""
    cells, above, pre = synapses(net, m, CELLS, l)[0], activity(net, m, l + 1), presynaptic(net, m, l)
    Vl, c, Ul, D_F = synapses(net, m, V, l), synapses(net, m, C, l)[0], synapses(net, m, U, l), dendrite_forward(net, m, l)
    rate_int = f32(lr_int)
    for k in range(len(cells)):
        error = above[k % len(above)] - cells[k]                              # the partner above teaches
        step, row = rate_int * error, Vl[k]
        for j in range(len(pre)):
            row[j] += step * pre[j]
        c[k] += rate_int * error
    rate_rec = f32(lr_rec)
    for j in range(Ul.shape[0]):
        step, row = rate_rec * D_F[j], Ul[j]
        for k in range(len(cells)):
            row[k] += step * clip(cells[k], f32(0), f32(1))


@plasticity_kernel
def plasticity(net, m, h, scale):
    lr, lr_bias, B, decay, learned, lr_int = h[0] * scale, h[3] * scale, int(h[4]), h[5] * scale, h[6] != 0, h[7] * scale
    learn_forward_weights(net, m, lr, lr_bias, decay)                          # as rule 3 (no R_l here)
    if learned:
        learn_top_down(net, m, B, lr, decay)
    for l in range(1, layers(net)):
        learn_interneurons(net, m, l, lr_int, h[8 + l - 1] * scale)


def check_sizes(name, sizes):
    """A population size: None (the default), an integer >= 1, or one such integer per layer."""
    if sizes is None:
        return None
    if isinstance(sizes, Sequence) and not isinstance(sizes, (str, bytes)):
        if not sizes:
            raise ValueError(f"{name} must be an integer >= 1 or one per layer, got an empty sequence")
        return tuple(checks.integer(name, n, 1) for n in sizes)
    return checks.integer(name, sizes, 1)


def per_layer(name, sizes, defaults):
    """``check_sizes``' value spelled out for every layer (``defaults`` where it is None)."""
    if sizes is None:
        return tuple(defaults)
    if isinstance(sizes, tuple):
        if len(sizes) != len(defaults):
            raise ValueError(f"{name} must be an integer >= 1 or one per layer ({len(defaults)}), got {sizes!r}")
        return sizes
    return (sizes,) * len(defaults)


def partner_matrix(m, n_above):
    """P [m, n_above]: interneuron k is paired with unit k mod n_above of the layer above."""
    return torch.nn.functional.one_hot(torch.arange(m) % n_above, n_above).float()


class NonlinearInterneuron(Interneuron):
    """Rule 3 with interneurons that predict the layer above (equations in the module docstring).

    Args:
        lr, lr_bias, clamp, output_gate, lr_decay, top_down, decay: as ``interneuron``.
        lr_rec: learning rate of U_l (interneuron -> dendrite), one per hidden layer or one for all.
        lr_int: learning rate of V_l, c_l (the interneurons' prediction of the layer above), >= 0.
        interneurons: population size m_l per hidden layer (one int for all, or one per layer);
            default n_{l+1}.
        start: "self_predicting" or "random", see the module docstring.
    """

    name = "nonlinear_interneuron"
    phases, plasticity = phases, plasticity
    linear_interneurons = False

    def __init__(self, lr=0.0774, lr_rec=(0.2, 0.2), lr_bias=0.0187, lr_int=0.05, clamp=True,
                 output_gate=True, lr_decay="constant", top_down="transpose", decay=None, interneurons=None,
                 start="self_predicting"):
        super().__init__(lr, lr_rec, lr_bias, clamp, output_gate, lr_decay, top_down, decay)
        self.lr_int = checks.non_negative("lr_int", lr_int)
        self.interneurons = check_sizes("interneurons", interneurons)
        self.start = checks.choice("start", start, STARTS)

    def population(self, sizes):
        """m_l per hidden layer for a network of ``sizes``."""
        return per_layer("interneurons", self.interneurons, sizes[2:])

    def state_groups(self):
        size = lambda sizes, l: self.population(sizes)[l - 1]
        top_down = [] if self.top_down == "transpose" else [top_down_group()]
        prefix = f"interneuron_{self.start}_"

        def B(net, l, member):  # the top-down weights the population must mirror
            if self.top_down == "transpose":
                return net.stacked()[0][l][member].T
            return top_down[0].tensors(net)[l][member]

        if self.start == "random":  # like nn.Linear(n_l, m) (V, c) and nn.Linear(m, n_l, bias=False) (U)
            uniform = lambda shape, fan_in: (lambda net, l, g, i: torch.empty(shape(net.sizes, l)).uniform_(
                -1 / math.sqrt(fan_in(net.sizes, l)), 1 / math.sqrt(fan_in(net.sizes, l)), generator=g))
            makes = [uniform(lambda s, l: (size(s, l), s[l]), lambda s, l: s[l]),
                     uniform(lambda s, l: (1, size(s, l)), lambda s, l: s[l]),
                     uniform(lambda s, l: (s[l], size(s, l)), lambda s, l: size(s, l))]
        else:  # every interneuron copies its partner above, and U P = B
            P = lambda net, l: partner_matrix(size(net.sizes, l), net.sizes[l + 1])
            makes = [lambda net, l, g, i: P(net, l) @ net.stacked()[0][l][i],
                     lambda net, l, g, i: (P(net, l) @ net.stacked()[1][l][i, 0])[None],
                     lambda net, l, g, i: B(net, l, i) @ (P(net, l) / P(net, l).sum(0)).T]
        shapes = [lambda s, l: (size(s, l), s[l]), lambda s, l: (1, size(s, l)), lambda s, l: (s[l], size(s, l))]
        groups = [Group(prefix + name, "hidden", shape, make, attribute=name,
                        key=lambda sizes, l, name=name: f"interneuron_{name}{l}_{self.start}")
                  for name, shape, make in zip("VcU", shapes, makes)]
        cells = Group(prefix + "cells", "hidden", lambda s, l: (1, size(s, l)),
                      lambda net, l, g, i: torch.zeros(1, size(net.sizes, l)), attribute="interneuron_activity",
                      scratch=True)
        return groups + [cells] + top_down

    def kernel_numbers(self, sizes):
        from .interneuron import per_hidden_layer

        B = TRANSPOSE if self.top_down == "transpose" else TOP_DOWN
        return [self.lr, self.output_gate, self.clamp, self.lr_bias, B, self.decay, self.top_down == "learned",
                self.lr_int, *per_hidden_layer("lr_rec", self.lr_rec, sizes)]
