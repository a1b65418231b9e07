"""Rule 2: dendritic temporal contrast, after Xie & Seung 2003.

The dendrite compares its top-down input before (F) and after (B) the teaching nudge
arrives; the difference is the neuron's local error:

    N_L   = (2/K) f'(z_L) * (target - a_L)                 the teacher nudges the output
    a_l^B = f(z_l + N_l)                                   teaching phase, from the output down
    D_l^F = B_l a_{l+1}^F,   D_l^B = B_l a_{l+1}^B         B_l = W_{l+1}^T on the poster
    N_l   = f'(z_l) * (D_l^B - D_l^F)
    dW_l  = lr N_l (x) a_{l-1}^F,   db_l = lr N_l

For ReLU networks N_l equals backprop's nudge except where a nudge pushes an active
unit below zero (then a^B - a^F = -z instead of N). ``top_down`` and ``decay``: where B_l
comes from (``dendritic.rules.top_down``); ``feedback_alignment`` and ``kolen_pollack``
are this rule with random and learned B_l.
"""

from ..circuit import activity, activity_backward, dendrite_backward, dendrite_forward, layers, nudge, soma
from ..jit import phases_kernel, plasticity_kernel
from ..linalg import relu
from .base import Rule, backward_activity, forward, learn_forward_weights, output_nudge, relu_derivative, set_presynaptic
from .top_down import TRANSPOSE, check_top_down, learn_top_down, top_down_group, top_down_input


@phases_kernel
def phases(net, m, x, target, h):
    gate, B = h[1] != 0, int(h[3])
    forward(net, m, x)
    set_presynaptic(net, m, False)
    L = layers(net)
    output_nudge(net, m, target, gate)                                 # N_L = (2/K) f'(z_L) (target - a_L)
    backward_activity(net, m, L)                                       # a_L^B = f(z_L + N_L)
    for l in range(L - 1, 0, -1):                                      # hidden layers, from the top down
        D_F, D_B = dendrite_forward(net, m, l), dendrite_backward(net, m, l)
        top_down_input(net, m, l, activity(net, m, l + 1), D_F, B)           # D_l^F = B_l a_{l+1}^F
        top_down_input(net, m, l, activity_backward(net, m, l + 1), D_B, B)  # D_l^B = B_l a_{l+1}^B
        z, N, a_B = soma(net, m, l), nudge(net, m, l), activity_backward(net, m, l)
        for i in range(len(N)):
            N[i] = relu_derivative(z[i]) * (D_B[i] - D_F[i])          # N_l = f'(z_l) (D_l^B - D_l^F)
            a_B[i] = relu(z[i] + N[i])                                 # a_l^B = f(z_l + N_l)


@plasticity_kernel
def plasticity(net, m, h, scale):
    lr, decay, B, learned = h[0] * scale, h[2] * scale, int(h[3]), h[4] != 0
    learn_forward_weights(net, m, lr, lr, decay)                       # dW_l = lr N_l (x) a_{l-1} - decay W_l
    if learned:
        learn_top_down(net, m, B, lr, decay)                           # dB_l = lr a_l (x) N_{l+1} - decay B_l


class TemporalContrast(Rule):
    """Rule 2 (the equations are in this module's docstring).

    Args:
        lr: learning rate of weights and biases (> 0).
        output_gate, lr_decay: options that are not the poster's, see ``Rule``.
        top_down: "transpose" (poster), "random" or "learned", see ``dendritic.rules.top_down``.
        decay: weight decay per step on W (and on B when learned), in [0, 1); default 0,
            or 5e-4 with top_down="learned".
    """

    name = "temporal_contrast"
    phases, plasticity = phases, plasticity
    compartments = ("soma", "activity", "dendrite_forward", "dendrite_backward", "nudge", "activity_backward")

    def __init__(self, lr=0.1725, output_gate=True, lr_decay="constant", top_down="transpose", decay=None):
        super().__init__(lr, output_gate, lr_decay)
        self.top_down, self.decay = check_top_down(top_down, decay)

    def state_groups(self):
        return [] if self.top_down == "transpose" else [top_down_group()]

    def kernel_numbers(self, sizes):
        B = TRANSPOSE if self.top_down == "transpose" else 0
        return [self.lr, self.output_gate, self.decay, B, self.top_down == "learned"]


class FeedbackAlignment(TemporalContrast):
    """Temporal contrast with fixed random top-down weights B_l (Lillicrap et al. 2016):
    ``rule("feedback_alignment") == rule("temporal_contrast", top_down="random")``."""

    name = "feedback_alignment"

    def __init__(self, lr=0.1725, decay=0.0, output_gate=True, lr_decay="constant"):
        super().__init__(lr, output_gate, lr_decay, top_down="random", decay=decay)


class KolenPollack(TemporalContrast):
    """Temporal contrast whose top-down weights B_l learn with Kolen-Pollack's local rule
    (Akrout et al. 2019): ``rule("kolen_pollack") == rule("temporal_contrast", top_down="learned")``."""

    name = "kolen_pollack"

    def __init__(self, lr=0.1725, decay=5e-4, output_gate=True, lr_decay="constant"):
        super().__init__(lr, output_gate, lr_decay, top_down="learned", decay=decay)
