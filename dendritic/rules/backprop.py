"""Rule 1, the benchmark: backpropagation of the MSE error.

The "nudge" of layer l is exactly -dLoss/dz_l:

    N_L = (2/K) f'(z_L) * (target - a_L)
    N_l = f'(z_l) * (W_{l+1}^T N_{l+1})      <- needs W_{l+1} and N_{l+1}: not local
    dW_l = lr N_l (x) a_{l-1},  db_l = lr N_l    (SGD on the MSE loss, batch size 1)
"""

from ..circuit import W, layers, nudge, soma
from ..jit import phases_kernel, plasticity_kernel
from ..linalg import matvec_t
from .base import Rule, forward, learn_forward_weights, output_nudge, relu_derivative, set_presynaptic


@phases_kernel
def phases(net, m, x, target, h):
    gate = h[1] != 0
    forward(net, m, x)
    set_presynaptic(net, m, False)
    output_nudge(net, m, target, gate)                      # N_L = (2/K) f'(z_L) (target - a_L)
    for l in range(layers(net) - 1, 0, -1):                 # hidden layers, from the top down
        N, z = nudge(net, m, l), soma(net, m, l)
        matvec_t(W(net, m, l + 1), nudge(net, m, l + 1), N)  # W_{l+1}^T N_{l+1}
        for i in range(len(N)):
            N[i] *= relu_derivative(z[i])                   # N_l = f'(z_l) (W_{l+1}^T N_{l+1})


@plasticity_kernel
def plasticity(net, m, h, scale):
    lr = h[0] * scale
    learn_forward_weights(net, m, lr, lr, 0.0)              # dW_l = lr N_l (x) a_{l-1}, db_l = lr N_l


class Backprop(Rule):
    """SGD on the MSE loss (the equations are in this module's docstring)."""

    name = "backprop"
    phases, plasticity = phases, plasticity

    def __init__(self, lr=0.1616, output_gate=True, lr_decay="constant"):
        super().__init__(lr, output_gate, lr_decay)

    def kernel_numbers(self, sizes):
        return [self.lr, self.output_gate]
