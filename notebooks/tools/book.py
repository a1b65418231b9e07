"""The course as a static website (Jupyter Book 1, offline): the executed student edition, the README as
the first page, the poster figures and the results tables.

    python notebooks/tools/book.py [--quick]    # -> build/book/index.html (sources in build/book-src/)

--quick runs the notebooks small (DENDRITIC_QUICK=1), as the tests do.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jupyter_server_mathjax
import nbformat
import yaml

import editions

ROOT = editions.ROOT
FIGURES, DATA = ROOT / "figures", ROOT / "data"
TABLES = ("comparison_summary.csv", "comparison.csv")  # data/ files shown on the results page, in order

CONFIG = {
    "title": "Dendritic gating of plasticity: a course",
    "author": "the dendritic project",
    "copyright": "",
    "only_build_toc_files": True,
    "execute": {"execute_notebooks": "off"},  # the notebooks arrive executed (editions.execute)
    "html": {"home_page_in_navbar": True, "use_repository_button": False},
    "sphinx": {"config": {
        "html_show_copyright": False, "html_show_sphinx": False,
        # MathJax from the site itself, so the equations render offline too (a copy in _static/mathjax)
        "html_static_path": ["static"],
        "mathjax_path": "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full",
        "mathjax2_config": {
            "HTML-CSS": {"availableFonts": ["STIX-Web"], "preferredFont": "STIX-Web", "webFont": "STIX-Web",
                         "imageFont": None},  # the fonts that copy has
            "tex2jax": {"processClass": "tex2jax_process|mathjax_process|math|output_area"},  # MyST's math classes
        },
    }},
}


def _figures_page(folder):
    """figures.md: the poster figures (figures/fig*.png), then every other PNG there (the tuning plots)."""
    (folder / "figures").mkdir()
    poster = sorted(FIGURES.glob("fig*.png"))
    groups = [("", poster), ("## Tuning and other plots", sorted(set(FIGURES.glob("*.png")) - set(poster)))]
    lines = ["# The poster figures", "",
             "Regenerated from the committed results by `make figures` (`python -m dendritic figures`).", ""]
    for heading, pngs in groups:
        lines += [heading, ""] if heading and pngs else []
        for png in pngs:
            shutil.copy2(png, folder / "figures" / png.name)
            lines += [f"```{{figure}} figures/{png.name}", f":name: {png.stem}", ":width: 100%", "",
                      f"`figures/{png.name}`", "```", ""]
    (folder / "figures.md").write_text("\n".join(lines))


def _results_page(folder):
    """results.md: the committed result tables of data/, as they are on disk."""
    (folder / "data").mkdir()
    lines = ["# The results", "",
             "The committed results in `data/`, as `python -m dendritic figures` wrote them: the summary per rule",
             "and configuration, then every run. Accuracies are fractions; p-values compare a rule with backprop.", ""]
    for name in TABLES:
        if not (DATA / name).exists():
            continue
        shutil.copy2(DATA / name, folder / "data" / name)
        lines += [f"## `data/{name}`", "", "```{csv-table}", f":file: data/{name}", ":header-rows: 1",
                  ":class: full-width", "```", ""]
    (folder / "results.md").write_text("\n".join(lines))


def stage(notebooks, folder):
    """Lay out a Jupyter Book in folder: intro (the README), the notebooks in order, the science document,
    figures, results."""
    folder = Path(folder)
    folder.mkdir(parents=True)
    shutil.copy2(ROOT / "README.md", folder / "intro.md")
    if (ROOT / "docs" / "gallery").is_dir():  # the screenshots the README shows, at the same relative path
        shutil.copytree(ROOT / "docs" / "gallery", folder / "docs" / "gallery", ignore=shutil.ignore_patterns("*.md"))
    (folder / "docs").mkdir(exist_ok=True)  # the science document, at the path the README links to
    shutil.copy2(ROOT / "docs" / "science.md", folder / "docs" / "science.md")
    shutil.copytree(Path(jupyter_server_mathjax.__file__).parent / "static", folder / "static" / "mathjax")
    chapters = []
    for path in sorted(map(Path, notebooks)):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:  # what JupyterLab shows collapsed, the site shows behind a toggle
            if cell.metadata.get("jupyter", {}).get("source_hidden"):
                cell.metadata["tags"] = [*cell.metadata.get("tags", []), "hide-input"]
        nbformat.write(nb, folder / path.name)
        chapters.append({"file": path.stem})
    _figures_page(folder)
    _results_page(folder)
    toc = {"format": "jb-book", "root": "intro",
           "parts": [{"caption": "The course", "chapters": chapters},
                     {"caption": "Science and results",
                      "chapters": [{"file": "docs/science"}, {"file": "figures"}, {"file": "results"}]}]}
    (folder / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    (folder / "_config.yml").write_text(yaml.safe_dump(CONFIG, sort_keys=False))
    return folder


def build(notebooks, out, source=None):
    """Build the site of these (executed) notebooks into out; source: where to lay out the book
    (kept for inspection; default a temporary folder). Returns out/index.html."""
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="dendritic-book-") as scratch:
        source = Path(source) if source is not None else Path(scratch) / "book"
        if source.exists():
            shutil.rmtree(source)
        stage(notebooks, source)
        jupyter_book = Path(sys.executable).with_name("jupyter-book")
        subprocess.run([str(jupyter_book), "build", str(source), "--builder", "html", "--quiet"], check=True,
                       stdout=subprocess.DEVNULL)  # its banner names the scratch folder; warnings go to stderr
        out.parent.mkdir(parents=True, exist_ok=True)
        fresh = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
        shutil.rmtree(fresh)
        shutil.copytree(source / "_build" / "html", fresh)
        if out.exists():
            shutil.rmtree(out)
        fresh.rename(out)
    return out / "index.html"


def student_notebooks(folder, quick):
    """Write the student edition into folder and run it; returns (paths, the cells that raised unexpectedly)."""
    paths = editions.build("student", folder)
    failures = []
    for path in paths:
        print(f"running {path.name} ({'quick' if quick else 'full size'})", flush=True)
        failures += [(path.name, number, cell) for number, cell, expected in editions.execute(path, quick=quick)
                     if not expected]
    return paths, failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="run the notebooks small (DENDRITIC_QUICK=1)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "book")
    args = parser.parse_args(argv)
    work = args.out.with_name(args.out.name + "-src")
    try:
        paths, failures = student_notebooks(work / "student", args.quick)
    except ValueError as error:  # a .py and its .ipynb disagree
        print(error, file=sys.stderr)
        return 1
    index = build(paths, args.out, source=work / "book")
    print(f"site: {os.path.relpath(index)}")
    if failures:
        print("but it shows errors of cells not marked to raise (NBVAL_RAISES_EXCEPTION):", file=sys.stderr)
    for name, number, cell in failures:
        error = next(o for o in cell.outputs if o.output_type == "error")
        print(f"  {name} cell {number}: {error.ename}: {error.evalue}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
