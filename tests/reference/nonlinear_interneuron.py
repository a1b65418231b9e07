"""Rule 3 with nonlinear interneurons that predict the layer above (Sacramento et al. 2018).

A linear matrix R_l cannot cancel the top-down input B_l a_{l+1} = B_l f(W_{l+1} a_l + b_{l+1}):
the layer above is a *nonlinear* function of a_l, so rule 3 keeps a residual |D^F|
(docs/science.md). Here each hidden layer has a population of interneurons, each paired
with one unit of the layer above and taught by it. An interneuron that has learned to
fire like its partner (V_l -> W_{l+1}, c_l -> b_{l+1}) can, through weights U_l -> B_l,
cancel the top-down input exactly.
"""

from collections.abc import Sequence
import math

import torch

from dendritic import checks
from .feedback import Circuit, network_state, random_top_down
from .interneuron import Interneuron

STARTS = ("self_predicting", "random")


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


def _uniform(shape, low, high):
    return lambda g, i: torch.empty(shape).uniform_(low, high, generator=g)


class NonlinearInterneuron(Interneuron):
    """    i_l   = f(V_l a_l^F + c_l)                         interneurons (m_l of them, default n_{l+1})
        I_Int = U_l i_l
        D_l^F = clamp(B_l a_{l+1}^F - I_Int, -1, 1),   D_l^B = clamp(B_l a_{l+1}^B - I_Int, -1, 1)
        N_l   = f'(z_l) * D_l^B                        forward weights learn as in rule 3
        dV_l  = lr_int (P_l a_{l+1}^F - i_l) (x) clamp(a_l^F, 0, 1),   dc_l = lr_int (P_l a_{l+1}^F - i_l)
        dU_l  = lr_rec_l D_l^F (x) clamp(i_l, 0, 1)          anti-Hebbian, drives D^F to 0

    Interneuron k of layer l is taught by unit k mod n_{l+1} of the layer above (P_l
    picks it): with m_l = n_{l+1} each unit above has one interneuron predicting it.

    Where the circuit starts (``start``): "self_predicting" (default), as Sacramento et al.
    2018 start theirs: every interneuron fires like its partner (V_l = P_l W_{l+1},
    c_l = P_l b_{l+1}) and U_l P_l = B_l, so D^F = 0 at the first sample (a one-time copy at
    "development"; they show the state can also be learned). "random": drawn like
    ``nn.Linear`` layers, the circuit has to learn to cancel from scratch (and with random
    U_l the first, uncancelled samples can push the network into dead units).

    Args:
        lr, lr_bias, clamp, output_gate, lr_decay, top_down, decay: as ``interneuron``.
        lr_rec: learning rate of U_l (interneuron -> dendrite), one per hidden layer or one for all.
        lr_int: learning rate of V_l, c_l (the interneurons' prediction of the layer above), >= 0.
        interneurons: population size m_l per hidden layer (one int for all, or one per layer);
            default n_{l+1}.
        start: "self_predicting" or "random", see above.
    """

    name = "nonlinear_interneuron"

    def __init__(self, lr=0.0774, lr_rec=(0.2, 0.2), lr_bias=0.0187, lr_int=0.05, clamp=True,
                 output_gate=True, lr_decay="constant", top_down="transpose", decay=None, interneurons=None,
                 start="self_predicting"):
        super().__init__(lr, lr_rec, lr_bias, clamp, output_gate, lr_decay, top_down, decay)
        self.lr_int = checks.non_negative("lr_int", lr_int)
        self.interneurons = check_sizes("interneurons", interneurons)
        self.start = checks.choice("start", start, STARTS)

    def hyperparameters(self):
        out = super().hyperparameters()
        out["lr_int"] = self.lr_int
        if self.interneurons is not None:
            out["interneurons"] = self.interneurons
        if self.start != "self_predicting":
            out["start"] = self.start
        return out

    # --- state: the interneuron population of every hidden layer -------------------
    def population(self, net):
        """m_l per hidden layer for ``net``."""
        return per_layer("interneurons", self.interneurons, net.sizes[2:])

    def _population_state(self, net, top_down):
        """Interneuron weights per hidden layer: V_l [m, n_l], c_l [1, m], U_l [n_l, m]."""
        weights, biases, _ = net.stacked()
        V, c, U = [], [], []
        for l, m in enumerate(self.population(net), start=1):
            n, n_above = net.sizes[l], net.sizes[l + 1]
            if self.start == "random":  # like nn.Linear(n_l, m) (V, c) and nn.Linear(m, n_l, bias=False) (U)
                makes = [_uniform(shape, -bound, bound) for shape, bound in
                         (((m, n), 1 / math.sqrt(n)), ((1, m), 1 / math.sqrt(n)), ((n, m), 1 / math.sqrt(m)))]
            else:
                P = torch.nn.functional.one_hot(torch.arange(m) % n_above, n_above).float()  # [m, n_above]
                B = top_down[l - 1] if top_down is not None else weights[l].mT              # [S, n, n_above]
                makes = [lambda g, i, l=l, P=P: P @ weights[l][i], lambda g, i, l=l, P=P: (P @ biases[l][i, 0])[None],
                         lambda g, i, B=B, P=P: B[i] @ (P / P.sum(0)).T]                    # U P = B
            V.append(self._buffer(net, f"interneuron_V{l}", makes[0], (m, n)))
            c.append(self._buffer(net, f"interneuron_c{l}", makes[1], (1, m)))
            U.append(self._buffer(net, f"interneuron_U{l}", makes[2], (n, m)))
        return dict(V=V, c=c, U=U)

    def _buffer(self, net, name, make, shape):
        value = network_state(net, f"{name}_{self.start}", make)
        if tuple(value.shape[1:]) != shape:
            raise ValueError(f"interneurons: this network already has a population of shape "
                             f"{tuple(value.shape[1:])} for {name}, the rule asks for {shape}; use a fresh network")
        return value

    def state(self, net):
        top_down = None if self.top_down == "transpose" else random_top_down(net)
        return Circuit(net.stacked()[2], top_down=top_down, **self._population_state(net, top_down))

    # --- the equations ----------------------------------------------------------------
    def interneuron_input(self, state, l, layer):
        """I_Int = U_l i_l with i_l = f(V_l a_l^F + c_l); keeps i_l in ``interneuron_activity``."""
        i = torch.relu(torch.baddbmm(state.c[l], layer["activity"], state.V[l].mT))
        layer["interneuron_activity"] = i
        return torch.bmm(i, state.U[l].mT)

    def apply(self, weights, biases, state, layers, learn_bias=True, scale=1.0):
        super(Interneuron, self).apply(weights, biases, state, layers, learn_bias, scale)  # W, b (and B): as rule 3
        self.learn_interneurons(state, layers, scale)

    def learn_interneurons(self, state, layers, scale=1.0):
        rates = self._rates(len(state.U))
        for l, (V, c, U) in enumerate(zip(state.V, state.c, state.U)):
            layer, above = layers[l], layers[l + 1]
            i = layer["interneuron_activity"]
            m, n_above = i.shape[-1], above["activity"].shape[-1]
            teacher = above["activity"][..., torch.arange(m) % n_above]  # P_l a_{l+1}^F
            error = teacher - i
            V.baddbmm_(error.mT, self._clamp(layer["activity"], 0, 1), alpha=self.lr_int * scale)  # i_l learns P_l a_{l+1}
            c.add_(error, alpha=self.lr_int * scale)
            U.baddbmm_(layer["dendrite_forward"].mT, self._clamp(i, 0, 1), alpha=rates[l] * scale)
