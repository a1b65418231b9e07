"""The tuning command: resumable after kill -9, shareable between processes, exact trial counts,
nothing written without --write, torn journal lines repaired, every argument checked before work.

Trials run on a small spiral (``--per-class``) so each takes a fraction of a second; the code
path is the one the real tuning uses. Tests that need a trial to be running at a given moment
hold it with ``tune_with_gates.py`` and wait for its event file: nothing here sleeps and hopes.
"""

import json
import os
from pathlib import Path
import signal
import subprocess
import sys
import time
import warnings

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState
import pytest

from dendritic import studies, tuning

SMALL = ["--per-class", "150", "--confirm", "0"]  # 420 training steps per trial
GATED = Path(__file__).with_name("tune_with_gates.py")


def environment(root, **extra):
    """The project at ``root`` (data/, figures/) and the user's cache under it: a test never
    touches the repository's data or the real home."""
    return dict(os.environ, DENDRITIC_ROOT=str(root), XDG_CACHE_HOME=str(root / "cache"), **extra)


def run(root, *args):
    return subprocess.run([sys.executable, "-m", "dendritic", "tune", *args], env=environment(root),
                          capture_output=True, text=True, timeout=300)


def tune_here(*args):
    """``python -m dendritic tune ARGS`` in this process (for runs whose storage is given): its exit status."""
    from dendritic.cli import main

    return main(["tune", *args])


_started = []


@pytest.fixture(autouse=True)
def no_process_left_behind():
    """A test that fails while a held process waits must not leave it waiting."""
    yield
    while _started:
        process = _started.pop()
        if process.poll() is None:
            process.kill()
            process.communicate()


def start_gated(root, gates, *args, **holds):
    """A tune process whose trainings are held as ``holds`` says (TUNE_HOLD=..., TUNE_BARRIER=...)."""
    gates.mkdir(exist_ok=True)
    env = environment(root, TUNE_GATES=str(gates), **{k: str(v) for k, v in holds.items()})
    process = subprocess.Popen([sys.executable, str(GATED), *args], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    _started.append(process)
    return process


def wait_for(path, *processes, timeout=240):
    """Wait for the event file ``path``; fail at once if a process it depends on has ended."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        for p in processes:
            if p.poll() is not None:
                pytest.fail(f"process {p.pid} ended ({p.returncode}) before {path.name}: {p.stderr.read()}")
        assert time.monotonic() < deadline, f"no {path.name} after {timeout} s"
        time.sleep(0.01)


def finish(process):
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return err


def trials_of(path, study="tune-backprop"):
    storage = studies.open_storage(str(path))
    return optuna.load_study(study_name=study, storage=storage).get_trials(deepcopy=False)


def states(trials, state):
    return [t for t in trials if t.state == state]


def assert_exactly(trials, n):
    complete = states(trials, TrialState.COMPLETE)
    assert len(complete) == n
    assert len({t.number for t in trials}) == len(trials)
    params = [tuple(sorted(t.params.items())) for t in complete]
    assert len(set(params)) == n, "two complete trials drew the same parameters"
    assert not states(trials, TrialState.RUNNING)


# --- every argument is checked before any work ------------------------------------------------
def test_bad_input_exits_2_with_one_line(tmp_path):
    result = run(tmp_path, "--rule", "nope", "--trials", "3")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "rule" in lines[0] and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "data").exists() and not (tmp_path / "cache").exists()


@pytest.mark.parametrize("args, word", [
    (["--trials", "0"], "trials"),
    (["--trials", "10001"], "trials"),
    (["--trials", "3", "--seeds", "0"], "seeds"),
    (["--trials", "3", "--seeds", "1000000000"], "seeds"),
    (["--trials", "3", "--workers", "0"], "workers"),
    (["--trials", "3", "--workers", "4"], "workers"),  # more processes than trials
    (["--trials", "1000", "--workers", "1000"], "workers"),
    (["--trials", "3", "--per-class", "2"], "per_class"),
    (["--trials", "3", "--per-class", "100000"], "per_class"),
    (["--trials", "3", "--confirm", "-1"], "confirm"),
    (["--trials", "3", "--confirm", "1000"], "confirm"),
    (["--trials", "3", "--sampler-seed", "-1"], "sampler_seed"),
    (["--trials", "3", "--study", ""], "study"),
    (["--trials", "3", "--lr-decay", "cosine"], "lr_decay"),
    (["--trials", "3", "--write", "--per-class", "150"], "--write"),
])
def test_bad_numbers_exit_2_before_any_work(tmp_path, capsys, args, word):
    from dendritic.cli import main

    assert main(["tune", "--rule", "backprop", *args, "--storage", str(tmp_path / "s.journal")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and word in lines[0], lines
    assert not (tmp_path / "s.journal").exists()


@pytest.mark.parametrize("storage, words", [
    ("foo://x", ["scheme 'foo'", "sqlite:///", "postgresql://"]),
    ("mysql://user@host/db", ["scheme 'mysql'"]),
    ("sqlite:///{tmp}/missing/optuna.db", ["folder", "does not exist"]),
    ("sqlite://", ["in memory"]),
    ("sqlite:/optuna.db", ["'://'"]),
    ("{tmp}", ["is a folder"]),
    ("/proc/optuna.journal", ["cannot write"]),
    ("postgresql+nodriver://user@host/db", ["driver"]),
])
def test_bad_storage_exits_2_before_any_work(tmp_path, capsys, storage, words):
    from dendritic.cli import main

    before = sorted(tmp_path.rglob("*"))
    argv = ["tune", "--rule", "backprop", "--trials", "2", "--storage", storage.format(tmp=tmp_path), *SMALL]
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "storage" in lines[0] and "Traceback" not in err, err
    for word in words:
        assert word in lines[0]
    assert sorted(tmp_path.rglob("*")) == before


def test_a_missing_postgresql_driver_names_the_extra(tmp_path, capsys, monkeypatch):
    from dendritic.cli import main

    monkeypatch.setitem(sys.modules, "psycopg", None)  # as on a machine without the cluster extra
    assert main(["tune", "--rule", "backprop", "--trials", "2", "--storage",
                 "postgresql://tune:secret@127.0.0.1:1/optuna", *SMALL]) == 2
    line = capsys.readouterr().err.strip()
    assert len(line.splitlines()) == 1 and '.[cluster]' in line and "secret" not in line, line


def test_an_unreachable_server_is_one_line_without_the_password(tmp_path, capsys):
    from dendritic.cli import main

    # port 1 on the loopback: nothing listens there, so the connection is refused at once
    assert main(["tune", "--rule", "backprop", "--trials", "2", "--storage",
                 "postgresql://tune:secret@127.0.0.1:1/optuna", *SMALL]) == 2
    line = capsys.readouterr().err.strip()
    assert len(line.splitlines()) == 1 and "cannot open" in line and "secret" not in line, line


def test_workers_creating_the_tables_at_once_try_again(tmp_path, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    real, opened = studies.RDBStorage, []

    def another_worker_won(url, **kwargs):  # what PostgreSQL says to the second of two new workers
        opened.append(url)
        if len(opened) == 1:
            raise IntegrityError("CREATE TABLE studies", {}, Exception('duplicate key value violates unique '
                                                                      'constraint "pg_type_typname_nsp_index"'))
        return real(url, **kwargs)

    monkeypatch.setattr(studies, "RDBStorage", another_worker_won)
    storage = studies.open_storage(f"sqlite:///{tmp_path / 'optuna.db'}")
    assert len(opened) == 2 and storage.get_all_studies() == []


def test_a_file_that_is_not_a_journal_is_refused_by_name(tmp_path, capsys):
    from dendritic.cli import main

    other = tmp_path / "hyperparameters.json"
    content = '{\n  "backprop": {"params": {"lr": 0.1}}\n}'  # no newline at the end: not a torn journal line
    other.write_text(content)
    assert main(["tune", "--rule", "backprop", "--trials", "2", "--storage", str(other), *SMALL]) == 2
    line = capsys.readouterr().err.strip()
    assert len(line.splitlines()) == 1 and str(other) in line and "journal" in line, line
    assert other.read_text() == content and [p.name for p in tmp_path.iterdir()] == [other.name]


CORRUPT = {
    "truncated": '{\n  "backprop": {\n    "params": {\n      "lr": 0.18',
    "an entry that is a list": '{"backprop": []}',
    "params that are a string": '{"backprop": {"params": "lr=0.1"}}',
    "a parameter that is an object": '{"backprop": {"params": {"lr": {"value": 0.1}}}}',
    "a table that is a list": '[{"params": {"lr": 0.1}}]',
    "not UTF-8": b'{"backprop": {"params": {"lr": 0.1}}}\xff',
}


@pytest.mark.parametrize("what", CORRUPT)
def test_a_corrupt_committed_table_is_refused_naming_it_and_nothing_changes(tmp_path, capsys, monkeypatch, what):
    import dendritic
    from dendritic.cli import main

    table, figures = tmp_path / "data" / "hyperparameters.json", tmp_path / "figures"
    table.parent.mkdir()
    content = CORRUPT[what]
    table.write_bytes(content if isinstance(content, bytes) else content.encode())
    monkeypatch.setattr(tuning, "HYPERPARAMETERS_FILE", table)
    monkeypatch.setattr(tuning, "FIGURES", figures)
    monkeypatch.setattr(dendritic.rules, "HYPERPARAMETERS_FILE", table)
    journal = tmp_path / "data" / "optuna.journal"
    assert main(["tune", "--rule", "backprop", "--trials", "1", "--write", "--storage", str(journal)]) == 2
    line = capsys.readouterr().err.strip()
    assert len(line.splitlines()) == 1 and str(table) in line, line
    assert table.read_bytes() == (content if isinstance(content, bytes) else content.encode())
    assert not journal.exists() and not figures.exists()
    if what != "a parameter that is an object":  # (a wrong value is the rule's to name)
        with pytest.raises(ValueError, match="hyperparameters.json"):  # and config="tuned" says the same
            dendritic.rule("backprop", config="tuned")


# --- resumable, shareable, exact -----------------------------------------------------------
def test_resumes_after_kill_9_with_exactly_n_trials(tmp_path):
    journal = tmp_path / "cache" / "dendritic" / "optuna.journal"  # a study without --write: the user's cache
    args = ["--rule", "backprop", "--trials", "10", *SMALL]
    process = start_gated(tmp_path, tmp_path / "gates", *args, TUNE_HOLD=4)  # held in its 4th trial
    wait_for(tmp_path / "gates" / f"started-{process.pid}-4", process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = trials_of(journal)
    done_before = {t.number: t.value for t in states(before, TrialState.COMPLETE)}
    killed = [t.number for t in states(before, TrialState.RUNNING)]
    assert len(done_before) == 3 and len(killed) == 1

    result = run(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    after = trials_of(journal)
    assert_exactly(after, 10)
    for number, value in done_before.items():  # nothing completed is lost or redone
        assert after[number].state == TrialState.COMPLETE and after[number].value == value
    for number in killed:  # the killed trial is failed, with its reason, and not counted
        assert after[number].state == TrialState.FAIL
        assert "gone" in after[number].user_attrs["fail_reason"]

    assert tune_here(*args, "--storage", str(journal)) == 0  # finished: nothing more
    assert len(trials_of(journal)) == len(after)
    assert not (tmp_path / "data").exists() and not (tmp_path / "figures").exists()


def test_two_processes_share_one_study(tmp_path):
    journal = tmp_path / "shared.journal"
    args = ["--rule", "backprop", "--trials", "8", "--storage", str(journal), *SMALL]
    # each holds its first trial until both have one running: both certainly run trials
    processes = [start_gated(tmp_path, tmp_path / "gates", *args, TUNE_BARRIER=2) for _ in range(2)]
    for p in processes:
        finish(p)
    trials = trials_of(journal)
    assert_exactly(trials, 8)
    pids = {t.system_attrs["pid"] for t in states(trials, TrialState.COMPLETE)}
    assert pids == {p.pid for p in processes}, "both processes should have run trials"
    for t in states(trials, TrialState.FAIL):  # only races for the last places may fail
        assert t.user_attrs["fail_reason"].startswith("surplus") and not t.params


def test_workers_option_and_same_seed_same_study(tmp_path):
    one, two = tmp_path / "a.journal", tmp_path / "b.journal"
    for journal in (one, two):
        assert tune_here("--rule", "interneuron", "--trials", "4", "--storage", str(journal), *SMALL) == 0
    a, b = (trials_of(p, "tune-interneuron") for p in (one, two))
    assert [(t.params, t.value) for t in a] == [(t.params, t.value) for t in b]
    assert set(a[0].params) == {"lr", "lr_rec_1", "lr_rec_2", "lr_bias"}

    parallel = tmp_path / "c.journal"
    process = start_gated(tmp_path, tmp_path / "gates", "--rule", "temporal_contrast", "--trials", "6",
                          "--workers", "2", "--storage", str(parallel), *SMALL, TUNE_BARRIER=2)
    finish(process)
    trials = trials_of(parallel, "tune-temporal_contrast")
    assert_exactly(trials, 6)
    workers = {t.system_attrs["pid"] for t in states(trials, TrialState.COMPLETE)}
    assert len(workers) == 2 and process.pid not in workers


def test_resuming_with_another_protocol_is_refused(tmp_path, capsys):
    journal = tmp_path / "s.journal"
    assert tune_here("--rule", "backprop", "--trials", "1", "--storage", str(journal), *SMALL) == 0
    capsys.readouterr()
    assert tune_here("--rule", "backprop", "--trials", "2", "--storage", str(journal), "--seeds", "3", *SMALL) == 2
    err = capsys.readouterr().err.strip()
    assert "seeds" in err and len(err.splitlines()) == 1


def test_stale_trials_dead_here_or_silent_anywhere_are_failed_live_ones_kept(tmp_path):
    storage = studies.HeartbeatJournalStorage(studies.JournalFile(tmp_path / "s.journal"), grace_period=60)
    study = optuna.create_study(study_name="s", storage=storage)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # reaped: its pid names no process (until the system reuses it)
    now = time.time()
    cases = {  # name: (machine, pid, seconds since the last heartbeat); the grace period is 60 s
        "dead here": (studies.MACHINE, dead.pid, 0),
        "alive here": (studies.MACHINE, os.getpid(), 0),
        "alive here, silent": (studies.MACHINE, os.getpid(), 3600),  # a paused process: its heartbeat decides
        "elsewhere, beating": ("another-host/boot/ns", dead.pid, 0),
        "elsewhere, silent": ("another-host/boot/ns", 12345, 3600),
    }
    ids = {}
    for name, (machine, pid, silence) in cases.items():
        with warnings.catch_warnings():  # "heartbeat is meant for optimize": here we fake the trials
            warnings.simplefilter("ignore")
            trial = study.ask()
        ids[name] = trial._trial_id
        storage.set_trial_system_attr(trial._trial_id, "machine", machine)
        storage.set_trial_system_attr(trial._trial_id, "pid", pid)
        storage.set_trial_system_attr(trial._trial_id, "heartbeat", now - silence)
    stale = ("dead here", "alive here, silent", "elsewhere, silent")
    failed = studies.fail_stale_trials(study, storage)
    assert sorted(failed) == sorted(storage.get_trial(ids[n]).number for n in stale)
    for name, trial_id in ids.items():
        trial = storage.get_trial(trial_id)
        assert trial.state == (TrialState.FAIL if name in stale else TrialState.RUNNING), name
    assert "gone" in storage.get_trial(ids["dead here"]).user_attrs["fail_reason"]
    assert "heartbeat" in storage.get_trial(ids["elsewhere, silent"]).user_attrs["fail_reason"]
    assert studies.fail_stale_trials(study, storage) == []  # nothing is failed twice


def test_a_trial_beyond_the_quota_fails_as_surplus_before_sampling(tmp_path):
    import logging

    logged = []
    handler = logging.Handler()
    handler.emit = lambda record: logged.append(record.getMessage())
    spec = tuning.Spec(rule="backprop", trials=1, storage=str(tmp_path / "q.journal"), study="q",
                       seeds=(0,), sampler_seed=0, per_class=30)
    study, storage = tuning.load_study(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.ask()  # another worker's trial, still running: it fills the quota of 1
    logging.getLogger("optuna").addHandler(handler)
    try:
        study.optimize(tuning.Objective("backprop", 1, (0,), per_class=30), n_trials=1, catch=(tuning.Surplus,))
    finally:
        logging.getLogger("optuna").removeHandler(handler)
    surplus = study.trials[1]
    assert surplus.state == TrialState.FAIL and surplus.params == {}
    assert surplus.user_attrs["fail_reason"].startswith("surplus")
    assert not [m for m in logged if "failed" in m]  # expected, so not logged as an error


def test_diverging_trial_is_pruned_with_its_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(tuning, "suggest", lambda trial, name: {"lr": trial.suggest_float("lr", 1e5, 1e6)})
    spec = tuning.Spec(rule="backprop", trials=1, storage=str(tmp_path / "d.journal"), study="d",
                       seeds=(0, 1), sampler_seed=0, per_class=30)
    study, storage = tuning.load_study(spec)
    study.optimize(tuning.Objective("backprop", 1, (0, 1), per_class=30), n_trials=1)
    trial = study.trials[0]
    assert trial.state == TrialState.PRUNED
    assert trial.user_attrs["fail_reason"].startswith("diverged")


# --- a torn journal line -----------------------------------------------------------------------
def cut_last_line_in_half(journal):
    data = journal.read_bytes()
    start = data.rstrip(b"\n").rfind(b"\n") + 1
    torn = data[start:start + (len(data) - start) // 2]
    journal.write_bytes(data[:start] + torn)
    return torn


def optuna_alone(journal, study="tune-backprop"):
    """The study as plain Optuna reads it (no repair)."""
    return optuna.load_study(study_name=study, storage=JournalStorage(JournalFileBackend(str(journal))))


def test_a_torn_last_journal_line_is_cut_with_a_warning_and_the_study_goes_on(tmp_path, capsys):
    journal = tmp_path / "t.journal"
    args = ["--rule", "backprop", "--storage", str(journal), *SMALL]
    # written by another process, which then ended (as a killed one would): its trials are not this one's
    assert run(tmp_path, "--trials", "3", *args).returncode == 0
    torn = cut_last_line_in_half(journal)
    complete = {t.number: t.value for t in optuna_alone(journal).trials if t.state == TrialState.COMPLETE}
    assert len(complete) >= 2  # the cut line may have been the last trial's result: it never happened

    capsys.readouterr()
    assert tune_here("--trials", "5", *args) == 0
    err = capsys.readouterr().err
    warning = [line for line in err.splitlines() if "torn" in line]
    assert len(warning) == 1 and str(journal) in warning[0], err
    assert (tmp_path / "t.journal.torn").read_bytes() == torn + b"\n"
    after = trials_of(journal)
    assert_exactly(after, 5)
    for number, value in complete.items():  # every complete trial is still there
        assert after[number].state == TrialState.COMPLETE and after[number].value == value
    assert journal.read_bytes().endswith(b"\n") and optuna_alone(journal).trials  # plain Optuna reads it too


def test_a_torn_line_glued_to_the_next_by_an_older_version_is_repaired(tmp_path, capsys):
    journal = tmp_path / "g.journal"
    args = ["--rule", "backprop", "--storage", str(journal), *SMALL]
    assert run(tmp_path, "--trials", "2", *args).returncode == 0  # by another process, now ended
    torn = cut_last_line_in_half(journal)
    study = optuna_alone(journal)
    study.set_user_attr("note", "glued to the torn line, as Optuna alone appends it")
    with pytest.raises(ValueError):  # the next write finds the glued line: "Expecting ',' delimiter"
        study.set_user_attr("after", 1)
    with pytest.raises(ValueError):  # and from then on plain Optuna cannot read the study at all
        optuna_alone(journal)

    assert tune_here("--trials", "3", *args) == 0
    err = capsys.readouterr().err
    assert len([line for line in err.splitlines() if "torn" in line]) == 1, err
    assert (tmp_path / "g.journal.torn").read_bytes() == torn + b"\n"
    assert_exactly(trials_of(journal), 3)
    attrs = optuna_alone(journal).user_attrs  # both entries written after the torn line are kept
    assert attrs["note"].startswith("glued") and attrs["after"] == 1


def test_a_torn_tail_left_by_a_dead_writer_is_cut_before_the_next_append(tmp_path):
    path = tmp_path / "j.journal"
    storage = studies.HeartbeatJournalStorage(studies.JournalFile(path))
    study = optuna.create_study(study_name="j", storage=storage)
    torn = b'{"op_code":5,"worker_id":"a dead writer","tri'
    with open(path, "ab") as f:  # another process dies mid-line while this one keeps going
        f.write(torn)
    study.set_user_attr("after", 1)
    assert path.read_bytes().endswith(b"\n") and (tmp_path / "j.journal.torn").read_bytes() == torn + b"\n"
    assert optuna_alone(path, "j").user_attrs == {"after": 1}


# --- what tune writes, and only with --write ------------------------------------------------------
def committed_files(root):
    """A committed table with a tuned entry for backprop and one for another rule, and committed tuning figures."""
    table = root / "data" / "hyperparameters.json"
    table.parent.mkdir(parents=True)
    old = {"backprop": {"params": {"lr": 0.19, "output_gate": False, "lr_decay": "linear"}, "value": 0.97,
                        "study": "tune-backprop-ungated-lr-linear", "trials": 200},
           "interneuron": {"params": {"lr": 0.01, "lr_rec": [0.1, 0.2], "lr_bias": 0.003}, "value": 0.96}}
    table.write_text(json.dumps(old, indent=2) + "\n")
    (root / "figures").mkdir()
    for kind in ("history", "importances", "slice"):
        for suffix in ("png", "svg"):
            (root / "figures" / f"tuning_backprop_{kind}.{suffix}").write_bytes(f"committed {kind} {suffix}".encode())
    return old


def snapshot(root):
    return {p.relative_to(root): p.read_bytes() for folder in ("data", "figures") for p in (root / folder).rglob("*")
            if p.is_file()}


def test_write_replaces_the_entry_only_when_asked_and_keeps_the_old_one(tmp_path):
    old = committed_files(tmp_path)
    committed = snapshot(tmp_path)
    args = ["--rule", "backprop", "--trials", "2", "--confirm", "2"]  # poster protocol, a quick look
    look = run(tmp_path, *args)
    assert look.returncode == 0, look.stderr
    scratch = tmp_path / "cache" / "dendritic" / "optuna.journal"
    assert "nothing written" in look.stdout and f"--write --storage {scratch}" in look.stdout
    assert snapshot(tmp_path) == committed  # not even a journal under data/: the study is in the user's cache
    assert len(states(trials_of(scratch), TrialState.COMPLETE)) == 2

    result = run(tmp_path, *args, "--write")  # its study goes to the committed journal, data/optuna.journal
    assert result.returncode == 0, result.stderr
    assert "replaced backprop's entry" in result.stdout and "higher than the new one" in result.stdout
    table = json.loads((tmp_path / "data" / "hyperparameters.json").read_text())
    assert table["interneuron"] == old["interneuron"]
    entry = table["backprop"]
    assert entry["history"] == [old["backprop"]]  # nothing is lost
    assert entry["trials"] == 2 and entry["seeds"] == [0, 1, 2, 3, 4] and entry["storage"] == "data/optuna.journal"
    assert len(trials_of(tmp_path / "data" / "optuna.journal")) == 2
    assert 0.25 < entry["value"] <= 1 and 1e-5 <= entry["params"]["lr"] <= 0.5
    # both trials were re-trained on seeds 5..9; the chosen one has the best mean over seeds 0..9
    candidates = entry["confirmation"]["candidates"]
    assert len(candidates) == 2 and len(entry["val_acc_per_seed"]) == 10
    assert entry["best_trial"] == max(candidates, key=lambda c: c["mean"])["trial"]
    assert entry["confirmation"]["mean_all_seeds"] == pytest.approx(sum(entry["val_acc_per_seed"]) / 10, abs=1e-6)
    for kind in ("history", "importances", "slice"):
        for suffix in ("png", "svg"):
            assert (tmp_path / "figures" / f"tuning_backprop_{kind}.{suffix}").stat().st_size > 1000
    assert not [p for p in (tmp_path / "data").iterdir() if p.name.startswith(".")]  # no temporary file left


def test_hyperparameters_json_is_merged_with_history_and_read_by_the_tuned_config(tmp_path):
    from dendritic.rules import tuned_hyperparameters

    path = tmp_path / "hyperparameters.json"
    assert tuning.write_hyperparameters("backprop", {"params": {"lr": 0.05}, "value": 0.9}, path) is None
    tuning.write_hyperparameters("interneuron", {"params": {"lr": 0.01, "lr_rec": [0.1, 0.2], "lr_bias": 0.003}}, path)
    replaced = tuning.write_hyperparameters("backprop", {"params": {"lr": 0.07}, "value": 0.91}, path)
    assert replaced == {"params": {"lr": 0.05}, "value": 0.9}
    tuning.write_hyperparameters("backprop", {"params": {"lr": 0.08}, "value": 0.92}, path)
    assert tuning.write_hyperparameters("backprop", {"params": {"lr": 0.08}, "value": 0.92}, path) is None  # the same
    table = json.loads(path.read_text())
    assert set(table) == {"backprop", "interneuron"} and table["backprop"]["params"] == {"lr": 0.08}
    assert [h["params"]["lr"] for h in table["backprop"]["history"]] == [0.07, 0.05]  # newest first
    assert tuned_hyperparameters("backprop", path) == {"lr": 0.08}
    assert tuned_hyperparameters("interneuron", path) == {"lr": 0.01, "lr_rec": [0.1, 0.2], "lr_bias": 0.003}
    assert [p.name for p in tmp_path.iterdir()] == ["hyperparameters.json"]  # no temporary or lock file left
    assert path.stat().st_mode & 0o644 == 0o644
    assert tuning.rule_params("interneuron", {"lr": 1, "lr_rec_2": 3, "lr_rec_1": 2, "lr_bias": 4}) == \
        {"lr": 1, "lr_rec": [2, 3], "lr_bias": 4}


# --- the two non-poster options the tuned configuration may use --------------------------
def test_poster_rules_have_no_options_and_options_are_recorded():
    import dendritic

    for name in dendritic.RULES:
        assert dendritic.rule(name).options() == {}
        tuned = dendritic.rule(name, output_gate=False, lr_decay="linear")
        assert tuned.hyperparameters()["output_gate"] is False and tuned.hyperparameters()["lr_decay"] == "linear"
    with pytest.raises(ValueError, match="lr_decay"):
        dendritic.rule("backprop", lr_decay="cosine")
    with pytest.raises(ValueError, match="output_gate"):
        dendritic.rule("backprop", output_gate="no")


def test_ungated_output_nudge_reaches_a_silent_output_unit():
    import torch
    import dendritic

    net = dendritic.Network(seed=0)
    with torch.no_grad():  # output units 0 and 1 silent: z = -1 whatever the input
        net.W3[:2] = 0
        net.b3[:2] = -1
    x = torch.tensor([0.3, -0.2])
    gated = dendritic.rule("backprop", lr=0.1).delta(net, x, 0)["b3"]  # the bias update is lr * nudge
    ungated = dendritic.rule("backprop", lr=0.1, output_gate=False).delta(net, x, 0)["b3"]
    assert gated[0] == 0 and ungated[0] == pytest.approx(0.1 * 0.5)  # lr (2/K) (1 - 0)
    assert ungated[1] == 0  # a silent unit whose target is 0 is left alone
    assert torch.equal(gated[2:], ungated[2:])  # active units: the same nudge


def test_linear_decay_scales_each_update_by_the_remaining_fraction():
    import torch
    import dendritic
    from dendritic.training import sample_order

    for name in dendritic.RULES:
        assert dendritic.rule(name, lr_decay="linear").lr_factor(3, 4) == 0.25
    data = dendritic.spiral_data(per_class=5, seed=3, split=(0.1, 0.45, 0.45))  # 2 training samples
    trained = dendritic.Network(seed=0)
    dendritic.train(trained, dendritic.rule("backprop", lr=0.3, lr_decay="linear"), data)
    # by hand: the first update at the full rate, the second at half of it
    rule, net = dendritic.rule("backprop", lr=0.3), dendritic.Network(seed=0)
    (x0, x1), (y0, y1) = (data.train[0][sample_order(0, 2, 1)], data.train[1][sample_order(0, 2, 1)])
    rule.step(net, x0, int(y0))
    delta = rule.delta(net, x1, int(y1))
    with torch.no_grad():
        for name, param in net.named_parameters():
            param += 0.5 * delta[name]
    for (name, a), (_, b) in zip(trained.named_parameters(), net.named_parameters()):
        assert torch.allclose(a, b, atol=1e-6), name


def test_study_with_options_is_named_and_written_with_them(tmp_path, capsys):
    journal = tmp_path / "o.journal"
    assert tune_here("--rule", "temporal_contrast", "--trials", "1", "--storage", str(journal),
                     "--ungated-output", "--lr-decay", "linear", "--no-write", *SMALL) == 0  # --no-write: the default
    trials = trials_of(journal, "tune-temporal_contrast-ungated-lr-linear")
    assert len(states(trials, TrialState.COMPLETE)) == 1
    out = capsys.readouterr().out
    assert '"output_gate": false, "lr_decay": "linear"' in out and "nothing written" in out
