"""How each rule's learning relates to backprop's, over training, from the records of
``train(..., record_every=k)``: the update angle per layer, where temporal contrast departs
from backprop (ReLU kinks), how well interneurons cancel the top-down input, how many
dendrites sit at the clamp, and how learned top-down weights B_l align with W_{l+1}^T.

Lines are the median over an ensemble's members of a moving average (``curves.smooth``),
bands the interquartile range over members.
"""

import numpy as np

from ..diagnostics import kink_counts
from ..style import NUDGE_COLOR, RULE_COLORS, layer_color, rule_label
from .curves import key_color, layer_keys, layer_name, layer_number, median_band, recorded, smooth

LINESTYLES = ("-", "--", ":", "-.")


def plot_angles(ax, result, layers=None, window=15):
    """Angle (degrees) between the rule's update and backprop's on the same sample and
    weights, over training: one line per layer (W1, W2, ...) and all layers together (dashed).

    ``layers``: e.g. (1, 2, 3, "all"); default every recorded layer. Returns ``ax``.
    """
    keys = layer_keys(result, "angle", layers)
    steps = recorded(result, "step")
    for key in keys:
        median_band(ax, steps, recorded(result, f"angle/{key}"), key_color(key), layer_name(key), window,
                    ls="--" if key == "all" else "-")
    ax.set(xlabel="training step (samples)", ylabel="angle to backprop update (°)", xlim=(0, steps[-1]))
    ax.set_ylim(bottom=0)
    return ax


def plot_cancellation(ax, result, window=15, top_down=True, label=None, color=None):
    """How well the interneurons cancel the self-generated top-down input, over training.

    Solid: the residual dendritic state in the forward phase, RMS D^F = sqrt(mean |D^F|^2)
    per hidden layer (0 = perfect cancellation, where rule 3 equals rule 2).
    Dashed (``top_down=True``): the top-down input W^T a^F there is to cancel, RMS
    over units, recovered from the recorded fraction cancelled 1 - |D^F| / |W^T a^F|.
    Log axis. To compare runs on one Axes, give each a ``label`` and a ``color``: the hidden
    layers then differ by line style and the top-down input is drawn thin. Returns ``ax``.
    """
    keys = layer_keys(result, "residual")
    steps = recorded(result, "step")
    prefix = f"{label}, " if label else ""
    for i, key in enumerate(keys):
        residual = np.sqrt(recorded(result, f"residual/{key}"))
        name = layer_name(key, hidden=True)
        line_color, ls = (key_color(key), "-") if color is None else (color, LINESTYLES[i % len(LINESTYLES)])
        median_band(ax, steps, residual, line_color, f"{prefix}{name}: residual $D^F$", window, ls=ls)
        if top_down:
            with np.errstate(divide="ignore", invalid="ignore"):
                incoming = residual / (1 - recorded(result, f"cancelled/{key}"))
            median_band(ax, steps, incoming, line_color, f"{prefix}{name}: top-down input", window,
                        ls="--" if color is None else ls, lw=1.6 if color is None else 0.8)
    ax.set_yscale("log")
    ax.set(xlabel="training step (samples)", ylabel="RMS over units (forward phase)", xlim=(0, steps[-1]))
    return ax


def plot_top_down_alignment(ax, result, window=1, label=None, color=None):
    """Angle (degrees) between the top-down weights B_l and W_{l+1}^T over training, one
    line per hidden layer (solid: B1, dashed: B2), in the rule's colour (or ``color``);
    90° = unrelated (dotted), 0° = the poster's transpose. Call once per run on the same
    Axes to compare runs (give runs of one rule their own ``label`` and ``color``).

    Needs a rule whose top-down weights are not the transpose, trained with ``record_every``
    (its records hold ``alignment/layer{l}``). B changes slowly: no smoothing by default
    (``window=1``). Returns ``ax``.
    """
    keys = layer_keys(result, "alignment")
    steps = recorded(result, "step")
    color = color or RULE_COLORS.get(result.rule, "C0")
    label = label if label is not None else rule_label(result.rule)
    for key, ls in zip(keys, LINESTYLES):
        l = layer_number(key)
        median_band(ax, steps, recorded(result, f"alignment/{key}"), color, f"{label}: $B_{l}$ vs $W_{l + 1}^\\top$",
                    window, ls=ls)
    if not any(line.get_gid() == "unrelated" for line in ax.lines):
        ax.axhline(90, color="0.6", ls=":", lw=0.8, gid="unrelated", zorder=0)
    ax.set(xlabel="training step (samples)", ylabel="angle between $B_l$ and $W_{l+1}^\\top$ (°)",
           xlim=(0, steps[-1]))
    ax.set_ylim(0, max(95, ax.get_ylim()[1]))
    return ax


# --- temporal contrast: where it departs from backprop -----------------------------------
def plot_kinks(ax, result, jitter=0.15, seed=0):
    """Angle of temporal contrast's update to backprop's (all layers) against the
    number of units pushed below zero by their nudge, one dot per recorded step
    and member. No kink -> the same update as backprop (angle ~ 0, float32 noise).
    ``result``: a ``TrainResult`` (or its records). Returns ``ax``."""
    records = result.records if hasattr(result, "records") else result
    counts = kink_counts(records).ravel()
    angles = np.asarray(records["angle/all"]).ravel()
    keep = np.isfinite(angles)
    x = counts[keep] + np.random.default_rng(seed).uniform(-jitter, jitter, keep.sum())
    ax.plot(x, np.maximum(angles[keep], 1e-4), ".", ms=3, alpha=0.4, color=RULE_COLORS["temporal_contrast"])
    ax.set_yscale("log")
    ax.set_xlabel("units pushed below zero by their nudge (layers 2..L)")
    ax.set_ylabel("angle to backprop (deg, all layers)")
    ax.set_xticks(range(int(counts.max()) + 1 if counts.size else 1))
    return ax


# --- interneurons: dendrites at the clamp ---------------------------------------------------
def plot_dendrite_saturation(ax, result, window=15):
    """Fraction of each hidden layer's dendrites at the clamp (|D^F| = 1) over training, mean over
    members, smoothed over ``window`` records. ``result``: a ``TrainResult`` (or its records) of an
    interneuron rule trained with ``record_every``. Returns ``ax``."""
    records = result.records if hasattr(result, "records") else result
    layers = sorted(int(k.split("layer")[1]) for k in records if k.startswith("dendrite_forward/layer"))
    layers = [l for l in layers if f"residual/layer{l}" in records] or layers  # hidden layers: the output has no dendrite
    if not layers:
        raise ValueError("records have no dendrite_forward states: train an interneuron rule with record_every")
    steps = np.asarray(records["step"]) + 1
    for l in layers:
        at_clamp = (np.abs(records[f"dendrite_forward/layer{l}"]) >= 0.999).mean(-1)  # [R, S]
        ax.plot(steps, smooth(at_clamp.mean(1), window), color=layer_color(l), label=f"hidden {l}")
    ax.set_xscale("log")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("training step + 1")
    ax.set_ylabel("dendrites at the clamp")
    ax.legend(fontsize=8)
    return ax


# --- when do the interneurons cancel? (Fig. 8) ---------------------------------------------------
def plot_interneuron_gain(ax, result, label=None, color=None, window=15):
    """The linear interneurons' loop gain g = lr_rec p.a per hidden layer over training (solid: hidden 1,
    dashed: hidden 2), log axis: each anti-Hebbian step multiplies the residual by 1 - g, so the
    interneurons cancel only below g = 2 (dotted line). Needs ``gain/layer{l}`` records. Returns ``ax``."""
    keys = layer_keys(result, "gain")
    if not keys:
        recorded(result, "gain/layer1")  # raises, naming what the records do have
    steps = recorded(result, "step")
    color = color or RULE_COLORS.get(result.rule, "C0")
    label = label or rule_label(result.rule)
    for key, ls in zip(keys, LINESTYLES):
        median_band(ax, steps, recorded(result, f"gain/{key}"), color, f"{label}, {layer_name(key, hidden=True)}",
                    window, ls=ls)
    if not any(line.get_gid() == "stability" for line in ax.lines):
        ax.axhline(2, color="0.3", ls=":", lw=1, gid="stability", label="stability limit g = 2")
    ax.set_yscale("log")
    ax.set(xlabel="training step (samples)", ylabel="interneuron loop gain $g = \\eta\\, p\\cdot a$",
           xlim=(0, steps[-1]))
    return ax


def plot_residual_fraction(ax, result, label=None, color=None, window=15, floors=None):
    """The residual |D^F| as a fraction of the top-down input |I_TD^F| per hidden layer over training
    (solid: hidden 1, dashed: hidden 2), log axis; ``floors``: {layer: fraction} drawn as thin
    horizontal lines, e.g. the best a linear interneuron can do (``diagnostics.linear_cancellation_floor``).
    Returns ``ax``."""
    keys = layer_keys(result, "cancelled")
    if not keys:
        recorded(result, "cancelled/layer1")
    steps = recorded(result, "step")
    color = color or RULE_COLORS.get(result.rule, "C0")
    label = label or rule_label(result.rule)
    for key, ls in zip(keys, LINESTYLES):
        median_band(ax, steps, 1 - recorded(result, f"cancelled/{key}"), color,
                    f"{label}, {layer_name(key, hidden=True)}", window, ls=ls)
    for layer, value in (floors or {}).items():
        ax.axhline(value, color="0.35", lw=0.8, ls=LINESTYLES[(layer - 1) % len(LINESTYLES)], zorder=0,
                   label=f"best linear interneurons, hidden {layer}")
    ax.set_yscale("log")
    ax.set(xlabel="training step (samples)", ylabel="residual $|D^F|$ / top-down input $|I_{TD}^F|$",
           xlim=(0, steps[-1]))
    return ax


def plot_recorded(ax, result, key, label=None, color=None, window=15, ls="-"):
    """One recorded quantity (e.g. "angle/all") over training: median over members, interquartile band."""
    steps = recorded(result, "step")
    median_band(ax, steps, recorded(result, key), color or RULE_COLORS.get(result.rule, "C0"),
                label or rule_label(result.rule), window, ls=ls)
    ax.set(xlabel="training step (samples)", xlim=(0, steps[-1]))
    return ax


def plot_nudge_angle_against_residual(ax, result, layer=2, label=None, color=None):
    """Each recorded sample of every member (faint dots): the angle between the rule's nudge N_l and
    temporal contrast's on the same weights and sample, against the residual fraction |D^F| / |I_TD^F|
    of hidden layer ``layer`` (rule 3 = rule 2 + f'(z) D^F: the smaller the residual, the closer);
    the line is the median angle in bins of the residual. Returns ``ax``."""
    x = 1 - np.asarray(recorded(result, f"cancelled/layer{layer}")).ravel()
    y = np.asarray(recorded(result, f"nudge_angle/layer{layer}")).ravel()
    keep = np.isfinite(x) & np.isfinite(y) & (x > 0)
    x, y = x[keep], y[keep]
    color = color or RULE_COLORS.get(result.rule, "C0")
    ax.scatter(x, y, s=2, alpha=0.12, lw=0, color=color, rasterized=True)
    if len(x):  # the median angle in bins of the residual (a line per rule, readable through the cloud)
        edges = np.geomspace(x.min(), x.max() * 1.0001, 12)
        which = np.digitize(x, edges) - 1
        centres = [np.sqrt(edges[i] * edges[i + 1]) for i in range(len(edges) - 1) if (which == i).sum() >= 5]
        medians = [np.median(y[which == i]) for i in range(len(edges) - 1) if (which == i).sum() >= 5]
        ax.plot(centres, medians, "o-", color=color, ms=3, lw=1.6, label=label or rule_label(result.rule))
    ax.set_xscale("log")
    ax.set(xlabel=f"residual / top-down input, hidden {layer}",
           ylabel=f"angle between the nudges of rule 3 and rule 2, hidden {layer} (°)")
    ax.set_ylim(0, 180 if len(y) and y.max() > 95 else 95)
    return ax


# --- notebook 04: one input presented again and again ----------------------------------------------
def plot_residual_steps(ax_residual, ax_dendrite, states, factor, clamp=False, units=6):
    """The interneurons' residual on one input presented again and again (forward weights frozen).

    ``states``: [steps, n] the dendrite's state before any clamp, D = I_TD - I_Int, one row per
    presentation; ``factor``: the predicted per-step factor 1 - g. Left (``ax_residual``, log axis):
    the RMS of D over units per step (dots) and the prediction |1 - g|^k RMS(D_0) (dashed). Right
    (``ax_dendrite``): the dendrite's state of ``units`` units (those with the largest |D_0|), clamped
    to [-1, 1] when ``clamp`` (what the nudge uses; dotted lines at the clamp). Returns the two axes.
    """
    states = np.asarray(states.detach() if hasattr(states, "detach") else states, dtype=float)
    if states.ndim != 2 or len(states) < 2:
        raise ValueError(f"states must be [steps >= 2, n] (one row per presentation), got shape {states.shape}")
    steps = np.arange(len(states))
    rms = np.sqrt((states ** 2).mean(1))
    ax_residual.plot(steps, rms, "o-", color=NUDGE_COLOR, ms=4, label="measured")
    ax_residual.plot(steps, rms[0] * np.abs(factor) ** steps, "--", color="0.3", lw=1.2,
                     label=f"predicted{' without the clamps' if clamp else ''}: $|1 - g|^k$, $1 - g$ = {factor:.2f}")
    ax_residual.set_yscale("log")
    ax_residual.set(xlabel="presentation $k$", ylabel="RMS of $D$ before the clamp")
    ax_residual.legend(fontsize=8, loc="best")
    shown = np.argsort(-np.abs(states[0]))[:units]
    dendrite = np.clip(states, -1, 1) if clamp else states
    for unit in shown:
        ax_dendrite.plot(steps, dendrite[:, unit], "o-", ms=3, lw=1)
    if clamp:
        for level in (-1, 1):
            ax_dendrite.axhline(level, color="0.5", ls=":", lw=1)
    else:
        from matplotlib.ticker import SymmetricalLogLocator

        ax_dendrite.set_yscale("symlog", linthresh=0.1)
        ax_dendrite.yaxis.set_major_locator(SymmetricalLogLocator(base=100, linthresh=0.1))
    ax_dendrite.axhline(0, color="0.5", lw=0.5)
    ax_dendrite.set(xlabel="presentation $k$",
                    ylabel="dendrite $D^F$ (clamped)" if clamp else "dendrite $D^F$ (no clamp)")
    ax_dendrite.set_title(f"{len(shown)} units with the largest $|D_0|$", loc="left", fontsize=9)
    return ax_residual, ax_dendrite
