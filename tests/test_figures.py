"""The poster figures and the variants' (Figs. 6, 7) and the plotting primitives behind them:
every figure function runs, Figs. 4 and 6 draw the CSV's p-values, Fig. 4's seaborn swarm keeps
its points apart and dead seeds hollow, the CLI writes every file, and nothing changes
matplotlib's global style."""

import math
import subprocess
import sys

import numpy as np
import pytest
import torch

import dendritic
from dendritic import experiments, figures, plots, style
from dendritic.results import FIELDS, read_csv, write_csv
from dendritic.rules import BEYOND
from dendritic.stats import summarize


def _runs(pairs):
    """{(config, rule): (TrainResult, Network)} of ``pairs``, 2 seeds on a small spiral, with records."""
    runs = experiments.run(pairs, seeds=2, per_class=100, record_every=8, eval_every=35)
    return {key: (run.result, run.net) for key, run in runs.items()}


def comparison_rows(runs):
    return experiments.rows({key: experiments.Run(*value) for key, value in runs.items()})


@pytest.fixture(scope="module")
def runs():
    """Every rule, poster config."""
    return _runs([("poster", name) for name in dendritic.RULES])


@pytest.fixture(scope="module")
def beyond_runs():
    """Every variant beyond the poster, tuned config."""
    return _runs([("tuned", name) for name in BEYOND])


@pytest.fixture(scope="module")
def tiny_data():
    return dendritic.spiral_data(per_class=100)


def _axes(figsize=(4, 3), n=1):
    from matplotlib.figure import Figure
    fig = Figure(figsize=figsize)
    return fig.subplots(1, n) if n > 1 else fig.subplots()


def _drawn(fig):
    """``fig`` rendered by Agg (a bare Figure's canvas draws nothing): layout, text and seaborn's swarm run."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(fig).draw()
    return fig


def test_every_figure_returns_a_figure(runs, tiny_data):
    from matplotlib.figure import Figure

    results = {key: result for key, (result, _) in runs.items()}
    rows = comparison_rows(runs)
    made = [figures.fig1(), figures.fig2(tiny_data, {name: runs[("poster", name)][1] for name in dendritic.RULES}),
            figures.fig3(results), figures.fig4(rows, summarize(rows)),
            figures.fig5({name: result for (_, name), result in results.items()})]
    for fig in made:
        assert isinstance(fig, Figure)
        _drawn(fig)  # layout and text render without error


def test_variant_figures_return_figures(beyond_runs):
    from matplotlib.figure import Figure

    results = {key: result for key, (result, _) in beyond_runs.items()}
    rows = comparison_rows(beyond_runs)
    for fig in (figures.fig6(rows, summarize(rows)), figures.fig7(results)):
        assert isinstance(fig, Figure)
        _drawn(fig)


def test_fig7_draws_each_variants_angles_alignment_and_cancellation(beyond_runs):
    results = {key: result for key, (result, _) in beyond_runs.items()}
    fig = figures.fig7(results)
    titles = [ax.get_title(loc="left").replace("\n", " ") for ax in fig.axes]
    for name in BEYOND:  # one update-angle panel per variant
        assert any(t.endswith(f"{figures.rule_label(name)}: update vs backprop") for t in titles), titles
    # B_l vs W_{l+1}^T for the rules whose top-down weights are not the transpose, in their colours
    alignment = next(ax for ax, t in zip(fig.axes, titles) if "top-down weights" in t)
    from matplotlib.colors import to_hex
    drawn = {to_hex(line.get_color()) for line in alignment.lines if line.get_gid() != "unrelated"}
    assert drawn == {figures.RULE_COLORS[n] for n in ("feedback_alignment", "kolen_pollack", "dale")}
    # the cancellation residual of the three interneuron circuits
    assert sorted(t.split("  ", 1)[1] for t in titles if t.endswith("cancellation")) == \
        ["Dale's law: cancellation", "Nonlinear interneurons: cancellation", "Stable interneurons: cancellation"]


def test_fig8_draws_gain_cancellation_angles_and_nudges(runs, beyond_runs):
    """Fig. 8: the linear interneurons' loop gain with the line at 2, the residual fraction with the
    linear floors, the update angles with temporal contrast's as the reference, the nudge angles."""
    tuned = _runs([("tuned", "interneuron"), ("tuned", "temporal_contrast")])
    results = {key: result for key, (result, _) in {**runs, **beyond_runs, **tuned}.items()}
    fig = figures.fig8(results, floors={1: 0.03, 2: 0.15})
    _drawn(fig)
    gain, residual, angles, nudges = fig.axes[:4]
    assert any(line.get_gid() == "stability" and line.get_ydata()[0] == 2 for line in gain.lines)
    labels = [line.get_label() for line in residual.lines]
    assert "best linear interneurons, hidden 2: 15.0 %" in labels
    assert sum(label.startswith("stable interneurons, tuned") for label in labels) == 2  # one per hidden layer
    assert "temporal contrast, tuned (reference)" in [line.get_label() for line in angles.lines]
    assert len([line for line in nudges.lines if line.get_label().endswith("tuned")]) == 3
    with pytest.raises(ValueError, match="record_every"):
        figures.fig8({})


def test_alignment_line_is_the_median_of_the_recorded_angles(beyond_runs):
    result, _ = beyond_runs[("tuned", "kolen_pollack")]
    ax = figures.plot_top_down_alignment(_axes(), result)
    lines = [line for line in ax.lines if line.get_gid() != "unrelated"]
    assert len(lines) == 2  # B1 vs W2^T, B2 vs W3^T
    for line, l in zip(lines, (1, 2)):
        np.testing.assert_allclose(line.get_ydata(), np.median(result.records[f"alignment/layer{l}"], axis=1))
    # Kolen-Pollack: B starts random (about 90° from W^T) and aligns over the epoch
    start, end = result.records["alignment/layer2"][0], result.records["alignment/layer2"][-1]
    assert (start > 75).all() and (end < start).all()


def test_fig4_keeps_the_poster_rules_and_fig6_draws_every_variant(beyond_runs, runs):
    rows = comparison_rows({**runs, **{key: run for key, run in beyond_runs.items()}})
    rows += [dict(r, config="tuned") for r in comparison_rows(runs)]  # a tuned backprop to test against
    summary = summarize(rows)
    ax4 = figures.fig4(rows, summary).axes[0]
    assert {a["rule"] for a in ax4.pvalue_annotations} == {"temporal_contrast", "interneuron"}
    assert [t.get_text() for t in ax4.get_xticklabels()].count("Backprop") == 2  # poster and tuned, no variant
    ax6 = figures.fig6(rows, summary).axes[0]
    labels = [t.get_text().replace("\n", " ") for t in ax6.get_xticklabels()]
    assert labels == [figures.rule_label(n) for n in figures.FAMILY_ORDER]
    by_rule = {s["rule"]: s for s in summary if s["config"] == "tuned"}
    assert {a["rule"] for a in ax6.pvalue_annotations} == set(figures.FAMILY_ORDER) - {"backprop"}
    for a in ax6.pvalue_annotations:
        assert a["config"] == "tuned" and a["p_welch_holm"] == by_rule[a["rule"]]["p_welch_holm"]
    with pytest.raises(ValueError, match="variant"):
        figures.fig6(comparison_rows(runs), summarize(comparison_rows(runs)))


def _fake_rows():
    rng = np.random.default_rng(1)
    rows = []
    for name, mean in (("backprop", 0.93), ("temporal_contrast", 0.92), ("interneuron", 0.88)):
        for seed in range(6):
            diverged = name == "interneuron" and seed == 5
            acc = math.nan if diverged else float(np.clip(mean + 0.02 * rng.standard_normal(), 0, 1))
            dead = int(name == "backprop" and seed < 2)
            if dead:
                acc = 0.5 + 0.1 * seed
            rows.append(dict(config="poster", rule=name, seed=seed, val_acc=acc, test_acc=acc, diverged=diverged,
                             dead_outputs=dead, hyperparameters="lr=0.1"))
    return rows


def test_fig4_draws_the_p_values_of_the_summary_csv(tmp_path):
    write_csv(_fake_rows(), tmp_path / "rows.csv", FIELDS)
    write_csv(summarize(_fake_rows()), tmp_path / "summary.csv")
    rows, summary = read_csv(tmp_path / "rows.csv"), read_csv(tmp_path / "summary.csv")
    ax = figures.fig4(rows, summary).axes[0]
    drawn = {text.get_text() for text in ax.texts}
    by_rule = {s["rule"]: s for s in summary}
    assert {a["rule"] for a in ax.pvalue_annotations} == {"temporal_contrast", "interneuron"}
    for annotation in ax.pvalue_annotations:
        entry = by_rule[annotation["rule"]]
        assert annotation["p_welch_holm"] == entry["p_welch_holm"]
        assert annotation["p_mannwhitney_holm"] == entry["p_mannwhitney_holm"]
        assert annotation["text"] in drawn
        assert f"Welch p = {figures.format_p(entry['p_welch_holm'])}" in annotation["text"]
        assert f"MWU p = {figures.format_p(entry['p_mannwhitney_holm'])}" in annotation["text"]


def _seed_points(ax):
    """Fig. 4's swarms: the PathCollections that hold points."""
    from matplotlib.collections import PathCollection
    return [c for c in ax.collections if isinstance(c, PathCollection) and len(c.get_offsets())]


def test_fig4_marks_dead_seeds_and_never_plots_diverged_runs():
    ax = figures.fig4(_fake_rows(), summarize(_fake_rows()), yscale="linear").axes[0]
    swarms = _seed_points(ax)
    assert sum(len(c.get_offsets()) for c in swarms) == 3 * 6 - 1  # 18 runs, one diverged: no point for it
    faces = np.concatenate([c.get_facecolors() for c in swarms])
    edges = np.concatenate([c.get_edgecolors() for c in swarms])
    hollow = np.all(faces[:, :3] == 1, axis=1)
    assert hollow.sum() == 2  # backprop's two dead-output seeds
    from matplotlib.colors import to_rgba
    np.testing.assert_allclose(edges[hollow], [to_rgba(figures.RULE_COLORS["backprop"])] * 2)
    texts = {t.get_text() for t in ax.texts}
    assert "dead 2/6\ndiverged 0" in texts and "dead 0/6\ndiverged 1" in texts


@pytest.mark.parametrize("yscale", ["logit", "linear"])
def test_fig4_swarm_is_seaborns_and_its_points_do_not_overlap(yscale):
    """Seaborn places the swarm when the figure is drawn, in pixels, so it holds on a logit axis too:
    no two markers of a group overlap, and every point keeps its accuracy."""
    rows = _fake_rows()
    for row in rows:  # pile the seeds of a group up: the swarm must spread them sideways
        if row["rule"] == "temporal_contrast":
            row["val_acc"] = 0.92 + 0.0005 * row["seed"]
    fig = _drawn(figures.fig4(rows, summarize(rows), yscale=yscale))
    ax = fig.axes[0]
    swarms = _seed_points(ax)
    assert len(swarms) == 3  # one swarm per (config, rule)
    for swarm in swarms:
        xy = ax.transData.transform(swarm.get_offsets())
        diameter = (np.sqrt(swarm.get_sizes()[0]) + swarm.get_linewidth()[0]) * fig.dpi / 72
        distances = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
        np.fill_diagonal(distances, np.inf)
        assert distances.min() >= 0.99 * diameter, (yscale, distances.min(), diameter)
    piled = 0.92 + 0.0005 * np.arange(6)
    tc = [c for c in swarms if len(c.get_offsets()) == 6 and np.allclose(np.sort(c.get_offsets()[:, 1]), piled)]
    assert len(tc) == 1 and np.ptp(tc[0].get_offsets()[:, 0]) > 0  # the accuracies kept, spread sideways


def test_fig4_rejects_a_summary_of_other_rows():
    rows = _fake_rows()
    with pytest.raises(ValueError, match="summary"):
        figures.plot_accuracy_comparison(_axes(), rows, [s for s in summarize(rows) if s["rule"] != "interneuron"])


def test_decision_map_orientation_matches_predict():
    net = dendritic.Network(seed=4)
    classes = figures.decision_map(net, limit=1.0, resolution=7)
    grid = np.linspace(-1, 1, 7)
    out = net(torch.tensor([[grid[5], grid[1]]], dtype=torch.float32))  # column 5 = x1, row 1 = x2
    expected = int(out.argmax()) if out.max() > 0 else -1
    assert classes[1, 5] == expected


def test_decision_map_marks_silent_outputs():
    net = dendritic.Network(seed=0)
    with torch.no_grad():
        net.b3.fill_(-100.0)  # every output unit silent everywhere: no answer
    assert (figures.decision_map(net, resolution=5) == -1).all()


def test_layer_activity_is_class_mean_sorted_by_preference(runs, tiny_data):
    _, net = runs[("poster", "backprop")]
    axes = figures.plot_layer_activity(_axes(n=3), net, tiny_data, member=1)
    image = axes[1].images[0].get_array()
    X, y = tiny_data.val
    _, activities = net.somas_and_activities(X)
    a = activities[1][1].numpy()
    means = np.stack([a[y.numpy() == k].mean(0) for k in range(4)])
    # same columns, reordered so that the preferred class never decreases (silent units last)
    assert sorted(map(tuple, np.round(means.T, 5))) == sorted(map(tuple, np.round(np.asarray(image).T, 5)))
    preferred = [np.argmax(c) if c.max() > 0 else 4 for c in np.asarray(image).T]
    assert preferred == sorted(preferred)


def test_smooth_is_a_nan_aware_centred_moving_average():
    values = np.arange(10.0)[:, None]
    np.testing.assert_allclose(plots.smooth(values, 3)[1:-1, 0], values[1:-1, 0])
    assert plots.smooth(values, 3)[0, 0] == pytest.approx(0.5)  # shorter window at the ends
    with_nan = values.copy()
    with_nan[4] = np.nan
    assert plots.smooth(with_nan, 3)[4, 0] == pytest.approx(4.0)  # mean of 3 and 5
    assert np.isnan(plots.smooth([np.nan, np.nan, 1.0], 1)[0])
    np.testing.assert_array_equal(plots.smooth(values, 1), values)
    with pytest.raises(ValueError, match="window"):
        plots.smooth(values, 0)


def test_didactic_plots_of_notebooks_03_and_04(small_data):
    tc = dendritic.train(dendritic.Network(seed=[0, 1]), dendritic.rule("temporal_contrast"), small_data,
                         record_every=8)
    bp = dendritic.train(dendritic.Network(seed=[0, 1]), dendritic.rule("backprop"), small_data)
    inter = dendritic.train(dendritic.Network(seed=[0, 1]), dendritic.rule("interneuron"), small_data, record_every=8)
    axes = _axes(n=3)
    assert plots.plot_kinks(axes[0], tc) is axes[0]
    assert plots.plot_seed_pairs(axes[1], {"backprop": bp, "temporal contrast": tc}) is axes[1]
    assert len(axes[1].lines) >= 2
    plots.plot_dendrite_saturation(axes[2], inter)
    line = axes[2].lines[0]  # hidden 1: the smoothed fraction at the clamp, mean over members
    at_clamp = (np.abs(inter.records["dendrite_forward/layer1"]) >= 0.999).mean(-1).mean(1)
    np.testing.assert_allclose(line.get_ydata(), plots.smooth(at_clamp, 15))
    with pytest.raises(ValueError, match="dendrite_forward"):
        plots.plot_dendrite_saturation(_axes(), bp)


def test_temporal_contrast_departs_from_backprop_only_at_relu_kinks(small_data):
    result = dendritic.train(dendritic.Network(seed=[0, 1, 2]), dendritic.rule("temporal_contrast"), small_data,
                             record_every=1)
    kinks = plots.kink_counts(result.records)
    angle = result.records["angle/all"]
    measured = np.isfinite(angle)
    assert (kinks[measured] == 0).any() and (kinks[measured] > 0).any()
    assert np.all(angle[measured & (kinks == 0)] < 0.5)  # float32 round-off only
    assert np.median(angle[measured & (kinks > 0)]) > 0.5


def test_cancellation_and_alignment_compare_runs_on_one_axes(beyond_runs):
    ax = _axes()
    for name, color in (("nonlinear_interneuron", "C0"), ("dale", "C1")):
        plots.plot_cancellation(ax, beyond_runs[("tuned", name)][0], label=name, color=color, top_down=False)
    assert {line.get_color() for line in ax.lines} == {"C0", "C1"}
    assert [line.get_linestyle() for line in ax.lines] == ["-", "--", "-", "--"]  # hidden 1 solid, 2 dashed
    assert all(line.get_label().startswith(("nonlinear_interneuron, hidden", "dale, hidden")) for line in ax.lines)
    ax = _axes()
    for label, color in (("decay 1e-3", "C2"), ("decay 1e-4", "C3")):
        plots.plot_top_down_alignment(ax, beyond_runs[("tuned", "kolen_pollack")][0], label=label, color=color)
    drawn = [line for line in ax.lines if line.get_gid() != "unrelated"]
    assert [line.get_color() for line in drawn] == ["C2", "C2", "C3", "C3"]


def test_figures_keeps_the_names_notebooks_use():
    for name in ("plot_spiral", "plot_decision_map", "plot_learning_curve", "plot_architecture", "plot_cancellation",
                 "plot_accuracy_comparison", "decision_map", "format_p", "rule_label", "RULE_COLORS", "fig1", "save"):
        assert hasattr(figures, name), name
    assert figures.plot_spiral is plots.plot_spiral and figures.RULE_COLORS is style.RULE_COLORS


@pytest.mark.parametrize("call, word", [
    (lambda runs, data: figures.plot_spiral(_axes(), data, splits=("train", "bogus")), "split"),
    (lambda runs, data: figures.plot_decision_map(_axes(), runs[("poster", "backprop")][1], member=2), "member"),
    (lambda runs, data: figures.plot_decision_map(_axes(), runs[("poster", "backprop")][1], resolution=1), "resolution"),
    (lambda runs, data: figures.plot_angles(_axes(), runs[("poster", "backprop")][0]), "record_every"),
    (lambda runs, data: figures.plot_cancellation(_axes(), runs[("poster", "temporal_contrast")][0]), "residual"),
    (lambda runs, data: figures.plot_layer_activity(_axes(n=2), runs[("poster", "backprop")][1], data), "axes"),
    (lambda runs, data: figures.save(figures.fig1(), "x.png"), "name"),
    (lambda runs, data: figures.plot_top_down_alignment(_axes(), runs[("poster", "temporal_contrast")][0]),
     "alignment"),
    (lambda runs, data: figures.fig7({key: result for key, (result, _) in runs.items()}), "record_every"),
])
def test_bad_input_names_the_parameter(runs, tiny_data, call, word):
    with pytest.raises(ValueError, match=word):
        call(runs, tiny_data)


@pytest.mark.parametrize("args, word", [
    (["--quick", "--retrain"], "--retrain"),
    (["--quick", "--out", "/dev/null/figures"], "--out"),
])
def test_cli_bad_input_one_line_exit_2(args, word):
    result = subprocess.run([sys.executable, "-m", "dendritic", "figures", *args], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and word in lines[0], result.stderr


def test_no_global_style_change_and_no_matplotlib_at_import(tmp_path):
    code = """
import sys
import dendritic
assert "matplotlib" not in sys.modules, "import dendritic must not import matplotlib"
import matplotlib
before = dict(matplotlib.rcParams)
import dendritic.figures as f
assert dict(matplotlib.rcParams) == before, "import changed rcParams"
f.save(f.fig1(), "fig1", sys.argv[1])
rows = [dict(config="poster", rule=r, seed=s, val_acc=0.9 - 0.01 * s, diverged=False, dead_outputs=0)
        for r in ("backprop", "interneuron") for s in range(3)]
from dendritic.stats import summarize
f.save(f.fig4(rows, summarize(rows)), "fig4", sys.argv[1])  # seaborn draws the swarm
assert "seaborn" in sys.modules
assert dict(matplotlib.rcParams) == before, "drawing changed rcParams"
"""
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
