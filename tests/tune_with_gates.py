"""``python -m dendritic tune`` whose trainings can be held at chosen moments, so tests wait
for events (this trial is running now) instead of sleeping and hoping.

    TUNE_GATES=DIR python tests/tune_with_gates.py --rule backprop --trials 6 ...

- ``TUNE_HOLD=K[,K...]``: this process's K-th training (a trial, or a confirmation) first
  writes ``DIR/started-PID-K`` (its trial is RUNNING in the study), then waits until
  ``DIR/release-PID-K`` or ``DIR/release-all`` exists.
- ``TUNE_BARRIER=N``: a process's first training waits until N processes have reached
  theirs (``DIR/ready-PID``), so N workers are certainly running trials at the same time.

Worker processes of ``--workers`` are spawned and import this file again (as ``__mp_main__``),
so they are held the same way. The test owns every release; nothing here is timed but the
five-minute deadline that turns a lost release into an error instead of a hang.
"""

import os
from pathlib import Path
import sys
import time

from dendritic import tuning
from dendritic.cli import main

DEADLINE = 300


def _wait_for(condition, what):
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"tune_with_gates: no {what} after {DEADLINE} s")
        time.sleep(0.01)


def _hold_trainings(gates):
    hold = {int(k) for k in os.environ.get("TUNE_HOLD", "").split(",") if k}
    barrier = int(os.environ.get("TUNE_BARRIER", "0"))
    train, count = tuning.run_seeds, [0]

    def held(*args, **kwargs):
        count[0] += 1
        n, pid = count[0], os.getpid()
        if barrier and n == 1:
            (gates / f"ready-{pid}").touch()
            _wait_for(lambda: len(list(gates.glob("ready-*"))) >= barrier, f"{barrier} workers ready")
        if n in hold:
            (gates / f"started-{pid}-{n}").touch()
            _wait_for(lambda: (gates / f"release-{pid}-{n}").exists() or (gates / "release-all").exists(),
                      f"release of training {n}")
        return train(*args, **kwargs)

    tuning.run_seeds = held


if os.environ.get("TUNE_GATES"):
    _hold_trainings(Path(os.environ["TUNE_GATES"]))

if __name__ == "__main__":
    sys.exit(main(["tune", *sys.argv[1:]]))
