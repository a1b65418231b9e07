"""Cell builders shared by the notebook generators (build_*.py)."""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOKS = Path(__file__).resolve().parent.parent


def md(text):
    return new_markdown_cell(text.strip("\n"))


def code(text, hidden=False):
    """A code cell; ``hidden=True`` shows it collapsed (solutions, setup)."""
    cell = new_code_cell(text.strip("\n"))
    if hidden:
        cell.metadata["jupyter"] = {"source_hidden": True}
    return cell


def write(name, cells):
    """Write notebooks/<name> without outputs, kernel python3, stable cell ids (a re-run gives the same file)."""
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i:03d}"
    nbformat.validate(nb)
    path = NOTEBOOKS / name
    nbformat.write(nb, path)
    print(f"wrote {path.relative_to(NOTEBOOKS.parent)} ({path.stat().st_size / 1e3:.0f} kB)")
