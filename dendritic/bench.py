"""``python -m dendritic bench``: the speed and memory targets, measured and printed.

Prints medians over ``repeats`` runs of
  - the full poster comparison (3 rules x 10 seeds x 5600 online steps), wall time;
  - one network's whole training run (5600 steps) per rule, and microseconds per step
    (after the first run in the process, which loads the compiled loop: printed too);
  - peak resident memory of this process and of the largest worker process.
"""

import resource
import statistics
import time

from .data import spiral_data
from .experiments import compare, default_workers
from .network import Network
from .rules import RULES, rule
from .training import train


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(repeats=5):
    from . import checks

    repeats = checks.integer("repeats", repeats, 1)
    workers = default_workers()
    data = spiral_data()
    steps = len(data.train[1])
    print(f"dendritic bench: medians of {repeats} runs, {workers} worker process(es)")

    walls = [_timed(lambda: compare(tuple(RULES), 10, ("poster",), workers=workers)) for _ in range(repeats)]
    print(f"poster comparison (3 rules x 10 seeds x {steps} steps): {statistics.median(walls):.2f} s wall "
          f"(runs: {', '.join(f'{w:.2f}' for w in walls)})")

    first = _timed(lambda: train(Network(seed=0), rule("backprop"), data))
    print(f"first training run in this process (imports numba, loads the compiled loop from its cache): {first:.2f} s")
    for name in RULES:
        times = [_timed(lambda: train(Network(seed=0), rule(name), data)) for _ in range(repeats)]
        median = statistics.median(times)
        print(f"single network, {name:18}: {median:.3f} s per training run, {1e6 * median / steps:.0f} us per step")

    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: {self_mb:.0f} MB this process, {child_mb:.0f} MB largest worker")
    return 0
