"""Each notebook is a jupytext pair, 0N_name.py (what people edit) and 0N_name.ipynb (what runs), and the two
must hold the same cells: an instructor who edits one side is told here, with the command that fixes it."""

import json
import shutil
import subprocess
import sys

import nbformat
import pytest

import editions  # notebooks/tools

NOTEBOOKS = editions.NOTEBOOKS
SOURCES = editions.sources()


def test_every_notebook_has_a_paired_source_and_no_builder_is_left():
    assert [p.stem for p in SOURCES] == sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    assert len(SOURCES) >= 7
    assert 'formats = "ipynb,py:percent"' in (NOTEBOOKS / "jupytext.toml").read_text()
    assert not list(NOTEBOOKS.glob("tools/build_*.py")), "notebooks are edited as .py sources, not built from strings"


@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_source_and_notebook_agree(source):
    message = editions.report(source)
    if message:
        pytest.fail(message, pytrace=False)


@pytest.fixture
def pair(tmp_path):
    """A copy of notebook 01's pair (with the jupytext config), to break on purpose."""
    for name in ("01_soma_dendrite_neuron.py", "01_soma_dendrite_neuron.ipynb", "jupytext.toml"):
        shutil.copy2(NOTEBOOKS / name, tmp_path / name)
    return tmp_path / "01_soma_dendrite_neuron.py"


def _edit_notebook(path, change):
    nb = json.loads(path.read_text())
    change(nb["cells"])
    path.write_text(json.dumps(nb, indent=1))


def test_an_edit_of_the_py_is_reported_with_notebook_cell_and_command(pair):
    assert editions.report(pair) == ""
    text = pair.read_text()
    pair.write_text(text.replace("# # 01 · The soma/dendrite neuron", "# # 01 The soma-dendrite neuron", 1))
    message = editions.report(pair)
    assert message.startswith(f"{pair} and its .ipynb are out of sync")
    assert "cell 1 (.py line 1) differs in source" in message
    assert "`make sync`" in message and "here the .py" in message  # the edited side is the newer one
    assert f"jupytext --to ipynb --update {pair}" in message
    assert f"jupytext --to py:percent {pair.with_suffix('.ipynb')}" in message


def test_tags_hidden_flags_cell_types_and_outputs_of_the_ipynb_are_checked(pair):
    ipynb = pair.with_suffix(".ipynb")
    solution = next(i for i, c in enumerate(nbformat.read(ipynb, 4).cells) if "solution" in c.metadata.get("tags", ()))

    def change(cells):
        cells[solution]["metadata"]["tags"] = ["instructor"]
        cells[2]["metadata"]["jupyter"] = {"source_hidden": True}
        cells[0]["cell_type"] = "raw"
        cells[3]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hello\n"}]

    _edit_notebook(ipynb, change)
    found = editions.disagreements(pair)
    assert any(line.startswith(f"cell {solution + 1} ") and "differs in tags" in line for line in found), found
    assert any(line.startswith("cell 3 ") and "differs in jupyter (hidden) metadata" in line for line in found), found
    assert any(line.startswith("cell 1 ") and "cell type" in line for line in found), found
    assert any("cell 4 of the .ipynb has outputs" in line for line in found), found


def test_a_cell_added_on_one_side_is_named(pair):
    pair.write_text(pair.read_text() + "\n# %%\nprint('new cell')\n")
    found = editions.disagreements(pair)
    assert len(found) == 1 and "is only in the .py" in found[0] and "print('new cell')" in found[0], found


def test_the_commands_in_the_message_fix_the_pair(pair):
    """jupytext --to ipynb --update (what `make sync` runs when the .py is newer) brings them back in line."""
    pair.write_text(pair.read_text().replace("# # 01 · The soma/dendrite neuron", "# # 01 Edited", 1))
    assert editions.disagreements(pair)
    ids = [c.id for c in nbformat.read(pair.with_suffix(".ipynb"), 4).cells]
    subprocess.run([sys.executable, "-m", "jupytext", "--quiet", "--to", "ipynb", "--update", str(pair)], check=True)
    assert editions.disagreements(pair) == []
    assert [c.id for c in nbformat.read(pair.with_suffix(".ipynb"), 4).cells] == ids, "cell ids are kept"


def test_cell_options_in_another_order_are_reported(pair):
    """The same cells, but not the text jupytext writes: JupyterLab then refuses to open a newer .ipynb."""
    text = pair.read_text()
    header = next(line for line in text.splitlines() if line.startswith("# %%") and "tags=" in line and "jupyter=" in line)
    hidden, tags = header.removeprefix("# %% ").split(" tags=")
    pair.write_text(text.replace(header, f"# %% tags={tags} {hidden}", 1))
    found = editions.disagreements(pair)
    assert len(found) == 1 and "the order of cell options" in found[0], found
