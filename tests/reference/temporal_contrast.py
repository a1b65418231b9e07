"""Rule 2: dendritic temporal contrast, after Xie & Seung 2003 (docs/science.md).

The dendrite compares its top-down input before (F) and after (B) the teaching
nudge arrives; the difference is the neuron's local error.
"""

import torch

from dendritic.network import relu_derivative
from .base import Rule, output_nudge
from .feedback import TopDown


class TemporalContrast(TopDown, Rule):
    """    N_L   = (2/K) f'(z_L) * (target - a_L)
        a_l^B = f(z_l + N_l)                          top-down phase, from the output down
        D_l^F = B_l a_{l+1}^F,   D_l^B = B_l a_{l+1}^B     B_l = W_{l+1}^T on the poster
        N_l   = f'(z_l) * (D_l^B - D_l^F)

    ``top_down`` and ``decay``: where B_l comes from, see ``dendritic.rules.feedback``.
    """

    name = "temporal_contrast"

    def __init__(self, lr=0.1725, output_gate=True, lr_decay="constant", top_down="transpose", decay=None):
        super().__init__(lr, output_gate, lr_decay)
        self._init_top_down(top_down, decay)

    def nudges(self, weights, biases, interneurons, x, target):
        layers = self.forward_layers(weights, biases, x)
        top = layers[-1]
        top["nudge"] = output_nudge(top["activity"], target, self.output_gate)
        top["activity_backward"] = torch.relu(top["soma"] + top["nudge"])
        top_down = self.top_down_weights(weights, interneurons)
        for l in range(len(layers) - 2, -1, -1):
            layer, above, B = layers[l], layers[l + 1], top_down[l]
            layer["dendrite_forward"] = torch.bmm(above["activity"], B.mT)
            layer["dendrite_backward"] = torch.bmm(above["activity_backward"], B.mT)
            layer["nudge"] = relu_derivative(layer["activity"]) * (layer["dendrite_backward"] - layer["dendrite_forward"])
            if l > 0:  # the backward-phase activity is only read by the layer below
                layer["activity_backward"] = torch.relu(layer["soma"] + layer["nudge"])
        return layers
