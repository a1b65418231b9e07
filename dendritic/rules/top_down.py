"""Where the dendrite's top-down input comes from: the weights B_l (the poster's future direction 1).

On the poster the dendrite of layer l hears the layer above through B_l = W_{l+1}^T, the
transpose of the forward weights. A real synapse cannot read the strength of another
synapse in the opposite direction ("weight transport"), so the dendritic rules
(``temporal_contrast``, ``interneuron``) take ``top_down``:

- ``"transpose"``  B_l = W_{l+1}^T (the poster; not biologically plausible)
- ``"random"``     B_l fixed and random: feedback alignment (Lillicrap et al. 2016)
- ``"learned"``    B_l learns with a local rule: Kolen-Pollack (Akrout et al. 2019)

      dW_{l+1} = lr N_{l+1} (x) a_l - decay W_{l+1}
      dB_l     = lr a_l (x) N_{l+1} - decay B_l

  Both see the same two local signals (the presynaptic activity a_l and the nudge
  N_{l+1}), so W_{l+1}^T - B_l changes only by the decay: it shrinks by a factor
  (1 - decay) every step and B_l aligns with W_{l+1}^T whatever it started as.

B_l [n_l, n_{l+1}] is a buffer of the network (``B1``, ``B2``, ...), drawn like W_{l+1}^T,
U(-1/sqrt(n_l), 1/sqrt(n_l)), from a generator seeded by the member's seed.
"""

import math

import torch

from .. import checks
from ..circuit import Group, W, layers, nudge, presynaptic, synapses
from ..jit import helper
from ..linalg import add_outer, f32, matvec_t

TOP_DOWN = ("transpose", "random", "learned")
#: Kolen-Pollack's default decay per step: (1 - 5e-4)^5600 = 6 %, so B_l - W_{l+1}^T
#: shrinks to a few per cent of its start within one epoch.
LEARNED_DECAY = 5e-4
TRANSPOSE = -1  # the group number the kernels get when B_l = W_{l+1}^T (no group of its own)


def top_down_group():
    """The network's B_l per hidden layer: [n_l, n_{l+1}], U(-1/sqrt(n_l), 1/sqrt(n_l))."""
    def make(net, l, generator, member):
        bound = 1 / math.sqrt(net.sizes[l])
        return torch.empty(net.sizes[l], net.sizes[l + 1]).uniform_(-bound, bound, generator=generator)
    return Group("B", "hidden", lambda sizes, l: (sizes[l], sizes[l + 1]), make, attribute="top_down", transposed=True)


def check_top_down(top_down, decay):
    """(top_down, decay) checked; decay None means 0, or ``LEARNED_DECAY`` for "learned"."""
    top_down = checks.choice("top_down", top_down, TOP_DOWN)
    if decay is None:
        decay = LEARNED_DECAY if top_down == "learned" else 0.0
    decay = checks.non_negative("decay", decay)
    if decay >= 1:
        raise ValueError(f"decay must be a finite number in [0, 1), got {decay!r}")
    if top_down == "learned" and decay == 0:
        raise ValueError("decay must be > 0 (and < 1) with top_down='learned': "
                         "Kolen-Pollack aligns B with W^T only through the decay")
    return top_down, decay


@helper
def top_down_input(net, m, l, above, out, group):
    """out = B_l above: the top-down input of hidden layer l from the layer above's activity.
    ``group``: the rule's group number of B (kept as B_l^T in the circuit), or ``TRANSPOSE`` for
    B_l = W_{l+1}^T: either way the product is (B_l^T)^T above."""
    B_T = W(net, m, l + 1) if group == TRANSPOSE else synapses(net, m, group, l)
    matvec_t(B_T, above, out)


@helper
def learn_top_down(net, m, group, lr, decay):
    """Kolen-Pollack: dB_l = lr a_l (x) N_{l+1} - decay B_l, for every hidden layer (on B_l^T:
    dB_l^T = lr N_{l+1} (x) a_l - decay B_l^T, the same update as W_{l+1}'s)."""
    for l in range(1, layers(net)):
        B_T = synapses(net, m, group, l)
        B_T *= f32(1 - decay)
        add_outer(B_T, f32(lr), nudge(net, m, l + 1), presynaptic(net, m, l))
