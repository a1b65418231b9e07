"""Compartment values as bars: one hidden unit's (``dendritic.widgets.single_neuron``, notebook 01)
and the per-unit nudges of a real layer under several rules, side by side."""

import math

import numpy as np

from ..style import DENDRITE_COLOR, INTERNEURON_COLOR, RULE_COLORS, SOMA_COLOR, rule_label

#: (key, label, colour) of the bars of ``plot_single_neuron``, bottom-up first;
#: soma, dendrite and interneuron values in their compartment's colour, the nudges in their rule's.
NEURON_BARS = (
    ("soma", "soma $z$\n(bottom-up)", SOMA_COLOR),
    ("activity", "activity\n$a = f(z)$", SOMA_COLOR),
    ("top_down_forward", "top-down\n$I_{TD}^F$ (before)", DENDRITE_COLOR),
    ("top_down_backward", "top-down\n$I_{TD}^B$ (after)", DENDRITE_COLOR),
    ("interneuron", "interneuron\n$I_{Int}$", INTERNEURON_COLOR),
    ("dendrite_forward", "dendrite\n$D^F$", DENDRITE_COLOR),
    ("dendrite_backward", "dendrite\n$D^B$", DENDRITE_COLOR),
    ("nudge_contrast", "nudge, rule 2\n$f'(z)(D^B - D^F)$", RULE_COLORS["temporal_contrast"]),
    ("nudge_interneuron", "nudge, rule 3\n$f'(z)\\,D^B$", RULE_COLORS["interneuron"]),
)


def plot_single_neuron(ax, state, limit=None):
    """Bars of a ``single_neuron`` state on ``ax``, one per compartment value; returns the bars.

    The value axis spans -limit..limit, widened to the next whole number that leaves room for
    the largest bar and its label, so no bar is ever cut off. ``limit=None``: at least 2. For a
    scale that stays put while sliders move, pass the largest value the sliders can produce
    (sliders of range ±r on all four inputs: ``limit=3 * r``, the largest dendritic state).

    >>> from dendritic.style import figure
    >>> from dendritic.widgets import single_neuron
    >>> ax = figure(8, 3).subplots()
    >>> bars = plot_single_neuron(ax, single_neuron(bottom_up=3, top_down=3, teaching=3, interneuron=-3))
    >>> [float(y) for y in ax.get_ylim()]
    [-11.0, 11.0]
    """
    keys, labels, colors = zip(*NEURON_BARS)
    values = [state[k] for k in keys]
    largest = max(abs(v) for v in values)
    limit = max(2.0 if limit is None else float(limit), math.ceil(1.2 * largest))
    ax.axhline(0, color="0.3", lw=0.8)
    bars = ax.bar(range(len(keys)), values, color=colors, edgecolor="0.2", lw=0.6)
    for bar, v in zip(bars, values):
        ax.annotate(f"{v:+.2f}", (bar.get_x() + bar.get_width() / 2, v), ha="center",
                    va="bottom" if v >= 0 else "top", fontsize=8)
    for x in (1.5, 6.5):  # soma | dendrite | nudge
        ax.axvline(x, color="0.8", lw=0.8)
    ax.set_xticks(range(len(keys)), labels, fontsize=8)
    ax.set_ylim(-limit, limit)
    ax.set_ylabel("value")
    if state["gate"] == 0:
        ax.set_title("soma silent (z <= 0): f'(z) = 0, no nudge, no plasticity", color="tab:red", fontsize=10)
    else:
        ax.set_title("soma active (z > 0): f'(z) = 1, the dendritic error passes as the nudge", fontsize=10)
    return bars


def plot_unit_nudges(ax, series, title=None, units=None):
    """Grouped bars, one group per unit: ``series`` maps a label (a rule name gets the rule's
    colour and label) to a 1-D array [n]. ``units`` (optional) selects which unit indices to show.
    Returns ``ax``.

    >>> from dendritic.style import figure
    >>> ax = figure(4, 3).subplots()
    >>> plot_unit_nudges(ax, {"backprop": [0.1, -0.2], "interneuron": [0.0, 0.3]}) is ax
    True
    """
    arrays = {label: np.asarray(v.detach() if hasattr(v, "detach") else v, dtype=float).ravel()
              for label, v in series.items()}
    n = len(next(iter(arrays.values())))
    if any(len(v) != n for v in arrays.values()):
        raise ValueError("series must all have the same number of units")
    index = np.arange(n) if units is None else np.asarray(units)
    width = 0.8 / len(arrays)
    for i, (label, v) in enumerate(arrays.items()):
        ax.bar(np.arange(len(index)) + (i - (len(arrays) - 1) / 2) * width, v[index], width,
               label=rule_label(label), color=RULE_COLORS.get(label, f"C{i}"))
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set_xticks(np.arange(len(index)), [str(u) for u in index], fontsize=7)
    ax.set_xlabel("unit")
    ax.set_ylabel("nudge")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return ax
