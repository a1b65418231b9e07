"""Temporal contrast without weight transport, by name (see ``feedback`` for the equations).

    rule("feedback_alignment")  ==  rule("temporal_contrast", top_down="random")
    rule("kolen_pollack")       ==  rule("temporal_contrast", top_down="learned")

They are registered under their own names so that ``compare``, ``tune`` and the
``tuned`` configuration keep one entry each.
"""

from .temporal_contrast import TemporalContrast


class FeedbackAlignment(TemporalContrast):
    """Temporal contrast with fixed random top-down weights B_l (Lillicrap et al. 2016)."""

    name = "feedback_alignment"

    def __init__(self, lr=0.1725, decay=0.0, output_gate=True, lr_decay="constant"):
        super().__init__(lr, output_gate, lr_decay, top_down="random", decay=decay)

    def top_down_options(self):  # top_down is in the name
        return {"decay": self.decay} if self.decay else {}


class KolenPollack(TemporalContrast):
    """Temporal contrast whose top-down weights B_l learn with Kolen-Pollack's local rule (Akrout et al. 2019)."""

    name = "kolen_pollack"

    def __init__(self, lr=0.1725, decay=5e-4, output_gate=True, lr_decay="constant"):
        super().__init__(lr, output_gate, lr_decay, top_down="learned", decay=decay)

    def top_down_options(self):
        return {"decay": self.decay}
