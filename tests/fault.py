"""Run a ``python -m dendritic`` command and kill it (SIGKILL) in the middle of a write.

    python tests/fault.py BYTES -- figures --quick --out DIR

Every file opened for writing counts the bytes written to it; when the total reaches
BYTES the process writes half of the current chunk and kills itself, as a power cut or
``kill -9`` would. BYTES = -1 never kills, and prints the total written (to choose kill points).
"""

import builtins
import io
import os
import signal
import sys

written = 0
limit = int(sys.argv[1])


class Tripwire:
    """A file object that dies after ``limit`` bytes in all."""

    def __init__(self, file):
        self._file = file

    def write(self, data):
        global written
        if 0 <= limit < written + len(data):
            cut = max(0, limit - written)
            self._file.write(data[:cut])
            self._file.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        written += len(data)
        return self._file.write(data)

    def __getattr__(self, name):
        return getattr(self._file, name)

    def __enter__(self):
        self._file.__enter__()
        return self

    def __exit__(self, *exc):
        return self._file.__exit__(*exc)

    def __iter__(self):
        return iter(self._file)


def wrap(opener):
    def opened(file, mode="r", *args, **kwargs):
        handle = opener(file, mode, *args, **kwargs)
        return Tripwire(handle) if any(c in mode for c in "wax+") else handle
    return opened


builtins.open = io.open = wrap(io.open)
os.fdopen = wrap(os.fdopen)

if __name__ == "__main__":
    from dendritic.cli import main

    args = sys.argv[sys.argv.index("--") + 1:]
    status = main(args)
    print(f"written {written}", file=sys.stderr)
    raise SystemExit(status)
