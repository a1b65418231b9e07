"""Rule 1, the benchmark: backpropagation of the MSE error (docs/science.md)."""

import torch

from dendritic.network import relu_derivative
from .base import Rule, output_nudge


class Backprop(Rule):
    """SGD on the MSE loss. The "nudge" of layer l is -dLoss/dz_l:

        N_L = (2/K) f'(z_L) * (target - a_L)
        N_l = f'(z_l) * (W_{l+1}^T N_{l+1})      <- needs W_{l+1} and N_{l+1}: non-local
    """

    name = "backprop"

    def __init__(self, lr=0.1616, output_gate=True, lr_decay="constant"):
        super().__init__(lr, output_gate, lr_decay)

    def nudges(self, weights, biases, interneurons, x, target):
        layers = self.forward_layers(weights, biases, x)
        N = output_nudge(layers[-1]["activity"], target, self.output_gate)
        layers[-1]["nudge"] = N
        for l in range(len(layers) - 2, -1, -1):
            N = relu_derivative(layers[l]["activity"]) * torch.bmm(N, weights[l + 1])
            layers[l]["nudge"] = N
        return layers
