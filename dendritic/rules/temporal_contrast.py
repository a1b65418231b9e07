"""Rule 2: dendritic temporal contrast, after Xie & Seung 2003 (science.md).

The dendrite compares its top-down input before (F) and after (B) the teaching
nudge arrives; the difference is the neuron's local error.
"""

import torch

from ..network import relu_derivative
from .base import Rule, output_nudge


class TemporalContrast(Rule):
    """    N_L   = (2/K) f'(z_L) * (target - a_L)
        a_l^B = f(z_l + N_l)                          top-down phase, from the output down
        D_l^F = W_{l+1}^T a_{l+1}^F,   D_l^B = W_{l+1}^T a_{l+1}^B
        N_l   = f'(z_l) * (D_l^B - D_l^F)
    """

    name = "temporal_contrast"

    def __init__(self, lr=0.1725):
        super().__init__(lr)

    def nudges(self, weights, biases, interneurons, x, target):
        layers = self.forward_layers(weights, biases, x)
        top = layers[-1]
        top["nudge"] = output_nudge(top["activity"], target)
        top["activity_backward"] = torch.relu(top["soma"] + top["nudge"])
        for l in range(len(layers) - 2, -1, -1):
            layer, above, W_above = layers[l], layers[l + 1], weights[l + 1]
            layer["dendrite_forward"] = torch.bmm(above["activity"], W_above)
            layer["dendrite_backward"] = torch.bmm(above["activity_backward"], W_above)
            layer["nudge"] = relu_derivative(layer["activity"]) * (layer["dendrite_backward"] - layer["dendrite_forward"])
            if l > 0:  # the backward-phase activity is only read by the layer below
                layer["activity_backward"] = torch.relu(layer["soma"] + layer["nudge"])
        return layers
