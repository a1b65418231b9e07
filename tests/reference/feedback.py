"""Where the dendrite's top-down input comes from: the weights B_l (docs/science.md, future direction 1).

On the poster the dendrite of layer l hears the layer above through B_l = W_{l+1}^T,
the transpose of the forward weights. A real synapse cannot read the strength of
another synapse in the opposite direction ("weight transport"), so:

- ``top_down="transpose"``  B_l = W_{l+1}^T (the poster; not biologically plausible)
- ``top_down="random"``     B_l fixed and random: feedback alignment (Lillicrap et al. 2016)
- ``top_down="learned"``    B_l learns with a local rule: Kolen-Pollack (Akrout et al. 2019)

      dW_{l+1} = lr N_{l+1} (x) a_l - decay W_{l+1}
      dB_l     = lr a_l (x) N_{l+1} - decay B_l

  Both see the same two local signals (the presynaptic activity a_l and the nudge
  N_{l+1}), so W_{l+1}^T - B_l changes only by the decay: it shrinks by a factor
  (1 - decay) every step and B_l aligns with W_{l+1}^T whatever it started as.

B_l is per-network state: a buffer of the network, drawn on first use from a
generator seeded by the member's seed (see ``network_state``), so an ensemble
member gets exactly the B_l of the network with that seed alone.
"""

import math
import zlib

import numpy as np
import torch

from dendritic import checks

TOP_DOWN = ("transpose", "random", "learned")
#: Kolen-Pollack's default decay per step: (1 - 5e-4)^5600 = 6 %, so B_l - W_{l+1}^T
#: shrinks to a few per cent of its start within one epoch.
LEARNED_DECAY = 5e-4


class Circuit(list):
    """A rule's per-network state, as ``Rule.state(net)`` returns it.

    It is the list of interneuron matrices R_l (what the poster's rules read), with
    the other state as attributes: ``top_down`` (B_l per hidden layer, or None for the
    transpose) and, for the rules that have them, the interneuron populations.
    """

    def __init__(self, interneurons, top_down=None, **populations):
        super().__init__(interneurons)
        self.top_down = top_down
        self.__dict__.update(populations)


def network_state(net, name, make):
    """The network's rule-state buffer ``name`` as a stacked view [S, ...], made on first use.

    ``make(generator, i)`` returns member i's tensor; the generator is seeded from
    (member seed, name), so member i of an ensemble gets what ``Network(seed=seeds[i])``
    gets alone, and the forward weights, biases and R_l are never touched. The buffer is
    not persistent (not in ``state_dict``): it is rule state, created when a rule needs it.
    """
    if name not in net._buffers:
        tensors = []
        for i, seed in enumerate(net.seeds):
            words = np.random.SeedSequence([seed, 2, zlib.crc32(name.encode())]).generate_state(2)
            generator = torch.Generator().manual_seed(int(words[0]) << 32 | int(words[1]))
            tensors.append(make(generator, i))
        value = torch.stack(tensors) if net.ensemble else tensors[0]
        net.register_buffer(name, value, persistent=False)
    value = net._buffers[name]
    return value if net.ensemble else value.unsqueeze(0)


def random_top_down(net):
    """B_l for each hidden layer l, [S, n_l, n_{l+1}], drawn like W_{l+1}^T:
    U(-1/sqrt(n_l), 1/sqrt(n_l)), so B and W^T start at the same scale."""
    def make(l):
        n, above = net.sizes[l], net.sizes[l + 1]
        bound = 1 / math.sqrt(n)
        return lambda g, i: torch.empty(n, above).uniform_(-bound, bound, generator=g)
    return [network_state(net, f"B{l}", make(l)) for l in range(1, net.layers)]


def alignment(B, W_above):
    """Angle in degrees between B_l and W_{l+1}^T, flattened: [S] (90 = unrelated, 0 = the transpose)."""
    u, v = B.flatten(1).double(), W_above.mT.flatten(1).double()
    cos = torch.nn.functional.cosine_similarity(u, v, dim=1, eps=1e-30)
    return torch.rad2deg(torch.arccos(cos.clamp(-1, 1)))


class TopDown:
    """Mixin for the dendritic rules: the ``top_down`` option and weight ``decay``.

    Args (of the rules that use it):
        top_down: "transpose" (poster), "random" (feedback alignment) or "learned" (Kolen-Pollack).
        decay: weight decay per step on W (and on B when learned), in [0, 1). Default 0,
            except ``LEARNED_DECAY`` for "learned": Kolen-Pollack aligns B only through it.
    """

    def _init_top_down(self, top_down, decay):
        self.top_down = checks.choice("top_down", top_down, TOP_DOWN)
        if decay is None:
            decay = LEARNED_DECAY if top_down == "learned" else 0.0
        decay = checks.non_negative("decay", decay)
        if decay >= 1:
            raise ValueError(f"decay must be a finite number in [0, 1), got {decay!r}")
        if top_down == "learned" and decay == 0:
            raise ValueError("decay must be > 0 (and < 1) with top_down='learned': "
                             "Kolen-Pollack aligns B with W^T only through the decay")
        self.decay = decay

    def top_down_options(self):
        """The top-down settings that are not the poster's, for ``hyperparameters``."""
        out = {"top_down": self.top_down} if self.top_down != "transpose" else {}
        if self.decay:
            out["decay"] = self.decay
        return out

    def hyperparameters(self):
        return {**super().hyperparameters(), **self.top_down_options()}

    # --- state ---------------------------------------------------------------
    def state(self, net):
        if self.top_down == "transpose":
            return super().state(net)  # the poster: no B at all, bit for bit
        return Circuit(net.stacked()[2], top_down=random_top_down(net))

    def top_down_weights(self, weights, state):
        """B_l for each hidden layer: W_{l+1}^T (transpose) or the network's own B_l."""
        if self.top_down == "transpose":
            return [W.mT for W in weights[1:]]
        if getattr(state, "top_down", None) is None:
            raise ValueError(f"top_down={self.top_down!r} needs the network's B_l: pass rule.state(net) "
                             f"as the third argument of nudges")
        return state.top_down

    def diagnostics(self, weights, state):
        out = super().diagnostics(weights, state)
        if self.top_down != "transpose":
            for l, (B, W) in enumerate(zip(state.top_down, weights[1:]), start=1):
                out[f"alignment/layer{l}"] = alignment(B, W)
        return out

    # --- plasticity ------------------------------------------------------------
    def apply(self, weights, biases, state, layers, learn_bias=True, scale=1.0):
        if self.decay:  # before the learning step, so that delta = lr N (x) a - decay W
            for W in weights:
                W.mul_(1 - self.decay * scale)
        super().apply(weights, biases, state, layers, learn_bias, scale)
        self.learn_top_down(state, layers, scale)

    def learn_top_down(self, state, layers, scale=1.0):
        """Kolen-Pollack: dB_l = lr a_l (x) N_{l+1} - decay B_l (only for top_down="learned")."""
        if self.top_down == "learned":
            for B, above in zip(state.top_down, layers[1:]):
                B.mul_(1 - self.decay * scale)
                B.baddbmm_(above["presynaptic"].mT, above["nudge"], alpha=self.lr * scale)  # a_l (x) N_{l+1}

    def delta(self, net, x, target):
        out = super().delta(net, x, target)
        if self.decay:
            squeeze = (lambda t: t) if net.ensemble else (lambda t: t[0])
            for l, W in enumerate(net.stacked()[0], start=1):
                out[f"W{l}"] = out[f"W{l}"] - self.decay * squeeze(W)
        return out
