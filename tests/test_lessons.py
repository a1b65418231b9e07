"""One lesson anatomy in every notebook (read from the jupytext sources ``notebooks/0N_*.py``).

Every lesson has, in this order where it matters:
- a title ``# 0N · Title`` (00 is the overview);
- **Objectives** (a list) and **Estimated time** in the introduction;
- a hidden setup cell tagged ``setup`` (the first code cell, collapsed in JupyterLab);
- numbered sections ``## Section 1: ...``, ``## Section 2: ...``, each followed by an instructor
  note (a cell tagged ``instructor``) with the section's time ("about N min") and what to emphasise;
- exercises: a markdown cell ``### Exercise N: ...``, then the skeleton (tagged ``exercise``, its
  body raises NotImplementedError), then the solution (tagged ``solution``), then a check cell
  that calls ``lesson.exercise`` (Run All runs with the exercise unsolved);
- Think! questions (``**Think!**``), each followed by an instructor cell with an answer;
- interactive demos (``### Interactive demo N: ...``) whose code cell is tagged ``demo``;
- ``## Summary`` and ``## Next`` (where to go on) at the end.
And the visible code is the science: at most a quarter of its lines are plumbing (printing,
formatting, figure and axes set-up).
"""

import re
from pathlib import Path

import jupytext
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
LESSONS = [p for p in SOURCES if not p.name.startswith("00_")]
#: A visible code line that only shows or arranges: printing, formatting, figure and axes set-up.
PLUMBING = re.compile("|".join([
    r"^\s*(print|display)\(", r"^\s*plt\.", r"^\s*fig\w*\s*[,=]", r"\.subplots?\(", r"tight_layout",
    r"^\s*ax\w*(\[[^]]*\])?\.(set\w*|legend|axhline|axvline|text|annotate|tick_params|grid|invert\w*|twinx)\(",
    r"\.set_(title|xlabel|ylabel|xlim|ylim|xticks|yticks)\(",
    r"^\s*f?[\"'].*[\"'],?\s*\)?\s*$",     # a line that is only a (format) string: the rest of a print
    r"^\s*[)\]}]+,?\s*$",                  # closing brackets alone
]))


def _cells(path):
    return jupytext.read(path).cells


def _tags(cell):
    return set(cell.metadata.get("tags", ()))


def _md(cell):
    return cell.source if cell.cell_type == "markdown" else ""


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_title_objectives_time_setup_summary_next(path):
    cells = _cells(path)
    number = path.name[:2]
    assert re.match(rf"# {number} · \S", cells[0].source), f"{path.name}: the first cell must be '# {number} · Title'"
    intro = "\n".join(_md(c) for c in cells[:3])
    assert "**Objectives**" in intro, f"{path.name}: the introduction needs **Objectives**"
    assert re.search(r"\*\*Estimated time\*\*:? ?about \d+ min", intro), f"{path.name}: '**Estimated time**: about N min'"
    code = [c for c in cells if c.cell_type == "code"]
    setup = code[0]
    assert "setup" in _tags(setup) and setup.metadata.get("jupyter", {}).get("source_hidden"), \
        f"{path.name}: the first code cell must be the hidden setup cell (tag 'setup', source_hidden)"
    headings = [line for c in cells for line in _md(c).splitlines() if line.startswith("## ")]
    assert headings[-2:] == ["## Summary", "## Next"], f"{path.name}: end with '## Summary' then '## Next'"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_numbered_sections_with_instructor_timing(path):
    cells = _cells(path)
    numbers = []
    for i, cell in enumerate(cells):
        match = re.match(r"## Section (\d+): \S", _md(cell))
        if match:
            numbers.append(int(match[1]))
            note = next((c for c in cells[i + 1:i + 4] if "instructor" in _tags(c)), None)
            assert note is not None and re.search(r"about \d+ min", note.source), \
                f"{path.name}: Section {match[1]} needs an instructor cell with 'about N min' right after it"
    assert numbers and numbers == list(range(1, len(numbers) + 1)), f"{path.name}: sections {numbers}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_exercises_have_a_skeleton_a_solution_and_a_check(path):
    cells = _cells(path)
    exercises = [i for i, c in enumerate(cells) if re.match(r"### Exercise \d+: \S", _md(c))]
    assert exercises, f"{path.name}: a lesson has at least one exercise"
    for i in exercises:
        skeleton, solution, check = cells[i + 1], cells[i + 2], cells[i + 3]
        name = _md(cells[i]).splitlines()[0]
        assert "exercise" in _tags(skeleton) and "NotImplementedError" in skeleton.source, \
            f"{path.name}, {name}: the skeleton (tag 'exercise') raises NotImplementedError"
        assert "solution" in _tags(solution), f"{path.name}, {name}: the solution (tag 'solution') follows"
        assert "lesson.exercise(" in check.source and not _tags(check) & {"solution", "instructor", "exercise"}, \
            f"{path.name}, {name}: a check cell calling lesson.exercise follows the solution"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_think_has_an_instructor_answer(path):
    cells = _cells(path)
    thinks = [i for i, c in enumerate(cells) if "**Think!**" in _md(c) and "instructor" not in _tags(c)]
    assert thinks, f"{path.name}: a lesson asks at least one Think! question"
    for i in thinks:
        answer = next((c for c in cells[i + 1:i + 3] if "instructor" in _tags(c)), None)
        assert answer is not None and len(answer.source) > 80, \
            f"{path.name}: the Think! in cell {i} needs an instructor answer right after it"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_demos_are_tagged(path):
    cells = _cells(path)
    for i, cell in enumerate(cells):
        if re.match(r"### Interactive demo \d+: \S", _md(cell)):
            demo = next((c for c in cells[i + 1:i + 3] if c.cell_type == "code"), None)
            assert demo is not None and "demo" in _tags(demo), f"{path.name}: the code of '{_md(cell)[:40]}' is tagged 'demo'"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_visible_code_is_the_science(path):
    lines = [line for c in _cells(path) if c.cell_type == "code" and not _tags(c) & {"setup", "solution", "instructor"}
             and not c.metadata.get("jupyter", {}).get("source_hidden")
             for line in c.source.splitlines() if line.strip() and not line.strip().startswith("#")]
    plumbing = [line for line in lines if PLUMBING.search(line)]
    assert len(plumbing) <= 0.25 * len(lines), \
        f"{path.name}: {len(plumbing)} of {len(lines)} visible code lines are plumbing, e.g. {plumbing[:5]}"


def test_every_reference_to_a_file_resolves():
    """Paths the course names (``dendritic/...py``, ``docs/...md``, ``data/...``, ``figures/...``) exist."""
    root = NOTEBOOKS.parent
    for path in SOURCES:
        for ref in re.findall(r"`((?:dendritic|docs|data|figures|notebooks)/[\w./-]+\.\w+)`", path.read_text()):
            assert (root / ref).exists(), f"{path.name} names {ref}, which is not in the repository"
