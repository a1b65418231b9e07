"""Command line: ``python -m dendritic {train,compare,bench,tune,figures}``.

Bad input prints one line and exits with status 2, before any work starts.
Plotting and tuning libraries are imported only by the commands that use them.
"""

import argparse
import sys


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, status 2, no usage dump
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _floats(text):
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or comma-separated numbers, got {text!r}") from None
    return values if len(values) > 1 else values[0]


def _names(text):
    return tuple(v.strip() for v in text.split(",") if v.strip())


def build_parser():
    from .rules import ALL_RULES, CONFIGS, RULES

    parser = _Parser(prog="python -m dendritic", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("train", help="train one network and print validation and test accuracy")
    p.add_argument("--rule", required=True, help=f"one of {', '.join(ALL_RULES)}")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--config", default="poster", help=f"one of {', '.join(CONFIGS)}")
    p.add_argument("--lr", type=float)
    p.add_argument("--lr-rec", type=_floats, help="interneuron rule: one rate, or one per hidden layer (a,b)")
    p.add_argument("--lr-bias", type=float, help="interneuron rule: bias learning rate")
    p.add_argument("--no-clamp", action="store_true", help="interneuron rule: drop the original code's clamps")
    p.add_argument("--bias", default="learned", help="learned, fixed or zero")
    p.add_argument("--data-seed", type=int, default=0)

    p = sub.add_parser("compare", help="train every rule on N seeds; print a table with statistics")
    p.add_argument("--rules", type=_names, default=tuple(RULES),
                   help=f"comma-separated, from {', '.join(ALL_RULES)} (default: the poster's three); "
                        "p-values are against backprop, so include it to get them")
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--configs", type=_names, default=("poster",), help="comma-separated: poster,tuned")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--workers", type=int, default=None, help="processes (default: one per core)")
    p.add_argument("--out", help="write the per-seed results to this CSV")
    p.add_argument("--summary", help="write the per-rule summary with p-values to this CSV")

    sub.add_parser("warmup", help="compile every rule's kernels into the on-disk cache (make does this once)")

    p = sub.add_parser("bench", help="time the poster comparison and single-network training")
    p.add_argument("--repeats", type=int, default=5)

    p = sub.add_parser("tune", help="Optuna search for a rule's hyperparameters; --write makes the result the tuned entry")
    p.add_argument("--rule", required=True, help=f"one of {', '.join(ALL_RULES)}")
    p.add_argument("--trials", type=int, required=True, help="COMPLETE trials the study ends with, counting earlier runs")
    p.add_argument("--storage", default=None,
                   help="journal file, sqlite:///FILE or postgresql://USER:PASS@HOST/DB (default: data/optuna.journal "
                        "with --write, else ~/.cache/dendritic/optuna.journal)")
    p.add_argument("--workers", type=int, default=1, help="parallel worker processes on this machine (at most 64)")
    p.add_argument("--study", default=None, help="study name (default: tune-RULE)")
    p.add_argument("--seeds", type=int, default=5, help="network seeds per trial (at most 100)")
    p.add_argument("--sampler-seed", type=int, default=0)
    p.add_argument("--write", action=argparse.BooleanOptionalAction, default=False,
                   help="replace the rule's tuned entry in data/hyperparameters.json (the old one is kept in its "
                        "history) and figures/tuning_RULE_*; without it (--no-write, the default) nothing is written "
                        "but the study itself")
    p.add_argument("--per-class", type=int, default=2000,
                   help="spiral points per class (2000 = poster); smaller only for quick looks, never written")
    p.add_argument("--ungated-output", action="store_true",
                   help="not the poster's: the output nudge skips f'(z_L), so silent output units still learn")
    p.add_argument("--lr-decay", default="constant", help="constant (poster) or linear: rates fall to 0 over the run")
    p.add_argument("--confirm", type=int, default=5,
                   help="re-train the K best trials on as many new seeds; keep the best over all seeds (0: off)")

    p = sub.add_parser("figures", help="regenerate the poster figures under figures/")
    p.add_argument("--quick", action="store_true",
                   help="3 seeds on a smaller spiral, Fig. 4 from that run; never writes data/ (for CI)")
    p.add_argument("--out", default=None, help="output folder (default: figures/)")
    p.add_argument("--retrain", action="store_true",
                   help="rewrite data/comparison.csv and data/comparison_summary.csv from this run's training "
                        "(otherwise only the rows of rules trained with new or changed hyperparameters are replaced, "
                        "and rows of rules not trained are kept)")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ValueError as error:
        print(f"python -m dendritic {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def cmd_train(args):
    import dendritic as d
    from .training import MAX_EPOCHS

    overrides = {k: v for k, v in dict(lr=args.lr, lr_rec=args.lr_rec, lr_bias=args.lr_bias).items() if v is not None}
    if args.no_clamp:
        overrides["clamp"] = False
    _in_range("--epochs", args.epochs, 1, MAX_EPOCHS)
    rule = d.rule(args.rule, config=args.config, **overrides)
    data = d.spiral_data(seed=args.data_seed)
    net = d.Network(seed=args.seed, bias=args.bias)
    rule.check_network(net)  # e.g. --lr-rec with more rates than hidden layers, before any training
    result = d.train(net, rule, data, epochs=args.epochs, progress=True)
    print(f"{rule}  seed={args.seed}  epochs={args.epochs}")
    if result.diverged[0]:
        print(f"diverged (NaN / inf) by step {result.diverged_step[0]}: no accuracy")
        return 1
    print(f"val_acc  {result.val_acc[0]:.4f}")
    print(f"test_acc {result.test_acc[0]:.4f}")
    print(f"dead output units {result.dead_outputs[0]}")
    return 0


def format_summary(table, reference="backprop"):
    """``dendritic.stats.summarize`` rows as a text table; a config without ``reference`` gets a note, no p-values."""
    p = lambda v: f"{v:>9.3g}" if v == v else f"{'-':>9}"  # NaN: no test (the reference itself, or none to test against)
    lines = [f"{'config':8} {'rule':21} {'n':>3} {'mean':>7} {'± SEM':>7} {'median':>7} {'div':>4} {'dead':>4} "
             f"{'p Welch':>9} {'p MWU':>9}   (p vs {reference}, Holm-corrected within each config)"]
    for e in table:
        lines.append(f"{e['config']:8} {e['rule']:21} {e['n']:>3} {100 * e['mean']:>6.2f}% {100 * e['sem']:>6.2f}% "
                     f"{100 * e['median']:>6.2f}% {e['diverged']:>4} {e['dead']:>4} "
                     f"{p(e['p_welch_holm'])} {p(e['p_mannwhitney_holm'])}")
    configs = dict.fromkeys(e["config"] for e in table)
    without = [c for c in configs if not any(e["config"] == c and e["rule"] == reference for e in table)]
    if without:
        lines.append(f"no p-values for config {', '.join(without)}: {reference} is not among the rules "
                     f"(add it to --rules to test against it)")
    return "\n".join(lines)


def _in_range(name, value, low, high):
    if not low <= value <= high:
        raise ValueError(f"{name} must be an integer in {low}..{high}, got {value}")
    return value


def cmd_compare(args):
    from .atomic import writable_file
    from .experiments import MAX_SEEDS, compare, default_workers
    from .results import FIELDS, SUMMARY_FIELDS, write_csv
    from .rules import ALL_RULES, CONFIGS, rule as make_rule
    from .stats import summarize
    from .training import MAX_EPOCHS

    if not args.rules:
        raise ValueError(f"--rules must name at least one rule: {', '.join(ALL_RULES)}")
    if not args.configs:
        raise ValueError(f"--configs must name at least one of {', '.join(CONFIGS)}")
    for name in args.rules:
        if name not in ALL_RULES:
            raise ValueError(f"--rules: {name!r} is not a rule; rules: {', '.join(ALL_RULES)}")
    for config in args.configs:
        if config not in CONFIGS:
            raise ValueError(f"--configs: {config!r} is not a configuration; configurations: {', '.join(CONFIGS)}")
        for name in args.rules:
            make_rule(name, config=config)  # a missing tuned entry, before any training
    _in_range("--seeds", args.seeds, 1, MAX_SEEDS)
    _in_range("--epochs", args.epochs, 1, MAX_EPOCHS)
    workers = _in_range("--workers", args.workers, 1, 64) if args.workers is not None else default_workers()
    for name, path in (("--out", args.out), ("--summary", args.summary)):
        if path:
            writable_file(name, path)
    rows = compare(args.rules, args.seeds, args.configs, args.epochs, workers=workers, progress=True)
    table = summarize(rows)
    print(format_summary(table))
    if args.out:
        print(f"wrote {write_csv(rows, args.out, FIELDS)}")
    if args.summary:
        print(f"wrote {write_csv(table, args.summary, SUMMARY_FIELDS)}")
    return 0


def cmd_warmup(args):
    from .jit import warm_up

    warm_up(report=print)
    return 0


def cmd_bench(args):
    from .bench import run

    return run(_in_range("--repeats", args.repeats, 1, 100))


def cmd_tune(args):
    from .tuning import main as tune_main

    return tune_main(args)


def cmd_figures(args):
    from .reproduce import main as figures_main

    return figures_main(args)


COMMANDS = dict(train=cmd_train, compare=cmd_compare, bench=cmd_bench, tune=cmd_tune, figures=cmd_figures,
                warmup=cmd_warmup)
