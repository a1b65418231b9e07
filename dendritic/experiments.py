"""Multi-seed, multi-rule runs: the one pipeline behind ``compare``, ``figures`` and ``bench``.

Each (config, rule) pair trains all its seeds as one ensemble (every member its own
initialisation and sample order, bit for bit what it would be alone); the pairs are spread
over worker processes (one per core).
"""

from dataclasses import dataclass
import os

import torch

from . import checks
from .data import spiral_data
from .network import Network
from .rules import ALL_RULES, BEYOND, CONFIGS, RULES, rule as make_rule
from .training import TrainResult, train

#: The largest number of seeds a run accepts (every seed is a network in memory).
MAX_SEEDS = 1000
#: Rules whose ensembles take longest, slowest first, so that quick ones fill the other workers.
SLOWEST_FIRST = ("dale", "nonlinear_interneuron", "interneuron")


@dataclass
class Run:
    """One (config, rule) ensemble: what ``train`` returned and the trained network."""

    result: TrainResult
    net: Network


def slowest_first(names):
    """Indices of the rule ``names`` in the order to hand them to workers (stable otherwise)."""
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    return sorted(range(len(names)), key=lambda i: rank.get(names[i], len(SLOWEST_FIRST)))


def default_workers():
    """One worker process per core, at most 4."""
    return max(1, min(len(os.sched_getaffinity(0)), 4))


def available_configs():
    """("poster",) plus "tuned" once ``data/hyperparameters.json`` has every poster rule."""
    try:
        for name in RULES:
            make_rule(name, config="tuned")
    except ValueError:
        return ("poster",)
    return ("poster", "tuned")


def training_pairs(configs, report=print):
    """The (config, rule) pairs ``figures`` trains: the poster's rules in every one of ``configs``
    and, under "tuned", each variant beyond the poster (``BEYOND``) with a tuned entry; a variant
    without one is skipped with a note to ``report``."""
    pairs = [(config, name) for config in configs for name in RULES]
    if "tuned" not in configs:
        report(f"note: skipping {', '.join(BEYOND)}: the variants beyond the poster are compared with config tuned only")
        return pairs
    for name in BEYOND:
        try:
            make_rule(name, config="tuned")
        except ValueError as error:
            report(f"note: skipping {name} (no Figs. 6-7 entry, no row in data/comparison.csv): {error}")
            continue
        pairs.append(("tuned", name))
    return pairs


def _job(job):
    """One ensemble (in a worker process or here): (TrainResult, every parameter and buffer as numpy,
    the rule's own synapses included: they are buffers the rule adds to the network)."""
    config, name, seeds, per_class, data_seed, epochs, record_every, eval_every, forked = job
    if forked:  # a forked child must not touch the parent's OpenMP pool: it can deadlock
        torch.set_num_threads(1)
    data = spiral_data(per_class=per_class, seed=data_seed)
    net = Network(seed=list(seeds))
    result = train(net, make_rule(name, config=config), data, epochs=epochs, eval_every=eval_every,
                   record_every=record_every)
    tensors = {**dict(net.named_parameters()), **dict(net.named_buffers())}
    return result, {k: v.detach().numpy() for k, v in tensors.items()}


def run(pairs, seeds=10, per_class=2000, data_seed=0, epochs=1, record_every=None, eval_every=None, workers=1,
        progress=False):
    """Train every (config, rule) of ``pairs`` on seeds 0..seeds-1, one ensemble each.

    Args:
        pairs: (config, rule name) pairs.
        seeds: networks per pair (1..``MAX_SEEDS``).
        per_class, data_seed: the spiral (2000 and 0 are the poster's).
        record_every: record diagnostics every k steps (rules other than backprop; Figs. 5, 7).
        eval_every: steps between learning-curve points (default: only the end).
        workers: processes (pairs run in parallel).
    Returns:
        {(config, rule): Run}, in the order of ``pairs``.

    >>> runs = run([("poster", "backprop"), ("tuned", "kolen_pollack")], seeds=2, per_class=100)
    >>> [(key, len(r.result.val_acc)) for key, r in runs.items()]
    [(('poster', 'backprop'), 2), (('tuned', 'kolen_pollack'), 2)]
    """
    pairs = [tuple(pair) for pair in pairs]
    if not pairs:
        raise ValueError("rules must name at least one rule")
    for config, name in pairs:
        checks.choice("rule", name, tuple(ALL_RULES))
        checks.choice("config", config, CONFIGS)
        make_rule(name, config=config)  # a missing or broken tuned entry fails here, before any work
    seeds = checks.integer("seeds", seeds, 1)
    if seeds > MAX_SEEDS:
        raise ValueError(f"seeds must be an integer in 1..{MAX_SEEDS}, got {seeds}")
    per_class = checks.integer("per_class", per_class, 1)
    epochs = checks.integer("epochs", epochs, 1)
    workers = checks.integer("workers", workers, 1)
    eval_every = 10**12 if eval_every is None else checks.integer("eval_every", eval_every, 1)  # None: the end only
    workers = min(workers, len(pairs))
    jobs = [(config, name, tuple(range(seeds)), per_class, data_seed, epochs,
             record_every if name != "backprop" else None, eval_every, workers > 1) for config, name in pairs]
    order = slowest_first([job[1] for job in jobs])
    for config, name in pairs:  # loaded once here, the forked workers inherit the compiled code
        rule = make_rule(name, config=config)
        rule.phases.compiled, rule.plasticity.compiled
    from tqdm.auto import tqdm
    outputs = [None] * len(jobs)
    with tqdm(total=len(jobs), desc="training", unit="ensemble", disable=not progress) as bar:
        if workers == 1:
            for i in order:
                outputs[i] = _job(jobs[i])
                bar.update()
        else:
            import multiprocessing
            # fork: workers start in milliseconds (spawn would re-import torch, ~2 s each)
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for i, output in zip(order, pool.imap(_job, [jobs[i] for i in order])):
                    outputs[i] = output
                    bar.update()
    runs = {}
    for job, (result, tensors) in zip(jobs, outputs):
        net = Network(seed=list(job[2]))
        own = set(net.state_dict())
        net.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items() if k in own})
        for name, value in tensors.items():  # the rule's synapses (B_l, interneuron populations): rule state
            if name not in own:
                net.register_buffer(name, torch.from_numpy(value), persistent=False)
        runs[(job[0], job[1])] = Run(result, net)
    return runs


def rows(runs):
    """One row per (config, rule, seed) for a CSV: config, rule, seed, val_acc, test_acc (NaN if
    diverged), diverged, dead_outputs, hyperparameters."""
    out = []
    for (config, _), run_ in runs.items():
        hyper = describe(run_.result.hyperparameters)
        out += [dict(config=config, hyperparameters=hyper, **row) for row in run_.result.rows()]
    return out


def describe(hyperparameters):
    """Hyperparameters as one CSV field: "lr=0.1;lr_rec=(0.5, 0.1);..."."""
    return ";".join(f"{k}={v}" for k, v in hyperparameters.items())


def compare(rules=tuple(RULES), seeds=10, configs=("poster",), epochs=1, data_seed=0, workers=1, progress=False):
    """Train every rule of every config on seeds 0..seeds-1; return one row per run (see ``rows``)."""
    rules, configs = tuple(rules), tuple(configs)
    if not rules:
        raise ValueError("rules must name at least one rule")
    if not configs:
        raise ValueError("configs must name at least one of poster, tuned")
    pairs = [(config, name) for config in configs for name in rules]
    return rows(run(pairs, seeds=seeds, epochs=epochs, data_seed=data_seed, workers=workers, progress=progress))

