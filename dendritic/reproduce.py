"""``python -m dendritic figures``: train, keep ``data/`` current, draw the poster's figures.

1. check everything it will read or write, before any work: the output folder, the tuned
   hyperparameters (``data/hyperparameters.json``) and the committed CSVs;
2. train the poster's rules on 10 seeds per configuration and the variants beyond the poster on
   10 seeds under "tuned" (``dendritic.experiments``), recording what Figs. 3, 5 and 7 show;
3. bring ``data/comparison.csv`` and its summary up to date (``dendritic.results.update``);
4. draw Figs. 1-8 and write each as PNG and SVG, atomically.

``--quick`` (CI) trains 3 seeds on a smaller spiral, draws Figs. 4 and 6 from that run and never
writes to ``data/``.
"""

from pathlib import Path
import time

import numpy as np

from . import atomic, experiments, results
from .paths import FIGURES
from .rules import BEYOND, RULES, check_tuned_table

#: What the full and the quick (CI) run train.
FULL = dict(seeds=10, per_class=2000, record_every=20, eval_every=200)
QUICK = dict(seeds=3, per_class=400, record_every=10, eval_every=70)


def main(args):
    """Run the command (``args``: quick, out, retrain); ValueError for bad input, before any work."""
    from . import figures
    from .data import spiral_data
    from .diagnostics import linear_cancellation_floor
    from .stats import summarize

    start = time.perf_counter()
    if args.quick and args.retrain:
        raise ValueError("--retrain rewrites data/ from a full run; it cannot be combined with --quick")
    settings = QUICK if args.quick else FULL
    out = atomic.writable_folder("--out", Path(args.out) if args.out else FIGURES)
    check_tuned_table()  # a broken data/hyperparameters.json stops here, naming the file
    if not args.quick and not args.retrain:
        for path, read in ((results.COMPARISON_FILE, results.read_comparison), (results.SUMMARY_FILE, results.read_summary)):
            if path.exists():
                read(path)  # an unreadable committed file stops here: nothing is trained or written
        atomic.writable_file("data/comparison.csv", results.COMPARISON_FILE)
    configs = experiments.available_configs()
    print(f"configurations: {', '.join(configs)}"
          + ("" if "tuned" in configs else " (no tuned entry for every rule in data/hyperparameters.json yet)"))
    pairs = experiments.training_pairs(configs)
    variants = [name for _, name in pairs if name in BEYOND]
    if variants:
        print(f"beyond the poster (tuned): {', '.join(variants)}")
    runs = experiments.run(pairs, seeds=settings["seeds"], per_class=settings["per_class"],
                           record_every=settings["record_every"], eval_every=settings["eval_every"],
                           workers=experiments.default_workers(), progress=True)
    rows = experiments.rows(runs)
    if args.quick:
        summary = summarize(rows)
    else:
        rows, summary = results.update(rows, retrain=args.retrain)

    data = spiral_data(per_class=settings["per_class"])
    trained = {key: run.result for key, run in runs.items()}
    drawn = {
        "fig1": figures.fig1(),
        "fig2": figures.fig2(data, {name: runs[("poster", name)].net for name in RULES}),
        "fig3": figures.fig3(trained),
        "fig4": figures.fig4(rows, summary),
        "fig5": figures.fig5(trained),
    }
    if variants:
        drawn.update(fig6=figures.fig6(rows, summary), fig7=figures.fig7(trained))
    study = ("tuned", "stable_interneuron")
    if study in runs:  # Fig. 8: the best a linear interneuron can cancel, on the stable rule's trained networks
        floors = np.median(linear_cancellation_floor(runs[study].net, data.val[0]), axis=0)
        drawn["fig8"] = figures.fig8(trained, {l: float(v) for l, v in enumerate(floors, start=1)})
    for key, fig in drawn.items():
        png, svg = figures.save(fig, figures.NAMES[key], out)
        print(f"wrote {png} and {svg.name}")
    print(f"done in {time.perf_counter() - start:.0f} s")
    return 0
