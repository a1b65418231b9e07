"""The 4-class 2-D spiral of the poster, split 70 / 15 / 15 (docs/science.md, "The task")."""

from dataclasses import dataclass
import math
from numbers import Real

import torch

from . import checks

#: Upper bounds of the generator's arguments (memory and sense).
MAX_CLASSES, MAX_PER_CLASS, MAX_NOISE = 64, 1_000_000, 10.0

#: Bayes-optimal accuracy of the poster's generator (K=4, sigma=0.16), from
#: ``bayes_accuracy()``; no classifier can beat it. The ceiling on accuracy plots.
BAYES_ACCURACY = 0.988


@dataclass(frozen=True)
class Spiral:
    """A split spiral dataset. Each split is a pair ``(X float32 [n, 2], y int64 [n])``."""

    train: tuple
    val: tuple
    test: tuple
    classes: int
    noise: float
    seed: int


def spiral_points(classes=4, per_class=2000, noise=0.16, generator=None):
    """Unshuffled spiral, class by class: X float32 [classes * per_class, 2], y int64.

    For class k and t = linspace(0, 1, N):
        x1 = t * (sin(2 pi / K * (2t + k)) + noise * n1)
        x2 = t * (cos(2 pi / K * (2t + k)) + noise * n2)
    n1, n2 ~ Normal(0, 1), drawn per class as randn(N), then randn(N).
    """
    t = torch.linspace(0, 1, per_class, dtype=torch.float64)
    xs, ys = [], []
    for k in range(classes):
        angle = 2 * math.pi / classes * (2 * t + k)
        n1 = torch.randn(per_class, generator=generator, dtype=torch.float64)
        n2 = torch.randn(per_class, generator=generator, dtype=torch.float64)
        xs.append(torch.stack([t * (torch.sin(angle) + noise * n1), t * (torch.cos(angle) + noise * n2)], dim=1))
        ys.append(torch.full((per_class,), k, dtype=torch.int64))
    return torch.cat(xs).float(), torch.cat(ys)


def spiral_data(classes=4, per_class=2000, noise=0.16, seed=0, split=(0.7, 0.15, 0.15)):
    """The poster's dataset: generated with ``seed``, shuffled once, split train / val / test.

    Defaults give 5600 / 1200 / 1200 points. The split is the same for every
    network seed; only the data seed changes it.

    >>> data = spiral_data()
    >>> [len(part[1]) for part in (data.train, data.val, data.test)]
    [5600, 1200, 1200]
    >>> data.train[0].dtype, data.train[1].dtype, data.train[0].shape
    (torch.float32, torch.int64, torch.Size([5600, 2]))
    """
    classes = checks.integer("classes", classes, 2)
    if classes > MAX_CLASSES:
        raise ValueError(f"classes must be an integer in 2..{MAX_CLASSES}, got {classes}")
    per_class = checks.integer("per_class", per_class, 1)
    if per_class > MAX_PER_CLASS:
        raise ValueError(f"per_class must be an integer in 1..{MAX_PER_CLASS}, got {per_class}")
    noise = checks.non_negative("noise", noise)
    if noise > MAX_NOISE:
        raise ValueError(f"noise must be a number in [0, {MAX_NOISE}], got {noise}")
    seed = checks.integer("seed", seed, 0)
    split = _split(split)
    generator = torch.Generator().manual_seed(seed)
    X, y = spiral_points(classes, per_class, noise, generator)
    order = torch.randperm(len(y), generator=generator)
    X, y = X[order], y[order]
    n_train = round(split[0] * len(y))
    n_val = round(split[1] * len(y))
    bounds = ((0, n_train), (n_train, n_train + n_val), (n_train + n_val, len(y)))
    for name, (a, b) in zip(("train", "val", "test"), bounds):
        if b <= a:
            raise ValueError(f"split leaves the {name} set empty: {len(y)} points split {tuple(split)}; "
                             f"give every part a larger fraction or raise per_class")
    parts = [(X[a:b], y[a:b]) for a, b in bounds]
    return Spiral(*parts, classes=classes, noise=noise, seed=seed)


def _split(split):
    """Three finite fractions >= 0 (train, val, test) that sum to 1, as floats."""
    message = f"split must be three fractions >= 0 (train, val, test) that sum to 1, got {split!r}"
    if isinstance(split, (str, bytes)) or not hasattr(split, "__len__") or len(split) != 3:
        raise ValueError(message)
    fractions = []
    for f in split:
        if isinstance(f, bool) or not isinstance(f, Real) or not math.isfinite(f) or f < 0:
            raise ValueError(message)
        fractions.append(float(f))
    if abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(message)
    return fractions


def bayes_accuracy(classes=4, noise=0.16, points=200_000, grid=2000, seed=1):
    """Monte-Carlo estimate of the Bayes-optimal accuracy of the generator.

    Samples (x, k) from the generator with t ~ Uniform(0, 1), then classifies each x
    by the exact class likelihood p(x | k) = integral over t of N(x; t mu_k(t), (t noise)^2 I) dt,
    computed on a grid of t values.
    """
    checks.positive("noise", noise)
    g = torch.Generator().manual_seed(seed)
    k = torch.randint(classes, (points,), generator=g)
    t = torch.rand(points, generator=g, dtype=torch.float64)
    angle = 2 * math.pi / classes * (2 * t + k)
    x = t[:, None] * (torch.stack([torch.sin(angle), torch.cos(angle)], 1) + noise * torch.randn(points, 2, generator=g, dtype=torch.float64))
    tg = (torch.arange(grid, dtype=torch.float64) + 0.5) / grid
    loglik = []
    for c in range(classes):
        a = 2 * math.pi / classes * (2 * tg + c)
        mu = tg[:, None] * torch.stack([torch.sin(a), torch.cos(a)], 1)  # [grid, 2]
        var = (tg * noise) ** 2
        logs = []
        for chunk in x.split(20_000):
            d2 = ((chunk[:, None, :] - mu[None]) ** 2).sum(-1)
            logs.append(torch.logsumexp(-d2 / (2 * var) - torch.log(2 * math.pi * var), dim=1))
        loglik.append(torch.cat(logs))
    return (torch.stack(loglik, 1).argmax(1) == k).double().mean().item()
