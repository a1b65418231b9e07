import csv
import math
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
