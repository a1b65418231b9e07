import math

import numpy as np
import pytest
import torch

import dendritic
from dendritic.data import bayes_accuracy, spiral_points


def test_poster_split_sizes_and_types(data):
    assert [len(s[1]) for s in (data.train, data.val, data.test)] == [5600, 1200, 1200]
    for X, y in (data.train, data.val, data.test):
        assert X.dtype == torch.float32 and X.shape[1] == 2 and y.dtype == torch.int64
    counts = torch.bincount(torch.cat([data.train[1], data.val[1], data.test[1]]))
    assert counts.tolist() == [2000] * 4


def test_generator_matches_formula():
    """Recompute every point from the formula with an independent numpy implementation
    fed the same normal draws (randn(N) then randn(N), class by class)."""
    K, N, sigma = 4, 50, 0.16
    X, y = spiral_points(K, N, sigma, torch.Generator().manual_seed(7))
    g = torch.Generator().manual_seed(7)
    t = np.linspace(0, 1, N)
    for k in range(K):
        n1 = torch.randn(N, generator=g, dtype=torch.float64).numpy()
        n2 = torch.randn(N, generator=g, dtype=torch.float64).numpy()
        x1 = t * (np.sin(2 * np.pi / K * (2 * t + k)) + sigma * n1)
        x2 = t * (np.cos(2 * np.pi / K * (2 * t + k)) + sigma * n2)
        np.testing.assert_allclose(X[k * N:(k + 1) * N].numpy(), np.stack([x1, x2], 1), atol=1e-6)
        assert (y[k * N:(k + 1) * N] == k).all()


def test_noise_free_points_lie_on_the_arms():
    X, y = spiral_points(3, 20, 0.0)
    t = torch.linspace(0, 1, 20)
    radius = X.norm(dim=1)
    torch.testing.assert_close(radius, t.repeat(3), atol=1e-6, rtol=0)


def test_same_seed_same_data_and_different_seed_different():
    a, b, c = dendritic.spiral_data(seed=1), dendritic.spiral_data(seed=1), dendritic.spiral_data(seed=2)
    assert torch.equal(a.train[0], b.train[0])
    assert not torch.equal(a.train[0], c.train[0])


def test_bayes_ceiling():
    estimate = bayes_accuracy(points=20_000, grid=1000)
    assert abs(estimate - dendritic.BAYES_ACCURACY) < 0.006


@pytest.mark.parametrize("kwargs, name", [
    (dict(classes=1), "classes"), (dict(noise=-0.1), "noise"), (dict(per_class=0), "per_class"),
    (dict(split=(0.5, 0.3, 0.1)), "split"), (dict(split=(0.7, 0.3)), "split"), (dict(seed=-1), "seed"),
    (dict(noise=math.nan), "noise"),
])
def test_bad_input_names_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        dendritic.spiral_data(**kwargs)
