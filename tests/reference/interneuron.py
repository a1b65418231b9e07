"""Rule 3: dendrite-targeting interneurons cancel self-generated top-down input (docs/science.md).

The dendritic state itself is the error: D_l = I_TD - I_Int, where the interneuron
input I_Int = -R_l a_l^F is driven by the layer's own forward activity and R_l
learns (anti-Hebbian) to drive D_l^F to zero.
"""

from collections.abc import Sequence

import torch

from dendritic import checks
from dendritic.network import relu_derivative
from .base import Rule, output_nudge
from .feedback import TopDown


class Interneuron(TopDown, Rule):
    """    I_TD^F = B_l a_{l+1}^F,  I_TD^B = B_l a_{l+1}^B,  I_Int = -R_l a_l^F     (B_l = W_{l+1}^T on the poster)
        D_l^F  = clamp(I_TD^F - I_Int, -1, 1),   D_l^B = clamp(I_TD^B - I_Int, -1, 1)
        N_l    = f'(z_l) * D_l^B;   N_L = clamp((2/K) f'(z_L) (target - a_L), -1, 1)
        dW_l   = lr N_l (x) clamp(a_{l-1}^F, 0, 1),   db_l = lr_bias N_l
        dR_l   = -lr_rec_l D_l^F (x) clamp(a_l^F, 0, 1)

    Args:
        lr, lr_bias: learning rates of forward weights and biases (> 0).
        lr_rec: interneuron learning rate, one per hidden layer or one for all (>= 0;
            0 freezes the interneurons).
        clamp: keep the original code's clamps (without them the rule ran to NaN).
        output_gate, lr_decay: options that are not the poster's, see ``Rule``.
        top_down, decay: where B_l comes from, see ``dendritic.rules.feedback``.
    """

    name = "interneuron"

    def __init__(self, lr=0.0774, lr_rec=(0.533, 0.136), lr_bias=0.0187, clamp=True,
                 output_gate=True, lr_decay="constant", top_down="transpose", decay=None):
        super().__init__(lr, output_gate, lr_decay)
        self._init_top_down(top_down, decay)
        rates = tuple(lr_rec) if isinstance(lr_rec, Sequence) else (lr_rec,)
        if not rates:
            raise ValueError("lr_rec must be a number >= 0 or one per hidden layer, got an empty sequence")
        self.lr_rec = tuple(checks.non_negative("lr_rec", r) for r in rates)
        self._lr_bias = checks.positive("lr_bias", lr_bias)
        if not isinstance(clamp, bool):
            raise ValueError(f"clamp must be True or False, got {clamp!r}")
        self.clamp = clamp

    @property
    def lr_bias(self):
        return self._lr_bias

    def hyperparameters(self):
        return {"lr": self.lr, "lr_rec": self.lr_rec, "lr_bias": self.lr_bias, "clamp": self.clamp, **self.options(),
                **self.top_down_options()}

    def _rates(self, hidden):
        if len(self.lr_rec) == 1:
            return self.lr_rec * hidden
        if len(self.lr_rec) != hidden:
            raise ValueError(f"lr_rec must have one rate per hidden layer ({hidden}) or a single rate, got {self.lr_rec}")
        return self.lr_rec

    def _clamp(self, t, low, high):
        return t.clamp(low, high) if self.clamp else t

    def nudges(self, weights, biases, interneurons, x, target):
        layers = self.forward_layers(weights, biases, x)
        top = layers[-1]
        top["nudge"] = self._clamp(output_nudge(top["activity"], target, self.output_gate), -1, 1)
        top["activity_backward"] = torch.relu(top["soma"] + top["nudge"])
        top_down = self.top_down_weights(weights, interneurons)
        for l in range(len(layers) - 2, -1, -1):
            layer, above, B = layers[l], layers[l + 1], top_down[l]
            layer["top_down_forward"] = torch.bmm(above["activity"], B.mT)
            layer["top_down_backward"] = torch.bmm(above["activity_backward"], B.mT)
            layer["interneuron"] = self.interneuron_input(interneurons, l, layer)
            layer["dendrite_forward"] = self._clamp(layer["top_down_forward"] - layer["interneuron"], -1, 1)
            layer["dendrite_backward"] = self._clamp(layer["top_down_backward"] - layer["interneuron"], -1, 1)
            layer["nudge"] = relu_derivative(layer["activity"]) * layer["dendrite_backward"]
            if l > 0:  # the backward-phase activity is only read by the layer below
                layer["activity_backward"] = torch.relu(layer["soma"] + layer["nudge"])
        if self.clamp:
            for layer in layers:
                layer["presynaptic"] = layer["presynaptic"].clamp(0, 1)
        return layers

    def interneuron_input(self, interneurons, l, layer):
        """I_Int of hidden layer l: -R_l a_l^F, driven by the layer's own forward activity."""
        return -torch.bmm(layer["activity"], interneurons[l].mT)

    def apply(self, weights, biases, interneurons, layers, learn_bias=True, scale=1.0):
        super().apply(weights, biases, interneurons, layers, learn_bias, scale)
        for R, layer, above, lr_rec in zip(interneurons, layers, layers[1:], self._rates(len(interneurons))):
            post = above["presynaptic"]  # clamp(a_l^F, 0, 1): already computed as the next layer's input
            R.baddbmm_(layer["dendrite_forward"].mT, post, alpha=-lr_rec * scale)  # anti-Hebbian: drives D^F to 0
