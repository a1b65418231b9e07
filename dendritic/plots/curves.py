"""What every curve over training shares: reading a ``TrainResult``'s records, one smoothing
(a NaN-aware moving average), the median-and-quartiles band over an ensemble's members, and
the Bayes line on accuracy axes."""

import warnings

import numpy as np

from .. import checks
from ..data import BAYES_ACCURACY
from ..style import layer_color

#: What ``train(record_every=k)`` records per layer, as "prefix/layer{l}".
RECORD_PREFIXES = ("angle", "residual", "cancelled", "alignment")


def smooth(values, window):
    """Moving average over the first axis, ignoring NaN: [R, ...] -> [R, ...].

    Centred: point i averages the finite values among i - window // 2 .. i + (window - 1) // 2
    (fewer at the ends); NaN where that window holds none. ``window=1`` changes nothing.

    >>> smooth([1.0, 2.0, np.nan, 6.0], 3).tolist()
    [1.5, 1.5, 4.0, 6.0]
    """
    values = np.asarray(values, dtype=float)
    window = checks.integer("window", window, 1)
    if window == 1 or len(values) == 0:
        return values
    finite = np.isfinite(values)
    total = np.cumsum(np.where(finite, values, 0.0), axis=0)
    count = np.cumsum(finite, axis=0)
    zero = np.zeros((1, *values.shape[1:]))
    total, count = np.concatenate([zero, total]), np.concatenate([zero, count])
    i = np.arange(len(values))
    low, high = np.maximum(i - window // 2, 0), np.minimum(i + (window - 1) // 2 + 1, len(values))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (total[high] - total[low]) / (count[high] - count[low])


def nanmean(values, axis):
    """``np.nanmean`` without the warning for an all-NaN slice (every member diverged): that stays NaN."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=axis)


def recorded(result, key):
    """``result.records[key]``, or a ValueError that says how to record it and what there is."""
    if not result.records:
        raise ValueError("result has no records: train with record_every=k (for example record_every=20)")
    if key not in result.records:
        have = sorted(k for k in result.records if k.split("/")[0] in RECORD_PREFIXES)
        raise ValueError(f"result.records has no {key!r}; it has {', '.join(have) or 'none of ' + str(RECORD_PREFIXES)}")
    return result.records[key]


def layer_keys(result, prefix, layers=None):
    """The recorded layers of ``prefix`` ("layer1", ..., "all"), or those of ``layers`` (1, 2, "all")."""
    if layers is None:
        keys = sorted(k.split("/")[1] for k in result.records if k.startswith(prefix + "/"))
        if not keys:
            recorded(result, f"{prefix}/layer1")  # raises, naming what the records do have
        return keys
    return [layer if layer == "all" else f"layer{checks.integer('layers[]', layer, 1)}" for layer in layers]


def layer_number(key):
    """"layer2" -> 2, "all" -> "all"."""
    return key if key == "all" else int(key.removeprefix("layer"))


def layer_name(key, hidden=False):
    """How a legend names a layer: "W2" (weights) or "hidden 2" (units), "all layers"."""
    if key == "all":
        return "all layers"
    return f"{'hidden ' if hidden else 'W'}{layer_number(key)}"


def key_color(key):
    return layer_color(layer_number(key))


def median_band(ax, steps, values, color, label, window, ls="-", lw=1.6):
    """The median over members (after smoothing each over ``window`` records) as a line, and
    the interquartile range as a band. ``values``: [R, S] (records x members). Returns the line."""
    smoothed = smooth(values, window)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low, mid, high = np.nanpercentile(smoothed, [25, 50, 75], axis=1)
    line, = ax.plot(steps, mid, color=color, lw=lw, ls=ls, label=label)
    if smoothed.shape[1] > 1:
        ax.fill_between(steps, low, high, color=color, alpha=0.18, lw=0)
    return line


def bayes_line(ax):
    """The Bayes-optimal accuracy as a dashed line (drawn once per Axes)."""
    if not any(line.get_gid() == "bayes" for line in ax.lines):
        ax.axhline(BAYES_ACCURACY, color="0.35", ls="--", lw=1, gid="bayes", zorder=1,
                   label=f"Bayes optimum {100 * BAYES_ACCURACY:.1f} %")
