"""``python -m dendritic bench``: the speed and memory targets, measured and printed.

Prints medians over ``repeats`` runs of
  - the full poster comparison (3 rules x 10 seeds x 5600 online steps), wall time;
  - one network's whole training run (5600 steps, 29 validation checks) per rule, and
    microseconds per step;
  - the first training in a new Python process (loading the compiled code from its cache),
    for the poster network and then for a network of another depth;
  - peak resident memory of this process and of the largest worker process.
"""

import json
import resource
import statistics
import subprocess
import sys
import time

from .data import spiral_data
from .experiments import compare, default_workers
from .network import Network
from .rules import RULES, rule
from .training import train

#: What a student's first training in a new kernel costs, timed in a fresh process.
FIRST_TRAINING = r"""
import json, time
start = time.perf_counter()
import dendritic
imported = time.perf_counter()
data = dendritic.spiral_data()
dendritic.train(dendritic.Network(seed=0), dendritic.rule("backprop"), data)
first = time.perf_counter()
dendritic.train(dendritic.Network((2, 64, 4), seed=0), dendritic.rule("interneuron", lr_rec=0.5), data)
other = time.perf_counter()
print(json.dumps(dict(imported=imported - start, first=first - imported, other=other - first)))
"""


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _fresh_process():
    done = subprocess.run([sys.executable, "-c", FIRST_TRAINING], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(repeats=5):
    workers = default_workers()
    data = spiral_data()
    steps = len(data.train[1])
    print(f"dendritic bench: medians of {repeats} runs, {workers} worker process(es)")

    fresh = [_fresh_process() for _ in range(repeats)]
    median = {k: statistics.median(f[k] for f in fresh) for k in fresh[0]}
    print(f"new process: import dendritic {median['imported']:.2f} s, then the first training (loads the compiled "
          f"code) {median['first']:.2f} s, then a network of another depth with another rule {median['other']:.2f} s")

    train(Network(seed=0), rule("backprop"), data)  # load the compiled code here too
    walls = [_timed(lambda: compare(tuple(RULES), 10, ("poster",), workers=workers)) for _ in range(repeats)]
    print(f"poster comparison (3 rules x 10 seeds x {steps} steps): {statistics.median(walls):.2f} s wall "
          f"(runs: {', '.join(f'{w:.2f}' for w in walls)})")

    for name in RULES:
        times = [_timed(lambda: train(Network(seed=0), rule(name), data)) for _ in range(repeats)]
        median = statistics.median(times)
        print(f"single network, {name:18}: {median:.3f} s per training run, {1e6 * median / steps:.1f} us per step "
              f"(with 29 validation checks)")

    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: {self_mb:.0f} MB this process, {child_mb:.0f} MB largest worker or child process")
    return 0
