"""Where tuning studies live, and how they survive kills, torn writes and dead machines.

A study is stored in a journal file (plain JSON lines; Optuna's ``JournalFileBackend``, safe for
several processes and, through its symlink lock, on a shared file system) or an Optuna RDB URL
(``sqlite:///path/optuna.db``, ``postgresql://user:pass@host/db``, the ``cluster`` extra's driver).

- ``check_storage`` checks a storage (scheme, driver, folder) before any study is created;
  ``open_storage`` opens it, with heartbeats.
- ``JournalFile``: a journal line torn by a kill or a full disk is cut away (to
  ``<journal>.torn``, with a one-line warning) before anything is appended after it.
- ``fail_stale_trials``: a killed process leaves its trial RUNNING; it is failed (never counted)
  when it was started on this machine by a process that no longer exists, or when its heartbeat
  (every ``HEARTBEAT_INTERVAL`` s) is older than ``GRACE_PERIOD`` s, on any machine.
"""

from contextlib import contextmanager
import json
import os
from pathlib import Path
import re
import socket
import sys
import time
import warnings

import optuna
from optuna.storages import JournalStorage, RDBStorage
from optuna.storages._heartbeat import BaseHeartbeat
from optuna.storages.journal import JournalFileBackend, JournalFileSymlinkLock
from optuna.trial import TrialState

from . import atomic
from .paths import DATA

#: Seconds between heartbeats of a running trial, and silence after which it counts as dead.
HEARTBEAT_INTERVAL = 10
GRACE_PERIOD = 60
#: Tries to open a database whose tables other workers may be creating at the same moment.
RDB_ATTEMPTS = 5
#: Storage URL schemes (besides a journal file path) and the driver they need.
SCHEMES = ("sqlite", "postgresql")
CLUSTER_EXTRA = 'pip install ".[cluster]" in the repository (the psycopg driver)'
#: The committed study journal: where ``tune --write`` keeps its studies unless given ``--storage``.
COMMITTED_STORAGE = DATA / "optuna.journal"


def scratch_storage():
    """The default storage of a study that is not written: a journal in the user's cache,
    never the repository's ``data/`` (``$XDG_CACHE_HOME/dendritic/optuna.journal``)."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "dendritic" / "optuna.journal"


# --- storage, heartbeats and stale trials -----------------------------------------------
def _machine():
    """Names this machine's process table: host, kernel boot and PID namespace.

    Two processes with equal names can see each other's PIDs. None where /proc
    is missing (then only heartbeats decide).
    """
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return None
    return f"{socket.gethostname()}/{boot}/{namespace}"


MACHINE = _machine()


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    try:  # a zombie (killed, not yet reaped) is dead
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


class HeartbeatJournalStorage(JournalStorage, BaseHeartbeat):
    """A journal storage whose running trials write a heartbeat (a system attribute,
    seconds since the epoch), so Optuna's ``optimize`` can fail the trials of dead
    processes on any machine, as it does for RDB storages."""

    def __init__(self, backend, heartbeat_interval=HEARTBEAT_INTERVAL, grace_period=GRACE_PERIOD):
        super().__init__(backend)
        self.heartbeat_interval, self.grace_period = heartbeat_interval, grace_period

    def record_heartbeat(self, trial_id):
        try:
            self.set_trial_system_attr(trial_id, "heartbeat", time.time())
        except optuna.exceptions.UpdateFinishedTrialError:
            pass  # failed as stale by another process while we were paused; nothing to keep alive

    def _get_stale_trial_ids(self, study_id):
        now = time.time()
        return [t._trial_id for t in self.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,))
                if now - t.system_attrs.get("heartbeat", t.datetime_start.timestamp()) > self.grace_period]

    def get_heartbeat_interval(self):
        return self.heartbeat_interval

    def get_heartbeat_stale_trial_callback(self):
        return None


# --- the journal file: torn lines ---------------------------------------------------
#: How every journal line begins (Optuna writes ``json.dumps(log, separators=(",", ":"))``;
#: inside a JSON string these characters would be escaped, so this only starts an entry).
ENTRY_START = b'{"op_code":'


@contextmanager
def _held(lock):
    lock.acquire()
    try:
        yield
    finally:
        lock.release()


class JournalFile(JournalFileBackend):
    """Optuna's journal file, safe against torn lines.

    A writer killed in the middle of a line, or a full disk, leaves a last line without its
    newline. Optuna skips such a line when reading, but appends the next entry right after
    it, and that glued line breaks every later read ("Expecting ',' delimiter"). Here,
    holding the journal's lock (so never a line another process is still writing), a torn
    last line is cut away before anything is appended; on opening, a torn start glued to a
    complete entry (by an older version) is cut away too. The torn bytes go to
    ``<journal>.torn``, with a one-line warning. Optuna never counted a torn entry, so the
    study is as every process saw it.
    """

    def __init__(self, path):
        self.path, self.lock = Path(path), JournalFileSymlinkLock(str(path))
        super().__init__(str(path), lock_obj=self.lock)
        with _held(self.lock):
            repair_journal(self.path)

    def append_logs(self, logs):  # Optuna's append, with the torn-line check under the same lock
        with _held(self.lock):
            if _torn_tail(self.path):
                repair_journal(self.path)
            text = "\n".join(json.dumps(log, separators=(",", ":")) for log in logs) + "\n"
            with open(self.path, "ab") as f:
                f.write(text.encode("utf-8"))
                f.flush()
                os.fsync(f.fileno())


def _torn_tail(path):
    """Whether the journal's last line lacks its newline (read: one byte)."""
    with open(path, "rb") as f:
        size = f.seek(0, os.SEEK_END)
        if size == 0:
            return False
        f.seek(size - 1)
        return f.read(1) != b"\n"


def _is_json(line):
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def repair_journal(path):
    """Cut torn lines out of a journal file; call it holding the journal's lock.

    A torn last line is truncated away; a torn start glued to a complete entry is removed
    (the file rewritten atomically). The torn bytes are appended to ``<journal>.torn`` and
    one warning line goes to stderr. Returns the torn pieces (empty if the file was sound).
    Raises ValueError, changing nothing, for a file that does not begin like a journal.
    """
    path = Path(path)
    data = path.read_bytes()
    if data and not data.startswith(ENTRY_START):  # some other file: never cut anything of it
        raise ValueError("its first line is not an Optuna journal entry")
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline
    glued = []  # torn starts of lines, each followed by a complete entry
    for i, line in enumerate(lines):
        start = line.rfind(ENTRY_START)
        if start > 0 and not _is_json(line) and _is_json(line[start:]):
            glued.append(line[:start])
            lines[i] = line[start:]
    torn = glued + ([tail] if tail else [])
    if not torn:
        return []
    backup = path.with_name(path.name + ".torn")
    atomic.write_bytes(backup, (backup.read_bytes() if backup.exists() else b"") + b"\n".join(torn) + b"\n")
    if glued:
        mode = path.stat().st_mode
        atomic.write_bytes(path, b"".join(line + b"\n" for line in lines))
        os.chmod(path, mode)  # a journal shared by a lab group stays group-writable
    else:
        os.truncate(path, len(data) - len(tail))
    print(f"warning: {path}: cut {len(torn)} torn journal line(s) ({sum(map(len, torn))} bytes, from a write cut "
          f"short by a kill or a full disk) and kept them in {backup.name}; the study goes on", file=sys.stderr)
    return torn


# --- storage: checked before any study is created, then opened --------------------------
def check_storage(storage):
    """Check a storage before any work: a journal file path (not a folder, in a writable folder),
    ``sqlite:///FILE`` (its folder exists) or ``postgresql://USER:PASSWORD@HOST/DATABASE`` (its
    driver installed). Returns it as a string; raises ValueError naming ``storage``."""
    text = str(storage)
    if "://" not in text:
        if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", text):
            raise ValueError(f"storage: {text!r} looks like a URL without '://'; give a journal file path, "
                             f"sqlite:///FILE or postgresql://USER:PASSWORD@HOST/DATABASE")
        atomic.writable_file("storage", text)
        return text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    shown = describe_storage(text)
    try:
        url = make_url(text)
    except ArgumentError:
        raise ValueError(f"storage: cannot read {shown!r} as a database URL") from None
    if url.get_backend_name() not in SCHEMES:
        raise ValueError(f"storage: unknown scheme {url.drivername!r} in {shown!r}; give a journal file path, "
                         f"sqlite:///FILE or postgresql://USER:PASSWORD@HOST/DATABASE")
    try:
        url.get_dialect().import_dbapi()
    except NoSuchModuleError:
        raise ValueError(f"storage: unknown database driver {url.drivername!r} in {shown!r}") from None
    except ImportError as error:
        hint = CLUSTER_EXTRA if url.get_backend_name() == "postgresql" else "install it"
        raise ValueError(f"storage: {shown!r} needs a database driver that is not installed ({error}); {hint}") from None
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            raise ValueError(f"storage: {shown!r} is in memory, lost when the process ends; give sqlite:///FILE")
        folder = Path(url.database).parent
        if not folder.is_dir():
            raise ValueError(f"storage: the folder {str(folder)!r} of {shown!r} does not exist")
        atomic.writable_file("storage", url.database)
    return text


def open_storage(url=None):
    """An Optuna storage with heartbeats: an RDB URL (``sqlite:///...``, ``postgresql://...``)
    or a journal file path (default: ``scratch_storage()``). Raises ValueError naming the
    storage when it cannot be read or reached."""
    url = str(url if url is not None else scratch_storage())
    if "://" not in url:
        path = Path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return HeartbeatJournalStorage(JournalFile(path))
        except ValueError as error:  # a line that is not JSON, and not a torn one
            raise ValueError(f"storage: {path} is not a readable Optuna journal ({error})") from None
    from sqlalchemy.exc import IntegrityError, ProgrammingError, SQLAlchemyError

    for attempt in range(RDB_ATTEMPTS):
        try:
            with warnings.catch_warnings():  # "heartbeat_interval is an experimental feature"
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return RDBStorage(url, heartbeat_interval=HEARTBEAT_INTERVAL, grace_period=GRACE_PERIOD)
        except ImportError as error:
            raise ValueError(f"storage {describe_storage(url)!r} needs a database driver that is not installed "
                             f"({error}); {CLUSTER_EXTRA}") from None
        except (IntegrityError, ProgrammingError) as error:
            # workers starting together on a new database all create Optuna's tables ("duplicate key",
            # "already exists"); one wins, and the others find the tables when they try again
            if attempt + 1 == RDB_ATTEMPTS:
                raise ValueError(f"storage: cannot create Optuna's tables in {describe_storage(url)!r}: "
                                 f"{_first_line(error)}") from None
            time.sleep(0.2 * 2**attempt)
        except SQLAlchemyError as error:  # server down, wrong password, no such database, ...
            raise ValueError(f"storage: cannot open {describe_storage(url)!r}: {_first_line(error)}") from None


def _first_line(error):
    return str(getattr(error, "orig", None) or error).strip().splitlines()[0]


def describe_storage(url=None):
    """The storage as recorded in hyperparameters.json: a path relative to the project, or the URL without password."""
    if url is None or "://" not in str(url):
        path = Path(url if url is not None else scratch_storage()).resolve()
        try:
            return str(path.relative_to(DATA.parent.resolve()))
        except ValueError:
            return str(path)
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", str(url))


def fail_stale_trials(study, storage):
    """Fail RUNNING trials whose process is gone (this machine) or whose heartbeat
    is older than the grace period (any machine); the reason goes to ``fail_reason``.

    Returns the numbers of the trials failed by this call.
    """
    heartbeat = isinstance(storage, BaseHeartbeat) and storage.get_heartbeat_interval() is not None
    stale = set(storage._get_stale_trial_ids(study._study_id)) if heartbeat else set()
    failed = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        pid = t.system_attrs.get("pid")
        if MACHINE is not None and t.system_attrs.get("machine") == MACHINE and pid is not None and not _process_alive(pid):
            reason = f"stale: its process {pid} on this machine is gone"
        elif t._trial_id in stale:
            reason = f"stale: no heartbeat for more than {getattr(storage, 'grace_period', GRACE_PERIOD)} s"
        else:
            continue
        try:
            storage.set_trial_user_attr(t._trial_id, "fail_reason", reason)
            if storage.set_trial_state_values(t._trial_id, TrialState.FAIL):
                failed.append(t.number)
        except optuna.exceptions.UpdateFinishedTrialError:
            pass  # another process failed it first, or it just finished
    return failed


