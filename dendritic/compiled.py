"""The poster's three rules as one compiled training loop (numba), for speed.

``train`` uses this loop for ``backprop``, ``temporal_contrast`` and ``interneuron``
(with any ``top_down``: W^T, fixed random B or Kolen-Pollack's learned B, so also
``feedback_alignment`` and ``kolen_pollack``); the nonlinear-interneuron and Dale rules
run the torch code of their own modules. The equations here are the same as in
``rules/backprop.py``, ``rules/temporal_contrast.py``, ``rules/interneuron.py`` and
``rules/feedback.py`` — read those first; this
file only exists because one online step is a few dozen operations on vectors of at
most 128 numbers, and each torch call costs microseconds of overhead. Compiled,
one network's epoch takes tens of milliseconds instead of about a second.

Results agree with the torch rules up to float32 rounding (``tests/test_compiled.py``)
and are deterministic: same seed, same numbers, bit for bit.

The loop itself is in ``dendritic.kernel``, imported on first use (numba takes ~0.4 s
to import; ``import dendritic`` does not pay for it).
"""

import numpy as np

from .rules.backprop import Backprop
from .rules.feedback_rules import FeedbackAlignment, KolenPollack
from .rules.interneuron import Interneuron
from .rules.temporal_contrast import TemporalContrast

BACKPROP, TEMPORAL_CONTRAST, INTERNEURON = 0, 1, 2  # which equations the loop runs
TRANSPOSE, FIXED, LEARNED = 0, 1, 2                 # where the top-down weights B_l come from
_CODES = {Backprop: BACKPROP, TemporalContrast: TEMPORAL_CONTRAST, FeedbackAlignment: TEMPORAL_CONTRAST,
          KolenPollack: TEMPORAL_CONTRAST, Interneuron: INTERNEURON}
_TOP_DOWN = {"transpose": TRANSPOSE, "random": FIXED, "learned": LEARNED}


def supports(rule):
    """True for the rules this loop runs (exactly these classes: not the nonlinear-interneuron or Dale rules)."""
    return type(rule) in _CODES


def settings(rule, hidden, learn_bias):
    """The rule's numbers as the compiled loop takes them (``hidden``: number of hidden layers)."""
    interneuron = type(rule) is Interneuron
    return dict(
        code=_CODES[type(rule)], lr=float(rule.lr), lr_bias=float(rule.lr_bias),
        lr_rec=np.array(rule._rates(hidden) if interneuron else (0.0,), dtype=np.float64),
        top_down=_TOP_DOWN[getattr(rule, "top_down", "transpose")],
        decay=float(getattr(rule, "decay", 0.0)), clamp=bool(interneuron and rule.clamp),
        gate=bool(rule.output_gate), learn_bias=bool(learn_bias), linear=rule.lr_decay == "linear")


def loop(rule, weights, biases, state, learn_bias):
    """The compiled loop bound to one network: ``loop(...)(inputs, classes, start, stop, steps)``
    trains steps ``start .. stop - 1`` (of ``steps``) in place.

    Args:
        weights, biases: the network's stacked torch views (``Network.stacked``);
        state: ``rule.state(net)`` (the R_l, and ``.top_down``, the B_l, if any).
    The returned function takes inputs [steps, S, in] float32 and classes [steps, S] int64
    (numpy, C-contiguous).
    """
    s = settings(rule, len(state), learn_bias)
    W = tuple(w.numpy() for w in weights)
    b = tuple(v.numpy()[:, 0] for v in biases)
    none = (np.zeros((W[0].shape[0], 1, 1), np.float32),)  # a placeholder: the loop never reads it
    R = tuple(r.numpy() for r in state) or none
    B = tuple(t.numpy() for t in getattr(state, "top_down", None) or ()) or none
    from .kernel import train

    def run(inputs, classes, start, stop, steps):
        train(s["code"], s["top_down"], W, b, R, B, inputs, classes, start, stop, steps, s["lr"], s["lr_bias"],
              s["lr_rec"], s["decay"], s["clamp"], s["gate"], s["learn_bias"], s["linear"])
    return run
