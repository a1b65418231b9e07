"""Fault injection: ``tune --write`` killed (SIGKILL) at every moment it writes its outputs, and a
write that fails (a full disk). Every target is then either the old file or the complete new one.

The kills happen in forked children at exact moments (half of a file's bytes written; a file just
renamed into place), so the test is deterministic and covers every target, not a random sample.
"""

from contextlib import contextmanager
import errno
import itertools
import json
import os
import signal

import pytest

from dendritic import atomic, tuning

#: What ``tune --write`` replaces, in the order it writes them (the table last).
TARGETS = [f"figures/tuning_backprop_{kind}.{suffix}" for kind in ("history", "slice", "importances")
           for suffix in ("png", "svg")] + ["data/hyperparameters.json"]
MOMENTS = [(moment, i) for i in range(len(TARGETS)) for moment in ("mid-write", "renamed")]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished small study and the entry ``--write`` would make of it."""
    root = tmp_path_factory.mktemp("study")
    study = tuning.tune("backprop", 3, storage=root / "s.journal", seeds=2, per_class=30)
    entry = tuning.best_entry(study)
    entry["storage"] = "s.journal"
    return study, entry


def committed(root):
    """The committed files: a table with an entry for backprop and one for another rule, and old figures."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "figures").mkdir(exist_ok=True)
    old = {"backprop": {"params": {"lr": 0.19}, "value": 0.97}, "interneuron": {"params": {"lr": 0.01}, "value": 0.96}}
    (root / TARGETS[-1]).write_text(json.dumps(old, indent=2) + "\n")
    for target in TARGETS[:-1]:
        (root / target).write_bytes(f"the committed {target}".encode())
    return {target: (root / target).read_bytes() for target in TARGETS}


def write(study, entry, root):
    return tuning.write_results(study, "backprop", entry, root / "data" / "hyperparameters.json", root / "figures")


@pytest.fixture(scope="module")
def new_files(finished, tmp_path_factory):
    """The files a complete ``--write`` makes (the same bytes every time: no dates, fixed ids)."""
    root = tmp_path_factory.mktemp("reference")
    committed(root)
    write(*finished, root)
    files = {target: (root / target).read_bytes() for target in TARGETS}
    write(*finished, root)  # the same study, written again: the same figures
    assert all((root / target).read_bytes() == files[target] for target in TARGETS[:-1])
    return files


class _HalfThenKill:
    """A file that is killed (SIGKILL) halfway through its first non-empty write."""

    def __init__(self, file):
        self.file = file

    def write(self, data):
        if not data:
            return self.file.write(data)
        self.file.write(data[:len(data) // 2])
        self.file.flush()
        os.fsync(self.file.fileno())
        os.kill(os.getpid(), signal.SIGKILL)

    def __getattr__(self, name):
        if name == "fileno":  # so PIL writes through write() instead of to the descriptor
            raise AttributeError(name)
        return getattr(self.file, name)


def killed_while_writing(study, entry, root, moment, index):
    """Run the write step in a forked child that kills itself at ``moment`` of the ``index``-th file.
    Returns the child's wait status."""
    pid = os.fork()
    if pid:
        return os.waitpid(pid, 0)[1]
    try:  # the child: never returns into pytest
        real, files = atomic.open_for_write, itertools.count()

        @contextmanager
        def open_for_write(path, mode="w", **kwargs):
            n = next(files)
            with real(path, mode, **kwargs) as f:
                yield _HalfThenKill(f) if (moment, n) == ("mid-write", index) else f
            if (moment, n) == ("renamed", index):
                os.kill(os.getpid(), signal.SIGKILL)

        atomic.open_for_write = open_for_write
        write(study, entry, root)
    finally:
        os._exit(3)  # the moment never came


@pytest.mark.parametrize("moment, index", MOMENTS, ids=[f"{m}-{TARGETS[i].split('/')[1]}" for m, i in MOMENTS])
def test_write_killed_at_any_moment_leaves_each_file_old_or_new(finished, new_files, tmp_path, moment, index):
    old = committed(tmp_path)
    status = killed_while_writing(*finished, tmp_path, moment, index)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, "the write ended before the moment"
    for i, target in enumerate(TARGETS):  # the files before this one are new, this one and the rest old
        new = i < index or (i == index and moment == "renamed")
        assert (tmp_path / target).read_bytes() == (new_files if new else old)[target], (target, moment)
    leftovers = [p for folder in ("data", "figures") for p in (tmp_path / folder).iterdir() if p.name.startswith(".")]
    # a kill leaves at most the temporary file it was writing: hidden, beside its target, never the target
    expected = [f".{TARGETS[index].split('/')[1]}."] if moment == "mid-write" else []
    assert [p.name[:len(expected[0])] for p in leftovers] == expected if expected else not leftovers


def test_a_failing_write_names_the_file_and_leaves_each_file_old_or_new(finished, new_files, tmp_path, monkeypatch):
    old = committed(tmp_path)
    calls, fsync = itertools.count(), os.fsync

    def full_disk_at_the_third_file(fd):
        if next(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return fsync(fd)

    monkeypatch.setattr(os, "fsync", full_disk_at_the_third_file)
    with pytest.raises(ValueError, match=r"cannot write .*tuning_backprop_slice\.png: No space left on device"):
        write(*finished, tmp_path)
    for i, target in enumerate(TARGETS):
        assert (tmp_path / target).read_bytes() == (new_files if i < 2 else old)[target], target
    assert not [p for folder in ("data", "figures") for p in (tmp_path / folder).iterdir() if p.name.startswith(".")]
