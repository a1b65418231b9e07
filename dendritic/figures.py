"""The poster's figures, regenerated from code and data (``python -m dendritic figures``).

Plotting primitives draw into a matplotlib Axes you pass in and return it, so a
notebook can combine them freely:

- ``plot_spiral``, ``plot_decision_map``, ``plot_learning_curve``, ``plot_layer_activity``
- ``plot_neuron`` (the soma / dendrite / interneuron schematic), ``plot_architecture``
- ``plot_angles`` (update angle to backprop), ``plot_cancellation`` (interneuron residual |D^F|)
- ``plot_top_down_alignment`` (angle between the top-down weights B_l and W_{l+1}^T)
- ``plot_accuracy_comparison`` (validation accuracy per rule and seed, p-values vs backprop)

``fig1`` .. ``fig5`` assemble them into the poster's figures, ``fig6`` and ``fig7`` into the
same figures for the variants beyond the poster (``dendritic.rules.BEYOND``); ``save`` writes PNG + SVG.
Colours are fixed per rule, per class and per layer, the same in every figure.
matplotlib is imported only inside this module, and no global style is changed:
the figure functions draw inside ``matplotlib.rc_context(STYLE)``.
"""

from contextlib import contextmanager
import math
from pathlib import Path
import sys
import warnings

import numpy as np
import torch

from . import checks
from .data import BAYES_ACCURACY
from .paths import FIGURES
from .rules import BEYOND, RULES

#: One colour per rule, the same in every figure.
#: Variants beyond the poster take their family's hue: blues for temporal contrast without
#: weight transport, reds and purples for the interneuron circuits.
RULE_COLORS = {"backprop": "#4d4d4d", "temporal_contrast": "#2c7bb6", "interneuron": "#d7191c",
               "feedback_alignment": "#41b6c4", "kolen_pollack": "#253494",
               "nonlinear_interneuron": "#f46d43", "dale": "#7b3294"}
RULE_LABELS = {"backprop": "Backprop", "temporal_contrast": "Temporal contrast", "interneuron": "Interneurons",
               "feedback_alignment": "Feedback alignment", "kolen_pollack": "Kolen-Pollack",
               "nonlinear_interneuron": "Nonlinear interneurons", "dale": "Dale's law"}
#: Fig. 6's order: backprop, then each variant beside the poster rule it changes.
FAMILY_ORDER = ("backprop", "temporal_contrast", "feedback_alignment", "kolen_pollack",
                "interneuron", "nonlinear_interneuron", "dale")
CONFIG_LABELS = {"poster": "poster hyperparameters", "tuned": "tuned hyperparameters (Optuna)"}
#: One colour per class of the spiral (decision maps, data, activity).
CLASS_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a")
#: Weight layers 1..3 and "all layers together" (update angles, residuals).
LAYER_COLORS = ("#66c2a5", "#3288bd", "#5e4fa2", "#000000")
SPLIT_MARKERS = {"train": "o", "val": "s", "test": "^"}
#: Compartments of the neuron schematic.
SOMA_COLOR, DENDRITE_COLOR, INTERNEURON_COLOR, NUDGE_COLOR = "#fdae61", "#abd9e9", "#b2abd2", "#d7191c"

#: The figure style, applied with ``matplotlib.rc_context`` (never globally).
STYLE = {
    "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8,
    "xtick.labelsize": 8, "ytick.labelsize": 8, "axes.spines.top": False, "axes.spines.right": False,
    "legend.frameon": False, "svg.hashsalt": "dendritic", "svg.fonttype": "none",
}


@contextmanager
def style():
    """Draw with the figures' style, leaving matplotlib's global rcParams untouched."""
    import matplotlib
    with matplotlib.rc_context(STYLE):
        yield


def _figure(width, height):
    """A Figure not registered with pyplot: it shows once in a notebook and is freed with its last reference."""
    from matplotlib.figure import Figure
    return Figure(figsize=(width, height), layout="constrained")


def rule_label(name):
    return RULE_LABELS.get(name, name)


def _class_colors(classes):
    if classes <= len(CLASS_COLORS):
        return list(CLASS_COLORS[:classes])
    import matplotlib
    return [matplotlib.colormaps["tab20"](k % 20) for k in range(classes)]


def _bayes_line(ax):
    """The Bayes-optimal accuracy as a dashed line (once per Axes)."""
    if not any(line.get_gid() == "bayes" for line in ax.lines):
        ax.axhline(BAYES_ACCURACY, color="0.35", ls="--", lw=1, gid="bayes", zorder=1,
                   label=f"Bayes optimum {100 * BAYES_ACCURACY:.1f} %")


def _nanmean(values, axis):
    with warnings.catch_warnings():  # an all-NaN slice (every member diverged) stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=axis)


def smooth(values, window):
    """Moving average over the first axis, ignoring NaN: [R, ...] -> [R, ...] (centred, edges shorter)."""
    values = np.asarray(values, dtype=float)
    window = checks.integer("window", window, 1)
    if window == 1:
        return values
    kernel = np.ones(window)
    finite = np.isfinite(values)
    filled = np.where(finite, values, 0.0)
    conv = lambda v: np.apply_along_axis(lambda c: np.convolve(c, kernel, mode="same"), 0, v)
    with np.errstate(invalid="ignore", divide="ignore"):
        return conv(filled) / conv(finite.astype(float))


# --- the data and what a network does with it ----------------------------------
def plot_spiral(ax, data, splits=("train", "val", "test")):
    """The spiral: points coloured by class, one marker per split (train o, val s, test ^)."""
    if isinstance(splits, str):
        splits = (splits,)
    for split in splits:
        checks.choice("split", split, tuple(SPLIT_MARKERS))
    colors = _class_colors(data.classes)
    for split in splits:
        X, y = (t.numpy() for t in getattr(data, split))
        dense = split == "train"
        ax.scatter(X[:, 0], X[:, 1], c=[colors[k] for k in y], marker=SPLIT_MARKERS[split],
                   s=4 if dense else 12, alpha=0.35 if dense else 0.9, linewidths=0.3 if not dense else 0,
                   edgecolors="white", rasterized=True, label=f"{split} ({len(y)})")
    for k, color in enumerate(colors):
        ax.scatter([], [], color=color, marker="o", s=15, label=f"class {k}")
    limit = _limit(data)
    ax.set(xlim=(-limit, limit), ylim=(-limit, limit), xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    legend = ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, markerscale=1.5, handletextpad=0.2)
    for handle in legend.legend_handles[:len(splits)]:
        handle.set_color("0.3")
    return ax


def _limit(data):
    if data is None:
        return 1.3
    points = torch.cat([data.train[0], data.val[0], data.test[0]])
    return float(points.abs().max()) * 1.03


def decision_map(net, limit=1.3, member=0, resolution=200):
    """Predicted class on a resolution x resolution grid over [-limit, limit]^2.

    Returns an int array [resolution, resolution] (row = x2, column = x1) with -1
    where no output unit is active (argmax would only be a tie-break) and -2 where
    the output is not finite (a diverged network).
    """
    resolution = checks.integer("resolution", resolution, 2)
    member = _member(net, member)
    grid = np.linspace(-limit, limit, resolution)
    x1, x2 = np.meshgrid(grid, grid)
    X = torch.tensor(np.stack([x1.ravel(), x2.ravel()], 1), dtype=torch.float32)
    with torch.no_grad():
        out = net(X)
    out = (out[member] if net.ensemble else out).numpy()
    classes = out.argmax(1)
    classes = np.where(out.max(1) > 0, classes, -1)
    classes = np.where(np.isfinite(out).all(1), classes, -2)
    return classes.reshape(resolution, resolution)


def _member(net, member):
    member = checks.integer("member", member, 0)
    if member >= net.members:
        raise ValueError(f"member must be an integer in 0..{net.members - 1}, got {member}")
    return member


def plot_decision_map(ax, net, data=None, split="test", member=0, resolution=200):
    """The predicted class over the plane (light colours), with ``data``'s ``split`` points on top.

    Grey: no output unit active there (the network gives no answer). For an
    ensemble ``net``, ``member`` picks the network.
    """
    from matplotlib.colors import ListedColormap

    if data is not None:
        checks.choice("split", split, tuple(SPLIT_MARKERS))
    limit = _limit(data)
    classes = decision_map(net, limit, member, resolution)
    K = net.sizes[-1]
    colors = _class_colors(K)
    cmap = ListedColormap(["#ffffff", "#d9d9d9"] + colors)  # -2 diverged, -1 silent, 0..K-1 classes
    ax.imshow(classes, origin="lower", extent=(-limit, limit, -limit, limit), cmap=cmap, vmin=-2.5, vmax=K - 0.5,
              alpha=0.35, interpolation="nearest", rasterized=True)
    if (classes == -2).all():
        ax.text(0.5, 0.5, "diverged (NaN)", ha="center", va="center", transform=ax.transAxes)
    if data is not None:
        X, y = (t.numpy() for t in getattr(data, split))
        ax.scatter(X[:, 0], X[:, 1], c=[colors[k] for k in y], marker=SPLIT_MARKERS[split], s=7,
                   linewidths=0.2, edgecolors="white", rasterized=True)
    ax.set(xlim=(-limit, limit), ylim=(-limit, limit), aspect="equal", xticks=[], yticks=[])
    return ax


def plot_learning_curve(ax, result, member=None, label=None):
    """Validation accuracy against training step from a ``TrainResult``.

    ``member=None``: every member faint (dotted if it ended with a dead output unit)
    and their mean bold; otherwise that member only. The dashed line is the Bayes optimum.
    """
    steps, acc = result.curve_steps, np.asarray(result.curve_val_acc, dtype=float)
    color = RULE_COLORS.get(result.rule, "C0")
    label = label if label is not None else rule_label(result.rule)
    if member is None:
        if acc.shape[1] > 1:
            for i in range(acc.shape[1]):
                dead = result.dead_outputs[i] > 0
                ax.plot(steps, acc[:, i], color=color, alpha=0.55 if dead else 0.3, lw=0.9, ls=":" if dead else "-")
        mean_label = f"{label} (mean of {acc.shape[1]})" if acc.shape[1] > 1 else label
        ax.plot(steps, _nanmean(acc, 1), color=color, lw=2, label=mean_label)
    else:
        member = checks.integer("member", member, 0)
        if member >= acc.shape[1]:
            raise ValueError(f"member must be an integer in 0..{acc.shape[1] - 1}, got {member}")
        ax.plot(steps, acc[:, member], color=color, lw=1.5, label=label)
    _bayes_line(ax)
    ax.set(xlabel="training step (samples)", ylabel="validation accuracy", ylim=(0, 1.02), xlim=(0, max(steps[-1], 1)))
    return ax


def plot_layer_activity(axes, net, data, member=0, split="val"):
    """Class-averaged activity of every layer, one Axes per layer (hidden 1, hidden 2, output).

    Each column is a unit, sorted by the class it responds to most (silent units
    last); each row is a class. Returns ``axes``.
    """
    axes = list(np.ravel(axes))
    if len(axes) != net.layers:
        raise ValueError(f"axes must hold one Axes per layer ({net.layers}), got {len(axes)}")
    checks.choice("split", split, tuple(SPLIT_MARKERS))
    member = _member(net, member)
    X, y = getattr(data, split)
    y = y.numpy()
    _, activities = net.somas_and_activities(X)
    K = net.sizes[-1]
    colors = _class_colors(K)
    for l, (ax, a) in enumerate(zip(axes, activities), start=1):
        a = (a[member] if net.ensemble else a).numpy()
        means = np.stack([a[y == k].mean(0) if (y == k).any() else np.zeros(a.shape[1]) for k in range(K)])
        strength = means.max(0)
        preferred = np.where(strength > 0, means.argmax(0), K)  # silent units last
        order = np.lexsort((-strength, preferred))
        image = ax.imshow(means[:, order], aspect="auto", cmap="magma", interpolation="nearest", vmin=0)
        ax.set_yticks(range(K), [f"class {k}" for k in range(K)])
        for tick, color in zip(ax.get_yticklabels(), colors):
            tick.set_color(color)
        name = "output" if l == net.layers else f"hidden {l}"
        ax.set_xlabel(f"{name} ({a.shape[1]} units)")
        ax.set_xticks([])
        ax.figure.colorbar(image, ax=ax, fraction=0.1, pad=0.03, aspect=15)
    return axes


# --- the neuron and the network ------------------------------------------------
def plot_neuron(ax):
    """Fig. 1 schematic: a soma driven bottom-up, a dendrite driven top-down, a
    dendrite-targeting interneuron that cancels the self-generated top-down input,
    and the nudge that gates plasticity at the input synapses."""
    from matplotlib.patches import Circle, Ellipse, FancyArrowPatch, Polygon

    def arrow(start, end, color="0.2", style="-|>", rad=0.0, lw=1.5, **kw):
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=12, color=color, lw=lw,
                                     connectionstyle=f"arc3,rad={rad}", **kw))

    # compartments
    ax.add_patch(Polygon([(3.1, 2.2), (4.9, 2.2), (4.0, 4.0)], closed=True, fc=SOMA_COLOR, ec="0.2", lw=1.2, zorder=3))
    ax.text(4.0, 2.75, "soma\n$z_l$", ha="center", va="center", fontsize=8, zorder=4)
    ax.plot([4.0, 4.0], [4.0, 6.9], color="0.2", lw=3, zorder=2, solid_capstyle="butt")
    ax.add_patch(Ellipse((4.0, 7.6), 2.8, 1.4, fc=DENDRITE_COLOR, ec="0.2", lw=1.2, zorder=3))
    ax.text(4.0, 7.6, "dendrite\n$D_l$", ha="center", va="center", fontsize=8, zorder=4)
    ax.add_patch(Circle((7.4, 5.6), 0.6, fc=INTERNEURON_COLOR, ec="0.2", lw=1.2, zorder=3))
    ax.text(7.4, 5.6, "$R_l$", ha="center", va="center", fontsize=9, zorder=4)
    ax.text(8.1, 5.6, "dendrite-targeting\ninterneuron", ha="left", va="center", fontsize=7.5)

    # bottom-up input onto plastic synapses at the soma
    arrow((4.0, 0.3), (4.0, 2.15))
    ax.text(4.2, 0.9, "bottom-up input $a_{l-1}$\n(from the layer below)", ha="left", va="center", fontsize=7.5)
    ax.plot([4.0], [2.2], "o", color="0.1", ms=5, zorder=5)
    ax.text(4.95, 1.75, r"plastic: $\Delta W_l \propto N_l \otimes a_{l-1}$", ha="left", va="center", fontsize=7.5)
    # top-down input onto the dendrite
    arrow((4.0, 9.8), (4.0, 8.35))
    ax.text(4.2, 9.35, r"top-down input $W_{l+1}^{\top} a_{l+1}$" "\n(from the layer above)",
            ha="left", va="center", fontsize=7.5)
    # output: activity to the layer above, with a branch driving the interneuron
    ax.plot([4.5, 7.4], [3.1, 3.1], color="0.2", lw=1.5)
    arrow((7.4, 3.1), (9.6, 3.1))
    ax.text(9.6, 2.75, "$a_l = f(z_l)$\nto the layer above", ha="right", va="top", fontsize=7.5)
    arrow((7.4, 3.1), (7.4, 4.95))
    # inhibition of the dendrite: a flat bar ending, the usual symbol for an inhibitory synapse
    arrow((6.85, 5.95), (5.35, 7.25), style="-[", color=INTERNEURON_COLOR, lw=2)
    ax.text(6.3, 6.95, "cancels self-generated\ntop-down input", ha="left", va="bottom", fontsize=7,
            color="#5e3c99")
    # the nudge: the dendritic state gates plasticity at the input synapses
    arrow((2.65, 7.3), (3.35, 3.2), color=NUDGE_COLOR, rad=0.35, lw=1.8)
    ax.text(0.1, 5.3, "nudge\n$N_l = f'(z_l)\\,D_l$\ngates plasticity", ha="left", va="center", fontsize=7.5,
            color=NUDGE_COLOR)
    ax.set(xlim=(0, 10.2), ylim=(0, 10), aspect="equal")
    ax.axis("off")
    return ax


def plot_architecture(ax, sizes=(2, 128, 32, 4), shown=6):
    """The network as columns of units (at most ``shown`` drawn per layer): input,
    hidden layers with a soma (lower half) and a dendrite (upper half), output.
    Bottom-up weights W_l in grey; top-down input W_{l+1}^T as curved arrows."""
    from matplotlib.patches import Circle, FancyArrowPatch, Wedge

    if isinstance(sizes, (str, bytes)) or len(sizes) < 2:
        raise ValueError(f"sizes must be a sequence of at least 2 layer sizes, got {sizes!r}")
    sizes = [checks.integer(f"sizes[{i}]", n, 1) for i, n in enumerate(sizes)]
    shown = checks.integer("shown", shown, 2)
    gap, r = 3.0, 0.32
    columns = []
    for i, n in enumerate(sizes):
        k = min(n, shown)
        ys = np.linspace(-(k - 1) / 2, (k - 1) / 2, k)
        columns.append((i * gap, ys, n > shown))
    for (x0, ys0, _), (x1, ys1, _) in zip(columns, columns[1:]):
        for y0 in ys0:
            for y1 in ys1:
                ax.plot([x0 + r, x1 - r], [y0, y1], color="0.75", lw=0.5, zorder=1)
    last = len(sizes) - 1
    for i, ((x, ys, more), n) in enumerate(zip(columns, sizes)):
        for j, y in enumerate(ys):
            if more and j == len(ys) // 2:
                ax.text(x, y, r"$\vdots$", ha="center", va="center", fontsize=12)
                continue
            if 0 < i < last:
                ax.add_patch(Wedge((x, y), r, 0, 180, fc=DENDRITE_COLOR, ec="0.2", lw=0.8, zorder=3))
                ax.add_patch(Wedge((x, y), r, 180, 360, fc=SOMA_COLOR, ec="0.2", lw=0.8, zorder=3))
            else:
                ax.add_patch(Circle((x, y), r, fc="white" if i == 0 else SOMA_COLOR, ec="0.2", lw=0.8, zorder=3))
    top = max(ys[-1] for _, ys, _ in columns)
    for i, ((x, _, _), n) in enumerate(zip(columns, sizes)):
        name = "input" if i == 0 else "output" if i == last else f"hidden {i}"
        ax.text(x, -top - 0.9, f"{name}\n{n} unit{'s' * (n > 1)}", ha="center", va="top", fontsize=8)
    for l in range(1, last):
        x_from, x_to = columns[l + 1][0], columns[l][0]
        ax.add_patch(FancyArrowPatch((x_from - 0.2, top + 0.55), (x_to + 0.2, top + 0.55), arrowstyle="-|>",
                                     mutation_scale=10, color="#2c7bb6", lw=1.4, connectionstyle="arc3,rad=0.35"))
        ax.text((x_from + x_to) / 2, top + 1.45, rf"$W_{{{l + 1}}}^{{\top}}$", ha="center", va="bottom",
                fontsize=8, color="#2c7bb6")
    for l in range(1, last + 1):
        ax.text((columns[l - 1][0] + columns[l][0]) / 2, -top - 0.35, f"$W_{l}$", ha="center", va="top",
                fontsize=8, color="0.4")
    x_out = columns[-1][0]
    ax.add_patch(FancyArrowPatch((x_out + 1.9, 0), (x_out + r + 0.15, 0), arrowstyle="-|>", mutation_scale=10,
                                 color=NUDGE_COLOR, lw=1.4))
    ax.text(x_out + 1.0, 0.25, "target\n(nudge)", ha="center", va="bottom", fontsize=7.5, color=NUDGE_COLOR)
    ax.text(columns[-1][0] / 2, top + 2.3, "hidden units: dendrite (upper half), soma (lower half)\n"
            "weights: bottom-up $W_l$ (grey), top-down $W_{l+1}^{\\top}$ (blue)",
            ha="center", va="bottom", fontsize=7.5, color="0.3")
    ax.set(xlim=(-1.0, x_out + 2.1), ylim=(-top - 2.2, top + 3.4), aspect="equal")
    ax.axis("off")
    return ax


# --- how far each rule is from backprop ----------------------------------------
def _records(result, key):
    if not result.records:
        raise ValueError("result has no records: train with record_every=k (for example record_every=20)")
    if key not in result.records:
        have = sorted(k for k in result.records
                      if "/" in k and k.split("/")[0] in ("angle", "residual", "cancelled", "alignment"))
        raise ValueError(f"result.records has no {key!r}; it has {', '.join(have)}")
    return result.records[key]


def _layer_keys(result, prefix, layers):
    if layers is None:
        return sorted(k.split("/")[1] for k in result.records if k.startswith(prefix + "/"))
    keys = []
    for layer in layers:
        keys.append(layer if layer == "all" else f"layer{checks.integer('layers[]', layer, 1)}")
    return keys


def _layer_name(key, hidden=None):
    if key == "all":
        return "all layers"
    l = int(key.removeprefix("layer"))
    return f"W{l}" if hidden is None else f"hidden {l}"


def _layer_color(key):
    return LAYER_COLORS[-1] if key == "all" else LAYER_COLORS[(int(key.removeprefix("layer")) - 1) % 3]


def _band(ax, steps, values, color, label, window, ls="-"):
    """Median over members (after smoothing each) with the interquartile band."""
    smoothed = smooth(values, window)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low, mid, high = np.nanpercentile(smoothed, [25, 50, 75], axis=1)
    ax.plot(steps, mid, color=color, lw=1.6, ls=ls, label=label)
    if smoothed.shape[1] > 1:
        ax.fill_between(steps, low, high, color=color, alpha=0.18, lw=0)


def plot_angles(ax, result, layers=None, window=15):
    """Angle (degrees) between the rule's update and backprop's on the same sample and
    weights, over training: one line per layer (W1, W2, ...) and all layers together.

    Lines: median over members of a ``window``-record moving average; band: interquartile
    range over members. ``layers``: e.g. (1, 2, 3, "all"); default every recorded layer.
    """
    keys = _layer_keys(result, "angle", layers)
    steps = _records(result, "step")
    for key in keys:
        _band(ax, steps, _records(result, f"angle/{key}"), _layer_color(key), _layer_name(key), window,
              ls="--" if key == "all" else "-")
    ax.set(xlabel="training step (samples)", ylabel="angle to backprop update (°)", xlim=(0, steps[-1]))
    ax.set_ylim(bottom=0)
    return ax


def plot_cancellation(ax, result, window=15, top_down=True):
    """How well the interneurons cancel the self-generated top-down input, over training.

    Solid: the residual dendritic state in the forward phase, RMS D^F = sqrt(mean |D^F|^2)
    per hidden layer (0 = perfect cancellation, where rule 3 equals rule 2).
    Dashed (``top_down=True``): the top-down input W^T a^F there is to cancel, RMS
    over units, recovered from the recorded fraction cancelled 1 - |D^F| / |W^T a^F|.
    Log axis; lines are the median over members, bands the interquartile range.
    """
    keys = _layer_keys(result, "residual", None)
    if not keys:
        _records(result, "residual/layer1")  # raises, naming what the records do have
    steps = _records(result, "step")
    for key in keys:
        residual = np.sqrt(_records(result, f"residual/{key}"))
        color, name = _layer_color(key), _layer_name(key, hidden=True)
        _band(ax, steps, residual, color, f"{name}: residual $D^F$", window)
        if top_down:
            with np.errstate(divide="ignore", invalid="ignore"):
                incoming = residual / (1 - _records(result, f"cancelled/{key}"))
            _band(ax, steps, incoming, color, f"{name}: top-down input", window, ls="--")
    ax.set_yscale("log")
    ax.set(xlabel="training step (samples)", ylabel="RMS over units (forward phase)", xlim=(0, steps[-1]))
    return ax


def plot_top_down_alignment(ax, result, window=1, label=None):
    """Angle (degrees) between the top-down weights B_l and W_{l+1}^T over training, one
    line per hidden layer (solid: B1, dashed: B2), in the rule's colour; 90° = unrelated,
    0° = the poster's transpose. Call once per rule on the same Axes to compare rules.

    Needs a rule whose top-down weights are not the transpose, trained with ``record_every``
    (its ``diagnostics`` record ``alignment/layer{l}``). Lines: median over members of a
    ``window``-record moving average (B changes slowly: no smoothing by default); band:
    interquartile range over members.
    """
    keys = _layer_keys(result, "alignment", None)
    if not keys:
        _records(result, "alignment/layer1")  # raises, naming what the records do have
    steps = _records(result, "step")
    color, label = RULE_COLORS.get(result.rule, "C0"), label if label is not None else rule_label(result.rule)
    for key, ls in zip(keys, ("-", "--", ":", "-.")):
        l = int(key.removeprefix("layer"))
        _band(ax, steps, _records(result, f"alignment/{key}"), color, f"{label}: $B_{l}$ vs $W_{l + 1}^\\top$",
              window, ls=ls)
    if not any(line.get_gid() == "unrelated" for line in ax.lines):
        ax.axhline(90, color="0.6", ls=":", lw=0.8, gid="unrelated", zorder=0)
    ax.set(xlabel="training step (samples)", ylabel="angle between $B_l$ and $W_{l+1}^\\top$ (°)",
           xlim=(0, steps[-1]))
    ax.set_ylim(0, max(95, ax.get_ylim()[1]))
    return ax


# --- the comparison (Fig. 4) -----------------------------------------------------
def _bool(value):
    return value if isinstance(value, (bool, np.bool_)) else str(value) == "True"


def format_p(p):
    """A p-value as it is printed on Fig. 4."""
    p = float(p)
    if math.isnan(p):
        return "n/a"
    return f"{p:.2g}" if p >= 0.001 else f"{p:.1e}"


def _swarm(values, spacing, step):
    """x offsets that keep points of a strip plot from overlapping (a small beeswarm).

    values: the y positions, in units where ``spacing`` is a marker's height;
    step: a marker's width in x. Deterministic: the same values give the same plot.
    """
    offsets = np.zeros(len(values))
    placed = []
    for i in np.argsort(values, kind="stable"):
        for k in range(len(values) + 1):
            candidates = [0.0] if k == 0 else [k * step, -k * step]
            free = [c for c in candidates
                    if all(abs(values[i] - values[j]) >= spacing or abs(c - offsets[j]) >= step for j in placed)]
            if free:
                offsets[i] = free[0]
                break
        placed.append(i)
    return offsets


def plot_accuracy_comparison(ax, rows, summary, reference="backprop", yscale="logit"):
    """Fig. 4: validation accuracy of every rule and configuration, one point per seed.

    Args:
        rows: per-seed dicts (``data/comparison.csv``): config, rule, seed, val_acc, diverged, dead_outputs.
        summary: per-(config, rule) dicts (``data/comparison_summary.csv``, from
            ``dendritic.stats.summarize``): mean, sem and the Holm-corrected p-values.
        yscale: "logit" spreads accuracies near 100 % and near chance; or "linear".

    Drawn: seeds (hollow triangles: a seed that ended with a dead output unit),
    mean ± SEM from ``summary``, p-values vs ``reference`` (Welch t-test and
    Mann-Whitney U, Holm-corrected) from ``summary``, the Bayes optimum. Diverged
    runs have no accuracy: they are counted under each group, never plotted.
    The annotations drawn are kept in ``ax.pvalue_annotations`` (list of dicts).
    """
    checks.choice("yscale", yscale, ("logit", "linear"))
    rows, summary = list(rows), list(summary)
    if not rows:
        raise ValueError("rows must hold at least one per-seed result, got none")
    configs = list(dict.fromkeys(r["config"] for r in rows))
    rules = list(dict.fromkeys(r["rule"] for r in rows))
    table = {(s["config"], s["rule"]): s for s in summary}
    missing = [key for key in {(r["config"], r["rule"]) for r in rows} if key not in table]
    if missing:
        raise ValueError(f"summary has no row for (config, rule) {sorted(missing)}; use the summary of these rows")

    low, high = 0.2, 0.995
    transform = (lambda v: np.log(v / (1 - v))) if yscale == "logit" else (lambda v: v)
    span = transform(high) - transform(low)
    ax.pvalue_annotations = []
    positions, labels = [], []
    for c, config in enumerate(configs):
        for r, name in enumerate(rules):
            group = [row for row in rows if row["config"] == config and row["rule"] == name]
            if not group:
                continue
            x = c * (len(rules) + 0.8) + r
            positions.append(x)
            labels.append(rule_label(name).replace(" ", "\n", 1))
            color = RULE_COLORS.get(name, "C0")
            finite = [row for row in group if not _bool(row["diverged"])]
            acc = np.array([float(row["val_acc"]) for row in finite])
            dead = np.array([int(row["dead_outputs"]) > 0 for row in finite], dtype=bool)
            shown = np.clip(acc, low, high)
            offsets = _swarm(transform(shown) / span, spacing=0.022, step=0.07)
            ax.scatter(x - 0.12 + offsets[~dead], shown[~dead], s=22, color=color, edgecolors="white", lw=0.5,
                       zorder=3)
            ax.scatter(x - 0.12 + offsets[dead], shown[dead], s=30, marker="v", facecolors="white",
                       edgecolors=color, lw=1.2, zorder=3)
            entry = table[(config, name)]
            mean, sem = float(entry["mean"]), float(entry["sem"])
            if math.isfinite(mean):
                ax.errorbar(x + 0.3, mean, yerr=0 if math.isnan(sem) else sem, fmt="D", ms=4, color="black",
                            capsize=3, lw=1.2, zorder=4)
            n_diverged = int(entry["diverged"])
            ax.text(x, 0.015, f"dead {int(dead.sum())}/{len(group)}\ndiverged {n_diverged}",
                    transform=ax.get_xaxis_transform(), ha="center", va="bottom", fontsize=6.5,
                    color="#b2182b" if dead.any() or n_diverged else "0.4")
            if name != reference and (config, reference) in table:
                p_welch, p_mwu = float(entry["p_welch_holm"]), float(entry["p_mannwhitney_holm"])
                text = f"vs {rule_label(reference).lower()}\nWelch p = {format_p(p_welch)}\nMWU p = {format_p(p_mwu)}"
                ax.text(x, 0.99, text, transform=ax.get_xaxis_transform(), ha="center", va="top", fontsize=6.5)
                ax.pvalue_annotations.append(dict(config=config, rule=name, p_welch_holm=p_welch,
                                                  p_mannwhitney_holm=p_mwu, text=text))
        if len(configs) > 1 and c < len(configs) - 1:
            ax.axvline(c * (len(rules) + 0.8) + len(rules) - 0.1, color="0.85", lw=0.8)
    _bayes_line(ax)
    ax.axhline(0.25, color="0.6", ls=":", lw=0.8, zorder=0, label="chance 25 %")
    ax.set_yscale(yscale)
    if yscale == "logit":
        from matplotlib.ticker import FixedLocator, NullLocator, PercentFormatter
        ax.yaxis.set_major_locator(FixedLocator([0.25, 0.5, 0.75, 0.9, 0.95, 0.98, 0.99]))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    # room above for the p-values and below for the counts
    lo_t, hi_t = transform(low), transform(high)
    inverse = (lambda t: 1 / (1 + np.exp(-t))) if yscale == "logit" else (lambda t: t)
    ax.set_ylim(inverse(lo_t - 0.12 * span), inverse(hi_t + 0.2 * span))
    ax.set_xticks(positions, labels)
    ax.set_xlim(min(positions) - 0.6, max(positions) + 0.6)
    ax.set_ylabel("validation accuracy")
    if len(configs) > 1 or configs != ["poster"]:
        for c, config in enumerate(configs):
            centre = c * (len(rules) + 0.8) + (len(rules) - 1) / 2
            ax.text(centre, -0.16, CONFIG_LABELS.get(config, config), transform=ax.get_xaxis_transform(),
                    ha="center", va="top", fontsize=8, fontweight="bold")
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], marker="o", ls="", color="0.4", mec="white", label="one seed"),
               Line2D([], [], marker="v", ls="", mfc="white", mec="0.4", label="seed with a dead output unit"),
               Line2D([], [], marker="D", color="black", ms=4, label="mean ± SEM"),
               Line2D([], [], color="0.35", ls="--", label=f"Bayes optimum {100 * BAYES_ACCURACY:.1f} %"),
               Line2D([], [], color="0.6", ls=":", label="chance 25 %")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
    return ax


# --- the figures -------------------------------------------------------------------
def fig1(sizes=(2, 128, 32, 4)):
    """Fig. 1: the two-compartment neuron with its interneuron, and the network."""
    with style():
        fig = _figure(11, 4.6)
        a, b = fig.subplots(1, 2, width_ratios=(1, 1.15))
        plot_neuron(a)
        a.set_title("A  a hidden unit: soma, dendrite, interneuron", loc="left")
        plot_architecture(b, sizes)
        b.set_title(f"B  the network {'-'.join(map(str, sizes))}, ReLU everywhere", loc="left")
    return fig


def _by_rule(mapping, name):
    if name not in mapping or mapping[name] is None:
        raise ValueError(f"missing entry for rule {name!r}; have {', '.join(mapping)}")
    return mapping[name]


def fig2(data, nets, member=0, activity_rule="interneuron"):
    """Fig. 2: the task and what each rule learns.

    Args:
        data: a ``Spiral``.
        nets: dict rule name -> trained ``Network`` (an ensemble: ``member`` is drawn).
    Top: the spiral and the decision map of each rule on the test points;
    bottom: class-averaged activity per layer of the ``activity_rule`` network.
    """
    names = [n for n in RULES if n in nets] or list(nets)
    with style():
        fig = _figure(12, 6.4)
        top, bottom = fig.subfigures(2, 1, height_ratios=(1.25, 1))
        axes = top.subplots(1, len(names) + 1)
        plot_spiral(axes[0], data)
        axes[0].set_title("A  the task: 4-class spiral", loc="left")
        for i, (ax, name) in enumerate(zip(axes[1:], names)):
            net = nets[name]
            acc = (net.predict(data.test[0]) == data.test[1]).double().mean(-1)
            acc = float(acc[member] if net.ensemble else acc)
            plot_decision_map(ax, net, data, "test", member=member)
            seed = net.seeds[member]
            ax.set_title(f"{'BCDE'[i]}  {rule_label(name)}\nseed {seed}, test acc {100 * acc:.1f} %", loc="left",
                         color=RULE_COLORS.get(name, "black"))
        net = _by_rule(nets, activity_rule)
        layer_axes = bottom.subplots(1, net.layers, width_ratios=[max(12, n) ** 0.5 for n in net.sizes[1:]])
        plot_layer_activity(layer_axes, net, data, member=member)
        bottom.suptitle(f"{'BCDEF'[len(names)]}  mean activity per class and unit, {rule_label(activity_rule)} network "
                        f"(seed {net.seeds[member]}, validation points; units sorted by preferred class, silent last)",
                        x=0.01, ha="left", fontsize=10)
    return fig


def _grid(results):
    """Accept {rule: r} or {(config, rule): r}; return {(config, rule): r}."""
    return {(key if isinstance(key, tuple) else ("poster", key)): value for key, value in results.items()}


def fig3(results):
    """Fig. 3: learning curves. ``results``: {(config, rule): TrainResult} (or {rule: ...} for
    the poster config), each an ensemble: faint line per seed (dotted: dead output unit), bold mean."""
    grid = _grid(results)
    configs = list(dict.fromkeys(c for c, _ in grid))
    names = [n for n in RULES if any(r == n for _, r in grid)]
    with style():
        fig = _figure(3.3 * len(names) + 0.6, 2.7 * len(configs) + 0.3)
        axes = np.atleast_2d(fig.subplots(len(configs), len(names), sharex=True, sharey=True, squeeze=False))
        for i, config in enumerate(configs):
            for j, name in enumerate(names):
                ax = axes[i, j]
                result = grid.get((config, name))
                if result is None:
                    ax.axis("off")
                    continue
                plot_learning_curve(ax, result)
                dead = int((result.dead_outputs > 0).sum())
                ax.set_title(f"{rule_label(name)}: {len(result.seeds)} seeds, {dead} with a dead output",
                             color=RULE_COLORS.get(name, "black"), fontsize=9)
                if j:
                    ax.set_ylabel("")
                else:
                    ax.set_ylabel(f"{CONFIG_LABELS.get(config, config)}\nvalidation accuracy")
                if i < len(configs) - 1:
                    ax.set_xlabel("")
        axes[0, 0].legend(handles=[l for l in axes[0, 0].lines if l.get_gid() == "bayes"], loc="lower right")
        fig.suptitle("Learning curves (online, one epoch). Faint: one seed (dotted: ended with a dead output "
                     "unit); bold: mean", fontsize=10)
    return fig


def fig4(rows, summary, yscale="logit"):
    """Fig. 4: validation accuracy of the poster's three rules per configuration, with p-values
    vs backprop. Rows of other rules (the variants of ``fig6``) are left out."""
    rows = [r for r in rows if r["rule"] in RULES]
    if not rows:
        raise ValueError(f"rows must hold results of the poster's rules ({', '.join(RULES)}), got none")
    with style():
        configs = list(dict.fromkeys(r["config"] for r in rows))
        fig = _figure(4.2 + 3.3 * len(configs), 4.6)
        ax = fig.subplots()
        plot_accuracy_comparison(ax, rows, summary, yscale=yscale)
        n = max(int(s["n"]) for s in summary)
        # Holm's family is every comparison of a config: say so where it holds more rules than drawn here
        wider = {}
        for entry in summary:
            if math.isfinite(float(entry["p_welch_holm"])):
                wider.setdefault(entry["config"], []).append(entry["rule"] in RULES)
        wider = [f"{config}: over {len(drawn)} comparisons, with Fig. 6's variants"
                 for config, drawn in wider.items() if not all(drawn)]
        ax.set_title(f"Validation accuracy after one online epoch, {n} seeds per rule"
                     + (" " if not wider else "\n") + "(p: vs backprop, Holm-corrected"
                     + "".join("; " + note for note in wider) + ")", loc="left")
    return fig


def fig5(results, window=15):
    """Fig. 5: why the rules work. ``results``: {(config, rule): TrainResult} (or {rule: ...}
    for the poster config) trained with ``record_every``; one row per config.

    A, B: angle between each rule's update and backprop's, per layer, over training;
    C: how well the interneurons cancel the self-generated top-down input: the residual
    D^F (how far rule 3 departs from rule 2) against the top-down input to cancel.
    """
    grid = {key: result for key, result in _grid(results).items()
            if key[1] in RULES and key[1] != "backprop" and result.records}
    names = [n for n in RULES if any(r == n for _, r in grid)]
    if not names:
        raise ValueError("results must include temporal_contrast and/or interneuron runs trained with record_every")
    configs = list(dict.fromkeys(c for c, _ in grid))
    columns = len(names) + ("interneuron" in names)
    with style():
        fig = _figure(3.9 * columns + 0.4, 3.3 * len(configs) + 0.4)
        axes = fig.subplots(len(configs), columns, squeeze=False)
        letters = iter("ABCDEFGHIJKL")
        for row, config in zip(axes, configs):
            for ax, name in zip(row, names):
                if (config, name) not in grid:
                    ax.axis("off")
                    continue
                plot_angles(ax, grid[(config, name)], window=window)
                ax.set_title(f"{next(letters)}  {rule_label(name)}: update vs backprop", loc="left",
                             color=RULE_COLORS.get(name, "black"))
            if "interneuron" in names and (config, "interneuron") in grid:
                plot_cancellation(row[-1], grid[(config, "interneuron")], window=window)
                row[-1].set_title(f"{next(letters)}  interneuron cancellation", loc="left",
                                  color=RULE_COLORS["interneuron"])
            elif "interneuron" in names:
                row[-1].axis("off")
            row[0].set_ylabel(f"{CONFIG_LABELS.get(config, config)}\n{row[0].get_ylabel()}")
        angle_axes = [ax for row in axes for ax in row[:len(names)] if ax.lines]
        top = max(ax.get_ylim()[1] for ax in angle_axes)
        for ax in angle_axes:
            ax.set_ylim(0, top)
        angle_axes[0].legend(loc="upper right", title="weights", title_fontsize=8)
        if "interneuron" in names:
            from matplotlib.ticker import NullFormatter
            cancel_axes = [ax for ax in axes[:, -1] if ax.lines]
            low = min(ax.get_ylim()[0] for ax in cancel_axes)
            high = max(ax.get_ylim()[1] for ax in cancel_axes)
            for ax in cancel_axes:
                ax.set_ylim(low, high)
                ax.yaxis.set_minor_formatter(NullFormatter())
            cancel_axes[0].legend(loc="lower right", fontsize=7)
        n = len(next(iter(grid.values())).seeds)
        fig.suptitle("Each rule's update compared with backprop's on the same sample and weights "
                     f"(median of {n} seeds, band: interquartile range)", fontsize=10)
    return fig


def fig6(rows, summary, config="tuned", yscale="logit"):
    """Fig. 6: beyond the poster. Validation accuracy of each variant (``dendritic.rules.BEYOND``)
    beside backprop and the poster rule it changes, one point per seed, in one configuration.

    Args:
        rows, summary: as for ``fig4`` (``data/comparison.csv`` and its summary); only ``config``'s
            rows of backprop, the poster's dendritic rules and the variants are drawn.
    The p-values are against backprop, Holm-corrected over every comparison of ``config``
    (the poster's rules and the variants together: ``dendritic.stats.summarize``).
    """
    rows = sorted((r for r in rows if r["config"] == config and r["rule"] in FAMILY_ORDER),
                  key=lambda r: FAMILY_ORDER.index(r["rule"]))  # stable: the seeds keep their order
    if not any(r["rule"] in BEYOND for r in rows):
        raise ValueError(f"rows must hold results of a variant beyond the poster ({', '.join(BEYOND)}) "
                         f"in config {config!r}, got none")
    summary = [s for s in summary if s["config"] == config]
    family = sum(math.isfinite(float(s["p_welch_holm"])) for s in summary)
    names = list(dict.fromkeys(r["rule"] for r in rows))
    with style():
        fig = _figure(1.25 * len(names) + 2.6, 4.8)
        ax = fig.subplots()
        plot_accuracy_comparison(ax, rows, summary, yscale=yscale)
        n = max(int(s["n"]) for s in summary if s["rule"] in names)
        ax.set_title(f"Beyond the poster: validation accuracy after one online epoch, {n} seeds per rule\n"
                     f"(p: vs backprop, Holm-corrected over the {family} comparisons of this configuration)",
                     loc="left")
    return fig


def fig7(results, window=15):
    """Fig. 7: how the variants beyond the poster relate to backprop.

    ``results``: {(config, rule): TrainResult} (or {rule: ...}) trained with ``record_every``;
    the variants among them (``dendritic.rules.BEYOND``, one run each) are drawn.
    Top row: each variant's update angle to backprop, per layer, over training.
    Bottom: the angle between the top-down weights B_l and W_{l+1}^T for the rules that do
    not use the transpose (feedback alignment: fixed random B; Kolen-Pollack and Dale: learned),
    and how well the interneuron circuits cancel the self-generated top-down input (residual D^F).
    """
    runs = {}
    for (config, name), result in _grid(results).items():
        if name in BEYOND and result.records:
            if name in runs:
                raise ValueError(f"results must hold one run per variant, got {name!r} in more than one config")
            runs[name] = result
    if not runs:
        raise ValueError(f"results must include runs of {', '.join(BEYOND)} trained with record_every")
    names = [n for n in BEYOND if n in runs]
    has = lambda name, prefix: any(k.startswith(prefix + "/") for k in runs[name].records)
    aligned = [n for n in names if has(n, "alignment")]
    cancelling = [n for n in names if has(n, "residual")]
    letters = iter("ABCDEFGHIJKL")
    with style():
        fig = _figure(3.4 * max(len(names), 2 * bool(aligned) + len(cancelling)) + 0.4, 6.8)
        top, bottom = fig.subfigures(2, 1)
        angle_axes = top.subplots(1, len(names), squeeze=False)[0]
        for ax, name in zip(angle_axes, names):
            plot_angles(ax, runs[name], window=window)
            ax.set_title(f"{next(letters)}  {rule_label(name)}: update vs backprop", loc="left",
                         color=RULE_COLORS.get(name, "black"))
        high = max(ax.get_ylim()[1] for ax in angle_axes)
        for ax in angle_axes:
            ax.set_ylim(0, high)
        # below the all-layers line and above W3's (which is backprop's own output-layer update, near 0°)
        angle_axes[0].legend(loc="lower left", bbox_to_anchor=(0.0, 0.08), ncols=2, title="weights",
                             title_fontsize=8)
        widths = [2] * bool(aligned) + [1] * len(cancelling)  # the alignment panel holds three rules
        lower = bottom.subplots(1, len(widths), squeeze=False, width_ratios=widths)[0] if widths else []
        if aligned:
            for name in aligned:
                plot_top_down_alignment(lower[0], runs[name])
            lower[0].set_title(f"{next(letters)}  top-down weights $B_l$ vs the transpose $W_{{l+1}}^\\top$ "
                               "(dotted: 90°, unrelated)", loc="left")
            lower[0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)  # the lines cross everywhere
        cancel_axes = lower[bool(aligned):]
        for ax, name in zip(cancel_axes, cancelling):
            plot_cancellation(ax, runs[name], window=window)
            ax.set_title(f"{next(letters)}  {rule_label(name)}:\ncancellation", loc="left",
                         color=RULE_COLORS.get(name, "black"))
        if len(cancel_axes):
            from matplotlib.ticker import NullFormatter
            low = min(ax.get_ylim()[0] for ax in cancel_axes)
            high = max(ax.get_ylim()[1] for ax in cancel_axes)
            for ax in cancel_axes:
                ax.set_ylim(low, high)
                ax.yaxis.set_minor_formatter(NullFormatter())
            cancel_axes[-1].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
        n = len(runs[names[0]].seeds)
        fig.suptitle("Beyond the poster: each variant's update compared with backprop's, and its top-down pathway "
                     f"(median of {n} seeds, band: interquartile range)", fontsize=10)
    return fig


def save(fig, name, out=None):
    """Write ``fig`` as ``out/name.png`` and ``out/name.svg``, each atomically; return the two paths."""
    from . import atomic

    if not isinstance(name, str) or not name or "/" in name or name.endswith((".png", ".svg")):
        raise ValueError(f"name must be a file name without folder or suffix, got {name!r}")
    out = Path(out) if out is not None else FIGURES
    out.mkdir(parents=True, exist_ok=True)
    paths = out / f"{name}.png", out / f"{name}.svg"
    with style():
        atomic.save_figure(fig, paths[0], dpi=150, metadata={"Software": None})
        atomic.save_figure(fig, paths[1], metadata={"Date": None, "Creator": None})
    return paths


NAMES = dict(fig1="fig1_neuron_and_network", fig2="fig2_task_and_learned_maps", fig3="fig3_learning_curves",
             fig4="fig4_accuracy_comparison", fig5="fig5_updates_vs_backprop",
             fig6="fig6_beyond_the_poster", fig7="fig7_beyond_alignment")
