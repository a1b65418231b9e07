"""Optuna search for a rule's learning rates, resumable and shareable between machines.

    python -m dendritic tune --rule interneuron --trials 50 [--storage URL] [--workers K] [--write]

Objective (docs/science.md): the mean validation accuracy of 5 seeds, trained together
in one vectorised run under the poster protocol (same spiral, 2-128-32-4, one
epoch, batch 1). Search space: lr log-uniform in [1e-5, 0.5]; for the interneuron
rule also lr_rec per hidden layer and lr_bias, log-uniform in [1e-5, 1].

What a study writes, and where:

- Without ``--write`` a study only reports its best: nothing under ``data/`` or
  ``figures/`` changes. Its default storage is a journal in the user's cache
  (``~/.cache/dendritic/optuna.journal``), so a quick look can be resumed too.
- ``--write`` makes the result rule R's ``tuned`` entry in ``data/hyperparameters.json``
  and redraws ``figures/tuning_R_*``; its default storage is the committed journal
  ``data/optuna.journal``. The entry it replaces is kept in the new entry's ``history``.
  Every file is written to a temporary name and renamed (``dendritic.atomic``).
- Every argument, the storage (scheme, driver, folder) and, with ``--write``, the
  committed table and folders are checked before any study is created.

How a study survives interruption and scales out (where it is stored, torn journal
lines, the trials of dead processes: ``dendritic.studies``):

- ``--trials N`` is the number of COMPLETE trials the study ends with, in total.
  Every process runs trials only while COMPLETE + RUNNING < N, and a trial that
  finds N trials complete or running ahead of it (a race between processes)
  stops at once as FAIL "surplus", before sampling anything. So a re-run of a
  finished study does nothing, and any number of processes end at exactly N.
- A killed process leaves its trial RUNNING. It is failed (never counted) when
  (a) it was started on this machine by a process that no longer exists, or
  (b) its heartbeat, written every ``HEARTBEAT_INTERVAL`` s, is older than
  ``GRACE_PERIOD`` s. (b) is Optuna's own mechanism for RDB storages; for the
  journal file ``HeartbeatJournalStorage`` adds it. A live process on another
  machine keeps beating, so it is never failed by its neighbours.
- The sampler is ``TPESampler(seed=...)``, reseeded for every trial from
  (sampler seed, trial number): a resumed study does not replay the random
  start-up trials, and parallel workers do not draw the same parameters.
- A trial in which any seed diverges (NaN / inf) is PRUNED, with the reason in its
  user attribute ``fail_reason``; dead output units just lower the objective.
"""

from contextlib import contextmanager
from dataclasses import dataclass
import fcntl
import json
import logging
import math
from numbers import Integral
import os
from pathlib import Path
import re
import time
import warnings

import numpy as np
import optuna
from optuna.trial import TrialState

from . import atomic, checks
from .paths import FIGURES
from .rules import ALL_RULES, HYPERPARAMETERS_FILE, check_tuned_table, rule as make_rule
from .studies import (COMMITTED_STORAGE, MACHINE, check_storage, describe_storage, fail_stale_trials, open_storage,
                      scratch_storage)

#: Seconds a worker waits before looking again when the last trials are running elsewhere.
POLL = 1.0
POSTER_PER_CLASS = 2000
#: Upper bounds of the arguments: beyond them a run is a typo, not a study (10^9 seeds, 1000 processes).
MAX_TRIALS, MAX_SEEDS, MAX_PER_CLASS, MAX_WORKERS, MAX_CONFIRM = 10_000, 100, 20_000, 64, 100


# --- the search space -------------------------------------------------------
#: Rules with interneurons: they also search lr_rec per hidden layer and lr_bias.
INTERNEURON_RULES = ("interneuron", "stable_interneuron", "nonlinear_interneuron", "dale")


def suggest(trial, name, hidden_layers=2):
    """Draw a rule's hyperparameters from the search space of docs/science.md.

    Returns the rule's keyword arguments, e.g. {"lr": 0.1} or, for the
    interneuron rule, {"lr": .., "lr_rec": [.., ..], "lr_bias": ..}.
    """
    params = {"lr": trial.suggest_float("lr", 1e-5, 0.5, log=True)}
    if name in INTERNEURON_RULES:
        high = 1.99 if name == "stable_interneuron" else 1.0  # the normalised step is stable below 2
        params["lr_rec"] = [trial.suggest_float(f"lr_rec_{l}", 1e-5 if high == 1.0 else 1e-3, high, log=True)
                            for l in range(1, hidden_layers + 1)]
        params["lr_bias"] = trial.suggest_float("lr_bias", 1e-5, 1.0, log=True)
    if name in ("nonlinear_interneuron", "dale"):  # the interneurons' own rate (notebook 06)
        params["lr_int"] = trial.suggest_float("lr_int", 1e-4, 1.0, log=True)
    if name == "kolen_pollack":  # Kolen-Pollack's weight decay per step
        params["decay"] = trial.suggest_float("decay", 1e-5, 1e-2, log=True)
    if name == "dale":  # the decay also shrinks the forward weights (measured: > 3e-4 costs points), and
        # the E/I balance of the start (inhibition as a multiple of the least that keeps W^E, B^E >= 0)
        params["decay"] = trial.suggest_float("decay", 1e-6, 1e-3, log=True)
        params["balance"] = trial.suggest_float("balance", 1.0, 16.0, log=True)
    return params


def rule_params(name, optuna_params, options=None):
    """Optuna's flat parameters (lr, lr_rec_1, lr_rec_2, lr_bias) and the study's fixed
    ``options`` (output_gate, lr_decay) -> the rule's keyword arguments."""
    params = {"lr": optuna_params["lr"]}
    if name in INTERNEURON_RULES:
        rec = sorted((int(k.rsplit("_", 1)[1]), v) for k, v in optuna_params.items() if k.startswith("lr_rec_"))
        params["lr_rec"] = [v for _, v in rec]
        params["lr_bias"] = optuna_params["lr_bias"]
    params.update({k: optuna_params[k] for k in ("lr_int", "decay", "balance", "clamp") if k in optuna_params})
    return {**params, **(options or {})}


# --- the objective -------------------------------------------------------------
class Surplus(Exception):
    """This trial is not needed: N trials are already complete or running ahead of it."""


class _NoSurplusTracebacks(logging.Filter):
    """Optuna logs a failed trial as two warnings, one with a traceback; a surplus trial
    is expected, not an error (``_report`` prints one line for it instead)."""

    def __init__(self):
        super().__init__()
        self.surplus = set()

    def filter(self, record):
        words = record.getMessage().split(maxsplit=2)
        if "Surplus(" in record.getMessage():
            self.surplus.add(words[1])
            return False
        return not (len(words) == 3 and words[2].startswith("failed with value") and words[1] in self.surplus)


logging.getLogger("optuna.study._optimize").addFilter(_NoSurplusTracebacks())


def run_seeds(name, params, seeds, data):
    """Train rule ``name`` with ``params`` on every network seed at once (one ensemble); a ``TrainResult``."""
    from .network import Network
    from .training import train

    return train(Network(seed=list(seeds)), make_rule(name, **params), data, eval_every=len(data.train[1]))


class Objective:
    """Mean validation accuracy over ``seeds``, all trained in one vectorised run."""

    def __init__(self, name, trials, seeds, per_class=POSTER_PER_CLASS, options=None):
        from .data import spiral_data

        self.name, self.trials, self.seeds, self.options = name, trials, list(seeds), dict(options or {})
        self.data = spiral_data(per_class=per_class)

    def __call__(self, trial):
        trial.storage.set_trial_system_attr(trial._trial_id, "machine", MACHINE)
        trial.storage.set_trial_system_attr(trial._trial_id, "pid", os.getpid())
        ahead = [t for t in trial.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.RUNNING))
                 if t.number < trial.number]
        if len(ahead) >= self.trials:
            reason = f"surplus: {len(ahead)} trials complete or running ahead of it, {self.trials} wanted"
            trial.set_user_attr("fail_reason", reason)
            raise Surplus(reason)

        params = {**suggest(trial, self.name), **self.options}
        start = time.perf_counter()
        try:
            result = run_seeds(self.name, params, self.seeds, self.data)
        except KeyboardInterrupt:
            trial.set_user_attr("fail_reason", "interrupted (Ctrl-C)")
            raise
        trial.set_user_attr("seconds", round(time.perf_counter() - start, 3))
        trial.set_user_attr("val_acc", [None if math.isnan(a) else round(float(a), 6) for a in result.val_acc])
        trial.set_user_attr("dead_outputs", [int(n) for n in result.dead_outputs])
        if result.diverged.any():
            seeds = [s for s, d in zip(self.seeds, result.diverged) if d]
            steps = [int(s) for s, d in zip(result.diverged_step, result.diverged) if d]
            reason = f"diverged (NaN / inf): seeds {seeds} by steps {steps}"
            trial.set_user_attr("fail_reason", reason)
            raise optuna.TrialPruned(reason)
        return float(np.mean(result.val_acc))


# --- the study ---------------------------------------------------------------------
class TrialSeededTPE(optuna.samplers.TPESampler):
    """TPE whose random draws for trial k depend only on (seed, k) and the history.

    A plain ``TPESampler(seed=s)`` restarts its random stream in every process: a
    resumed study would repeat the first trials' parameters and two workers would
    draw the same ones.
    """

    def __init__(self, seed):
        super().__init__(seed=seed, constant_liar=True)
        self.seed = seed

    def before_trial(self, study, trial):
        state = int(np.random.SeedSequence([self.seed, trial.number]).generate_state(1)[0])
        self._rng.rng.seed(state)
        self._random_sampler._rng.rng.seed(state + 1)
        super().before_trial(study, trial)


@dataclass(frozen=True)
class Spec:
    """Everything a worker needs to join a study (picklable, for worker processes)."""

    rule: str
    trials: int
    storage: str
    study: str
    seeds: tuple
    sampler_seed: int
    per_class: int = POSTER_PER_CLASS
    output_gate: bool = True
    lr_decay: str = "constant"

    @property
    def options(self):
        """The rule options this study fixes that are not the poster's (see ``dendritic.rules.Rule``)."""
        return make_rule(self.rule, output_gate=self.output_gate, lr_decay=self.lr_decay).options()

    @property
    def protocol(self):
        """What makes two studies' objective values comparable: checked when a study is loaded."""
        return dict(rule=self.rule, seeds=list(self.seeds), sampler_seed=self.sampler_seed,
                    per_class=self.per_class, epochs=1, data_seed=0, sizes=[2, 128, 32, 4], **self.options)


def load_study(spec, storage=None):
    """Create the study or load it, refusing one made under a different protocol."""
    storage = storage if storage is not None else open_storage(spec.storage)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=spec.study, storage=storage, direction="maximize",
                                sampler=TrialSeededTPE(spec.sampler_seed), load_if_exists=True)
    existing = study.user_attrs.get("protocol")
    if existing is None:
        study.set_user_attr("protocol", spec.protocol)
    elif existing != spec.protocol:
        diff = ", ".join(f"{k}={existing.get(k)!r}" for k in spec.protocol if existing.get(k) != spec.protocol[k])
        raise ValueError(f"study {spec.study!r} in {describe_storage(spec.storage)} was made with {diff}; "
                         f"give another --study name to start a new one")
    return study, storage


def counts(study):
    """(complete, running, pruned, failed) trial counts."""
    states = [t.state for t in study.get_trials(deepcopy=False)]
    return tuple(states.count(s) for s in (TrialState.COMPLETE, TrialState.RUNNING, TrialState.PRUNED, TrialState.FAIL))


def work(spec, bar=None, opened=None):
    """Run trials until the study has ``spec.trials`` COMPLETE ones (this process's share).

    ``opened``: the (study, storage) pair if this process has loaded the study already.
    """
    study, storage = opened or load_study(spec)
    objective = Objective(spec.rule, spec.trials, spec.seeds, spec.per_class, spec.options)
    while True:
        fail_stale_trials(study, storage)
        complete, running, *_ = counts(study)
        if bar is not None:
            bar.update(min(complete, spec.trials) - bar.n)
        if complete >= spec.trials:
            return study
        if complete + running >= spec.trials:  # the last trials run elsewhere; wait in case they fail
            time.sleep(POLL)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.optimize(objective, n_trials=1, catch=(Surplus,), callbacks=[_report] if bar is not None and not bar.disable else None)


def _report(study, trial):
    """After each trial of this process: one line with its value, or why it has none."""
    from tqdm.auto import tqdm

    if trial.state in (TrialState.PRUNED, TrialState.FAIL):
        tqdm.write(f"trial {trial.number} {trial.state.name.lower()}: {trial.user_attrs.get('fail_reason')}")
    elif trial.state == TrialState.COMPLETE:
        tqdm.write(f"trial {trial.number}: {trial.value:.4f}  {json.dumps(trial.params)}  ({trial.user_attrs['seconds']:.1f} s)")


def _worker(spec):
    """Entry point of a worker process (``--workers K``)."""
    try:
        work(spec)
    except KeyboardInterrupt:
        raise SystemExit(130)


def _integer(name, value, low, high):
    """An integer in [low, high]; ValueError naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, Integral) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}, got {value!r}")
    return int(value)


def tune(name, trials, storage=None, study=None, seeds=5, sampler_seed=0, workers=1,
         per_class=POSTER_PER_CLASS, output_gate=True, lr_decay="constant", progress=False):
    """Run (or resume, or join) the study of rule ``name`` until it has ``trials`` COMPLETE trials.

    Every argument, and the storage, is checked before the study is created or any worker starts.

    Args:
        name: a rule name ("backprop", "temporal_contrast", "interneuron", ...).
        trials: COMPLETE trials the study should end with, counting earlier runs (1..MAX_TRIALS).
        storage: Optuna RDB URL or journal file path (default ``scratch_storage()``, in the user's cache).
        study: study name (default ``tune-<name>``).
        seeds: network seeds 0..seeds-1 trained per trial; the objective is their mean val acc.
        sampler_seed: seed of the TPE sampler.
        workers: local processes working on the study at the same time (at most ``trials``
            and MAX_WORKERS; no more are started than trials are still needed).
        per_class: spiral points per class; 2000 is the poster's, smaller only for quick tests.
        output_gate, lr_decay: rule options fixed for the whole study (defaults: the poster's);
            see ``dendritic.rules.Rule``. The default study name then gets a suffix.
    Returns:
        the ``optuna.Study``.
    """
    checks.choice("rule", name, tuple(ALL_RULES))
    make_rule(name, output_gate=output_gate, lr_decay=lr_decay)  # checks the options
    trials = _integer("trials", trials, 1, MAX_TRIALS)
    if isinstance(workers, bool) or not isinstance(workers, Integral) or not 1 <= workers <= min(trials, MAX_WORKERS):
        raise ValueError(f"workers must be an integer from 1 to {min(trials, MAX_WORKERS)} (at most {MAX_WORKERS}, "
                         f"and no more than the trials), got {workers!r}")
    if study is not None and (not isinstance(study, str) or not study.strip() or len(study) > 200):
        raise ValueError(f"study must be a name of 1 to 200 characters, got {study!r}")
    seeds = _integer("seeds", seeds, 1, MAX_SEEDS)
    sampler_seed = _integer("sampler_seed", sampler_seed, 0, 2**32 - 1)
    per_class = _integer("per_class", per_class, 10, MAX_PER_CLASS)
    storage = check_storage(storage if storage is not None else scratch_storage())  # last: it may make its folder
    suffix = ("-ungated" if output_gate is False else "") + ("-lr-" + lr_decay if lr_decay != "constant" else "")
    spec = Spec(rule=name, trials=trials, storage=storage, study=study or f"tune-{name}{suffix}",
                seeds=tuple(range(seeds)), sampler_seed=sampler_seed, per_class=per_class,
                output_gate=output_gate, lr_decay=lr_decay)
    from tqdm.auto import tqdm

    study_, storage_ = load_study(spec)  # create it (and check the protocol) before any worker starts
    fail_stale_trials(study_, storage_)
    workers = min(workers, max(1, spec.trials - counts(study_)[0]))  # a process per trial still needed, at most
    with tqdm(total=spec.trials, initial=min(counts(study_)[0], spec.trials), desc=f"tune {name}",
              disable=not progress) as bar:
        if workers == 1:
            return work(spec, bar, (study_, storage_))
        import multiprocessing

        # spawn, not fork: a forked child would share the parent's database connections
        processes = [multiprocessing.get_context("spawn").Process(target=_worker, args=(spec,)) for _ in range(workers)]
        for p in processes:
            p.start()
        try:
            while any(p.is_alive() for p in processes):
                time.sleep(POLL)
                bar.update(min(counts(study_)[0], spec.trials) - bar.n)
        except KeyboardInterrupt:
            for p in processes:
                p.join(timeout=10)
            raise
        for p in processes:
            p.join()
        bar.update(min(counts(study_)[0], spec.trials) - bar.n)
    if any(p.exitcode != 0 for p in processes):
        raise RuntimeError(f"worker processes exited with {[p.exitcode for p in processes]}")
    return study_


# --- results -----------------------------------------------------------------------
def trial_params(study, trial):
    """The rule's keyword arguments of a trial, with the study's fixed options."""
    protocol = study.user_attrs["protocol"]
    options = {k: protocol[k] for k in ("output_gate", "lr_decay") if k in protocol}
    return rule_params(protocol["rule"], trial.params, options)


def confirm(study, candidates=5, progress=False):
    """Re-train the ``candidates`` best trials on as many new seeds and choose the best
    mean over all seeds: a guard against the winner's curse.

    The best of many trials on 5 seeds is partly the luckiest on those 5: a learning
    rate at the edge of stability can pass them and fail on other seeds. The new seeds
    follow the search's (5..9 after 0..4) and are never seen by the sampler.

    Returns (chosen trial, one dict per candidate: trial, value (search seeds),
    confirmed (new seeds), mean (all seeds), val_acc and dead_outputs per seed, all seeds).
    """
    from tqdm.auto import tqdm

    from .data import spiral_data

    protocol = study.user_attrs["protocol"]
    seeds = protocol["seeds"]
    new = list(range(max(seeds) + 1, max(seeds) + 1 + len(seeds)))
    data = spiral_data(per_class=protocol["per_class"])
    best = sorted((t for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE),
                  key=lambda t: (-t.value, t.number))[:candidates]
    rows = []
    for trial in tqdm(best, desc="confirm", disable=not progress, leave=False):
        result = run_seeds(protocol["rule"], trial_params(study, trial), new, data)
        val_acc = trial.user_attrs["val_acc"] + [None if d else round(float(a), 6)
                                                   for a, d in zip(result.val_acc, result.diverged)]
        confirmed = math.nan if result.diverged.any() else float(np.mean(result.val_acc))
        rows.append(dict(trial=trial.number, value=trial.value, confirmed=confirmed,
                         mean=(trial.value * len(seeds) + confirmed * len(new)) / (len(seeds) + len(new)),
                         seeds=seeds + new, val_acc=val_acc,
                         dead_outputs=trial.user_attrs["dead_outputs"] + [int(n) for n in result.dead_outputs]))
    chosen = max(rows, key=lambda r: -math.inf if math.isnan(r["mean"]) else r["mean"])  # a tie: the search's order
    return study.trials[chosen["trial"]], rows


def best_entry(study, chosen=None, confirmation=None):
    """The hyperparameters.json entry of a finished study: its best trial, or the
    trial ``chosen`` by ``confirm`` (whose rows are recorded under "confirmation")."""
    protocol = study.user_attrs["protocol"]
    chosen = chosen or study.best_trial
    entry = {"params": trial_params(study, chosen), "value": chosen.value, "study": study.study_name,
             "storage": None, "trials": counts(study)[0], "best_trial": chosen.number,
             "sampler_seed": protocol["sampler_seed"], "seeds": protocol["seeds"],
             "val_acc_seeds": protocol["seeds"], "val_acc_per_seed": chosen.user_attrs.get("val_acc"),
             "dead_outputs_per_seed": chosen.user_attrs.get("dead_outputs")}
    if confirmation:
        row = next(r for r in confirmation if r["trial"] == chosen.number)
        entry.update(val_acc_seeds=row["seeds"], val_acc_per_seed=row["val_acc"], dead_outputs_per_seed=row["dead_outputs"])
        entry["confirmation"] = {
            "how": f"the {len(confirmation)} best trials re-trained on seeds {row['seeds'][len(protocol['seeds']):]}; "
                   f"chosen: the best mean over seeds {row['seeds']}",
            "mean_all_seeds": row["mean"],
            "candidates": [{k: r[k] for k in ("trial", "value", "confirmed", "mean")} for r in confirmation]}
    return entry


def _checked_table(path):
    """The committed table ({} if there is none yet), every entry checked, so a corrupt file
    is refused (ValueError naming it) instead of being overwritten."""
    table = check_tuned_table(path)
    for name, entry in table.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("history", []), list):
            raise ValueError(f"{path}: the entry of {name!r} must be an object whose \"history\" is a list")
    return table


def write_hyperparameters(name, entry, path=None):
    """Make ``entry`` rule ``name``'s entry in hyperparameters.json, keeping the one it replaces.

    The replaced entry goes first in the new entry's ``history`` (newest first; an entry equal
    to the new one is not repeated). The table is merged with the other rules' entries under a
    lock on its folder, checked (a corrupt file is refused, not overwritten) and replaced
    atomically. Returns the entry replaced (without its history), or None.
    """
    path = Path(path or HYPERPARAMETERS_FILE)
    folder = os.open(path.parent, os.O_RDONLY)  # the lock: on the folder, so no lock file is left behind
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        table = _checked_table(path)
        previous = dict(table.get(name) or {})
        history = previous.pop("history", [])
        entry = {k: v for k, v in entry.items() if k != "history"}
        replaced = previous if previous and previous != entry else None
        if replaced:
            history = [replaced, *history]
        table[name] = {**entry, "history": history} if history else entry
        text = json.dumps(dict(sorted(table.items())), indent=2)
        text = re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + re.sub(r",\s+", ", ", m[1]) + "]", text)
        with _writing(path):
            atomic.write_text(path, text + "\n")
    finally:
        os.close(folder)
    return replaced


def plot_study(study, name, out=None):
    """Optimisation history, parameter importances and slices of a study, saved as
    ``tuning_<name>_{history,importances,slice}.png`` and ``.svg`` under ``out``, each
    atomically; the same study gives the same bytes (no dates, fixed SVG ids)."""
    import matplotlib
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as ovm

    out = Path(out or FIGURES)
    out.mkdir(parents=True, exist_ok=True)
    complete = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]
    plots = {"history": ovm.plot_optimization_history, "slice": ovm.plot_slice}
    if len(complete) >= 2:
        plots["importances"] = ovm.plot_param_importances  # PED-ANOVA: deterministic
    objective = f"mean val acc ({len(study.user_attrs['protocol']['seeds'])} seeds)"
    paths = []
    # optuna switches to ggplot: keep it local
    with warnings.catch_warnings(), matplotlib.rc_context({"svg.hashsalt": "dendritic"}):
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        for kind, plot in plots.items():
            axes = plot(study)
            figure = np.ravel(axes)[0].figure
            if kind == "slice":  # keep optuna's size: its colour bar is placed for it
                for ax in np.ravel(axes):
                    ax.axhline(_bayes(), color="k", ls="--", lw=0.8)
                    # a log axis spanning less than a decade labels its minor ticks, and they overlap
                    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
                np.ravel(axes)[0].set_ylabel(objective)
            elif kind == "history":
                figure.set_size_inches(7, 4)
                axes.axhline(_bayes(), color="k", ls="--", lw=0.8, label="Bayes-optimal")
                axes.legend(loc="lower right")
                axes.set_ylabel(objective)
            else:
                figure.set_size_inches(6, 2 + 0.4 * len(complete[0].params))
            figure.suptitle(f"{study.study_name}: {len(complete)} complete trials", fontsize=10)
            if kind != "slice":
                figure.tight_layout()
            try:
                for suffix, metadata in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
                    path = out / f"tuning_{name}_{kind}.{suffix}"
                    with _writing(path):
                        atomic.save_figure(figure, path, dpi=120, bbox_inches="tight", metadata=metadata)
                    paths.append(path)
            finally:
                plt.close(figure)
    return paths


@contextmanager
def _writing(path):
    """An OSError while writing ``path`` (a full disk, a folder made read-only) as a one-line error
    naming it; the atomic write has left ``path`` as it was."""
    try:
        yield
    except OSError as error:
        raise ValueError(f"cannot write {path}: {error.strerror or error}; it is left as it was") from None


def _bayes():
    from .data import BAYES_ACCURACY

    return BAYES_ACCURACY


def check_write(per_class, table=None, figures=None):
    """``--write``, checked before any work: the poster's data, a readable committed table
    (a corrupt one is refused, never replaced) and writable folders."""
    table, figures = Path(table or HYPERPARAMETERS_FILE), Path(figures or FIGURES)
    if per_class != POSTER_PER_CLASS:
        raise ValueError(f"--write needs the poster's data (--per-class {POSTER_PER_CLASS}), got --per-class "
                         f"{per_class}: a study on a smaller spiral is for looking only")
    _checked_table(table)
    atomic.writable_file("--write", table)
    atomic.writable_folder("--write", figures)


def write_results(study, name, entry, table=None, figures=None):
    """``tune --write``: redraw the study's figures, then make ``entry`` rule ``name``'s tuned
    entry (the figures first: the table is what ``config="tuned"`` reads, so it changes last).
    Each file is replaced whole or not at all. Returns the entry replaced, or None."""
    for path in plot_study(study, name, figures):
        if path.suffix == ".png":
            print(f"wrote {path}")
    replaced = write_hyperparameters(name, entry, table)
    print(f"wrote {Path(table or HYPERPARAMETERS_FILE)}")
    if replaced:
        old = replaced.get("value")
        score = f"{old:.4f}" if isinstance(old, (int, float)) else "unknown"
        if isinstance(old, (int, float)) and old > entry["value"]:
            score += ", higher than the new one"
        print(f"replaced {name}'s entry (mean val acc {score}, study {replaced.get('study')!r}, "
              f"{replaced.get('trials')} trials); it is kept in the entry's history")
    return replaced


def main(args):
    """``python -m dendritic tune``: run the study and report its best; with ``--write``, also make it
    the rule's tuned entry in hyperparameters.json and redraw the tuning figures."""
    confirm_ = _integer("confirm", args.confirm, 0, MAX_CONFIRM)
    if args.write:
        check_write(args.per_class)
    storage = args.storage if args.storage is not None else (COMMITTED_STORAGE if args.write else scratch_storage())
    study = tune(args.rule, args.trials, storage=storage, study=args.study, seeds=args.seeds,
                 sampler_seed=args.sampler_seed, workers=args.workers, per_class=args.per_class,
                 output_gate=not args.ungated_output, lr_decay=args.lr_decay, progress=True)
    complete, running, pruned, failed = counts(study)
    best = study.best_trial
    print(f"study {study.study_name!r} in {describe_storage(storage)}: {complete} complete, "
          f"{pruned} pruned, {failed} failed, {running} running")
    print(f"best trial {best.number}: mean val acc {best.value:.4f} over seeds "
          f"{study.user_attrs['protocol']['seeds']}  {json.dumps(trial_params(study, best))}")
    chosen, rows = best, None
    if confirm_:
        chosen, rows = confirm(study, confirm_, progress=True)
        print(f"{'trial':>5} {'search':>7} {'new seeds':>9} {'all':>7}   (mean val acc; new seeds {rows[0]['seeds'][args.seeds:]})")
        for r in rows:
            print(f"{r['trial']:>5} {r['value']:>7.4f} {r['confirmed']:>9.4f} {r['mean']:>7.4f}"
                  f"{'   <- chosen' if r['trial'] == chosen.number else ''}")
    if not args.write and args.per_class != POSTER_PER_CLASS:
        print(f"nothing written: a study on a smaller spiral (--per-class {args.per_class}) is for looking only")
        return 0
    if not args.write:
        again = "--write" if args.storage is not None else f"--write --storage {storage}"
        print(f"nothing written; to make trial {chosen.number} rule {args.rule}'s tuned entry "
              f"({describe_storage(HYPERPARAMETERS_FILE)}, figures/tuning_{args.rule}_*), run this again with {again}")
        return 0
    entry = best_entry(study, chosen, rows)
    entry["storage"] = describe_storage(storage)
    write_results(study, args.rule, entry)
    return 0
