"""The look every plot, widget and animation shares: one colour per rule, class, layer and
compartment, the rule names as the figures print them, and the matplotlib style.

Nothing here changes matplotlib's global state: ``style()`` applies ``STYLE`` inside a
``with`` block, and ``figure()`` makes a Figure that pyplot does not track. matplotlib is
imported only inside the functions that need it.

>>> RULE_COLORS["interneuron"], rule_label("temporal_contrast")
('#d7191c', 'Temporal contrast')
"""

from contextlib import contextmanager

#: One colour per rule, the same in every figure.
#: Variants beyond the poster take their family's hue: blues for temporal contrast without
#: weight transport, reds and purples for the interneuron circuits.
RULE_COLORS = {"backprop": "#4d4d4d", "temporal_contrast": "#2c7bb6", "interneuron": "#d7191c",
               "feedback_alignment": "#41b6c4", "kolen_pollack": "#253494",
               "stable_interneuron": "#1b7837", "nonlinear_interneuron": "#f46d43", "dale": "#7b3294"}
RULE_LABELS = {"backprop": "Backprop", "temporal_contrast": "Temporal contrast", "interneuron": "Interneurons",
               "feedback_alignment": "Feedback alignment", "kolen_pollack": "Kolen-Pollack",
               "stable_interneuron": "Stable interneurons", "nonlinear_interneuron": "Nonlinear interneurons",
               "dale": "Dale's law"}
#: Fig. 6's order: backprop, then each variant beside the poster rule it changes.
FAMILY_ORDER = ("backprop", "temporal_contrast", "feedback_alignment", "kolen_pollack",
                "interneuron", "stable_interneuron", "nonlinear_interneuron", "dale")
CONFIG_LABELS = {"poster": "poster hyperparameters", "tuned": "tuned hyperparameters (Optuna)"}
#: One colour per class of the spiral (decision maps, data, activity).
CLASS_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a")
#: Weight layers 1..3 (and hidden layers 1..2), then "all layers together" (update angles, residuals).
LAYER_COLORS = ("#66c2a5", "#3288bd", "#5e4fa2", "#000000")
#: Marker of each split of the data.
SPLIT_MARKERS = {"train": "o", "val": "s", "test": "^"}
#: The compartments of a hidden unit, as in the neuron schematic (Fig. 1A).
SOMA_COLOR, DENDRITE_COLOR, INTERNEURON_COLOR, NUDGE_COLOR = "#fdae61", "#abd9e9", "#b2abd2", "#d7191c"

#: The figure style, applied with ``style()`` (never globally).
STYLE = {
    "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8,
    "xtick.labelsize": 8, "ytick.labelsize": 8, "axes.spines.top": False, "axes.spines.right": False,
    "legend.frameon": False, "svg.hashsalt": "dendritic", "svg.fonttype": "none",
}
#: Added to ``STYLE`` for animations, which are shown on a projector: no text under 10 pt.
PROJECTOR = {"font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "legend.fontsize": 10,
             "xtick.labelsize": 10, "ytick.labelsize": 10, "figure.titlesize": 13}


def rule_label(name):
    """How the figures name a rule ("interneuron" -> "Interneurons"); unknown names as they are."""
    return RULE_LABELS.get(name, name)


def rule_color(name, default="C0"):
    """A rule's colour; ``default`` for a rule of your own."""
    return RULE_COLORS.get(name, default)


def class_colors(classes):
    """One colour per class: ``CLASS_COLORS`` for up to 4 classes, else matplotlib's tab20.

    >>> class_colors(2)
    ['#1b9e77', '#d95f02']
    """
    if classes <= len(CLASS_COLORS):
        return list(CLASS_COLORS[:classes])
    import matplotlib
    return [matplotlib.colormaps["tab20"](k % 20) for k in range(classes)]


def layer_color(layer):
    """The colour of weight layer ``layer`` (1, 2, 3, ...; the colours repeat) or of "all" layers."""
    return LAYER_COLORS[-1] if layer == "all" else LAYER_COLORS[(int(layer) - 1) % (len(LAYER_COLORS) - 1)]


@contextmanager
def style(**overrides):
    """Draw with the figures' style (and ``overrides``, e.g. ``**PROJECTOR``), leaving
    matplotlib's global rcParams untouched.

    >>> import matplotlib
    >>> with style():
    ...     matplotlib.rcParams["axes.spines.top"]
    False
    """
    import matplotlib
    with matplotlib.rc_context({**STYLE, **overrides}):
        yield


def figure(width, height, layout="constrained", dpi=None):
    """A Figure (``width`` x ``height`` inches) not registered with pyplot: it shows once in a
    notebook, never as a static duplicate, and is freed with its last reference.

    >>> figure(4, 3).get_size_inches().tolist()
    [4.0, 3.0]
    """
    from matplotlib.figure import Figure
    return Figure(figsize=(width, height), layout=layout, dpi=dpi)
