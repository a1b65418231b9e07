"""Multi-seed, multi-rule runs: the poster's comparison, as rows for a CSV.

Each (config, rule) pair trains all its seeds as one vectorised ensemble; the
pairs are spread over worker processes (one per core); ``train`` is single-threaded.
"""

import csv
import math
import os
from pathlib import Path

import torch

from . import checks
from .data import spiral_data
from .network import Network
from .rules import ALL_RULES, CONFIGS, RULES, rule as make_rule
from .training import train

FIELDS = ("config", "rule", "seed", "val_acc", "test_acc", "diverged", "dead_outputs", "hyperparameters")
#: Rules whose ensembles take longest, slowest first: Dale and the nonlinear interneurons run their
#: torch code step by step (10-20 s for 10 seeds); the others run the compiled loop (well under 1 s).
SLOWEST_FIRST = ("dale", "nonlinear_interneuron", "interneuron")


def slowest_first(names):
    """Indices of the rule ``names`` in the order to hand them to workers: slowest first,
    so that the quick ones fill the remaining workers (stable otherwise)."""
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    return sorted(range(len(names)), key=lambda i: rank.get(names[i], len(SLOWEST_FIRST)))


def _run(job):
    config, name, seeds, epochs, data_seed, forked = job
    if forked:  # a forked child must not touch the parent's OpenMP pool: it can deadlock
        torch.set_num_threads(1)
    data = spiral_data(seed=data_seed)
    rule = make_rule(name, config=config)
    result = train(Network(seed=list(seeds)), rule, data, epochs=epochs)
    hyper = ";".join(f"{k}={v}" for k, v in result.hyperparameters.items())
    return [dict(config=config, hyperparameters=hyper, **row) for row in result.rows()]


def compare(rules=tuple(RULES), seeds=10, configs=("poster",), epochs=1, data_seed=0, workers=1, progress=False):
    """Train every rule of every config on seeds 0..seeds-1; return one row per run.

    Rows: config, rule, seed, val_acc, test_acc (NaN if diverged), diverged, dead_outputs, hyperparameters.
    """
    for name in rules:
        checks.choice("rule", name, tuple(ALL_RULES))
    for config in configs:
        checks.choice("config", config, CONFIGS)
        if config == "tuned":  # fail before any work if the tuned table is missing
            for name in rules:
                make_rule(name, config="tuned")
    seeds = checks.integer("seeds", seeds, 1)
    epochs = checks.integer("epochs", epochs, 1)
    workers = checks.integer("workers", workers, 1)
    jobs = [(config, name, tuple(range(seeds)), epochs, data_seed, workers > 1) for config in configs for name in rules]
    from tqdm.auto import tqdm
    with tqdm(total=len(jobs), desc="compare", disable=not progress) as bar:
        if workers == 1 or len(jobs) == 1:
            results = []
            for job in jobs:
                results.append(_run(job))
                bar.update()
        else:
            import multiprocessing
            # fork: workers start in milliseconds (spawn would re-import torch, ~2 s each)
            order = slowest_first([job[1] for job in jobs])
            results = [None] * len(jobs)
            with multiprocessing.get_context("fork").Pool(min(workers, len(jobs))) as pool:
                for i, rows in zip(order, pool.imap(_run, [jobs[i] for i in order])):
                    results[i] = rows
                    bar.update()
    return [row for rows in results for row in rows]


def default_workers():
    return max(1, min(len(os.sched_getaffinity(0)), 4))


def write_csv(rows, path, fields=None):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fields = fields or list(rows[0])
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) and not math.isnan(v) else v) for k, v in row.items()})


def read_csv(path):
    """Rows of a CSV written by ``write_csv``, with numbers and booleans parsed back."""
    def parse(value):
        if value in ("True", "False"):
            return value == "True"
        for kind in (int, float):
            try:
                return kind(value)
            except ValueError:
                pass
        return value
    with Path(path).open(newline="") as f:
        return [{k: parse(v) for k, v in row.items()} for row in csv.DictReader(f)]
