"""Notebook 06 (beyond the poster): the top-down weights B aligning with W^T, Dale's
signs, and the cancellation residual of linear and nonlinear interneurons.

Measurements return numbers; the ``plot_*`` and ``*_animation`` helpers draw them
(matplotlib is imported inside them, only when used).
"""

import numpy as np
import torch

from . import checks
from .network import Network, forward
from .rules.feedback import alignment
from .training import train

__all__ = ["alignment", "alignment_frames", "alignment_animation", "plot_alignment", "cancellation_residual",
           "plot_residuals", "plot_comparison", "sign_summary"]


def alignment_frames(rule, data, seed=0, frames=40, layer=2, steps=None):
    """Train one network with ``rule`` (top-down weights not the transpose) and keep
    ``frames`` snapshots of B_layer and W_{layer+1}^T, spaced evenly over the epoch.

    Returns a list of dicts: step, B [n_l, n_{l+1}], WT [n_l, n_{l+1}], angle (degrees).
    """
    frames = checks.integer("frames", frames, 2)
    if frames > 60:
        raise ValueError(f"frames must be an integer in 2..60, got {frames!r}")
    net = Network(seed=checks.integer("seed", seed, 0))
    state = rule.state(net)
    B = rule.top_down_weights(net.stacked()[0], state)
    if not 1 <= layer <= len(B):
        raise ValueError(f"layer must be a hidden layer in 1..{len(B)}, got {layer!r}")
    X, y = data.train
    steps = len(y) if steps is None else checks.integer("steps", steps, frames)
    bounds = np.linspace(0, steps, frames).round().astype(int)

    def snapshot(step):
        weights = net.stacked()[0]
        Bl = rule.top_down_weights(weights, state)[layer - 1]
        return dict(step=int(step), B=Bl[0].clone(), WT=weights[layer][0].mT.clone(),
                    angle=float(alignment(Bl, weights[layer])[0]))

    out = [snapshot(0)]
    for start, stop in zip(bounds[:-1], bounds[1:]):
        chunk = type(data)((X[start:stop], y[start:stop]), data.val, data.test, data.classes, data.noise, data.seed)
        train(net, rule, chunk, seed=seed * 1000 + int(start), eval_every=max(1, stop - start))
        out.append(snapshot(stop))
    return out


def alignment_animation(frames, title="top-down weights B learning to mirror W$^T$", dpi=50):
    """Animate ``alignment_frames`` (at most 60 frames): B and W^T side by side, and the angle between them.

    Returns a ``matplotlib.animation.FuncAnimation`` (use ``.to_jshtml()`` in a notebook); a
    low ``dpi`` keeps the embedded frames small.
    """
    if not 1 <= len(frames) <= 60:
        raise ValueError(f"frames must hold 1..60 snapshots, got {len(frames)}")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    B0, W0 = frames[0]["B"], frames[0]["WT"]
    scale = float(max(max(f["B"].abs().max(), f["WT"].abs().max()) for f in frames)) or 1.0
    fig, (ax_b, ax_w, ax_a) = plt.subplots(1, 3, figsize=(8, 3.2), dpi=dpi, gridspec_kw=dict(width_ratios=[1, 1, 2]))
    kw = dict(cmap="RdBu_r", vmin=-scale, vmax=scale, aspect="auto", interpolation="nearest")
    im_b, im_w = ax_b.imshow(B0.T, **kw), ax_w.imshow(W0.T, **kw)
    ax_b.set_title("B (top-down)")
    ax_w.set_title("W$^T$ (forward)")
    for ax in (ax_b, ax_w):
        ax.set_xlabel("unit of layer l")
        ax.set_yticks([])
    ax_b.set_ylabel("unit of layer l+1")
    steps = [f["step"] for f in frames]
    angles = [f["angle"] for f in frames]
    ax_a.plot(steps, angles, color="0.8")
    (line,) = ax_a.plot([], [], color="C3", lw=2)
    ax_a.axhline(90, color="0.5", ls=":", lw=1)
    ax_a.set(xlim=(0, steps[-1]), ylim=(0, 100), xlabel="training step", ylabel="angle(B, W$^T$) (deg)")
    text = ax_a.text(0.97, 0.92, "", transform=ax_a.transAxes, ha="right")
    fig.suptitle(title)
    fig.tight_layout()

    def draw(k):
        im_b.set_data(frames[k]["B"].T)
        im_w.set_data(frames[k]["WT"].T)
        line.set_data(steps[:k + 1], angles[:k + 1])
        text.set_text(f"step {steps[k]}: {angles[k]:.0f} deg")
        return im_b, im_w, line, text

    animation = FuncAnimation(fig, draw, frames=len(frames), interval=150, blit=False)
    plt.close(fig)
    return animation


def plot_alignment(results, ax=None):
    """Angle between B_l and W_{l+1}^T over training, mean over seeds, one line per (label, layer).

    Args:
        results: dict label -> ``TrainResult`` trained with ``record_every`` set.
    """
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(6, 3.5))[1]
    for k, (label, result) in enumerate(results.items()):
        keys = sorted(key for key in result.records if key.startswith("alignment/"))
        for key, style in zip(keys, ("-", "--", ":")):
            ax.plot(result.records["step"], np.nanmean(result.records[key], 1), style, color=f"C{k}",
                    label=f"{label}, layer {key.rsplit('layer', 1)[1]}")
    ax.axhline(90, color="0.5", ls=":", lw=1)
    ax.set(xlabel="training step", ylabel="angle(B$_l$, W$_{l+1}^T$) (deg)", ylim=(0, 100))
    ax.legend(fontsize=8)
    return ax


def cancellation_residual(net, rule, X):
    """Mean |D^F|^2 = |B_l a_{l+1} - I_Int|^2 per hidden layer over the points X, without clamps: [S, L-1].

    ``rule`` is an interneuron rule (``interneuron``, ``nonlinear_interneuron``, ``dale``);
    its population is read from ``net`` (``rule.state(net)``).
    """
    state = rule.state(net)
    weights, biases, _ = net.stacked()
    with torch.no_grad():
        _, activities = forward(weights, biases, net._batch(X))
        top_down = rule.top_down_weights(weights, state)
        out = []
        for l, B in enumerate(top_down):
            layer = {"activity": activities[l]}
            residual = torch.bmm(activities[l + 1], B.mT) - rule.interneuron_input(state, l, layer)
            out.append((residual ** 2).mean((1, 2)))
    return torch.stack(out, 1).numpy()


def plot_residuals(results, ax=None):
    """Cancellation residual mean |D^F|^2 over training (log scale), from ``TrainResult.records``."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(6, 3.5))[1]
    for k, (label, result) in enumerate(results.items()):
        keys = sorted(key for key in result.records if key.startswith("residual/"))
        for key, style in zip(keys, ("-", "--")):
            series = np.nanmean(result.records[key], 1)
            window = max(1, len(series) // 20)  # single samples are noisy: a running mean
            smooth = np.convolve(series, np.ones(window) / window, mode="valid")
            ax.semilogy(result.records["step"][window - 1:], smooth, style, color=f"C{k}",
                        label=f"{label}, layer {key.rsplit('layer', 1)[1]}")
    ax.set(xlabel="training step", ylabel="mean |D$^F$|$^2$ (running mean)")
    ax.legend(fontsize=8)
    return ax


def sign_summary(rule, net):
    """For a ``dale`` rule: per sign-constrained synapse group, its minimum and fraction at exactly 0."""
    state = rule.state(net)
    return {name: dict(min=float(t.min()), zero=float((t == 0).double().mean()))
            for name, t in rule.signs(state).items()}


def plot_comparison(summary, reference="backprop", bayes=None, ax=None):
    """Mean +- SEM validation accuracy per rule, from ``dendritic.stats.summarize`` rows."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(7, 3.5))[1]
    labels = [f"{row['rule'].replace('_', chr(10))}\n({row['config']})" for row in summary]
    colors = ["0.4" if row["rule"] == reference else f"C{k % 10}" for k, row in enumerate(summary)]
    x = np.arange(len(summary))
    ax.bar(x, [100 * row["mean"] for row in summary], yerr=[100 * row["sem"] for row in summary],
           color=colors, capsize=3)
    if bayes is not None:
        ax.axhline(100 * bayes, color="k", ls="--", lw=1, label="Bayes-optimal")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xticks(x, labels, fontsize=7)
    ax.set(ylabel="validation accuracy (%)", ylim=(20, 100))
    return ax
