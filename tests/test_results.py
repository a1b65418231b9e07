"""Results are data: one pipeline for multi-seed runs, committed CSVs kept current without losing
rows, and every file the commands write is the old one or the complete new one, even under kill -9."""

import hashlib
import json
import math
from pathlib import Path
import subprocess
import sys

import numpy as np
import pytest

import dendritic
from dendritic import experiments, results
from dendritic.paths import DATA
from dendritic.rules import BEYOND
from dendritic.stats import holm, summarize

FAULT = Path(__file__).resolve().parent / "fault.py"


# --- the pipeline -----------------------------------------------------------------------------
def test_training_pairs_skip_a_variant_without_a_tuned_entry(tmp_path, monkeypatch):
    table = json.loads((DATA / "hyperparameters.json").read_text())
    del table["dale"]
    (tmp_path / "hyperparameters.json").write_text(json.dumps(table))
    monkeypatch.setattr(dendritic.rules, "HYPERPARAMETERS_FILE", tmp_path / "hyperparameters.json")
    notes = []
    pairs = experiments.training_pairs(("poster", "tuned"), report=notes.append)
    assert pairs == [(c, n) for c in ("poster", "tuned") for n in dendritic.RULES] + \
        [("tuned", n) for n in BEYOND if n != "dale"]
    assert len(notes) == 1 and "skipping dale" in notes[0] and "no entry for rule 'dale'" in notes[0]
    notes.clear()
    assert experiments.training_pairs(("poster",), report=notes.append) == [("poster", n) for n in dendritic.RULES]
    assert len(notes) == 1 and all(name in notes[0] for name in BEYOND)


def test_rows_are_the_trained_results():
    runs = experiments.run([("poster", n) for n in dendritic.RULES], seeds=2, per_class=100)
    rows = experiments.rows(runs)
    assert len(rows) == 3 * 2 and set(results.FIELDS) <= set(rows[0])
    mine = [r["val_acc"] for r in rows if r["rule"] == "interneuron"]
    np.testing.assert_array_equal(mine, runs[("poster", "interneuron")].result.val_acc)


def test_recording_and_workers_do_not_change_the_numbers():
    plain = experiments.rows(experiments.run([("tuned", "kolen_pollack"), ("poster", "interneuron")], seeds=2,
                                             per_class=100))
    recorded = experiments.rows(experiments.run([("tuned", "kolen_pollack"), ("poster", "interneuron")], seeds=2,
                                                per_class=100, record_every=20, eval_every=30, workers=2))
    assert plain == recorded


@pytest.mark.parametrize("kwargs, word", [(dict(pairs=[]), "rules"), (dict(seeds=0), "seeds"),
                                          (dict(seeds=10**9), "seeds"), (dict(pairs=[("poster", "nope")]), "rule"),
                                          (dict(pairs=[("best", "backprop")]), "config"), (dict(workers=0), "workers")])
def test_run_refuses_bad_input_before_any_work(kwargs, word):
    arguments = dict(pairs=[("poster", "backprop")], seeds=1, per_class=10)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=word):
        experiments.run(**arguments)


# --- committed results -------------------------------------------------------------------------
def _fake_rows(config="poster", hyper="lr=0.1"):
    rng = np.random.default_rng(1)
    rows = []
    for name, mean in (("backprop", 0.93), ("temporal_contrast", 0.92), ("interneuron", 0.88)):
        for seed in range(6):
            diverged = name == "interneuron" and seed == 5
            acc = math.nan if diverged else float(np.clip(mean + 0.02 * rng.standard_normal(), 0, 1))
            rows.append(dict(config=config, rule=name, seed=seed, val_acc=acc, test_acc=acc, diverged=diverged,
                             dead_outputs=0, hyperparameters=hyper))
    return rows


def _commit(tmp_path, rows):
    files = tmp_path / "comparison.csv", tmp_path / "summary.csv"
    results.write_csv(rows, files[0], results.FIELDS)
    results.write_csv(summarize(rows), files[1], results.SUMMARY_FIELDS)
    return files


def test_differences_find_changed_kept_and_mismatched_runs(tmp_path):
    rows = _fake_rows()
    committed = results.read_comparison(_commit(tmp_path, rows)[0])
    assert results.differences(rows, committed) == ([], [], [])
    changed = [dict(r) for r in rows]
    changed[0]["hyperparameters"] = "lr=0.2"   # data/hyperparameters.json changed since
    changed[-2]["val_acc"] += 0.01             # same hyperparameters, another outcome: only a warning
    new, kept, mismatched = results.differences(changed, committed)
    assert new == [("poster", "backprop")] and kept == [] and mismatched == [("poster", "interneuron", 4)]
    new, kept, _ = results.differences([r for r in rows if r["rule"] != "interneuron"], committed)
    assert new == [] and kept == [("poster", "interneuron")]


def test_update_replaces_changed_rules_and_never_drops_rows(tmp_path):
    """A run that no longer trains a rule (e.g. its tuned entry is missing) keeps that rule's rows;
    a rule trained with new hyperparameters gets its rows replaced; --retrain rebuilds on request."""
    files = _commit(tmp_path, _fake_rows() + _fake_rows("tuned", "lr=0.3"))
    notes = []
    partial = _fake_rows()  # no tuned rows this time
    rows, summary = results.update(partial, comparison=files[0], summary=files[1], report=notes.append)
    assert len(rows) == 36 and {r["config"] for r in rows} == {"poster", "tuned"}
    assert any("kept the committed rows of tuned/backprop" in n for n in notes)
    changed = [dict(r, hyperparameters="lr=0.2", val_acc=0.5) if r["rule"] == "backprop" else r for r in partial]
    rows, summary = results.update(changed, comparison=files[0], summary=files[1], report=notes.append)
    assert len(rows) == 36
    assert all(r["val_acc"] == 0.5 for r in rows if r["rule"] == "backprop" and r["config"] == "poster")
    assert [r["config"] for r in rows].count("tuned") == 18
    poster_backprop = next(s for s in summary if (s["config"], s["rule"]) == ("poster", "backprop"))
    assert poster_backprop["mean"] == pytest.approx(0.5)
    rows, _ = results.update(partial, retrain=True, comparison=files[0], summary=files[1], report=notes.append)
    assert len(rows) == 18


@pytest.mark.parametrize("damage, word", [(lambda text: text[:len(text) // 2] + "\x00", "line"),
                                          (lambda text: "", "empty"),
                                          (lambda text: text.replace("val_acc", "accuracy"), "val_acc"),
                                          (lambda text: text.replace("0.9", "1.9", 1), "val_acc")])
def test_an_unreadable_committed_file_is_refused_and_left_alone(tmp_path, damage, word):
    files = _commit(tmp_path, _fake_rows())
    files[0].write_text(damage(files[0].read_text()))
    before = [f.read_bytes() for f in files]
    with pytest.raises(ValueError, match=word) as error:
        results.update(_fake_rows(hyper="lr=0.2"), comparison=files[0], summary=files[1], report=print)
    assert str(files[0]) in str(error.value)
    assert [f.read_bytes() for f in files] == before


def test_committed_comparison_is_current():
    """data/comparison*.csv hold 10 seeds of every rule `figures` trains (the variants too), trained with
    today's hyperparameters, and the summary is theirs, with p-values for every rule but backprop."""
    rows, summary = results.read_comparison(), results.read_summary()
    pairs = experiments.training_pairs(experiments.available_configs(), report=lambda note: None)
    assert list(dict.fromkeys((r["config"], r["rule"]) for r in rows)) == pairs, "rerun `make figures`"
    assert {name for _, name in pairs} >= set(BEYOND)  # data/hyperparameters.json has every variant
    for pair in pairs:
        assert sorted(r["seed"] for r in rows if (r["config"], r["rule"]) == pair) == list(range(10)), pair
    for r in rows:
        current = dendritic.rule(r["rule"], config=r["config"]).hyperparameters()
        assert r["hyperparameters"] == experiments.describe(current), "rerun `make figures`"
    for mine, committed in zip(summarize(rows), summary, strict=True):
        assert (mine["config"], mine["rule"], mine["dead"], mine["diverged"]) == \
               (committed["config"], committed["rule"], committed["dead"], committed["diverged"])
        for key in ("mean", "p_welch", "p_welch_holm", "p_mannwhitney_holm"):
            assert mine[key] == pytest.approx(committed[key], rel=1e-3, abs=1e-5, nan_ok=True), key
        assert math.isnan(committed["p_welch_holm"]) == (committed["rule"] == "backprop")
    tuned = [s for s in summary if s["config"] == "tuned" and s["rule"] != "backprop"]
    # Holm over the whole tuned family: the poster's two rules and every variant
    np.testing.assert_allclose([s["p_welch_holm"] for s in tuned], holm([s["p_welch"] for s in tuned]), rtol=1e-4)


# --- the commands, and kill -9 while they write -------------------------------------------------
def _cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "dendritic", *args], capture_output=True, text=True, timeout=timeout)


def test_figures_quick_writes_every_png_and_svg_and_leaves_data_alone(tmp_path):
    from dendritic import figures

    watched = [DATA / "comparison.csv", DATA / "comparison_summary.csv"]
    before = [p.read_bytes() for p in watched]
    result = _cli("figures", "--quick", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    for name in figures.NAMES.values():
        for suffix in ("png", "svg"):
            assert (tmp_path / f"{name}.{suffix}").stat().st_size > 5000, name
    assert "beyond the poster (tuned): " + ", ".join(BEYOND) in result.stdout
    assert [p.read_bytes() for p in watched] == before


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(folder).iterdir())
            if not p.name.startswith(".")}


def _kill_points(args, tmp_path, count):
    """Run ``args`` once under the fault harness without killing: (total bytes written, outputs)."""
    done = subprocess.run([sys.executable, str(FAULT), "-1", "--", *args], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    total = int(done.stderr.strip().splitlines()[-1].split()[-1])
    return [int(total * (k + 0.5) / count) for k in range(count)]


@pytest.mark.parametrize("command", ["compare", "figures"])
def test_kill_9_while_writing_leaves_the_old_file_or_the_complete_new_one(command, tmp_path):
    """The command runs once to completion (the reference output), then again, over the same files
    holding older content, killed with SIGKILL at many moments spread over every byte it writes:
    each target must hold its old content or the reference's, never a mix or half a file."""
    out = tmp_path / "out"
    out.mkdir()
    if command == "compare":
        args = ["compare", "--rules", "backprop,interneuron", "--seeds", "2", "--out", str(out / "rows.csv"),
                "--summary", str(out / "summary.csv"), "--workers", "1"]
        points = 12
    else:
        args = ["figures", "--quick", "--out", str(out)]
        points = 6
    kills = _kill_points(args, tmp_path, points)
    reference = _digests(out)
    old = {}
    for name in reference:  # older content in every target, so that "old" and "new" differ
        (out / name).write_bytes(b"old " + name.encode())
        old[name] = hashlib.sha256(b"old " + name.encode()).hexdigest()
    assert len(reference) >= (2 if command == "compare" else 14)
    outcomes = set()
    for limit in kills:
        done = subprocess.run([sys.executable, str(FAULT), str(limit), "--", *args], capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == -9, f"not killed at {limit} bytes: {done.stderr[-500:]}"
        now = _digests(out)
        for name, digest in now.items():
            assert digest in (old[name], reference[name]), f"{name} is torn after a kill at byte {limit}"
            outcomes.add(digest == reference[name])
    assert outcomes == {True, False}  # kills landed both before and after files were replaced


def test_the_committed_results_are_reproduced_here_bit_for_bit():
    """Re-train every committed (config, rule), 10 seeds at full size, on this machine: every row of
    data/comparison.csv comes out the same (to the 6 significant digits the file holds). The kernels
    sum in a fixed order, so this holds on any x86-64 CPU, not only on the one that wrote the file."""
    committed = results.read_comparison()
    pairs = list(dict.fromkeys((r["config"], r["rule"]) for r in committed))
    seeds = max(r["seed"] for r in committed) + 1
    mine = experiments.rows(experiments.run(pairs, seeds=seeds, workers=experiments.default_workers()))
    fmt = lambda row: {k: (f"{v:.6g}" if isinstance(v, float) else str(v)) for k, v in row.items()}
    assert [fmt(r) for r in mine] == [fmt(r) for r in committed]


def test_a_run_keeps_the_rules_own_synapses():
    """The trained networks experiments.run returns carry what each rule learned besides W and b (B_l,
    interneuron populations): measuring them sees the trained circuit, not a freshly drawn one."""
    from dendritic.diagnostics import cancellation_residual

    data = dendritic.spiral_data(per_class=100)
    runs = experiments.run([("tuned", "nonlinear_interneuron"), ("tuned", "kolen_pollack")], seeds=2, per_class=100,
                           workers=2)
    alone = dendritic.Network(seed=[0, 1])
    rule = dendritic.rule("nonlinear_interneuron", config="tuned")
    dendritic.train(alone, rule, data, eval_every=10**6)
    mine = cancellation_residual(rule, runs[("tuned", "nonlinear_interneuron")].net, data.val[0])
    np.testing.assert_array_equal(mine, cancellation_residual(rule, alone, data.val[0]))
    assert (mine > 0).all()
    kolen_pollack = dendritic.rule("kolen_pollack", config="tuned")
    B = kolen_pollack.state(runs[("tuned", "kolen_pollack")].net).top_down
    fresh = kolen_pollack.state(dendritic.Network(seed=[0, 1])).top_down
    assert not any(np.allclose(b.numpy(), f.numpy()) for b, f in zip(B, fresh))
