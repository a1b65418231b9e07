"""Dale's law: excitatory projections and explicit inhibitory interneurons (science.md, future direction 2).

A real neuron is excitatory or inhibitory: all its synapses have one sign. Here the
pyramidal neurons (the units of the network) are excitatory, and inhibition comes from
two local interneuron populations per layer:

- somatic (PV-like, feedforward inhibition): p_l linear interneurons h_l = W^IE_l a_{l-1}
  that inhibit the somas of layer l through W^EI_l (as in Cornford et al. 2021);
- dendrite-targeting (SST-like): the nonlinear interneurons of ``nonlinear_interneuron``
  (Sacramento et al. 2018), which predict the layer above and cancel its top-down input
  at the dendrite. Like their partner neurons above, they get excitation from layer l
  (V_l) and feedforward inhibition from the somatic interneurons h_{l+1} (G_l).

Every synapse keeps its sign, checked after every step:

    W^E_l, W^IE_l, W^EI_l >= 0     soma:      z_l = W^E_l a_{l-1} - W^EI_l h_l + b_l
    B_l >= 0                        dendrite:  top-down input B_l a_{l+1} (excitatory)
    V_l, G_l, U_l >= 0              interneurons: i_l = f(V_l a_l - G_l h_{l+1} + c_l), inhibit by U_l i_l

The network's W_l is kept equal to the effective weight W^E_l - W^EI_l W^IE_l, so
evaluation and the comparison with backprop see the function the circuit computes.
Biases b_l and c_l (tonic drive) have no sign.

Plasticity is the interneuron rule's, split over the synapses that carry it:

    dW^E_l  = lr N_l (x) a_{l-1}           dW^EI_l = -lr N_l (x) h_l      (then clipped at 0)
    dV_l = lr_int e_l (x) a_l,   dG_l = -lr_int e_l (x) h_{l+1},   e_l = P_l a_{l+1}^F - i_l
    dU_l = lr_rec D_l^F (x) i_l,         W^IE_l fixed

so the effective update is a (positively) rescaled gradient step, not backprop's own.
"""

import copy
import math

import torch

from .feedback import Circuit, alignment, network_state
from .nonlinear_interneuron import NonlinearInterneuron, check_sizes, per_layer


class Dale(NonlinearInterneuron):
    """The interneuron rule in a circuit that obeys Dale's law (see the module docstring).

    Args:
        lr, lr_rec, lr_bias, lr_int, clamp, output_gate, lr_decay, interneurons, start:
            as ``nonlinear_interneuron`` (``start`` sets the dendrite-targeting interneurons).
        top_down: "learned" (default: Kolen-Pollack, kept >= 0), "random" (fixed, >= 0) or
            "transpose" (B_l = (W^E_{l+1})^T: the excitatory forward synapses, transported).
        decay: weight decay per step on W^E (and B when learned), as in ``feedback``.
        somatic: somatic interneurons p_l per layer l = 1..L (one int for all, or one per
            layer); default max(1, n_l // 8).

    At the first step the circuit is built from the network's weights without changing
    its function: W^IE_l is drawn >= 0, W^EI_l is the smallest inhibition that lets
    W^E_l = W_l + W^EI_l W^IE_l be >= 0.
    """

    name = "dale"

    def __init__(self, lr=0.0774, lr_rec=(0.2, 0.2), lr_bias=0.0187, lr_int=0.05, clamp=True,
                 output_gate=True, lr_decay="constant", top_down="learned", decay=None, interneurons=None,
                 start="self_predicting", somatic=None):
        super().__init__(lr, lr_rec, lr_bias, lr_int, clamp, output_gate, lr_decay, top_down, decay,
                         interneurons, start)
        self.somatic = check_sizes("somatic", somatic)

    def hyperparameters(self):
        out = super().hyperparameters()
        if self.somatic is not None:
            out["somatic"] = self.somatic
        return out

    # --- state -------------------------------------------------------------------
    def state(self, net):
        weights, _, _ = net.stacked()
        sizes = per_layer("somatic", self.somatic, [max(1, n // 8) for n in net.sizes[1:]])
        somatic, inhibitory, excitatory = [], [], []
        for l, p in enumerate(sizes, start=1):
            W = weights[l - 1]
            n, fan_in = W.shape[1:]
            WIE = network_state(net, f"dale_WIE{l}_{p}",
                                lambda g, i, shape=(p, fan_in): torch.empty(shape).uniform_(0.5, 1.5, generator=g) / shape[1])
            WEI = network_state(net, f"dale_WEI{l}_{p}", lambda g, i, W=W, WIE=WIE: _inhibition(g, W[i], WIE[i]))
            WE = network_state(net, f"dale_WE{l}_{p}", lambda g, i, W=W, WIE=WIE, WEI=WEI:
                               (W[i] + WEI[i] @ WIE[i]).clamp_min(0))
            somatic.append(WIE), inhibitory.append(WEI), excitatory.append(WE)
        top_down = None
        if self.top_down != "transpose":
            top_down = [network_state(net, f"dale_B{l}", lambda g, i, shape=(net.sizes[l], net.sizes[l + 1]):
                                      torch.empty(shape).uniform_(0, 1 / math.sqrt(shape[0]), generator=g))
                        for l in range(1, net.layers)]
        circuit = Circuit(net.stacked()[2], top_down=top_down, excitatory=excitatory, inhibitory=inhibitory,
                          somatic=somatic)
        circuit.__dict__.update(self._population_state(net, circuit))
        return circuit

    def _population_state(self, net, circuit):
        """Dendrite-targeting interneurons: V_l [m, n_l], G_l [m, p_{l+1}], c_l [1, m], U_l [n_l, m], all but c >= 0."""
        _, biases, _ = net.stacked()
        B = self.top_down_weights(None, circuit)
        V, G, c, U = [], [], [], []
        for l, m in enumerate(self.population(net), start=1):
            n, n_above = net.sizes[l], net.sizes[l + 1]
            WE, WEI, Bl = circuit.excitatory[l], circuit.inhibitory[l], B[l - 1]
            p = WEI.shape[-1]
            P = torch.nn.functional.one_hot(torch.arange(m) % n_above, n_above).float()  # [m, n_above]
            if self.start == "random":
                makes = [lambda g, i, s=(m, n): torch.empty(s).uniform_(0, 1 / math.sqrt(s[1]), generator=g),
                         lambda g, i, s=(m, p): torch.empty(s).uniform_(0, 1 / math.sqrt(s[1]), generator=g),
                         lambda g, i, s=(1, m), k=n: torch.empty(s).uniform_(-1 / math.sqrt(k), 1 / math.sqrt(k), generator=g),
                         lambda g, i, s=(n, m): torch.empty(s).uniform_(0, 1 / math.sqrt(s[1]), generator=g)]
            else:  # each interneuron copies its partner above: excitation, inhibition and bias
                makes = [lambda g, i, WE=WE, P=P: P @ WE[i], lambda g, i, WEI=WEI, P=P: P @ WEI[i],
                         lambda g, i, l=l, P=P: (P @ biases[l][i, 0])[None],
                         lambda g, i, Bl=Bl, P=P: Bl[i] @ (P / P.sum(0)).T]
            for name, make, store in zip("VGcU", makes, (V, G, c, U)):
                store.append(network_state(net, f"dale_{name}{l}_{m}_{p}_{self.start}_{self.top_down}", make))
        return dict(V=V, G=G, c=c, U=U)

    def top_down_weights(self, weights, state):
        if self.top_down == "transpose":
            return [WE.mT for WE in state.excitatory[1:]]
        return state.top_down

    def diagnostics(self, weights, state):
        out = {}
        for l, (B, W) in enumerate(zip(self.top_down_weights(weights, state), weights[1:]), start=1):
            out[f"alignment/layer{l}"] = alignment(B, W)  # with the effective W_{l+1}
        return out

    # --- the equations -------------------------------------------------------------------
    def nudges(self, weights, biases, state, x, target):
        layers = super().nudges(weights, biases, state, x, target)
        for layer, WIE in zip(layers, state.somatic):
            layer["somatic_interneuron"] = torch.bmm(layer["presynaptic"], WIE.mT)  # h_l
        return layers

    def interneuron_input(self, state, l, layer):
        """I_Int = U_l i_l, i_l = f(V_l a_l - G_l h_{l+1} + c_l), h_{l+1} = W^IE_{l+1} a_l."""
        h_above = torch.bmm(layer["activity"], state.somatic[l + 1].mT)
        i = torch.relu(torch.baddbmm(state.c[l], layer["activity"], state.V[l].mT) - torch.bmm(h_above, state.G[l].mT))
        layer["interneuron_activity"], layer["interneuron_inhibition"] = i, h_above
        return torch.bmm(i, state.U[l].mT)

    def apply(self, weights, biases, state, layers, learn_bias=True, scale=1.0):
        lr = self.lr * scale
        for W, b, layer, WE, WEI, WIE in zip(weights, biases, layers, state.excitatory, state.inhibitory, state.somatic):
            N = layer["nudge"]
            if self.decay:
                WE.mul_(1 - self.decay * scale)
            WE.baddbmm_(N.mT, layer["presynaptic"], alpha=lr).clamp_(min=0)
            WEI.baddbmm_(N.mT, layer["somatic_interneuron"], alpha=-lr).clamp_(min=0)
            if learn_bias:
                b.add_(N, alpha=self.lr_bias * scale)
            W.copy_(torch.baddbmm(WE, WEI, WIE, alpha=-1))  # W_l = W^E_l - W^EI_l W^IE_l
        if self.top_down == "learned":
            for B, above in zip(state.top_down, layers[1:]):  # Kolen-Pollack on the excitatory synapses
                B.mul_(1 - self.decay * scale)
                B.baddbmm_(above["presynaptic"].mT, above["nudge"], alpha=lr).clamp_(min=0)
        rates = self._rates(len(state.U))
        for l, (V, G, c, U) in enumerate(zip(state.V, state.G, state.c, state.U)):
            layer, above = layers[l], layers[l + 1]
            i = layer["interneuron_activity"]
            error = above["activity"][..., torch.arange(i.shape[-1]) % above["activity"].shape[-1]] - i
            V.baddbmm_(error.mT, self._clamp(layer["activity"], 0, 1), alpha=self.lr_int * scale).clamp_(min=0)
            G.baddbmm_(error.mT, self._clamp(layer["interneuron_inhibition"], 0, 1), alpha=-self.lr_int * scale).clamp_(min=0)
            c.add_(error, alpha=self.lr_int * scale)
            U.baddbmm_(layer["dendrite_forward"].mT, self._clamp(i, 0, 1), alpha=rates[l] * scale).clamp_(min=0)

    def delta(self, net, x, target):
        """The change of the network's (effective) parameters one ``step`` would make."""
        probe = copy.deepcopy(net)
        self.step(probe, x, target)
        after = dict(probe.named_parameters())
        return {k: after[k].detach() - p.detach() for k, p in net.named_parameters()}

    def signs(self, state):
        """Every sign-constrained synapse of the circuit: name -> stacked tensor (all must be >= 0)."""
        groups = dict(excitatory=state.excitatory, inhibitory=state.inhibitory, somatic=state.somatic,
                      V=state.V, G=state.G, U=state.U, top_down=self.top_down_weights(None, state))
        return {f"{k}{l}": t for k, ts in groups.items() for l, t in enumerate(ts, start=1)}


def _inhibition(generator, W, WIE):
    """W^EI >= 0, as small as lets W^E = W + W^EI W^IE be >= 0: row j is s_j u_j with u_j ~ U(0.5, 1.5)."""
    u = torch.empty(W.shape[0], WIE.shape[0]).uniform_(0.5, 1.5, generator=generator)
    need = (-W).clamp_min(0) / (u @ WIE)          # s_j must be >= this for every input i
    return u * need.amax(1, keepdim=True)
