"""The tuning command: resumable after kill -9, shareable between processes, exact trial counts.

Trials run on a small spiral (``--per-class``) so each takes a fraction of a second;
the code path is the one the real tuning uses.
"""

import json
import os
import signal
import subprocess
import sys
import time
import warnings

import optuna
from optuna.trial import TrialState
import pytest

from dendritic import tuning

SMALL = ["--per-class", "150"]  # 420 training steps per trial
SLOWER = ["--per-class", "400"]  # 1120 steps: long enough that two processes both get trials


def command(root, *args):
    env = dict(os.environ, DENDRITIC_ROOT=str(root))
    return [sys.executable, "-m", "dendritic", "tune", *args], env


def run(root, *args):
    cmd, env = command(root, *args)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def trials_of(path, study="tune-backprop"):
    storage = tuning.open_storage(str(path))
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


def test_bad_input_exits_2_with_one_line(tmp_path):
    result = run(tmp_path, "--rule", "nope", "--trials", "3")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "rule" in lines[0] and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "data" / "optuna.journal").exists()


@pytest.mark.parametrize("args, word", [
    (["--rule", "backprop", "--trials", "0"], "trials"),
    (["--rule", "backprop", "--trials", "3", "--seeds", "0"], "seeds"),
    (["--rule", "backprop", "--trials", "3", "--workers", "0"], "workers"),
    (["--rule", "backprop", "--trials", "3", "--per-class", "2"], "per_class"),
    (["--rule", "backprop", "--trials", "3", "--confirm", "-1"], "confirm"),
    (["--rule", "backprop", "--trials", "3", "--lr-decay", "cosine"], "lr_decay"),
])
def test_bad_numbers_exit_2_before_any_work(tmp_path, capsys, args, word):
    from dendritic.cli import main

    assert main(["tune", *args, "--storage", str(tmp_path / "s.journal")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and word in lines[0]
    assert not (tmp_path / "s.journal").exists()


def test_resumes_after_kill_9_with_exactly_n_trials(tmp_path):
    journal = tmp_path / "data" / "optuna.journal"
    cmd, env = command(tmp_path, "--rule", "backprop", "--trials", "10", *SMALL)
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # kill while a trial runs, after at least 3 have completed
    deadline = time.time() + 120
    while time.time() < deadline:
        time.sleep(0.02)
        try:
            trials = trials_of(journal)
        except KeyError:  # the study is not created yet
            continue
        running = [t for t in states(trials, TrialState.RUNNING) if "lr" in t.params]
        if len(states(trials, TrialState.COMPLETE)) >= 3 and running:
            process.send_signal(signal.SIGKILL)
            break
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    before = trials_of(journal)
    done_before = {t.number: t.value for t in states(before, TrialState.COMPLETE)}
    killed = [t.number for t in states(before, TrialState.RUNNING)]
    assert 3 <= len(done_before) < 10 and killed

    result = run(tmp_path, "--rule", "backprop", "--trials", "10", *SMALL)
    assert result.returncode == 0, result.stderr
    after = trials_of(journal)
    assert_exactly(after, 10)
    for number, value in done_before.items():  # nothing completed is lost or redone
        assert after[number].state == TrialState.COMPLETE and after[number].value == value
    for number in killed:  # the killed trial is failed, with its reason, and not counted
        assert after[number].state == TrialState.FAIL
        assert "gone" in after[number].user_attrs["fail_reason"]

    again = run(tmp_path, "--rule", "backprop", "--trials", "10", *SMALL)  # finished: nothing more
    assert again.returncode == 0, again.stderr
    assert len(trials_of(journal)) == len(after)


def test_two_processes_share_one_study(tmp_path):
    journal = tmp_path / "data" / "optuna.journal"
    cmd, env = command(tmp_path, "--rule", "backprop", "--trials", "12", *SLOWER)
    processes = [subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
    for p in processes:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    trials = trials_of(journal)
    assert_exactly(trials, 12)
    pids = {t.system_attrs["pid"] for t in states(trials, TrialState.COMPLETE)}
    assert pids == {p.pid for p in processes}, "both processes should have run trials"
    for t in states(trials, TrialState.FAIL):  # only races for the last places may fail
        assert t.user_attrs["fail_reason"].startswith("surplus") and not t.params


def test_workers_option_and_same_seed_same_study(tmp_path):
    one, two = tmp_path / "a.journal", tmp_path / "b.journal"
    assert run(tmp_path, "--rule", "interneuron", "--trials", "4", "--storage", str(one), *SMALL).returncode == 0
    again = run(tmp_path, "--rule", "interneuron", "--trials", "4", "--storage", str(two), *SMALL)
    assert again.returncode == 0, again.stderr
    a, b = (trials_of(p, "tune-interneuron") for p in (one, two))
    assert [(t.params, t.value) for t in a] == [(t.params, t.value) for t in b]
    assert set(a[0].params) == {"lr", "lr_rec_1", "lr_rec_2", "lr_bias"}

    parallel = tmp_path / "c.journal"
    result = run(tmp_path, "--rule", "temporal_contrast", "--trials", "6", "--workers", "2",
                 "--storage", str(parallel), *SLOWER)
    assert result.returncode == 0, result.stderr
    trials = trials_of(parallel, "tune-temporal_contrast")
    assert_exactly(trials, 6)
    assert len({t.system_attrs["pid"] for t in states(trials, TrialState.COMPLETE)}) == 2


def test_resuming_with_another_protocol_is_refused(tmp_path):
    journal = tmp_path / "s.journal"
    assert run(tmp_path, "--rule", "backprop", "--trials", "1", "--storage", str(journal), *SMALL).returncode == 0
    result = run(tmp_path, "--rule", "backprop", "--trials", "2", "--storage", str(journal), "--seeds", "3", *SMALL)
    assert result.returncode == 2
    assert "seeds" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_stale_trials_dead_here_or_silent_anywhere_are_failed_live_ones_kept(tmp_path):
    storage = tuning.HeartbeatJournalStorage(
        optuna.storages.journal.JournalFileBackend(str(tmp_path / "s.journal")), grace_period=5)
    study = optuna.create_study(study_name="s", storage=storage)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    now = time.time()
    cases = {  # name: (machine, pid, seconds since the last heartbeat)
        "dead here": (tuning.MACHINE, dead.pid, 0),
        "alive here": (tuning.MACHINE, os.getpid(), 0),
        "elsewhere, beating": ("another-host/boot/ns", dead.pid, 1),
        "elsewhere, silent": ("another-host/boot/ns", 12345, 30),
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
    failed = tuning.fail_stale_trials(study, storage)
    assert sorted(failed) == sorted(storage.get_trial(ids[n]).number for n in ("dead here", "elsewhere, silent"))
    for name, trial_id in ids.items():
        trial = storage.get_trial(trial_id)
        expected = TrialState.FAIL if name in ("dead here", "elsewhere, silent") else TrialState.RUNNING
        assert trial.state == expected, name
    assert "heartbeat" in storage.get_trial(ids["elsewhere, silent"]).user_attrs["fail_reason"]


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


def test_hyperparameters_json_is_merged_and_read_by_the_tuned_config(tmp_path):
    from dendritic.rules import tuned_hyperparameters

    path = tmp_path / "hyperparameters.json"
    tuning.write_hyperparameters("backprop", {"params": {"lr": 0.05}, "value": 0.9}, path)
    tuning.write_hyperparameters("interneuron", {"params": {"lr": 0.01, "lr_rec": [0.1, 0.2], "lr_bias": 0.003}}, path)
    tuning.write_hyperparameters("backprop", {"params": {"lr": 0.07}, "value": 0.91}, path)
    table = json.loads(path.read_text())
    assert set(table) == {"backprop", "interneuron"} and table["backprop"]["params"] == {"lr": 0.07}
    assert tuned_hyperparameters("interneuron", path) == {"lr": 0.01, "lr_rec": [0.1, 0.2], "lr_bias": 0.003}
    assert [p.name for p in tmp_path.iterdir()] == ["hyperparameters.json"]  # no temporary or lock file left
    assert path.stat().st_mode & 0o644 == 0o644
    assert tuning.rule_params("interneuron", {"lr": 1, "lr_rec_2": 3, "lr_rec_1": 2, "lr_bias": 4}) == \
        {"lr": 1, "lr_rec": [2, 3], "lr_bias": 4}


def test_poster_protocol_writes_table_and_figures(tmp_path):
    result = run(tmp_path, "--rule", "backprop", "--trials", "2")
    assert result.returncode == 0, result.stderr
    table = json.loads((tmp_path / "data" / "hyperparameters.json").read_text())
    entry = table["backprop"]
    assert entry["trials"] == 2 and entry["seeds"] == [0, 1, 2, 3, 4] and entry["storage"] == "data/optuna.journal"
    assert 0.25 < entry["value"] <= 1 and 1e-5 <= entry["params"]["lr"] <= 0.5
    # both trials were re-trained on seeds 5..9; the chosen one has the best mean over seeds 0..9
    candidates = entry["confirmation"]["candidates"]
    assert len(candidates) == 2 and len(entry["val_acc_per_seed"]) == 10
    best = max(candidates, key=lambda c: c["mean"])
    assert entry["best_trial"] == best["trial"]
    assert entry["confirmation"]["mean_all_seeds"] == pytest.approx(sum(entry["val_acc_per_seed"]) / 10, abs=1e-6)
    for kind in ("history", "importances", "slice"):
        for suffix in ("png", "svg"):
            assert (tmp_path / "figures" / f"tuning_backprop_{kind}.{suffix}").stat().st_size > 1000


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
    from dendritic.rules.base import output_nudge

    activity = torch.tensor([[[0.0, 0.0, 0.7, 0.2]]])  # units 0 and 1 silent (z <= 0)
    target = torch.tensor([[[1.0, 0.0, 0.0, 0.0]]])
    gated, ungated = output_nudge(activity, target), output_nudge(activity, target, gate=False)
    assert gated[0, 0, 0] == 0 and ungated[0, 0, 0] == 0.5  # (2/K) * (1 - 0)
    assert ungated[0, 0, 1] == 0  # a silent unit whose target is 0 is left alone
    assert torch.equal(gated[0, 0, 2:], ungated[0, 0, 2:])  # active units: the same nudge


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


def test_study_with_options_is_named_and_written_with_them(tmp_path):
    journal = tmp_path / "o.journal"
    result = run(tmp_path, "--rule", "temporal_contrast", "--trials", "1", "--storage", str(journal),
                 "--ungated-output", "--lr-decay", "linear", *SMALL)
    assert result.returncode == 0, result.stderr
    trials = trials_of(journal, "tune-temporal_contrast-ungated-lr-linear")
    assert len(states(trials, TrialState.COMPLETE)) == 1
    assert '"output_gate": false, "lr_decay": "linear"' in result.stdout
