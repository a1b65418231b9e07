import os

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest
import torch

import dendritic


@pytest.fixture(scope="session")
def data():
    return dendritic.spiral_data()


@pytest.fixture(scope="session")
def small_data():
    """A small spiral (400 training points) for tests that train."""
    return dendritic.spiral_data(per_class=143, seed=3)


def random_sample(generator, net):
    x = torch.rand(net.sizes[0], generator=generator) * 2 - 1
    target = int(torch.randint(net.sizes[-1], (1,), generator=generator))
    return x, target


@pytest.fixture(scope="session")
def student_edition(tmp_path_factory):
    """The student edition, built from a fresh copy of notebooks/ and run in quick mode (once per session):
    (folder, {notebook stem: [(cell number, cell, expected) for each cell that raised]})."""
    import shutil

    import editions  # notebooks/tools, on pytest's pythonpath

    copy = tmp_path_factory.mktemp("notebooks")
    for path in [*editions.sources(), *(p.with_suffix(".ipynb") for p in editions.sources())]:
        shutil.copy2(path, copy / path.name)
    shutil.copy2(editions.NOTEBOOKS / "jupytext.toml", copy / "jupytext.toml")
    folder = tmp_path_factory.mktemp("student")
    raised = {path.stem: editions.execute(path, quick=True) for path in editions.build("student", folder, copy)}
    return folder, raised
