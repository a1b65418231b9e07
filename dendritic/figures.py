"""The poster's figures, assembled from the plotting primitives (``python -m dendritic figures``).

``fig1`` .. ``fig5`` are the poster's figures, ``fig6`` and ``fig7`` the same figures for the
variants beyond the poster (``dendritic.rules.BEYOND``); ``save`` writes PNG + SVG, atomically,
under the names in ``NAMES``. Each figure draws inside ``dendritic.style.style()`` (matplotlib's
global rcParams stay untouched) on a Figure that pyplot does not track.

The primitives live in ``dendritic.plots`` (one module per topic) and the colours and rule names
in ``dendritic.style``; the names notebooks use are re-exported here (``figures.plot_spiral``,
``figures.RULE_COLORS``, ...).
"""

import math
from pathlib import Path

import numpy as np

from .paths import FIGURES
from .plots import (decision_map, format_p, plot_accuracy_comparison, plot_angles, plot_architecture,
                    plot_cancellation, plot_decision_map, plot_layer_activity, plot_learning_curve, plot_neuron,
                    plot_interneuron_gain, plot_nudge_angle_against_residual, plot_recorded, plot_residual_fraction,
                    plot_spiral, plot_top_down_alignment, smooth)
from .rules import BEYOND, RULES
from .style import (CLASS_COLORS, CONFIG_LABELS, DENDRITE_COLOR, FAMILY_ORDER, INTERNEURON_COLOR, LAYER_COLORS,
                    NUDGE_COLOR, RULE_COLORS, RULE_LABELS, SOMA_COLOR, SPLIT_MARKERS, STYLE, figure, rule_label, style)

__all__ = ["NAMES", "fig1", "fig2", "fig3", "fig4", "fig5", "fig6", "fig7", "fig8", "save",
           # re-exported for notebooks
           "CLASS_COLORS", "CONFIG_LABELS", "DENDRITE_COLOR", "FAMILY_ORDER", "INTERNEURON_COLOR", "LAYER_COLORS",
           "NUDGE_COLOR", "RULE_COLORS", "RULE_LABELS", "SOMA_COLOR", "SPLIT_MARKERS", "STYLE", "decision_map",
           "format_p", "plot_accuracy_comparison", "plot_angles", "plot_architecture", "plot_cancellation",
           "plot_decision_map", "plot_layer_activity", "plot_learning_curve", "plot_neuron", "plot_spiral",
           "plot_top_down_alignment", "rule_label", "smooth", "style"]


def fig1(sizes=(2, 128, 32, 4)):
    """Fig. 1: the two-compartment neuron with its interneuron, and the network."""
    with style():
        fig = figure(11, 4.6)
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
        fig = figure(12, 6.4)
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
        fig = figure(3.3 * len(names) + 0.6, 2.7 * len(configs) + 0.3)
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
        fig = figure(4.2 + 3.3 * len(configs), 4.6)
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
        fig = figure(3.9 * columns + 0.4, 3.3 * len(configs) + 0.4)
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
        fig = figure(1.25 * len(names) + 2.6, 4.8)
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
        fig = figure(3.4 * max(len(names), 2 * bool(aligned) + len(cancelling)) + 0.4, 6.8)
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


#: Fig. 8's runs: the interneuron rule at the poster's and the tuned rates, the stable rule and the
#: nonlinear interneurons (tuned), each with a colour, and temporal contrast as the reference.
INTERNEURON_STUDY = {("poster", "interneuron"): ("interneurons, poster", "#969696"),
                     ("tuned", "interneuron"): ("interneurons, tuned", RULE_COLORS["interneuron"]),
                     ("tuned", "stable_interneuron"): ("stable interneurons, tuned", RULE_COLORS["stable_interneuron"]),
                     ("tuned", "nonlinear_interneuron"): ("nonlinear interneurons, tuned",
                                                          RULE_COLORS["nonlinear_interneuron"])}
CONTRAST = ("tuned", "temporal_contrast")


def fig8(results, floors=None, window=15):
    """Fig. 8: when do the poster's interneurons cancel, and what does it buy?

    ``results``: {(config, rule): TrainResult} trained with ``record_every``, holding the runs of
    ``INTERNEURON_STUDY`` (and ``CONTRAST``, the reference); ``floors``: {hidden layer: the best
    fraction a linear interneuron matrix leaves} (``diagnostics.linear_cancellation_floor``).
    A: the linear interneurons' loop gain g (stable below 2); B: the residual as a fraction of the
    top-down input; C: each rule's update angle to backprop (all layers); D: the angle between
    rule 3's nudge and rule 2's against the residual, hidden layer 2.
    """
    grid = _grid(results)
    runs = {key: grid[key] for key in INTERNEURON_STUDY if key in grid and grid[key].records}
    if not runs:
        raise ValueError(f"results must include interneuron runs trained with record_every: {list(INTERNEURON_STUDY)}")
    with style():
        fig = figure(13.5, 8.2)
        (a, b), (c, d) = fig.subplots(2, 2)
        for key, result in runs.items():
            label, color = INTERNEURON_STUDY[key]
            if any(k.startswith("gain/") for k in result.records):
                plot_interneuron_gain(a, result, label=label, color=color, window=window)
            plot_residual_fraction(b, result, label=label, color=color, window=window)
            plot_recorded(c, result, "angle/all", label=label, color=color, window=window)
            plot_nudge_angle_against_residual(d, result, layer=2, label=label, color=color)
        for layer, value in (floors or {}).items():
            b.axhline(value, color="0.2", lw=1.2, ls=":" if layer == 1 else "-.", zorder=0,
                      label=f"best linear interneurons, hidden {layer}: {100 * value:.1f} %")
        if CONTRAST in grid and grid[CONTRAST].records:
            plot_recorded(c, grid[CONTRAST], "angle/all", label="temporal contrast, tuned (reference)",
                          color=RULE_COLORS["temporal_contrast"], window=window, ls="--")
        a.set_title("A  stability: each anti-Hebbian step multiplies the residual by 1 - g", loc="left")
        b.set_title("B  cancellation: what the dendrite keeps of its own top-down input", loc="left")
        c.set(ylabel="angle to backprop's update, all layers (°)")
        c.set_ylim(0, 95)
        c.set_title("C  the update: rule 3 = rule 2 + f'(z) $D^F$", loc="left")
        d.set_title("D  the smaller the residual, the closer to rule 2's nudge (hidden 2)", loc="left")
        for ax in (a, b, c):
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        d.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        n = len(next(iter(runs.values())).seeds)
        fig.suptitle(f"When do the interneurons cancel? (median of {n} seeds, band: interquartile range)", fontsize=11)
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
             fig6="fig6_beyond_the_poster", fig7="fig7_beyond_alignment", fig8="fig8_interneuron_cancellation")
