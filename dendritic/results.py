"""Results are data: the per-seed comparison and its summary as CSV files, written atomically,
read back with checks, and replaced only as far as a run changed them.

``data/comparison.csv`` (one row per config, rule and seed) and ``data/comparison_summary.csv``
(one row per config and rule, with p-values) are what Figs. 4 and 6 draw. ``python -m dendritic
figures`` keeps them current with ``update``:

- rows of a (config, rule) trained with new or changed hyperparameters are replaced;
- rows of a (config, rule) this run did not train are kept (with a note), never dropped;
- a run that ends differently with the same hyperparameters only warns (the committed numbers
  stay; ``--retrain`` rewrites the files from this run, on request);
- a committed file that cannot be read stops the command before any work, naming the file.
"""

import csv
import io
import math
from pathlib import Path

from . import atomic
from .paths import DATA

FIELDS = ("config", "rule", "seed", "val_acc", "test_acc", "diverged", "dead_outputs", "hyperparameters")
SUMMARY_FIELDS = ("config", "rule", "n", "mean", "sem", "median", "diverged", "dead", "p_welch", "p_mannwhitney",
                  "p_welch_holm", "p_mannwhitney_holm")
COMPARISON_FILE = DATA / "comparison.csv"
SUMMARY_FILE = DATA / "comparison_summary.csv"


def _format(value):
    return f"{value:.6g}" if isinstance(value, float) and not math.isnan(value) else value


def write_csv(rows, path, fields=None):
    """Write dicts as CSV, atomically (the old file or the complete new one, never half).

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "rows.csv"
    >>> _ = write_csv([dict(rule="backprop", seed=0, val_acc=0.97, diverged=False)], path)
    >>> read_csv(path)
    [{'rule': 'backprop', 'seed': 0, 'val_acc': 0.97, 'diverged': False}]
    """
    rows = list(rows)
    fields = list(fields or rows[0])
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=fields)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _format(row[k]) for k in fields})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, buffer.getvalue())
    return path


def _parse(value):
    if value in ("True", "False"):
        return value == "True"
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def read_csv(path, fields=None):
    """Rows of a CSV written by ``write_csv``, numbers and booleans parsed back.

    Raises ValueError naming the file when it is missing, empty, lacks one of ``fields``,
    or has a row of the wrong length.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: cannot be read ({error})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        raise ValueError(f"{path}: empty file (no header)")
    missing = [f for f in (fields or ()) if f not in reader.fieldnames]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    rows = []
    for number, row in enumerate(reader, start=2):
        if None in row or None in row.values():
            raise ValueError(f"{path}, line {number}: {len(reader.fieldnames)} fields expected")
        rows.append({k: _parse(v) for k, v in row.items()})
    return rows


def read_comparison(path=COMPARISON_FILE):
    """The per-seed rows of ``path``, checked: every field present, seeds integers, accuracies
    numbers in [0, 1] (or NaN where diverged)."""
    rows = read_csv(path, FIELDS)
    if not rows:
        raise ValueError(f"{path}: no rows")
    for number, row in enumerate(rows, start=2):
        if not isinstance(row["seed"], int) or not isinstance(row["diverged"], bool):
            raise ValueError(f"{path}, line {number}: seed must be an integer and diverged True or False")
        acc = row["val_acc"]
        if not isinstance(acc, (int, float)) or not (math.isnan(acc) or 0 <= acc <= 1):
            raise ValueError(f"{path}, line {number}: val_acc must be a number in [0, 1], got {acc!r}")
    return rows


def read_summary(path=SUMMARY_FILE):
    rows = read_csv(path, SUMMARY_FIELDS)
    if not rows:
        raise ValueError(f"{path}: no rows")
    return rows


def _key(row):
    return row["config"], row["rule"], int(row["seed"])


def differences(rows, committed):
    """How this run's ``rows`` differ from the ``committed`` ones.

    Returns (changed, kept, mismatched): (config, rule) pairs new or trained with other
    hyperparameters; committed pairs this run did not train; (config, rule, seed) of rows
    with the same hyperparameters but another outcome.
    """
    theirs = {_key(r): r for r in committed}
    trained = {(r["config"], r["rule"]) for r in rows}
    changed, mismatched = set(), []
    for row in rows:
        other = theirs.get(_key(row))
        if other is None or str(other["hyperparameters"]) != row["hyperparameters"]:
            changed.add((row["config"], row["rule"]))
        elif bool(other["diverged"]) != bool(row["diverged"]) or (
                not row["diverged"] and abs(float(other["val_acc"]) - row["val_acc"]) > 1e-6):
            mismatched.append(_key(row))
    kept = sorted({(r["config"], r["rule"]) for r in committed} - trained)
    # a pair whose committed seeds are not all trained again (fewer seeds this run) counts as changed
    for config, rule in trained:
        if {s for c, r, s in theirs if (c, r) == (config, rule)} - {_key(r)[2] for r in rows
                                                                     if (r["config"], r["rule"]) == (config, rule)}:
            changed.add((config, rule))
    return sorted(changed), kept, mismatched


def update(rows, retrain=False, comparison=COMPARISON_FILE, summary=SUMMARY_FILE, report=print):
    """Bring the committed CSVs up to date with this run's ``rows`` (the policy of the module docstring).

    Returns the (rows, summary rows) now committed. Raises ValueError, changing nothing, when a
    committed file exists but cannot be read (unless ``retrain``: then it is rebuilt).
    """
    from .stats import summarize

    exists = Path(comparison).exists() or Path(summary).exists()
    committed = []
    if exists and not retrain:
        committed = read_comparison(comparison)
        read_summary(summary)
    if retrain or not committed:
        merged, reason = list(rows), "--retrain" if retrain else "no committed results"
    else:
        changed, kept, mismatched = differences(rows, committed)
        if kept:
            report(f"note: kept the committed rows of {', '.join(f'{c}/{r}' for c, r in kept)} (not trained in this "
                   f"run); --retrain rewrites the files from this run only")
        if mismatched:
            report(f"warning: {len(mismatched)} runs ended differently from {comparison} with the same "
                   f"hyperparameters (first: config, rule, seed = {mismatched[0]}); the committed numbers stay. "
                   "Rerun with --retrain to replace them.")
        if not changed:
            return committed, read_summary(summary)
        fresh = {(r["config"], r["rule"]) for r in rows if (r["config"], r["rule"]) in changed}
        merged = [r for r in committed if (r["config"], r["rule"]) not in fresh]
        merged += [r for r in rows if (r["config"], r["rule"]) in fresh]
        # in the order of this run's pairs, then the kept ones in their committed order
        order = list(dict.fromkeys([(r["config"], r["rule"]) for r in rows] + [(r["config"], r["rule"]) for r in committed]))
        merged.sort(key=lambda r: (order.index((r["config"], r["rule"])), int(r["seed"])))
        reason = "new or changed hyperparameters of " + ", ".join(f"{c}/{r}" for c, r in sorted(fresh))
    table = summarize(merged)
    write_csv(merged, comparison, FIELDS)
    write_csv(table, summary, SUMMARY_FIELDS)
    report(f"wrote {comparison} and {summary} ({reason})")
    return read_comparison(comparison), read_summary(summary)
