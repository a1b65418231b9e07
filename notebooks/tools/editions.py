"""The course's two editions, made from the notebooks by their cell tags, and the check that each
notebook's two files (the .py people edit and the .ipynb that runs) hold the same cells.

    python notebooks/tools/editions.py student      # -> build/student/*.ipynb
    python notebooks/tools/editions.py instructor   # -> build/instructor/*.ipynb
    python notebooks/tools/editions.py check        # exit 1 if a .py and its .ipynb disagree
    python notebooks/tools/editions.py run notebooks/02_spiral_and_backprop.ipynb [--quick]
                                                    # execute -> build/run/02_spiral_and_backprop.ipynb

Cell tags (JupyterLab: the property inspector's "Cell Tags"; in the .py: `# %% tags=["solution"]`):

| tag          | the cell is                                                     | student | instructor |
|--------------|-----------------------------------------------------------------|---------|------------|
| `exercise`   | the skeleton a student fills in                                 | kept    | kept       |
| `solution`   | the reference solution of the exercise above it                 | removed | kept       |
| `instructor` | a note for the instructor: Think! answers, timing, what to stress | removed | kept       |

Untagged cells are in both editions; both are written without outputs. nbval's markers
(`# NBVAL_RAISES_EXCEPTION`, tag `raises-exception`) mean the same in every edition.
"""

import argparse
import difflib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import jupytext
from jupytext.config import load_jupytext_config
import nbformat
from nbconvert import NotebookExporter
from traitlets.config import Config

NOTEBOOKS = Path(__file__).resolve().parent.parent
ROOT = NOTEBOOKS.parent
REMOVED = {"student": ("solution", "instructor"), "instructor": ()}  # edition -> cell tags it leaves out


def sources(folder=NOTEBOOKS):
    """The course's notebook sources, in order: folder/0N_name.py."""
    return sorted(Path(folder).glob("[0-9][0-9]_*.py"))


# --- the .py and its .ipynb hold the same cells ------------------------------------------------------

def _key(cell):
    """What must agree between the two files: type, source, tags and the hidden flags."""
    meta = cell.get("metadata", {})
    return (cell.cell_type, cell.source, tuple(meta.get("tags", ())), tuple(sorted(meta.get("jupyter", {}).items())))


def _describe(cell):
    first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
    return f"{cell.cell_type}, {first[:60]!r}"


def _fields(a, b):
    ka, kb = _key(a), _key(b)
    names = ("cell type", "source", "tags", "jupyter (hidden) metadata")
    return " and ".join(name for name, x, y in zip(names, ka, kb) if x != y)


def _cell_lines(py):
    """1-based line of each cell marker in a percent-format .py (for pointing an editor at the cell)."""
    return [i for i, line in enumerate(py.read_text().splitlines(), 1) if line.startswith("# %%")]


def disagreements(py):
    """How notebooks/0N_name.py and its .ipynb differ, one line per difference ([] if they agree).

    Also reports outputs left in the .ipynb (it is committed without them).
    """
    py = Path(py)
    ipynb = py.with_suffix(".ipynb")
    if not ipynb.exists():
        return [f"{ipynb.name} is missing"]
    text, book = jupytext.read(py), nbformat.read(ipynb, as_version=4)
    lines = _cell_lines(py)
    where = (lambda i: f"cell {i + 1} (.py line {lines[i]})") if len(lines) == len(text.cells) else (
        lambda i: f"cell {i + 1}")
    found = []
    matcher = difflib.SequenceMatcher(None, [_key(c) for c in text.cells], [_key(c) for c in book.cells], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            found += [f"{where(i)} differs in {_fields(text.cells[i], book.cells[j])} ({_describe(text.cells[i])})"
                      for i, j in zip(range(i1, i2), range(j1, j2))]
            continue
        found += [f"{where(i)} is only in the .py ({_describe(text.cells[i])})" for i in range(i1, i2)]
        found += [f"cell {j + 1} of the .ipynb is only in the .ipynb ({_describe(book.cells[j])})" for j in range(j1, j2)]
    found += [f"cell {j + 1} of the .ipynb has outputs (committed notebooks have none)"
              for j, cell in enumerate(book.cells) if cell.get("outputs") or cell.get("execution_count")]
    if not found:  # same cells, but JupyterLab also wants the same text, or it refuses a newer .ipynb
        written = jupytext.writes(book, fmt="py:percent", config=load_jupytext_config(str(py.parent)))
        source = py.read_text()
        changed = next((n for n, (a, b) in enumerate(zip(written.splitlines(), source.splitlines()), 1) if a != b),
                       None)
        if written != source:
            found.append(f".py line {changed or 'at the end'} is not written the way jupytext writes this notebook "
                         f"(e.g. the order of cell options); JupyterLab refuses to open the pair when the .ipynb "
                         f"is the newer file")
    return found


def report(py):
    """The disagreements of one pair as a message that says how to fix them ("" if none)."""
    py = Path(py)
    found = disagreements(py)
    if not found:
        return ""
    name = py.relative_to(ROOT) if py.is_relative_to(ROOT) else py
    ipynb = py.with_suffix(".ipynb")
    newer = ".py" if not ipynb.exists() or py.stat().st_mtime >= ipynb.stat().st_mtime else ".ipynb"
    return "\n".join([
        f"{name} and its .ipynb are out of sync:",
        *(f"  - {line}" for line in found),
        f"Fix: `make sync` (copies the more recently saved file over the other, here the {newer}, and clears outputs);",
        "or choose the side that wins:",
        f"  keep the .py:    .venv/bin/jupytext --to ipynb --update {name}",
        f"  keep the .ipynb: .venv/bin/jupytext --to py:percent {name.with_suffix('.ipynb')}",
    ])


# --- editions --------------------------------------------------------------------------------------

def _exporter(edition):
    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = set(REMOVED[edition])
    config.ClearOutputPreprocessor.enabled = True
    return NotebookExporter(config=config)


def build(edition, out=None, folder=NOTEBOOKS):
    """Write the edition of every notebook in folder to out (default build/<edition>); returns the paths.

    Refuses (ValueError) when a notebook's .py and .ipynb disagree: an edition of a stale file helps no one.
    The folder is replaced whole, through a temporary sibling, so a failed build leaves the last good one.
    """
    if edition not in REMOVED:
        raise ValueError(f"edition must be one of {sorted(REMOVED)}, got {edition!r}")
    out = Path(out) if out is not None else ROOT / "build" / edition
    pairs = sources(folder)
    stale = [message for message in map(report, pairs) if message]
    if stale:
        raise ValueError("\n\n".join(stale))
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        exporter = _exporter(edition)
        for py in pairs:
            body, _ = exporter.from_filename(str(py.with_suffix(".ipynb")))
            (staging / f"{py.stem}.ipynb").write_text(body)
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out / f"{py.stem}.ipynb" for py in pairs]


# --- running an edition ----------------------------------------------------------------------------

def expected_to_raise(cell):
    """nbval's markers for a cell that raises on purpose (an unsolved exercise)."""
    return "raises-exception" in cell.metadata.get("tags", ()) or "NBVAL_RAISES_EXCEPTION" in cell.source


def execute(path, quick=True, timeout=600, out=None):
    """Run a notebook (kernel cwd = its folder) and write it with its outputs to ``out`` (default: in
    place), keeping errors as outputs, widget state saved.

    quick=True sets DENDRITIC_QUICK=1 (small runs, as in the tests). Returns the cells that raised,
    as (cell number from 1, cell, expected) with expected True for a cell marked to raise.
    """
    from jupyter_client import KernelManager
    from nbclient import NotebookClient

    path = Path(path)
    out = path if out is None else Path(out)
    nb = nbformat.read(path, as_version=4)
    env = {**os.environ, "MPLBACKEND": "Agg", "DENDRITIC_QUICK": "1" if quick else "0"}
    # The blocking kernel client: with nbclient's default asyncio one, a widget cell sometimes waits out the
    # whole cell timeout for a reply that has already arrived (jupyter/nbclient#312).
    NotebookClient(nb, timeout=timeout, kernel_name="python3", kernel_manager_class=KernelManager,
                   allow_errors=True, store_widget_state=True, shutdown_kernel="immediate",
                   resources={"metadata": {"path": str(path.parent)}}).execute(env=env)
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return [(i + 1, cell, expected_to_raise(cell)) for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and any(o.get("output_type") == "error" for o in cell.get("outputs", ()))]


def run(paths, out, quick=False, timeout=600):
    """Execute each notebook into out/<name>.ipynb (the source is left as it is), saying how long each took
    and which cells raised; returns 1 if a cell raised that is not marked to (an unsolved exercise is)."""
    import time

    status = 0
    for path in map(Path, paths):
        start = time.perf_counter()
        raised = execute(path, quick=quick, timeout=timeout, out=Path(out) / path.name)
        unexpected = [number for number, _, expected in raised if not expected]
        status |= bool(unexpected)
        print(f"{path.name}: {time.perf_counter() - start:.0f} s, {'quick' if quick else 'full size'} -> "
              f"{os.path.relpath(Path(out) / path.name)}"
              + (f"; cells that raised: {', '.join(str(n) for n, _, _ in raised)}" if raised else "")
              + (f" (not marked to raise: {', '.join(map(str, unexpected))})" if unexpected else ""), flush=True)
    return status


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=[*sorted(REMOVED), "check", "run"])
    parser.add_argument("notebooks", nargs="*", type=Path, help="run: the notebooks to execute")
    parser.add_argument("--out", type=Path, help="output folder (default build/<edition>, run: build/run)")
    parser.add_argument("--quick", action="store_true", help="run: DENDRITIC_QUICK=1, every notebook small")
    parser.add_argument("--timeout", type=int, default=600, help="run: seconds one cell may take (default 600)")
    args = parser.parse_args(argv)
    if args.what == "run":
        if not args.notebooks:
            parser.error("run needs one or more notebooks, e.g. notebooks/02_spiral_and_backprop.ipynb")
        return run(args.notebooks, args.out or ROOT / "build" / "run", args.quick, args.timeout)
    if args.notebooks:
        parser.error(f"{args.what} takes no notebooks")
    if args.what == "check":
        stale = [message for message in map(report, sources()) if message]
        print("\n\n".join(stale) if stale else f"{len(sources())} notebooks: each .py agrees with its .ipynb")
        return 1 if stale else 0
    try:
        paths = build(args.what, args.out)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{args.what} edition: {len(paths)} notebooks in {os.path.relpath(paths[0].parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
