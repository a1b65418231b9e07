"""Accuracy across rules and seeds: Fig. 4's comparison (one point per seed, drawn as a seaborn
swarm, mean ± SEM, p-values against backprop from the summary CSV) and the seed-by-seed
comparison of runs on the same seeds."""

import math

import numpy as np

from .. import checks
from ..data import BAYES_ACCURACY
from ..style import CONFIG_LABELS, RULE_COLORS, rule_label
from .curves import bayes_line

#: Accuracies are drawn within these bounds (a logit axis has no room for 0 or 1).
SHOWN = (0.2, 0.995)


def _bool(value):
    return value if isinstance(value, (bool, np.bool_)) else str(value) == "True"


def format_p(p):
    """A p-value as it is printed on Fig. 4.

    >>> format_p(0.0412), format_p(0.000125), format_p(float("nan"))
    ('0.041', '1.3e-04', 'n/a')
    """
    p = float(p)
    if math.isnan(p):
        return "n/a"
    return f"{p:.2g}" if p >= 0.001 else f"{p:.1e}"


def _swarm(ax, xs, ys, colors, dead):
    """One seaborn swarm per x position (points never overlap, whatever the y scale: seaborn
    places them in display space when the figure is drawn). Filled: a seed; hollow, edged in its
    rule's colour: a seed that ended with a dead output unit. Returns the PathCollections."""
    import seaborn as sns

    keys = [f"{color} dead" if d else color for color, d in zip(colors, dead)]
    palette = {key: "white" if key.endswith(" dead") else key for key in keys}
    before = set(ax.collections)
    sns.swarmplot(x=np.asarray(xs), y=np.asarray(ys), hue=keys, palette=palette, native_scale=True, orient="x",
                  size=5, linewidth=1.0, legend=False, ax=ax)
    swarms = [c for c in ax.collections if c not in before and len(c.get_offsets())]
    color_at = {round(float(x), 6): color for x, color in zip(xs, colors)}
    for swarm in swarms:  # a hollow marker takes its rule's colour at the edge
        color = color_at[round(float(swarm.get_offsets()[0, 0]), 6)]
        hollow = np.all(swarm.get_facecolors()[:, :3] == 1, axis=1)
        swarm.set_edgecolors([color if h else "white" for h in hollow])
    return swarms


def plot_accuracy_comparison(ax, rows, summary, reference="backprop", yscale="logit"):
    """Fig. 4: validation accuracy of every rule and configuration, one point per seed.

    Args:
        rows: per-seed dicts (``data/comparison.csv``): config, rule, seed, val_acc, diverged, dead_outputs.
        summary: per-(config, rule) dicts (``data/comparison_summary.csv``, from
            ``dendritic.stats.summarize``): mean, sem and the Holm-corrected p-values.
        yscale: "logit" spreads accuracies near 100 % and near chance; or "linear".

    Drawn: seeds as a swarm (hollow: a seed that ended with a dead output unit),
    mean ± SEM from ``summary``, p-values vs ``reference`` (Welch t-test and
    Mann-Whitney U, Holm-corrected) from ``summary``, the Bayes optimum. Diverged
    runs have no accuracy: they are counted under each group, never plotted.
    The annotations drawn are kept in ``ax.pvalue_annotations`` (list of dicts). Returns ``ax``.
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

    low, high = SHOWN
    ax.pvalue_annotations = []
    positions, labels = [], []
    xs, ys, colors, dead_seeds = [], [], [], []
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
            dead = [int(row["dead_outputs"]) > 0 for row in finite]
            xs += [x - 0.12] * len(finite)
            ys += [min(max(float(row["val_acc"]), low), high) for row in finite]
            colors += [color] * len(finite)
            dead_seeds += dead
            entry = table[(config, name)]
            mean, sem = float(entry["mean"]), float(entry["sem"])
            if math.isfinite(mean):
                ax.errorbar(x + 0.3, mean, yerr=0 if math.isnan(sem) else sem, fmt="D", ms=4, color="black",
                            capsize=3, lw=1.2, zorder=4)
            n_diverged = int(entry["diverged"])
            ax.text(x, 0.015, f"dead {sum(dead)}/{len(group)}\ndiverged {n_diverged}",
                    transform=ax.get_xaxis_transform(), ha="center", va="bottom", fontsize=6.5,
                    color="#b2182b" if any(dead) or n_diverged else "0.4")
            if name != reference and (config, reference) in table:
                p_welch, p_mwu = float(entry["p_welch_holm"]), float(entry["p_mannwhitney_holm"])
                text = f"vs {rule_label(reference).lower()}\nWelch p = {format_p(p_welch)}\nMWU p = {format_p(p_mwu)}"
                ax.text(x, 0.99, text, transform=ax.get_xaxis_transform(), ha="center", va="top", fontsize=6.5)
                ax.pvalue_annotations.append(dict(config=config, rule=name, p_welch_holm=p_welch,
                                                  p_mannwhitney_holm=p_mwu, text=text))
        if len(configs) > 1 and c < len(configs) - 1:
            ax.axvline(c * (len(rules) + 0.8) + len(rules) - 0.1, color="0.85", lw=0.8)
    if xs:
        _swarm(ax, xs, ys, colors, dead_seeds)
    bayes_line(ax)
    ax.axhline(0.25, color="0.6", ls=":", lw=0.8, zorder=0, label="chance 25 %")
    ax.set_yscale(yscale)
    if yscale == "logit":
        from matplotlib.ticker import FixedLocator, NullLocator, PercentFormatter
        ax.yaxis.set_major_locator(FixedLocator([0.25, 0.5, 0.75, 0.9, 0.95, 0.98, 0.99]))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    # room above for the p-values and below for the counts
    transform = (lambda v: np.log(v / (1 - v))) if yscale == "logit" else (lambda v: v)
    inverse = (lambda t: 1 / (1 + np.exp(-t))) if yscale == "logit" else (lambda t: t)
    lo_t, hi_t = transform(low), transform(high)
    span = hi_t - lo_t
    ax.set_ylim(inverse(lo_t - 0.12 * span), inverse(hi_t + 0.2 * span))
    ax.set_xticks(positions, labels)
    ax.set_xlim(min(positions) - 0.6, max(positions) + 0.6)
    ax.set_xlabel("")
    ax.set_ylabel("validation accuracy")
    if len(configs) > 1 or configs != ["poster"]:
        for c, config in enumerate(configs):
            centre = c * (len(rules) + 0.8) + (len(rules) - 1) / 2
            ax.text(centre, -0.16, CONFIG_LABELS.get(config, config), transform=ax.get_xaxis_transform(),
                    ha="center", va="top", fontsize=8, fontweight="bold")
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], marker="o", ls="", color="0.4", mec="white", label="one seed"),
               Line2D([], [], marker="o", ls="", mfc="white", mec="0.4", label="seed with a dead output unit"),
               Line2D([], [], marker="D", color="black", ms=4, label="mean ± SEM"),
               Line2D([], [], color="0.35", ls="--", label=f"Bayes optimum {100 * BAYES_ACCURACY:.1f} %"),
               Line2D([], [], color="0.6", ls=":", label="chance 25 %")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
    return ax


def plot_seed_pairs(ax, results, labels=None, classes=4):
    """Validation accuracy seed by seed for several ``TrainResult``s on the same seeds:
    one line per seed across the results; a hollow marker where the run lost an
    output unit (dead_outputs > 0), a cross at the bottom where it diverged.
    ``results``: a list, or a dict label -> result. Points take the rule's colour.
    Dashed: the Bayes-optimal accuracy; dotted: chance, 1 / ``classes``. Returns ``ax``."""
    if isinstance(results, dict):
        labels, results = labels or list(results), list(results.values())
    results = list(results)
    labels = labels or [rule_label(r.rule) for r in results]
    if len(labels) != len(results):
        raise ValueError(f"labels must give one name per result ({len(results)}), got {len(labels)}")
    seeds = results[0].seeds
    for r in results[1:]:
        if tuple(r.seeds) != tuple(seeds):
            raise ValueError("results must be trained on the same seeds to be compared seed by seed")
    x = np.arange(len(results))
    acc = np.array([r.val_acc for r in results])  # [results, seeds]
    chance = 1 / checks.integer("classes", classes, 2)
    for i in range(len(seeds)):
        ax.plot(x, acc[:, i], "-", color="0.7", lw=0.8, zorder=1)
    labelled = set()

    def label(text):  # each legend entry once
        if text in labelled:
            return None
        labelled.add(text)
        return text

    for j, r in enumerate(results):
        color = RULE_COLORS.get(r.rule, f"C{j}")
        dead = r.dead_outputs > 0
        ax.plot(np.full((~dead).sum(), j), r.val_acc[~dead], "o", color=color, ms=5, zorder=2)
        if dead.any():
            ax.plot(np.full(dead.sum(), j), r.val_acc[dead], "o", mfc="white", color=color, ms=6, zorder=2,
                    label=label("lost an output unit"))
        if r.diverged.any():
            ax.plot(np.full(r.diverged.sum(), j), np.full(r.diverged.sum(), chance - 0.03), "x", color="C3", ms=7,
                    label=label("diverged (no accuracy)"))
    ax.axhline(BAYES_ACCURACY, color="k", ls="--", lw=0.8)
    ax.axhline(chance, color="0.5", ls=":", lw=0.8)
    ax.set_ylim(min(chance - 0.05, np.nanmin(acc, initial=1.0) - 0.02), 1.01)
    ax.set_xticks(x, labels)
    ax.set_xlim(-0.5, len(results) - 0.5)
    ax.set_ylabel("validation accuracy")
    return ax
