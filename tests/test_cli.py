import csv
import subprocess
import sys

import pytest


def run(*args):
    return subprocess.run([sys.executable, "-m", "dendritic", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("args, word", [
    (["train", "--rule", "nope"], "backprop"),
    (["train", "--rule", "backprop", "--lr", "-1"], "lr"),
    (["train", "--rule", "backprop", "--epochs", "0"], "epochs"),
    (["train", "--rule", "interneuron", "--lr-rec", "0.1,-2"], "lr_rec"),
    (["compare", "--seeds", "0"], "seeds"),
    (["compare", "--rules", "backprop,foo"], "rule"),
    (["train"], "--rule"),
    (["bench", "--repeats", "0"], "repeats"),
])
def test_bad_input_one_line_exit_2_no_traceback(args, word):
    result = run(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and word in lines[0], result.stderr


def test_train_prints_accuracies_and_is_reproducible():
    first, second = run("train", "--rule", "temporal_contrast", "--seed", "3"), run("train", "--rule", "temporal_contrast", "--seed", "3")
    assert first.returncode == 0, first.stderr
    assert "val_acc" in first.stdout and "test_acc" in first.stdout
    assert first.stdout == second.stdout


def test_compare_writes_csv(tmp_path):
    out = tmp_path / "results.csv"
    result = run("compare", "--seeds", "2", "--out", str(out), "--workers", "2")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(out.open()))
    assert {"rule", "seed", "val_acc", "test_acc", "diverged"} <= set(rows[0])
    assert sorted({r["rule"] for r in rows}) == ["backprop", "interneuron", "temporal_contrast"]
    assert len(rows) == 6
    for name in ("backprop", "temporal_contrast", "interneuron"):
        assert name in result.stdout
    for row in rows:
        assert 0.2 < float(row["val_acc"]) <= 1 and row["diverged"] == "False"


def test_diverged_run_is_reported_not_scored():
    result = run("train", "--rule", "interneuron", "--no-clamp")
    assert result.returncode == 1
    assert "diverged" in result.stdout and "val_acc" not in result.stdout


def test_compare_variants_p_values_only_against_backprop(tmp_path):
    summary = tmp_path / "summary.csv"
    result = run("compare", "--rules", "backprop,kolen_pollack", "--configs", "tuned", "--seeds", "2",
                 "--summary", str(summary), "--workers", "1")
    assert result.returncode == 0, result.stderr
    entry = next(r for r in csv.DictReader(summary.open()) if r["rule"] == "kolen_pollack")
    line = next(l for l in result.stdout.splitlines() if l.startswith("tuned") and "kolen_pollack" in l)
    assert line.split()[-2:] == [f"{float(entry['p_welch_holm']):.3g}", f"{float(entry['p_mannwhitney_holm']):.3g}"]
    assert "no p-values" not in result.stdout

    alone = run("compare", "--rules", "kolen_pollack", "--configs", "tuned", "--seeds", "2", "--workers", "1")
    assert alone.returncode == 0, alone.stderr
    line = next(l for l in alone.stdout.splitlines() if l.startswith("tuned") and "kolen_pollack" in l)
    assert line.split()[-2:] == ["-", "-"]
    assert "no p-values for config tuned: backprop is not among the rules" in alone.stdout


def test_help_lists_every_rule(capsys):
    from dendritic.cli import main
    from dendritic.rules import ALL_RULES
    for command in ("tune", "compare", "train"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())  # argparse wraps long lines
        for name in ALL_RULES:
            assert name in text, (command, name)
