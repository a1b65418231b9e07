"""Statistics of the multi-seed comparison: per-rule summaries and tests against backprop.

The poster used a two-sample t-test; we report Welch's t-test (no equal-variance
assumption) and Mann-Whitney U (dead-output seeds make the accuracy distributions
far from normal), each Holm-corrected over the family of comparisons of one
configuration: every rule of that configuration against its backprop (the poster's
two dendritic rules and, under "tuned", the variants beyond the poster too).
"""

import math

import numpy as np


def holm(pvalues):
    """Holm-Bonferroni adjusted p-values (NaN entries are left NaN and not counted).

    >>> holm([0.01, 0.04, 0.03, float("nan")]).tolist()
    [0.03, 0.06, 0.06, nan]
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full_like(p, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    order = valid[np.argsort(p[valid], kind="stable")]
    m = len(order)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def summarize(rows, reference="backprop"):
    """Per (config, rule): n, mean, SEM, median, diverged and dead-output counts, and
    p-values of Welch's t-test and Mann-Whitney U against ``reference`` of the same config,
    raw and Holm-corrected over that config's comparisons (``p_welch_holm``, ``p_mannwhitney_holm``).
    A config without ``reference`` rows has no p-values (NaN).

    Args:
        rows: dicts with at least config, rule, seed, val_acc, diverged, dead_outputs.
    Returns:
        list of dicts, one per (config, rule), in first-seen order.
    """
    from scipy import stats

    groups = {}
    for row in rows:
        groups.setdefault((row["config"], row["rule"]), []).append(row)

    def accuracies(group):
        return np.array([r["val_acc"] for r in group if not r["diverged"]], dtype=float)

    table = []
    for (config, rule), group in groups.items():
        acc = accuracies(group)
        entry = dict(config=config, rule=rule, n=len(group),
                     mean=float(acc.mean()) if len(acc) else math.nan,
                     sem=float(stats.sem(acc)) if len(acc) > 1 else math.nan,
                     median=float(np.median(acc)) if len(acc) else math.nan,
                     diverged=sum(bool(r["diverged"]) for r in group),
                     dead=sum(int(r["dead_outputs"]) > 0 for r in group),
                     p_welch=math.nan, p_mannwhitney=math.nan)
        ref = groups.get((config, reference))
        if rule != reference and ref is not None:
            ref_acc = accuracies(ref)
            if len(acc) > 1 and len(ref_acc) > 1:
                entry["p_welch"] = float(stats.ttest_ind(acc, ref_acc, equal_var=False).pvalue)
                entry["p_mannwhitney"] = float(stats.mannwhitneyu(acc, ref_acc, alternative="two-sided").pvalue)
        table.append(entry)
    for config in dict.fromkeys(e["config"] for e in table):
        family = [e for e in table if e["config"] == config]  # each config is its own experiment
        for test in ("p_welch", "p_mannwhitney"):
            for entry, p in zip(family, holm([e[test] for e in family])):
                entry[f"{test}_holm"] = float(p)
    return table
