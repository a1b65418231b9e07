"""Dale's law: excitatory projections and explicit inhibitory interneurons (docs/science.md, future direction 2).

A real neuron is excitatory or inhibitory: all its synapses have one sign. Here the
pyramidal neurons (the units of the network) are excitatory, and every pathway that
needs a negative weight goes through a population of inhibitory interneurons:

- somatic (PV-like, feedforward inhibition): p_l linear interneurons h_l = W^IE_l a_{l-1}
  that inhibit the somas of layer l through W^EI_l (as in Cornford et al. 2021);
- top-down relay: q_l linear interneurons r_l = Q_l a_{l+1}, driven by the layer above,
  that inhibit the dendrites of layer l through B^I_l. With the direct excitatory
  top-down synapses B^E_l, the dendrite hears the layer above through the effective
  B_l = B^E_l - B^I_l Q_l, which can have either sign, like W_{l+1}, and so can align
  with W_{l+1}^T. Without the relay (``relay=0``, the first version of this rule)
  B_l = B^E_l >= 0 cannot: a matrix with no negative entry stays far from the
  mixed-sign W_{l+1}^T;
- dendrite-targeting (SST-like): the nonlinear interneurons of ``nonlinear_interneuron``
  (Sacramento et al. 2018), which predict the layer above and cancel its top-down input
  at the dendrite. Like their partner neurons above, they get excitation from layer l
  (V_l) and feedforward inhibition from the somatic interneurons h_{l+1} (G_l).
  Inhibition alone can only cancel a positive input; to cancel the relay's inhibition a
  twin population of excitatory dendrite-targeting cells e_l (same equations, their own
  weights V^X_l, G^X_l, c^X_l) excites the dendrite through U^X_l.

Every synapse keeps its sign, checked after every step:

    W^E_l, W^IE_l, W^EI_l >= 0     soma:      z_l = W^E_l a_{l-1} - W^EI_l h_l + b_l
    B^E_l, Q_l, B^I_l >= 0          dendrite:  top-down input B^E_l a_{l+1} - B^I_l r_l
    V_l, G_l, U_l >= 0              interneurons: i_l = f(V_l a_l - G_l h_{l+1} + c_l), inhibit by U_l i_l
    V^X_l, G^X_l, U^X_l >= 0        excitatory cells: e_l = f(V^X_l a_l - G^X_l h_{l+1} + c^X_l), excite by U^X_l e_l

    D_l = B^E_l a_{l+1} - B^I_l r_l - (U_l i_l - U^X_l e_l)     (clamped to [-1, 1] as in rule 3)

The network's W_l is kept equal to the effective weight W^E_l - W^EI_l W^IE_l, so
evaluation and the comparison with backprop see the function the circuit computes.
Biases b_l, c_l and c^X_l (tonic drive) have no sign.

The circuit starts balanced (E/I balance): each inhibitory pathway is ``balance`` times
the least inhibition that lets its excitatory synapses be >= 0, so that they start away
from the clip at 0 (measured: with balance 1 many sit at 0 and a step that should make a
weight more negative is lost).

Plasticity is the interneuron rule's, split over the synapses that carry it, each
clipped at 0 after the step; ``decay`` shrinks both synapses of a pathway, so the
effective W_l (and B_l) shrinks by (1 - decay) as in Kolen-Pollack (the first version
decayed W^E alone, which pulls W_l towards -W^EI_l W^IE_l, not towards 0):

    dW^E_l  = lr N_l (x) a_{l-1}           dW^EI_l = -lr N_l (x) h_l           W^IE_l fixed
    dB^E_l  = lr a_l (x) N_{l+1}           dB^I_l  = -lr a_l (x) Q_l N_{l+1}   Q_l fixed
    dV_l = lr_int err_l (x) a_l,   dG_l = -lr_int err_l (x) h_{l+1},   err_l = P_l a_{l+1}^F - i_l
    dU_l = lr_rec/2 D_l^F (x) i_l,       dU^X_l = -lr_rec/2 D_l^F (x) e_l (V^X, G^X, c^X as V, G, c)

(with the relay the two populations share lr_rec, so U_l - U^X_l moves at lr_rec, as U_l
alone does without it; every presynaptic activity in these updates is clamped to [0, 1]
as in rule 3).

The top-down synapses learn Kolen-Pollack style from the two signals each one sees:
the postsynaptic activity a_l and the presynaptic cell's nudge (N_{l+1} for B^E; for B^I
the relay's own change between the phases, r^B - r^F = Q_l (a^B - a^F) ~ Q_l N_{l+1}).
The effective updates are positively rescaled transposes of each other,
dW_{l+1} = lr N (x) (1 + W^IE^T W^IE) a for the forward weight and
dB_l = lr a (x) (1 + Q^T Q) N for the top-down one, and the clips at 0 act on different
synapses, so B_l aligns with W_{l+1}^T only in part: tuned, from 90 degrees to about 44
(layer 1) and 31 (layer 2) in one epoch (``diagnostics`` records the angle), against
71 and 54 without the relay.
"""

import copy
import math
from numbers import Integral

import torch

from dendritic import checks
from .feedback import Circuit, alignment, network_state
from .nonlinear_interneuron import NonlinearInterneuron, check_sizes, per_layer


class Dale(NonlinearInterneuron):
    """The interneuron rule in a circuit that obeys Dale's law (see the module docstring).

    Args:
        lr, lr_rec, lr_bias, lr_int, clamp, output_gate, lr_decay, interneurons, start:
            as ``nonlinear_interneuron`` (``start`` sets the dendrite-targeting populations).
        top_down: "learned" (default: Kolen-Pollack on B^E and B^I, kept >= 0), "random"
            (B^E, B^I fixed) or "transpose" (weight transport: B^E_l = (W^E_{l+1})^T and the
            relay copies layer l+1's somatic interneurons, B^I_l = (W^IE_{l+1})^T,
            Q_l = (W^EI_{l+1})^T, so B_l = W_{l+1}^T; without the relay B_l = (W^E_{l+1})^T).
        decay: weight decay per step on every forward synapse (and top-down one when
            learned), as in ``feedback``.
        somatic: somatic interneurons p_l per layer l = 1..L (one int for all, or one per
            layer); default 1 (one non-specific inhibitory cell per layer).
        relay: top-down relay interneurons q_l per hidden layer (one int for all, or one per
            layer); default 1. 0: no relay, the top-down input is excitatory only
            (B_l = B^E_l >= 0, and no excitatory dendrite-targeting cells are needed).
        balance: the E/I balance of the start, >= 1 (see the module docstring).

    At the first step the circuit is built from the network's weights without changing
    its function: W^IE_l is drawn >= 0, W^EI_l is ``balance`` times the smallest inhibition
    that lets W^E_l = W_l + W^EI_l W^IE_l be >= 0. With the relay the top-down pathway is
    built the same way from a random B_l ~ U(-1/sqrt(n_l), 1/sqrt(n_l)) (as
    ``feedback.random_top_down`` draws it); without it B^E_l ~ U(0, 1/sqrt(n_l)).
    """

    name = "dale"

    def __init__(self, lr=0.0774, lr_rec=(0.2, 0.2), lr_bias=0.0187, lr_int=0.05, clamp=True,
                 output_gate=True, lr_decay="constant", top_down="learned", decay=None, interneurons=None,
                 start="self_predicting", somatic=None, relay=None, balance=4.0):
        super().__init__(lr, lr_rec, lr_bias, lr_int, clamp, output_gate, lr_decay, top_down, decay,
                         interneurons, start)
        self.somatic = check_sizes("somatic", somatic)
        self.relay = _relay_sizes(relay)
        self.balance = checks.positive("balance", balance)
        if self.balance < 1:
            raise ValueError(f"balance must be a finite number >= 1, got {balance!r}")

    def hyperparameters(self):
        out = super().hyperparameters()
        for key in ("somatic", "relay"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        out["balance"] = self.balance
        return out

    # --- state -------------------------------------------------------------------
    def state(self, net):
        weights, _, _ = net.stacked()
        sizes = per_layer("somatic", self.somatic, [1] * net.layers)
        somatic, inhibitory, excitatory = [], [], []
        for l, p in enumerate(sizes, start=1):
            W = weights[l - 1]
            n, fan_in = W.shape[1:]
            WIE = network_state(net, f"dale_WIE{l}_{p}", _positive((p, fan_in)))
            WEI = network_state(net, self._key("WEI", l, p), lambda g, i, W=W, WIE=WIE:
                                self.balance * _inhibition(g, W[i], WIE[i]))
            WE = network_state(net, self._key("WE", l, p), lambda g, i, W=W, WIE=WIE, WEI=WEI:
                               (W[i] + WEI[i] @ WIE[i]).clamp_min(0))
            somatic.append(WIE), inhibitory.append(WEI), excitatory.append(WE)
        circuit = Circuit(net.stacked()[2], top_down=None, excitatory=excitatory, inhibitory=inhibitory,
                          somatic=somatic, relay=None, relay_inhibition=None)
        if self.top_down != "transpose":
            circuit.__dict__.update(self._top_down_state(net))
        circuit.__dict__.update(self._population_state(net, circuit))
        return circuit

    def relay_sizes(self, net):
        """q_l per hidden layer for ``net`` (all 0 without the relay)."""
        if self.relay == 0:
            return (0,) * (net.layers - 1)
        return per_layer("relay", self.relay, [1] * (net.layers - 1))

    def _top_down_state(self, net):
        """B^E_l [S, n_l, n_{l+1}], and with the relay Q_l [S, q_l, n_{l+1}] and B^I_l [S, n_l, q_l]."""
        B, Q, BI = [], [], []
        for l, q in enumerate(self.relay_sizes(net), start=1):
            n, n_above = net.sizes[l], net.sizes[l + 1]
            if not q:
                B.append(network_state(net, f"dale_B{l}", _positive((n, n_above), 0, 1 / math.sqrt(n))))
                continue
            # like the forward weights: B = B^E - B^I Q with B ~ U(-1/sqrt(n), 1/sqrt(n)) as in ``random_top_down``,
            # and B^I (balance times) the least inhibition that keeps B^E >= 0 for any such B
            bound = 1 / math.sqrt(n)
            Q.append(network_state(net, f"dale_Q{l}_{q}", _positive((q, n_above))))
            BI.append(network_state(net, self._key("BI", l, q), lambda g, i, Q=Q[-1], n=n, bound=bound:
                                    self.balance * _inhibition(g, torch.full((n, Q.shape[-1]), -bound), Q[i])))
            B.append(network_state(net, self._key("BE", l, q), lambda g, i, BI=BI[-1], Q=Q[-1], bound=bound:
                                   (torch.empty(BI.shape[1], Q.shape[-1]).uniform_(-bound, bound, generator=g)
                                    + BI[i] @ Q[i]).clamp_min(0)))
        return dict(top_down=B, relay=Q or None, relay_inhibition=BI or None)

    def top_down_parts(self, state):
        """(B^E_l, B^I_l, Q_l) per hidden layer; B^I_l, Q_l are None without the relay."""
        if self.top_down == "transpose":
            relay = self.relay != 0
            return [(WE.mT, WIE.mT if relay else None, WEI.mT if relay else None)
                    for WE, WEI, WIE in zip(state.excitatory[1:], state.inhibitory[1:], state.somatic[1:])]
        if state.relay is None:
            return [(B, None, None) for B in state.top_down]
        return list(zip(state.top_down, state.relay_inhibition, state.relay))

    def _population_state(self, net, circuit):
        """The dendrite-targeting populations per hidden layer: inhibitory V, G, c, U and, where the
        top-down input can be negative (with the relay), excitatory VX, GX, cX, UX.
        V_l [m, n_l], G_l [m, p_{l+1}], c_l [1, m], U_l [n_l, m], all but c >= 0."""
        _, biases, _ = net.stacked()
        parts = self.top_down_parts(circuit)
        out = {key: [] for key in ("V", "G", "c", "U", "VX", "GX", "cX", "UX")}
        for l, m in enumerate(self.population(net), start=1):
            n, n_above = net.sizes[l], net.sizes[l + 1]
            WE, WEI = circuit.excitatory[l], circuit.inhibitory[l]
            BE, BI, Q = parts[l - 1]
            p = WEI.shape[-1]
            P = torch.nn.functional.one_hot(torch.arange(m) % n_above, n_above).float()  # [m, n_above]
            # what each population's output synapses must mirror: B^E for the inhibitory
            # cells, B^I Q for the excitatory ones (then U i - U^X e = B a at the first sample)
            mirrors = {"": lambda i, BE=BE: BE[i]}
            if BI is not None:
                mirrors["X"] = lambda i, BI=BI, Q=Q: BI[i] @ Q[i]
            q = self.relay_sizes(net)[l - 1]
            for kind, mirror in mirrors.items():
                if self.start == "random":
                    makes = [_positive((m, n), 0, 1 / math.sqrt(n)), _positive((m, p), 0, 1 / math.sqrt(p)),
                             lambda g, i, s=(1, m), k=n: torch.empty(s).uniform_(-1 / math.sqrt(k), 1 / math.sqrt(k), generator=g),
                             _positive((n, m), 0, 1 / math.sqrt(m))]
                else:  # each cell copies its partner above: excitation, inhibition and bias
                    makes = [lambda g, i, WE=WE, P=P: P @ WE[i], lambda g, i, WEI=WEI, P=P: P @ WEI[i],
                             lambda g, i, l=l, P=P: (P @ biases[l][i, 0])[None],
                             lambda g, i, mirror=mirror, P=P: mirror(i) @ (P / P.sum(0)).T]
                relay = f"_{q}" if q else ""  # (the names of the first version, without the relay)
                for name, make in zip("VGcU", makes):
                    out[name + kind].append(network_state(
                        net, f"dale_{name}{kind}{l}_{m}_{p}{relay}_{self.start}_{self.top_down}", make))
        return {key: value or None for key, value in out.items()}

    def _key(self, name, l, size):
        """The buffer name of a synapse group whose start depends on ``balance``."""
        return f"dale_{name}{l}_{size}_balance{self.balance:g}".replace(".", "p")

    def top_down_weights(self, weights, state):
        """The effective B_l = B^E_l - B^I_l Q_l per hidden layer: [S, n_l, n_{l+1}]."""
        return [BE if BI is None else torch.baddbmm(BE, BI, Q, alpha=-1) for BE, BI, Q in self.top_down_parts(state)]

    def diagnostics(self, weights, state):
        out = {}
        for l, (B, W) in enumerate(zip(self.top_down_weights(weights, state), weights[1:]), start=1):
            out[f"alignment/layer{l}"] = alignment(B, W)  # effective B_l with the effective W_{l+1}
        return out

    # --- the equations -------------------------------------------------------------------
    def nudges(self, weights, biases, state, x, target):
        layers = super().nudges(weights, biases, state, x, target)
        for layer, WIE in zip(layers, state.somatic):
            layer["somatic_interneuron"] = torch.bmm(layer["presynaptic"], WIE.mT)  # h_l
        return layers

    def interneuron_input(self, state, l, layer):
        """I_Int = U_l i_l - U^X_l e_l, with i_l = f(V_l a_l - G_l h_{l+1} + c_l) (and e_l alike),
        h_{l+1} = W^IE_{l+1} a_l."""
        h_above = torch.bmm(layer["activity"], state.somatic[l + 1].mT)
        layer["interneuron_inhibition"] = h_above
        total = 0
        for kind, sign in self._populations(state):
            V, G, c, U = (getattr(state, name + kind)[l] for name in "VGcU")
            cells = torch.relu(torch.baddbmm(c, layer["activity"], V.mT) - torch.bmm(h_above, G.mT))
            layer[f"interneuron_activity{kind}"] = cells
            total = total + sign * torch.bmm(cells, U.mT)
        return total

    @staticmethod
    def _populations(state):
        """(suffix, sign on the dendrite) of each dendrite-targeting population in ``state``."""
        return (("", 1), ("X", -1)) if state.UX is not None else (("", 1),)

    def apply(self, weights, biases, state, layers, learn_bias=True, scale=1.0):
        lr, shrink = self.lr * scale, 1 - self.decay * scale
        for W, b, layer, WE, WEI, WIE in zip(weights, biases, layers, state.excitatory, state.inhibitory, state.somatic):
            N = layer["nudge"]
            if self.decay:  # both synapses of the pathway, so that W_l itself shrinks by (1 - decay)
                WE.mul_(shrink), WEI.mul_(shrink)
            WE.baddbmm_(N.mT, layer["presynaptic"], alpha=lr).clamp_(min=0)
            WEI.baddbmm_(N.mT, layer["somatic_interneuron"], alpha=-lr).clamp_(min=0)
            if learn_bias:
                b.add_(N, alpha=self.lr_bias * scale)
            W.copy_(torch.baddbmm(WE, WEI, WIE, alpha=-1))  # W_l = W^E_l - W^EI_l W^IE_l
        if self.top_down == "learned":  # Kolen-Pollack on the excitatory and the relay synapses
            for (BE, BI, Q), above in zip(self.top_down_parts(state), layers[1:]):
                BE.mul_(shrink).baddbmm_(above["presynaptic"].mT, above["nudge"], alpha=lr).clamp_(min=0)
                if BI is not None:  # the relay's nudge: r^B - r^F = Q_l N_{l+1}
                    relay_nudge = torch.bmm(above["nudge"], Q.mT)
                    BI.mul_(shrink).baddbmm_(above["presynaptic"].mT, relay_nudge, alpha=-lr).clamp_(min=0)
        rates = self._rates(len(state.U))
        populations = self._populations(state)
        for l in range(len(state.U)):
            layer, above = layers[l], layers[l + 1]
            a, h = self._clamp(layer["activity"], 0, 1), self._clamp(layer["interneuron_inhibition"], 0, 1)
            for kind, sign in populations:
                V, G, c, U = (getattr(state, name + kind)[l] for name in "VGcU")
                cells = layer[f"interneuron_activity{kind}"]
                error = above["activity"][..., torch.arange(cells.shape[-1]) % above["activity"].shape[-1]] - cells
                V.baddbmm_(error.mT, a, alpha=self.lr_int * scale).clamp_(min=0)
                G.baddbmm_(error.mT, h, alpha=-self.lr_int * scale).clamp_(min=0)
                c.add_(error, alpha=self.lr_int * scale)
                # anti-Hebbian, drives D^F to 0: an inhibitory synapse grows where D^F > 0, an excitatory one
                # where D^F < 0; with two populations each takes half the rate, so U - U^X moves at lr_rec
                U.baddbmm_(layer["dendrite_forward"].mT, self._clamp(cells, 0, 1),
                           alpha=sign * rates[l] * scale / len(populations)).clamp_(min=0)

    def delta(self, net, x, target):
        """The change of the network's (effective) parameters one ``step`` would make."""
        probe = copy.deepcopy(net)
        self.step(probe, x, target)
        after = dict(probe.named_parameters())
        return {k: after[k].detach() - p.detach() for k, p in net.named_parameters()}

    def signs(self, state):
        """Every sign-constrained synapse of the circuit: name -> stacked tensor (all must be >= 0)."""
        parts = self.top_down_parts(state)
        groups = dict(excitatory=state.excitatory, inhibitory=state.inhibitory, somatic=state.somatic,
                      top_down=[BE for BE, _, _ in parts], relay=[Q for _, _, Q in parts if Q is not None],
                      relay_inhibition=[BI for _, BI, _ in parts if BI is not None],
                      V=state.V, G=state.G, U=state.U, VX=state.VX or [], GX=state.GX or [], UX=state.UX or [])
        return {f"{k}{l}": t for k, ts in groups.items() for l, t in enumerate(ts, start=1)}


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
    """A maker for ``network_state``: U(low, high), default U(0.5, 1.5) / shape[1] (mean 1 / fan-in)."""
    if low is None:
        return lambda g, i: torch.empty(shape).uniform_(0.5, 1.5, generator=g) / shape[1]
    return lambda g, i: torch.empty(shape).uniform_(low, high, generator=g)


def _inhibition(generator, W, WIE):
    """W^EI >= 0, as small as lets W^E = W + W^EI W^IE be >= 0: row j is s_j u_j with u_j ~ U(0.5, 1.5)."""
    u = torch.empty(W.shape[0], WIE.shape[0]).uniform_(0.5, 1.5, generator=generator)
    need = (-W).clamp_min(0) / (u @ WIE)          # s_j must be >= this for every input i
    return u * need.amax(1, keepdim=True)
