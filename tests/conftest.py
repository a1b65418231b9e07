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
