"""The comparison's statistics against hand-computed values and scipy."""

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from dendritic.stats import holm, summarize


def test_holm_matches_hand_computed_example():
    # sorted: 0.005 x4 = 0.02, 0.01 x3 = 0.03, 0.03 x2 = 0.06, 0.04 x1 = 0.04 -> raised to 0.06 (monotone)
    adjusted = holm([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_and_skips_nan():
    adjusted = holm([math.nan, 0.02, 0.04, 0.6])
    assert math.isnan(adjusted[0])
    np.testing.assert_allclose(adjusted[1:], [0.06, 0.08, 0.6])  # m = 3 tests, not 4
    np.testing.assert_allclose(holm([0.5, 0.6]), [1.0, 1.0])


def _rows(config, rule, accuracies, diverged=(), dead=()):
    return [dict(config=config, rule=rule, seed=i, val_acc=math.nan if i in diverged else a,
                 diverged=i in diverged, dead_outputs=1 if i in dead else 0)
            for i, a in enumerate(accuracies)]


@pytest.fixture
def comparison():
    rng = np.random.default_rng(0)
    rows = []
    for config, shift in (("poster", 0.0), ("tuned", 0.02)):
        rows += _rows(config, "backprop", 0.90 + shift + 0.02 * rng.standard_normal(10))
        rows += _rows(config, "temporal_contrast", 0.89 + shift + 0.02 * rng.standard_normal(10), dead=(3,))
        rows += _rows(config, "interneuron", 0.86 + 0.03 * rng.standard_normal(10))
    return rows


def test_summarize_p_values_equal_scipy(comparison):
    table = summarize(comparison)
    by_key = {(e["config"], e["rule"]): e for e in table}
    raw = {}
    for (config, rule), entry in by_key.items():
        if rule == "backprop":
            assert math.isnan(entry["p_welch"]) and math.isnan(entry["p_mannwhitney"])
            continue
        acc = [r["val_acc"] for r in comparison if (r["config"], r["rule"]) == (config, rule)]
        ref = [r["val_acc"] for r in comparison if (r["config"], r["rule"]) == (config, "backprop")]
        welch = scipy_stats.ttest_ind(acc, ref, equal_var=False).pvalue
        mwu = scipy_stats.mannwhitneyu(acc, ref, alternative="two-sided").pvalue
        assert entry["p_welch"] == pytest.approx(welch, rel=1e-12)
        assert entry["p_mannwhitney"] == pytest.approx(mwu, rel=1e-12)
        raw[(config, rule)] = (welch, mwu)
    # Holm within each config: its two comparisons against its own backprop
    for config in ("poster", "tuned"):
        keys = [k for k in raw if k[0] == config]
        for test, column in ((0, "p_welch_holm"), (1, "p_mannwhitney_holm")):
            adjusted = holm([raw[k][test] for k in keys])
            for k, p in zip(keys, adjusted):
                assert by_key[k][column] == pytest.approx(p, rel=1e-12)


def test_holm_family_grows_with_the_variants_of_a_config(comparison):
    """Adding the variants beyond the poster to "tuned" widens tuned's family only."""
    rng = np.random.default_rng(2)
    variants = ("feedback_alignment", "kolen_pollack", "nonlinear_interneuron", "dale")
    wider = comparison + [row for name in variants
                          for row in _rows("tuned", name, 0.80 + 0.05 * rng.standard_normal(10))]
    before = {(e["config"], e["rule"]): e for e in summarize(comparison)}
    after = {(e["config"], e["rule"]): e for e in summarize(wider)}
    for rule in ("temporal_contrast", "interneuron"):  # the poster config's family is unchanged
        assert after[("poster", rule)]["p_welch_holm"] == before[("poster", rule)]["p_welch_holm"]
    tuned = [k for k in after if k[0] == "tuned" and k[1] != "backprop"]
    assert len(tuned) == 6
    np.testing.assert_allclose([after[k]["p_welch_holm"] for k in tuned], holm([after[k]["p_welch"] for k in tuned]))
    assert after[("tuned", "interneuron")]["p_welch_holm"] >= before[("tuned", "interneuron")]["p_welch_holm"]


def test_config_without_reference_has_no_p_values():
    rows = _rows("tuned", "kolen_pollack", [0.95, 0.96, 0.97]) + _rows("tuned", "dale", [0.70, 0.72, 0.75])
    for entry in summarize(rows):
        assert all(math.isnan(entry[k]) for k in ("p_welch", "p_mannwhitney", "p_welch_holm", "p_mannwhitney_holm"))
        assert entry["mean"] > 0.6


def test_summarize_means_sem_and_counts(comparison):
    entry = next(e for e in summarize(comparison) if (e["config"], e["rule"]) == ("poster", "temporal_contrast"))
    acc = np.array([r["val_acc"] for r in comparison if (r["config"], r["rule"]) == ("poster", "temporal_contrast")])
    assert entry["n"] == 10 and entry["dead"] == 1 and entry["diverged"] == 0
    assert entry["mean"] == pytest.approx(acc.mean())
    assert entry["sem"] == pytest.approx(acc.std(ddof=1) / math.sqrt(len(acc)))
    assert entry["median"] == pytest.approx(np.median(acc))


def test_diverged_runs_are_counted_not_scored():
    ref = [0.90, 0.91, 0.92, 0.93]
    rows = _rows("poster", "backprop", ref) + _rows("poster", "interneuron", [0.5, 0.80, 0.85, 0.82], diverged=(0,))
    rows[4]["val_acc"] = 0.0  # even a number in a diverged row must not count: the flag decides
    entry = summarize(rows)[1]
    assert entry["n"] == 4 and entry["diverged"] == 1
    assert entry["mean"] == pytest.approx(np.mean([0.80, 0.85, 0.82]))
    welch = scipy_stats.ttest_ind([0.80, 0.85, 0.82], ref, equal_var=False).pvalue
    assert entry["p_welch"] == pytest.approx(welch)


def test_all_diverged_gives_no_accuracy():
    rows = _rows("poster", "backprop", [0.9, 0.91]) + _rows("poster", "interneuron", [0, 0], diverged=(0, 1))
    entry = summarize(rows)[1]
    assert entry["diverged"] == 2 and math.isnan(entry["mean"]) and math.isnan(entry["p_welch"])
