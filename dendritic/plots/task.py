"""The task and what a network does with it: the spiral, the decision map, the learning curve,
each layer's class-averaged activity, and single units' activity over the input plane."""

import numpy as np
import torch

from .. import checks
from ..style import RULE_COLORS, SPLIT_MARKERS, class_colors, rule_label
from .curves import bayes_line, nanmean


def plane_limit(data):
    """Half-width of the square that holds every point of ``data`` (1.3 without data)."""
    if data is None:
        return 1.3
    points = torch.cat([data.train[0], data.val[0], data.test[0]])
    return float(points.abs().max()) * 1.03


def plot_spiral(ax, data, splits=("train", "val", "test")):
    """The spiral: points coloured by class, one marker per split (train o, val s, test ^). Returns ``ax``.

    >>> import dendritic
    >>> from dendritic.style import figure
    >>> ax = figure(4, 3).subplots()
    >>> plot_spiral(ax, dendritic.spiral_data(per_class=50)) is ax
    True
    """
    if isinstance(splits, str):
        splits = (splits,)
    for split in splits:
        checks.choice("split", split, tuple(SPLIT_MARKERS))
    colors = class_colors(data.classes)
    for split in splits:
        X, y = (t.numpy() for t in getattr(data, split))
        dense = split == "train"
        ax.scatter(X[:, 0], X[:, 1], c=[colors[k] for k in y], marker=SPLIT_MARKERS[split],
                   s=4 if dense else 12, alpha=0.35 if dense else 0.9, linewidths=0.3 if not dense else 0,
                   edgecolors="white", rasterized=True, label=f"{split} ({len(y)})")
    for k, color in enumerate(colors):
        ax.scatter([], [], color=color, marker="o", s=15, label=f"class {k}")
    limit = plane_limit(data)
    ax.set(xlim=(-limit, limit), ylim=(-limit, limit), xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    legend = ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, markerscale=1.5, handletextpad=0.2)
    for handle in legend.legend_handles[:len(splits)]:
        handle.set_color("0.3")
    return ax


def _plane(limit, resolution):
    """The points of a resolution x resolution grid over [-limit, limit]^2, row = x2, column = x1: [r * r, 2]."""
    grid = np.linspace(-limit, limit, resolution)
    x1, x2 = np.meshgrid(grid, grid)
    return torch.tensor(np.stack([x1.ravel(), x2.ravel()], 1), dtype=torch.float32)


def decision_map(net, limit=1.3, member=0, resolution=200):
    """Predicted class on a resolution x resolution grid over [-limit, limit]^2.

    Returns an int array [resolution, resolution] (row = x2, column = x1) with -1
    where no output unit is active (argmax would only be a tie-break) and -2 where
    the output is not finite (a diverged network).

    >>> import dendritic
    >>> decision_map(dendritic.Network(seed=0), resolution=3).shape
    (3, 3)
    """
    resolution = checks.integer("resolution", resolution, 2)
    member = checks.member("member", member, net.members)
    with torch.no_grad():
        out = net(_plane(limit, resolution))
    out = (out[member] if net.ensemble else out).numpy()
    classes = np.where(out.max(1) > 0, out.argmax(1), -1)
    classes = np.where(np.isfinite(out).all(1), classes, -2)
    return classes.reshape(resolution, resolution)


def plot_decision_map(ax, net, data=None, split="test", member=0, resolution=200):
    """The predicted class over the plane (light colours), with ``data``'s ``split`` points on top.

    Grey: no output unit active there (the network gives no answer). For an
    ensemble ``net``, ``member`` picks the network. Returns ``ax``.
    """
    from matplotlib.colors import ListedColormap

    if data is not None:
        checks.choice("split", split, tuple(SPLIT_MARKERS))
    limit = plane_limit(data)
    classes = decision_map(net, limit, member, resolution)
    K = net.sizes[-1]
    colors = class_colors(K)
    cmap = ListedColormap(["#ffffff", "#d9d9d9"] + colors)  # -2 diverged, -1 silent, 0..K-1 classes
    ax.imshow(classes, origin="lower", extent=(-limit, limit, -limit, limit), cmap=cmap, vmin=-2.5, vmax=K - 0.5,
              alpha=0.35, interpolation="nearest", rasterized=True)
    if (classes == -2).all():
        ax.text(0.5, 0.5, "diverged (NaN)", ha="center", va="center", transform=ax.transAxes)
    if data is not None:
        X, y = (t.numpy() for t in getattr(data, split))
        ax.scatter(X[:, 0], X[:, 1], c=[colors[k] for k in y], marker=SPLIT_MARKERS[split], s=7,
                   linewidths=0.2, edgecolors="white", rasterized=True)
    ax.set(xlim=(-limit, limit), ylim=(-limit, limit), aspect="equal", xticks=[], yticks=[])
    return ax


def plot_learning_curve(ax, result, member=None, label=None, color=None):
    """Validation accuracy against training step from a ``TrainResult``. Returns ``ax``.

    ``member=None``: every member faint (dotted if it ended with a dead output unit)
    and their mean bold; otherwise that member only. The dashed line is the Bayes optimum.
    ``color``: default the rule's colour.
    """
    steps, acc = result.curve_steps, np.asarray(result.curve_val_acc, dtype=float)
    color = color or RULE_COLORS.get(result.rule, "C0")
    label = label if label is not None else rule_label(result.rule)
    if member is None:
        if acc.shape[1] > 1:
            for i in range(acc.shape[1]):
                dead = result.dead_outputs[i] > 0
                ax.plot(steps, acc[:, i], color=color, alpha=0.55 if dead else 0.3, lw=0.9, ls=":" if dead else "-")
        mean_label = f"{label} (mean of {acc.shape[1]})" if acc.shape[1] > 1 else label
        ax.plot(steps, nanmean(acc, 1), color=color, lw=2, label=mean_label)
    else:
        member = checks.member("member", member, acc.shape[1])
        ax.plot(steps, acc[:, member], color=color, lw=1.5, label=label)
    bayes_line(ax)
    ax.set(xlabel="training step (samples)", ylabel="validation accuracy", ylim=(0, 1.02), xlim=(0, max(steps[-1], 1)))
    return ax


def plot_layer_activity(axes, net, data, member=0, split="val"):
    """Class-averaged activity of every layer, one Axes per layer (hidden 1, hidden 2, output).

    Each column is a unit, sorted by the class it responds to most (silent units
    last); each row is a class. Returns ``axes``.
    """
    axes = list(np.ravel(axes))
    if len(axes) != net.layers:
        raise ValueError(f"axes must hold one Axes per layer ({net.layers}), got {len(axes)}")
    checks.choice("split", split, tuple(SPLIT_MARKERS))
    member = checks.member("member", member, net.members)
    X, y = getattr(data, split)
    y = y.numpy()
    _, activities = net.somas_and_activities(X)
    K = net.sizes[-1]
    colors = class_colors(K)
    for l, (ax, a) in enumerate(zip(axes, activities), start=1):
        a = (a[member] if net.ensemble else a).numpy()
        means = np.stack([a[y == k].mean(0) if (y == k).any() else np.zeros(a.shape[1]) for k in range(K)])
        strength = means.max(0)
        preferred = np.where(strength > 0, means.argmax(0), K)  # silent units last
        order = np.lexsort((-strength, preferred))
        image = ax.imshow(means[:, order], aspect="auto", cmap="magma", interpolation="nearest", vmin=0)
        ax.set_yticks(range(K), [f"class {k}" for k in range(K)])
        for tick, color in zip(ax.get_yticklabels(), colors):
            tick.set_color(color)
        name = "output" if l == net.layers else f"hidden {l}"
        ax.set_xlabel(f"{name} ({a.shape[1]} units)")
        ax.set_xticks([])
        ax.figure.colorbar(image, ax=ax, fraction=0.1, pad=0.03, aspect=15)
    return axes


def unit_maps(net, layer, limit=1.3, resolution=40, member=0):
    """Activity of every unit of ``layer`` (1..L) over the input plane [-limit, limit]^2.

    Returns a numpy array [n_layer, resolution, resolution] (row = x2, column = x1),
    like the per-unit thumbnails of TensorFlow Playground.

    >>> import dendritic
    >>> unit_maps(dendritic.Network((2, 16, 8, 4), seed=0), layer=2, resolution=5).shape
    (8, 5, 5)
    """
    from ..network import Network

    if not isinstance(net, Network):
        raise ValueError(f"net must be a dendritic.Network, got {type(net).__name__}")
    layer = checks.integer("layer", layer, 1)
    if layer > net.layers:
        raise ValueError(f"layer must be an integer in 1..{net.layers}, got {layer}")
    resolution = checks.integer("resolution", resolution, 2)
    member = checks.member("member", member, net.members)
    _, activities = net.somas_and_activities(_plane(limit, resolution))
    a = activities[layer - 1][member] if net.ensemble else activities[layer - 1]
    return a.T.reshape(-1, resolution, resolution).numpy()


def plot_unit_maps(axes, maps, limit=1.3, units=None):
    """Thumbnails of ``unit_maps``, one Axes per unit; by default the units whose activity
    varies most over the plane (silent units vary not at all). Returns the unit indices."""
    axes = list(np.ravel(axes))
    if units is None:
        units = np.argsort(-maps.reshape(len(maps), -1).std(1), kind="stable")[:len(axes)]
    for ax, u in zip(axes, units):
        ax.imshow(maps[u], origin="lower", extent=(-limit, limit, -limit, limit), cmap="magma", vmin=0,
                  interpolation="nearest")
        ax.set(xticks=[], yticks=[])
        ax.set_title(f"unit {u}", fontsize=7)
    for ax in axes[len(units):]:
        ax.axis("off")
    return np.asarray(units)
