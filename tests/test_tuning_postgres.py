"""Tuning on a real PostgreSQL server: two workers on one study, one killed with SIGKILL
mid-trial, a restarted worker resumes, and the study ends with exactly the trials asked for.

The server is a throwaway one: ``initdb`` in a temporary folder, listening on 127.0.0.1 only,
on a free port, run as an unprivileged user (PostgreSQL refuses root), stopped and removed at
the end. Without PostgreSQL's binaries the test is skipped, with the reason, except under
``CI=true``, where it fails: CI must run it (``make setup`` installs Debian's postgresql as root).
"""

from glob import glob
import os
from pathlib import Path
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import optuna
from optuna.trial import TrialState
import pytest

from test_tuning import (SMALL, assert_exactly, environment, finish, no_process_left_behind,  # noqa: F401 (a fixture)
                         start_gated, states, wait_for)

USER, PASSWORD = "tune", "tuning-test"


def _missing(reason):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI must run the PostgreSQL test)")
    pytest.skip(reason)


def _binaries():
    """The folder of initdb / postgres: on PATH, or Debian's /usr/lib/postgresql/VERSION/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    debian = sorted(glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(debian[-1]).parent if debian else None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """A PostgreSQL server on 127.0.0.1 with an empty database; yields its URL."""
    binaries = _binaries()
    if binaries is None:
        _missing("PostgreSQL is not installed (no initdb): `apt-get install postgresql`, or `make setup` as root")
    try:
        import psycopg
    except ImportError:
        _missing('the psycopg driver is not installed: pip install ".[cluster]"')
    # PostgreSQL will not run as root: as root, run it as the postgres user (or nobody)
    owner = {}
    if os.geteuid() == 0:
        account = next(a for a in (_account("postgres"), _account("nobody")) if a is not None)
        owner = dict(user=account.pw_uid, group=account.pw_gid, extra_groups=[])
    folder = Path(tempfile.mkdtemp(prefix="dendritic-postgres-"))
    server = None
    try:
        (folder / "password").write_text(PASSWORD + "\n")
        if owner:
            for path in (folder, folder / "password"):
                os.chown(path, owner["user"], owner["group"])
        env = dict(os.environ, LC_ALL="C", HOME=str(folder))
        subprocess.run([binaries / "initdb", "-D", folder / "data", "-U", USER, "--pwfile", folder / "password",
                        "--auth", "scram-sha-256", "-E", "UTF8", "--no-sync"], cwd=folder, env=env,
                       check=True, capture_output=True, **owner)
        port = _free_port()
        log = open(folder / "server.log", "wb")
        server = subprocess.Popen([binaries / "postgres", "-D", folder / "data", "-h", "127.0.0.1", "-p", str(port),
                                   "-k", folder, "-c", "fsync=off", "-c", "max_connections=40"],
                                  cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, **owner)
        admin = f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:  # until it accepts connections
            try:
                with psycopg.connect(f"{admin}/postgres", autocommit=True) as connection:
                    connection.execute("CREATE DATABASE optuna")
                break
            except psycopg.OperationalError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"PostgreSQL did not start: {(folder / 'server.log').read_text()}")
                time.sleep(0.1)
        yield f"{admin}/optuna"
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGINT)  # fast shutdown: ends the sessions, stops
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(folder, ignore_errors=True)


def _account(name):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def test_two_workers_on_postgresql_one_killed_mid_trial_then_resumed(server, tmp_path):
    args = ["--rule", "backprop", "--trials", "6", "--storage", server, *SMALL]
    gates = tmp_path / "gates"
    # two workers, each held in its first trial: both trials RUNNING in the study at once
    killed, survivor = (start_gated(tmp_path, gates, *args, TUNE_HOLD=1) for _ in range(2))
    wait_for(gates / f"started-{killed.pid}-1", killed, survivor)
    wait_for(gates / f"started-{survivor.pid}-1", killed, survivor)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    # a new worker takes the killed one's place while the survivor's trial is still running
    resumed = start_gated(tmp_path, gates, *args, TUNE_HOLD=1)
    wait_for(gates / f"started-{resumed.pid}-1", resumed, survivor)
    (gates / "release-all").touch()
    for p in (survivor, resumed):
        finish(p)

    study = optuna.load_study(study_name="tune-backprop", storage=server)
    trials = study.get_trials(deepcopy=False)
    assert_exactly(trials, 6)
    by_pid = {}
    for t in trials:
        by_pid.setdefault(t.system_attrs.get("pid"), []).append(t)
    [lost] = by_pid[killed.pid]  # the killed worker's trial: failed, with the reason, not counted
    assert lost.state == TrialState.FAIL and "gone" in lost.user_attrs["fail_reason"]
    for p in (survivor, resumed):
        assert states(by_pid[p.pid], TrialState.COMPLETE), f"worker {p.pid} completed no trial"
    assert all(t.user_attrs["fail_reason"].startswith("surplus") for t in states(trials, TrialState.FAIL) if t is not lost)

    again = subprocess.run([sys.executable, "-m", "dendritic", "tune", *args], env=environment(tmp_path),
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr  # finished: nothing more
    assert len(optuna.load_study(study_name="tune-backprop", storage=server).trials) == len(trials)
    assert "tuning-test" not in again.stdout + again.stderr  # the password is never printed
