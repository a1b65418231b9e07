"""Dale's law: excitatory projections and explicit inhibitory interneurons (the poster's future direction 2).

A real neuron is excitatory or inhibitory: all its synapses have one sign. Here the
pyramidal neurons (the units of the network) are excitatory, and every pathway that
needs a negative weight goes through a population of inhibitory interneurons:

- somatic (PV-like, feedforward inhibition): p_l linear interneurons h_l = W^IE_l a_{l-1}
  that inhibit the somas of layer l through W^EI_l (as in Cornford et al. 2021);
- top-down relay: q_l linear interneurons r_l = Q_l a_{l+1}, driven by the layer above,
  that inhibit the dendrites of layer l through B^I_l. With the direct excitatory top-down
  synapses B^E_l, the dendrite hears the layer above through the effective
  B_l = B^E_l - B^I_l Q_l, which can have either sign, like W_{l+1}, and so can align with
  W_{l+1}^T. Without the relay (``relay=0``) B_l = B^E_l >= 0 cannot: a matrix with no
  negative entry stays far from the mixed-sign W_{l+1}^T;
- dendrite-targeting (SST-like): the nonlinear interneurons of ``nonlinear_interneuron``
  (Sacramento et al. 2018), which predict the layer above and cancel its top-down input at
  the dendrite. Like their partner neurons above, they get excitation from layer l (V_l)
  and feedforward inhibition from the somatic interneurons h_{l+1} (G_l). Inhibition alone
  can only cancel a positive input; to cancel the relay's inhibition a twin population of
  excitatory dendrite-targeting cells e_l (same equations, their own weights V^X_l, G^X_l,
  c^X_l) excites the dendrite through U^X_l.

Every synapse keeps its sign (clipped at 0 after every step):

    W^E_l, W^IE_l, W^EI_l >= 0     soma:      z_l = W^E_l a_{l-1} - W^EI_l h_l + b_l
    B^E_l, Q_l, B^I_l >= 0          dendrite:  top-down input B^E_l a_{l+1} - B^I_l r_l
    V_l, G_l, U_l >= 0              interneurons: i_l = f(V_l a_l - G_l h_{l+1} + c_l), inhibit by U_l i_l
    V^X_l, G^X_l, U^X_l >= 0        excitatory cells: e_l = f(V^X_l a_l - G^X_l h_{l+1} + c^X_l), excite by U^X_l e_l

    D_l = B^E_l a_{l+1} - B^I_l r_l - (U_l i_l - U^X_l e_l)     (clamped to [-1, 1] as in rule 3)

The network's W_l is kept equal to the effective weight W^E_l - W^EI_l W^IE_l, so evaluation
and the comparison with backprop see the function the circuit computes. Biases b_l, c_l
and c^X_l (tonic drive) have no sign.

The circuit starts balanced (E/I balance): each inhibitory pathway is ``balance`` times
the least inhibition that lets its excitatory synapses be >= 0, so that they start away
from the clip at 0 (with balance 1 many sit at 0 and a step that should make a weight
more negative is lost).

Plasticity is the interneuron rule's, split over the synapses that carry it, each clipped
at 0 after the step; ``decay`` shrinks both synapses of a pathway, so the effective W_l
(and B_l) shrinks by (1 - decay) as in Kolen-Pollack:

    dW^E_l  = lr N_l (x) a_{l-1}           dW^EI_l = -lr N_l (x) h_l           W^IE_l fixed
    dB^E_l  = lr a_l (x) N_{l+1}           dB^I_l  = -lr a_l (x) Q_l N_{l+1}   Q_l fixed
    dV_l = lr_int err_l (x) a_l,   dG_l = -lr_int err_l (x) h_{l+1},   err_l = P_l a_{l+1}^F - i_l
    dU_l = lr_rec/2 D_l^F (x) i_l,       dU^X_l = -lr_rec/2 D_l^F (x) e_l (V^X, G^X, c^X as V, G, c)

(with the relay the two populations share lr_rec, so U_l - U^X_l moves at lr_rec, as U_l
alone does without it; every presynaptic activity in these updates is clamped to [0, 1]
as in rule 3). The top-down synapses learn Kolen-Pollack style from the two signals each
one sees: the postsynaptic activity a_l and the presynaptic cell's nudge (N_{l+1} for B^E;
for B^I the relay's own change between the phases, r^B - r^F = Q_l (a^B - a^F) ~ Q_l N_{l+1}).
"""

import copy
import math
from numbers import Integral

import numpy as np
import torch

from .. import checks
from ..circuit import (Group, W, activity, activity_backward, b, dendrite_backward, dendrite_forward, group_view,
                       interneuron, layers, nudge, presynaptic, soma, synapses, top_down_backward, top_down_forward,
                       weight_view)
from ..jit import helper, phases_kernel, plasticity_kernel
from ..linalg import add_outer, clip, dot, f32, matvec, matvec_t, relu
from .base import (backward_activity, clamp_nudge, forward, output_nudge, relu_derivative, set_presynaptic)
from .interneuron import Interneuron
from .nonlinear_interneuron import check_sizes, partner_matrix, per_layer

# the synapse groups (and the interneurons' activities, [1, n]) in the order of ``Dale.state_groups``
(WE, WEI, WIE, H, BE, BI, Q, RELAY, H_ABOVE, V, G, C, U, I, VX, GX, CX, UX, E) = range(19)


# --- the compiled equations ------------------------------------------------------------------
@helper
def top_down(net, m, l, above, out, transposed, relay, r):
    """out = B_l above, with the effective B_l = B^E_l - B^I_l Q_l (r: scratch for the relay's activity)."""
    if transposed:  # weight transport: B^E_l = (W^E_{l+1})^T, B^I_l = (W^IE_{l+1})^T, Q_l = (W^EI_{l+1})^T
        matvec_t(synapses(net, m, WE, l + 1), above, out)
        if relay:
            matvec_t(synapses(net, m, WEI, l + 1), above, r)       # r = Q_l a_{l+1}
            M = synapses(net, m, WIE, l + 1)
            for k in range(M.shape[0]):
                for i in range(len(out)):
                    out[i] -= M[k, i] * r[k]                       # - B^I_l r
    else:
        matvec(synapses(net, m, BE, l), above, out)                # B^E_l a_{l+1}
        if relay:
            matvec(synapses(net, m, Q, l), above, r)               # r_l = Q_l a_{l+1}
            M = synapses(net, m, BI, l)
            for i in range(len(out)):
                out[i] -= dot(M[i], r)                             # - B^I_l r_l


@helper
def population(net, m, l, Vg, Gg, Cg, Ug, cells_group, sign, I_int):
    """cells = f(V a_l - G h_{l+1} + c); I_int += sign * U cells."""
    cells, c, h_above = synapses(net, m, cells_group, l)[0], synapses(net, m, Cg, l)[0], synapses(net, m, H_ABOVE, l)[0]
    Vl, Gl, Ul, a = synapses(net, m, Vg, l), synapses(net, m, Gg, l), synapses(net, m, Ug, l), activity(net, m, l)
    for k in range(len(cells)):
        cells[k] = relu(dot(Vl[k], a) - dot(Gl[k], h_above) + c[k])
    for j in range(len(I_int)):
        I_int[j] += sign * dot(Ul[j], cells)


@phases_kernel
def phases(net, m, x, target, h):
    gate, clamp, relay, transposed = h[1] != 0, h[2] != 0, h[3] != 0, h[4] != 0
    forward(net, m, x)                                             # W_l = W^E_l - W^EI_l W^IE_l
    set_presynaptic(net, m, clamp)
    L = layers(net)
    for l in range(1, L + 1):                                      # h_l = W^IE_l a_{l-1}
        matvec(synapses(net, m, WIE, l), presynaptic(net, m, l - 1), synapses(net, m, H, l)[0])
    output_nudge(net, m, target, gate)
    if clamp:
        clamp_nudge(net, m, L)
    backward_activity(net, m, L)
    for l in range(L - 1, 0, -1):                                  # hidden layers, from the top down
        I_F, I_B, I_int = top_down_forward(net, m, l), top_down_backward(net, m, l), interneuron(net, m, l)
        r = synapses(net, m, RELAY, l)[0]
        top_down(net, m, l, activity(net, m, l + 1), I_F, transposed, relay, r)
        top_down(net, m, l, activity_backward(net, m, l + 1), I_B, transposed, relay, r)
        matvec(synapses(net, m, WIE, l + 1), activity(net, m, l), synapses(net, m, H_ABOVE, l)[0])  # h_{l+1}
        I_int[:] = 0
        population(net, m, l, V, G, C, U, I, f32(1), I_int)       # inhibitory cells: + U_l i_l
        if relay:
            population(net, m, l, VX, GX, CX, UX, E, f32(-1), I_int)  # excitatory cells: - U^X_l e_l
        D_F, D_B = dendrite_forward(net, m, l), dendrite_backward(net, m, l)
        z, N, a_B = soma(net, m, l), nudge(net, m, l), activity_backward(net, m, l)
        for j in range(len(N)):
            D_F[j], D_B[j] = I_F[j] - I_int[j], I_B[j] - I_int[j]
            if clamp:
                D_F[j], D_B[j] = clip(D_F[j], f32(-1), f32(1)), clip(D_B[j], f32(-1), f32(1))
            N[j] = relu_derivative(z[j]) * D_B[j]
            a_B[j] = relu(z[j] + N[j])


@helper
def keep_sign(M):
    """Clip every synapse of M at 0 (Dale's law)."""
    for i in range(M.shape[0]):
        for j in range(M.shape[1]):
            if M[i, j] < 0:
                M[i, j] = f32(0)


@helper
def learn_population(net, m, l, Vg, Gg, Cg, Ug, cells_group, sign, lr_int, lr_rec, clamp):
    cells, above, a = synapses(net, m, cells_group, l)[0], activity(net, m, l + 1), presynaptic(net, m, l)
    h_above = synapses(net, m, H_ABOVE, l)[0]
    Vl, Gl, c, Ul = synapses(net, m, Vg, l), synapses(net, m, Gg, l), synapses(net, m, Cg, l)[0], synapses(net, m, Ug, l)
    rate = f32(lr_int)
    for k in range(len(cells)):
        error = above[k % len(above)] - cells[k]                  # err = P a_{l+1}^F - cells
        step, row_V, row_G = rate * error, Vl[k], Gl[k]
        for j in range(len(a)):
            row_V[j] += step * a[j]                               # dV = lr_int err (x) a_l
        for j in range(len(h_above)):
            hj = clip(h_above[j], f32(0), f32(1)) if clamp else h_above[j]
            row_G[j] += -step * hj                                # dG = -lr_int err (x) h_{l+1}
        c[k] += rate * error
    keep_sign(Vl)
    keep_sign(Gl)
    rate_rec = f32(sign * lr_rec)
    for j in range(Ul.shape[0]):
        step, row = rate_rec * dendrite_forward(net, m, l)[j], Ul[j]
        for k in range(len(cells)):
            row[k] += step * (clip(cells[k], f32(0), f32(1)) if clamp else cells[k])  # dU = ±lr_rec D^F (x) cells
    keep_sign(Ul)


@plasticity_kernel
def plasticity(net, m, h, scale):
    clamp, relay, transposed, learned = h[2] != 0, h[3] != 0, h[4] != 0, h[5] != 0
    lr, lr_bias, decay, lr_int = h[6] * scale, h[7] * scale, h[8] * scale, h[9] * scale
    shrink = f32(1 - decay)
    L = layers(net)
    for l in range(1, L + 1):                                      # the somatic pathway of every layer
        N, WEl, WEIl, WIEl = nudge(net, m, l), synapses(net, m, WE, l), synapses(net, m, WEI, l), synapses(net, m, WIE, l)
        if decay > 0:
            WEl *= shrink
            WEIl *= shrink
        add_outer(WEl, f32(lr), N, presynaptic(net, m, l - 1))      # dW^E_l = lr N_l (x) a_{l-1}
        keep_sign(WEl)
        add_outer(WEIl, f32(-lr), N, synapses(net, m, H, l)[0])     # dW^EI_l = -lr N_l (x) h_l
        keep_sign(WEIl)
        if net.learn_bias:
            bias = b(net, m, l)
            for j in range(len(bias)):
                bias[j] += f32(lr_bias) * N[j]
        Wl = W(net, m, l)                                          # W_l = W^E_l - W^EI_l W^IE_l
        for j in range(Wl.shape[0]):
            for i in range(Wl.shape[1]):
                inhibition = f32(0)
                for k in range(WIEl.shape[0]):
                    inhibition += WEIl[j, k] * WIEl[k, i]
                Wl[j, i] = WEl[j, i] - inhibition
    if learned and not transposed:                                 # Kolen-Pollack on B^E (and B^I)
        for l in range(1, L):
            BEl, N_up, a = synapses(net, m, BE, l), nudge(net, m, l + 1), presynaptic(net, m, l)
            BEl *= shrink
            add_outer(BEl, f32(lr), a, N_up)                       # dB^E_l = lr a_l (x) N_{l+1}
            keep_sign(BEl)
            if relay:
                r, BIl = synapses(net, m, RELAY, l)[0], synapses(net, m, BI, l)
                matvec(synapses(net, m, Q, l), N_up, r)            # the relay's nudge: Q_l N_{l+1}
                BIl *= shrink
                add_outer(BIl, f32(-lr), a, r)                     # dB^I_l = -lr a_l (x) Q_l N_{l+1}
                keep_sign(BIl)
    populations = 2 if relay else 1
    for l in range(1, L):
        lr_rec = h[10 + l - 1] * scale / populations
        learn_population(net, m, l, V, G, C, U, I, 1.0, lr_int, lr_rec, clamp)
        if relay:
            learn_population(net, m, l, VX, GX, CX, UX, E, -1.0, lr_int, lr_rec, clamp)


# --- the rule ----------------------------------------------------------------------------------
def _relay_sizes(relay):
    """``relay``: 0 (no relay), None (the default sizes), an integer >= 1 or one per hidden layer."""
    if isinstance(relay, Integral) and not isinstance(relay, bool) and relay == 0:
        return 0
    try:
        return check_sizes("relay", relay)
    except ValueError:
        raise ValueError(f"relay must be 0 (no relay), an integer >= 1 or one such integer per hidden layer, "
                         f"got {relay!r}") from None


def _positive(shape, low=None, high=None):
    """U(low, high), default U(0.5, 1.5) / columns (mean 1 / fan-in)."""
    if low is None:
        return lambda g: torch.empty(shape).uniform_(0.5, 1.5, generator=g) / shape[1]
    return lambda g: torch.empty(shape).uniform_(low, high, generator=g)


def _inhibition(generator, W, WIE):
    """W^EI >= 0, as small as lets W^E = W + W^EI W^IE be >= 0: row j is s_j u_j with u_j ~ U(0.5, 1.5)."""
    u = torch.empty(W.shape[0], WIE.shape[0]).uniform_(0.5, 1.5, generator=generator)
    need = (-W).clamp_min(0) / (u @ WIE)          # s_j must be >= this for every input i
    return u * need.amax(1, keepdim=True)


class Dale(Interneuron):
    """The interneuron rule in a circuit that obeys Dale's law (see the module docstring).

    Args:
        lr, lr_rec, lr_bias, clamp, output_gate, lr_decay: as ``interneuron``.
        lr_int, interneurons, start: as ``nonlinear_interneuron`` (``start`` sets the
            dendrite-targeting populations).
        top_down: "learned" (default: Kolen-Pollack on B^E and B^I, kept >= 0), "random"
            (B^E, B^I fixed) or "transpose" (weight transport: B^E_l = (W^E_{l+1})^T and the
            relay copies layer l+1's somatic interneurons, so B_l = W_{l+1}^T).
        decay: weight decay per step on every forward synapse (and top-down one when learned).
        somatic: somatic interneurons p_l per layer l = 1..L (one int for all, or one per
            layer); default 1 (one non-specific inhibitory cell per layer).
        relay: top-down relay interneurons q_l per hidden layer (one int for all, or one per
            layer); default 1. 0: no relay, the top-down input is excitatory only.
        balance: the E/I balance of the start, >= 1 (see the module docstring).
    """

    name = "dale"
    phases, plasticity = phases, plasticity
    linear_interneurons = False

    def __init__(self, lr=0.0774, lr_rec=(0.2, 0.2), lr_bias=0.0187, lr_int=0.05, clamp=True,
                 output_gate=True, lr_decay="constant", top_down="learned", decay=None, interneurons=None,
                 start="self_predicting", somatic=None, relay=None, balance=4.0):
        super().__init__(lr, lr_rec, lr_bias, clamp, output_gate, lr_decay, top_down, decay)
        self.lr_int = checks.non_negative("lr_int", lr_int)
        self.interneurons = check_sizes("interneurons", interneurons)
        self.start = checks.choice("start", start, ("self_predicting", "random"))
        self.somatic = check_sizes("somatic", somatic)
        self.relay = _relay_sizes(relay)
        self.balance = checks.positive("balance", balance)
        if self.balance < 1:
            raise ValueError(f"balance must be a finite number >= 1, got {balance!r}")

    # --- sizes --------------------------------------------------------------------------
    def somatic_sizes(self, sizes):
        return per_layer("somatic", self.somatic, [1] * (len(sizes) - 1))

    def relay_sizes(self, sizes):
        """q_l per hidden layer (all 0 without the relay)."""
        if self.relay == 0:
            return (0,) * (len(sizes) - 2)
        return per_layer("relay", self.relay, [1] * (len(sizes) - 2))

    def population(self, sizes):
        return per_layer("interneurons", self.interneurons, sizes[2:])

    def check_network(self, net):
        super().check_network(net)
        self.somatic_sizes(net.sizes), self.relay_sizes(net.sizes), self.population(net.sizes)

    def kernel_numbers(self, sizes):
        relay = any(self.relay_sizes(sizes))
        return [0, self.output_gate, self.clamp, relay, self.top_down == "transpose", self.top_down == "learned",
                self.lr, self.lr_bias, self.decay, self.lr_int, *self.rates(sizes)]

    def rates(self, sizes):
        from .interneuron import per_hidden_layer
        return per_hidden_layer("lr_rec", self.lr_rec, sizes)

    # --- the state, built from the network's weights at the first step ------------------------
    def state_groups(self):
        """Every synapse group (and the interneurons' activities) in the kernels' order."""
        p = lambda s, l: self.somatic_sizes(s)[l - 1]
        q = lambda s, l: self.relay_sizes(s)[l - 1]
        size = lambda s, l: self.population(s)[l - 1]
        balanced = lambda name, l, size: f"dale_{name}{l}_{size}_balance{self.balance:g}".replace(".", "p")
        weights = lambda net, l, i: net.stacked()[0][l - 1][i]
        transposed = self.top_down == "transpose"
        has_relay = lambda s, l: q(s, l) > 0 and not transposed or transposed and self.relay != 0
        relay_rows = lambda s, l: (q(s, l) if not transposed else p(s, l + 1)) if has_relay(s, l) else 0

        def WIE_make(net, l, g, i):
            return _positive((p(net.sizes, l), net.sizes[l - 1]))(g)

        def WEI_make(net, l, g, i):
            return self.balance * _inhibition(g, weights(net, l, i), self._state(net, "WIE", l, i))

        def WE_make(net, l, g, i):
            return (weights(net, l, i) + self._state(net, "WEI", l, i) @ self._state(net, "WIE", l, i)).clamp_min(0)

        bound = lambda s, l: 1 / math.sqrt(s[l])

        def Q_make(net, l, g, i):
            return _positive((q(net.sizes, l), net.sizes[l + 1]))(g)

        def BI_make(net, l, g, i):
            n, Ql = net.sizes[l], self._state(net, "Q", l, i)
            return self.balance * _inhibition(g, torch.full((n, Ql.shape[1]), -bound(net.sizes, l)), Ql)

        def BE_make(net, l, g, i):
            n, above = net.sizes[l], net.sizes[l + 1]
            if not q(net.sizes, l):
                return _positive((n, above), 0, bound(net.sizes, l))(g)
            B = torch.empty(n, above).uniform_(-bound(net.sizes, l), bound(net.sizes, l), generator=g)
            return (B + self._state(net, "BI", l, i) @ self._state(net, "Q", l, i)).clamp_min(0)

        def parts(net, l, i):  # (B^E_l, B^I_l, Q_l) of member i, None where absent
            if transposed:
                relay = self.relay != 0
                return (self._state(net, "WE", l + 1, i).T, self._state(net, "WIE", l + 1, i).T if relay else None,
                        self._state(net, "WEI", l + 1, i).T if relay else None)
            if not q(net.sizes, l):
                return self._state(net, "BE", l, i), None, None
            return self._state(net, "BE", l, i), self._state(net, "BI", l, i), self._state(net, "Q", l, i)

        def population_makes(kind):
            def mirror(net, l, i):
                BEl, BIl, Ql = parts(net, l, i)
                return BEl if kind == "" else BIl @ Ql
            P = lambda net, l: partner_matrix(size(net.sizes, l), net.sizes[l + 1])
            if self.start == "random":
                return [lambda net, l, g, i: _positive((size(net.sizes, l), net.sizes[l]), 0, 1 / math.sqrt(net.sizes[l]))(g),
                        lambda net, l, g, i: _positive((size(net.sizes, l), p(net.sizes, l + 1)), 0,
                                                       1 / math.sqrt(p(net.sizes, l + 1)))(g),
                        lambda net, l, g, i: torch.empty(1, size(net.sizes, l)).uniform_(
                            -1 / math.sqrt(net.sizes[l]), 1 / math.sqrt(net.sizes[l]), generator=g),
                        lambda net, l, g, i: _positive((net.sizes[l], size(net.sizes, l)), 0,
                                                       1 / math.sqrt(size(net.sizes, l)))(g)]
            return [lambda net, l, g, i: P(net, l) @ self._state(net, "WE", l + 1, i),
                    lambda net, l, g, i: P(net, l) @ self._state(net, "WEI", l + 1, i),
                    lambda net, l, g, i: (P(net, l) @ net.stacked()[1][l][i, 0])[None],
                    lambda net, l, g, i: mirror(net, l, i) @ (P(net, l) / P(net, l).sum(0)).T]

        zeros = lambda shape: (lambda net, l, g, i: torch.zeros(shape(net.sizes, l)))
        none = lambda s, l: (0, 0)
        twin = lambda shape: (lambda s, l: shape(s, l) if has_relay(s, l) else (0, 0))
        def population_key(name):
            def key(s, l):
                relay = f"_{q(s, l)}" if q(s, l) else ""
                return f"dale_{name}{l}_{size(s, l)}_{p(s, l + 1)}{relay}_{self.start}_{self.top_down}"
            return key

        scratch = lambda name: (lambda s, l: f"dale_{name}{l}")
        groups = [
            Group("WE", "all", lambda s, l: (s[l], s[l - 1]), WE_make, "excitatory",
                  key=lambda s, l: balanced("WE", l, p(s, l))),
            Group("WEI", "all", lambda s, l: (s[l], p(s, l)), WEI_make, "inhibitory",
                  key=lambda s, l: balanced("WEI", l, p(s, l))),
            Group("WIE", "all", lambda s, l: (p(s, l), s[l - 1]), WIE_make, "somatic",
                  key=lambda s, l: f"dale_WIE{l}_{p(s, l)}"),
            Group("h", "all", lambda s, l: (1, p(s, l)), zeros(lambda s, l: (1, p(s, l))), "somatic_activity",
                  key=scratch("h"), scratch=True),
            Group("BE", "hidden", (lambda s, l: (s[l], s[l + 1])) if not transposed else none,
                  BE_make if not transposed else zeros(none), "top_down",
                  key=lambda s, l: balanced("BE", l, q(s, l)) if q(s, l) else f"dale_B{l}"),
            Group("BI", "hidden", (lambda s, l: (s[l], q(s, l))) if not transposed else none,
                  BI_make if not transposed else zeros(none), "relay_inhibition",
                  key=lambda s, l: balanced("BI", l, q(s, l))),
            Group("Q", "hidden", (lambda s, l: (q(s, l), s[l + 1])) if not transposed else none,
                  Q_make if not transposed else zeros(none), "relay", key=lambda s, l: f"dale_Q{l}_{q(s, l)}"),
            Group("r", "hidden", lambda s, l: (1, relay_rows(s, l)), zeros(lambda s, l: (1, relay_rows(s, l))),
                  "relay_activity", key=scratch("r"), scratch=True),
            Group("h_above", "hidden", lambda s, l: (1, p(s, l + 1)), zeros(lambda s, l: (1, p(s, l + 1))),
                  "somatic_activity_above", key=scratch("h_above"), scratch=True),
        ]
        shapes = [lambda s, l: (size(s, l), s[l]), lambda s, l: (size(s, l), p(s, l + 1)),
                  lambda s, l: (1, size(s, l)), lambda s, l: (s[l], size(s, l))]
        for kind in ("", "X"):
            makes = population_makes(kind)
            for name, shape, make in zip("VGcU", shapes, makes):
                shape = shape if kind == "" else twin(shape)
                make = make if kind == "" else (lambda net, l, g, i, make=make, shape=shape:
                                                 make(net, l, g, i) if has_relay(net.sizes, l) else torch.zeros(0, 0))
                groups.append(Group(name + kind, "hidden", shape, make, name + kind, key=population_key(name + kind)))
            cells = (lambda s, l: (1, size(s, l))) if kind == "" else twin(lambda s, l: (1, size(s, l)))
            groups.append(Group("i" + kind, "hidden", cells, zeros(cells),
                                "interneuron_activity" if kind == "" else "excitatory_activity",
                                key=scratch("i" + kind + "_" + self.start + "_" + self.top_down), scratch=True))
        self._groups = groups
        return groups

    def _state(self, net, attribute, l, i):
        """Member i's matrix of group ``attribute``, layer l (made on first use)."""
        names = {"WE": 0, "WEI": 1, "WIE": 2, "BE": 4, "BI": 5, "Q": 6}
        group = self._groups[names[attribute]]
        return group.tensors(net)[l][i]

    def top_down_pairs(self, circuit):
        """(effective B_l = B^E_l - B^I_l Q_l, W_{l+1}) per hidden layer (for the alignment diagnostic)."""
        pairs = []
        for l in range(1, len(circuit.sizes) - 1):
            if self.top_down == "transpose":
                WEl, WEIl, WIEl = (group_view(circuit, self, g, l + 1) for g in (WE, WEI, WIE))
                B = WEl.transpose(0, 2, 1) - _outer_sum(WIEl.transpose(0, 2, 1), WEIl.transpose(0, 2, 1))
            else:
                BEl, BIl, Ql = (group_view(circuit, self, g, l) for g in (BE, BI, Q))
                B = BEl - _outer_sum(BIl, Ql) if BIl.size else BEl
            pairs.append((np.ascontiguousarray(B, dtype=np.float32), weight_view(circuit, l + 1)))
        return pairs

    def delta(self, net, x, target):
        """The change of the network's (effective) parameters one ``step`` would make."""
        probe = copy.deepcopy(net)
        self.step(probe, x, target)
        after = dict(probe.named_parameters())
        return {k: after[k].detach() - p.detach() for k, p in net.named_parameters()}

    def top_down_parts(self, state):
        """(B^E_l, B^I_l, Q_l) per hidden layer from ``rule.state(net)``; B^I_l, Q_l are None without
        the relay. With weight transport they are views of layer l+1's somatic circuit, transposed."""
        if self.top_down == "transpose":
            relay = self.relay != 0
            return [(WE.mT, WIE.mT if relay else None, WEI.mT if relay else None)
                    for WE, WEI, WIE in zip(state.excitatory[1:], state.inhibitory[1:], state.somatic[1:])]
        return [(BE, BI if BI.numel() else None, Q if Q.numel() else None)
                for BE, BI, Q in zip(state.top_down, state.relay_inhibition, state.relay)]

    def top_down_weights(self, state):
        """The effective B_l = B^E_l - B^I_l Q_l per hidden layer: [S, n_l, n_{l+1}] tensors."""
        return [BE if BI is None else BE - torch.from_numpy(_outer_sum(BI.numpy(), Q.numpy()))
                for BE, BI, Q in self.top_down_parts(state)]

    def signs(self, state):
        """Every sign-constrained synapse of the circuit: name -> stacked tensor (all must be >= 0)."""
        parts = self.top_down_parts(state)
        groups = dict(excitatory=state.excitatory, inhibitory=state.inhibitory, somatic=state.somatic,
                      top_down=[BE for BE, _, _ in parts], relay=[Q for _, _, Q in parts if Q is not None],
                      relay_inhibition=[BI for _, BI, _ in parts if BI is not None],
                      V=state.V, G=state.G, U=state.U, VX=state.VX, GX=state.GX, UX=state.UX)
        return {f"{k}{l}": t for k, ts in groups.items() for l, t in enumerate(ts, start=1) if t.numel()}


def sign_summary(rule, net):
    """Per sign-constrained synapse group of ``net``'s Dale circuit: its smallest value and the
    fraction of synapses sitting at exactly 0 (clipped there by Dale's law)."""
    return {name: dict(min=float(t.min()), zero=float((t == 0).double().mean()))
            for name, t in rule.signs(rule.state(net)).items()}


def _outer_sum(A, B):
    """sum_k A[:, :, k] (x) B[:, k, :] in the order of k: A [S, n, q] @ B [S, q, k] without BLAS's own order."""
    out = np.zeros((A.shape[0], A.shape[1], B.shape[2]), np.float32)
    for k in range(A.shape[2]):
        out += A[:, :, k, None] * B[:, None, k, :]
    return out
