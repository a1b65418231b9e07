"""The README's results tables say what data/comparison_summary.csv says: regenerating the data without
updating the README fails here, naming the row."""

import re
from pathlib import Path

from dendritic import results

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
NAMES = {"backprop": "backprop", "temporal_contrast": "temporal contrast", "interneuron": "interneuron",
         "kolen_pollack": "Kolen-Pollack", "stable_interneuron": "stable interneurons",
         "nonlinear_interneuron": "nonlinear interneurons", "dale": "Dale's law",
         "feedback_alignment": "feedback alignment"}
POSTER_RULES = ("backprop", "temporal_contrast", "interneuron")


def _summary():
    return {(r["config"], r["rule"]): r for r in results.read_summary(ROOT / "data" / "comparison_summary.csv")}


def _accuracy(row):
    return f"{100 * float(row['mean']):.1f} ± {100 * float(row['sem']):.1f} %"


def _table_row(name, after):
    """The cells of the first table row named ``name`` after the heading ``after``."""
    text = README[README.index(after):]
    line = re.search(rf"^\| {re.escape(name)} \|(.*)$", text, re.MULTILINE)
    assert line, f"README: no row '{name}' in the table after {after!r}"
    return [cell.strip() for cell in line.group(1).split("|")]


def test_the_poster_table_matches_the_summary():
    summary = _summary()
    for rule in POSTER_RULES:
        cells = _table_row(NAMES[rule], "## Reproducing the poster")
        poster, tuned = summary["poster", rule], summary["tuned", rule]
        assert cells[0] == _accuracy(poster), (rule, cells)
        assert cells[2] == f"{poster['dead']} / {poster['n']}" or (cells[2] == "0" and poster["dead"] == 0)
        assert cells[3] == _accuracy(tuned), (rule, cells)
        assert cells[5] == str(tuned["dead"]), (rule, cells)


def test_the_beyond_table_has_every_tuned_variant_with_its_numbers():
    summary = _summary()
    variants = [rule for (config, rule) in summary if config == "tuned" and rule not in POSTER_RULES[1:]]
    assert len(variants) >= 6
    for rule in variants:
        cells = _table_row(NAMES[rule], "## Beyond the poster")
        assert cells[0] == _accuracy(summary["tuned", rule]), (rule, cells)


def test_no_run_diverged_is_true_when_the_readme_says_it():
    if "No run diverged." in README:
        assert all(r["diverged"] == 0 for r in _summary().values())
