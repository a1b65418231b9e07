"""Drawings of the model: one hidden unit (soma, dendrite, interneuron, nudge; Fig. 1A) and
the network as columns of units with their bottom-up and top-down weights (Fig. 1B)."""

import numpy as np

from .. import checks
from ..style import DENDRITE_COLOR, INTERNEURON_COLOR, NUDGE_COLOR, SOMA_COLOR


def plot_neuron(ax):
    """Fig. 1 schematic: a soma driven bottom-up, a dendrite driven top-down, a
    dendrite-targeting interneuron that cancels the self-generated top-down input,
    and the nudge that gates plasticity at the input synapses. Returns ``ax``.

    >>> from dendritic.style import figure
    >>> ax = figure(5, 5).subplots()
    >>> plot_neuron(ax) is ax
    True
    """
    from matplotlib.patches import Circle, Ellipse, FancyArrowPatch, Polygon

    def arrow(start, end, color="0.2", style="-|>", rad=0.0, lw=1.5, **kw):
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=12, color=color, lw=lw,
                                     connectionstyle=f"arc3,rad={rad}", **kw))

    # compartments
    ax.add_patch(Polygon([(3.1, 2.2), (4.9, 2.2), (4.0, 4.0)], closed=True, fc=SOMA_COLOR, ec="0.2", lw=1.2, zorder=3))
    ax.text(4.0, 2.75, "soma\n$z_l$", ha="center", va="center", fontsize=8, zorder=4)
    ax.plot([4.0, 4.0], [4.0, 6.9], color="0.2", lw=3, zorder=2, solid_capstyle="butt")
    ax.add_patch(Ellipse((4.0, 7.6), 2.8, 1.4, fc=DENDRITE_COLOR, ec="0.2", lw=1.2, zorder=3))
    ax.text(4.0, 7.6, "dendrite\n$D_l$", ha="center", va="center", fontsize=8, zorder=4)
    ax.add_patch(Circle((7.4, 5.6), 0.6, fc=INTERNEURON_COLOR, ec="0.2", lw=1.2, zorder=3))
    ax.text(7.4, 5.6, "$R_l$", ha="center", va="center", fontsize=9, zorder=4)
    ax.text(8.1, 5.6, "dendrite-targeting\ninterneuron", ha="left", va="center", fontsize=7.5)

    # bottom-up input onto plastic synapses at the soma
    arrow((4.0, 0.3), (4.0, 2.15))
    ax.text(4.2, 0.9, "bottom-up input $a_{l-1}$\n(from the layer below)", ha="left", va="center", fontsize=7.5)
    ax.plot([4.0], [2.2], "o", color="0.1", ms=5, zorder=5)
    ax.text(4.95, 1.75, r"plastic: $\Delta W_l \propto N_l \otimes a_{l-1}$", ha="left", va="center", fontsize=7.5)
    # top-down input onto the dendrite
    arrow((4.0, 9.8), (4.0, 8.35))
    ax.text(4.2, 9.35, r"top-down input $W_{l+1}^{\top} a_{l+1}$" "\n(from the layer above)",
            ha="left", va="center", fontsize=7.5)
    # output: activity to the layer above, with a branch driving the interneuron
    ax.plot([4.5, 7.4], [3.1, 3.1], color="0.2", lw=1.5)
    arrow((7.4, 3.1), (9.6, 3.1))
    ax.text(9.6, 2.75, "$a_l = f(z_l)$\nto the layer above", ha="right", va="top", fontsize=7.5)
    arrow((7.4, 3.1), (7.4, 4.95))
    # inhibition of the dendrite: a flat bar ending, the usual symbol for an inhibitory synapse
    arrow((6.85, 5.95), (5.35, 7.25), style="-[", color=INTERNEURON_COLOR, lw=2)
    ax.text(6.3, 6.95, "cancels self-generated\ntop-down input", ha="left", va="bottom", fontsize=7,
            color="#5e3c99")
    # the nudge: the dendritic state gates plasticity at the input synapses
    arrow((2.65, 7.3), (3.35, 3.2), color=NUDGE_COLOR, rad=0.35, lw=1.8)
    ax.text(0.1, 5.3, "nudge\n$N_l = f'(z_l)\\,D_l$\ngates plasticity", ha="left", va="center", fontsize=7.5,
            color=NUDGE_COLOR)
    ax.set(xlim=(0, 10.2), ylim=(0, 10), aspect="equal")
    ax.axis("off")
    return ax


def plot_architecture(ax, sizes=(2, 128, 32, 4), shown=6):
    """The network as columns of units (at most ``shown`` drawn per layer): input,
    hidden layers with a soma (lower half) and a dendrite (upper half), output.
    Bottom-up weights W_l in grey; top-down input W_{l+1}^T as curved arrows. Returns ``ax``.

    >>> from dendritic.style import figure
    >>> ax = figure(6, 4).subplots()
    >>> plot_architecture(ax, (2, 16, 8, 4)) is ax
    True
    """
    from matplotlib.patches import Circle, FancyArrowPatch, Wedge

    if isinstance(sizes, (str, bytes)) or len(sizes) < 2:
        raise ValueError(f"sizes must be a sequence of at least 2 layer sizes, got {sizes!r}")
    sizes = [checks.integer(f"sizes[{i}]", n, 1) for i, n in enumerate(sizes)]
    shown = checks.integer("shown", shown, 2)
    gap, r = 3.0, 0.32
    columns = []
    for i, n in enumerate(sizes):
        k = min(n, shown)
        ys = np.linspace(-(k - 1) / 2, (k - 1) / 2, k)
        columns.append((i * gap, ys, n > shown))
    for (x0, ys0, _), (x1, ys1, _) in zip(columns, columns[1:]):
        for y0 in ys0:
            for y1 in ys1:
                ax.plot([x0 + r, x1 - r], [y0, y1], color="0.75", lw=0.5, zorder=1)
    last = len(sizes) - 1
    for i, ((x, ys, more), n) in enumerate(zip(columns, sizes)):
        for j, y in enumerate(ys):
            if more and j == len(ys) // 2:
                ax.text(x, y, r"$\vdots$", ha="center", va="center", fontsize=12)
                continue
            if 0 < i < last:
                ax.add_patch(Wedge((x, y), r, 0, 180, fc=DENDRITE_COLOR, ec="0.2", lw=0.8, zorder=3))
                ax.add_patch(Wedge((x, y), r, 180, 360, fc=SOMA_COLOR, ec="0.2", lw=0.8, zorder=3))
            else:
                ax.add_patch(Circle((x, y), r, fc="white" if i == 0 else SOMA_COLOR, ec="0.2", lw=0.8, zorder=3))
    top = max(ys[-1] for _, ys, _ in columns)
    for i, ((x, _, _), n) in enumerate(zip(columns, sizes)):
        name = "input" if i == 0 else "output" if i == last else f"hidden {i}"
        ax.text(x, -top - 0.9, f"{name}\n{n} unit{'s' * (n > 1)}", ha="center", va="top", fontsize=8)
    for l in range(1, last):
        x_from, x_to = columns[l + 1][0], columns[l][0]
        ax.add_patch(FancyArrowPatch((x_from - 0.2, top + 0.55), (x_to + 0.2, top + 0.55), arrowstyle="-|>",
                                     mutation_scale=10, color="#2c7bb6", lw=1.4, connectionstyle="arc3,rad=0.35"))
        ax.text((x_from + x_to) / 2, top + 1.45, rf"$W_{{{l + 1}}}^{{\top}}$", ha="center", va="bottom",
                fontsize=8, color="#2c7bb6")
    for l in range(1, last + 1):
        ax.text((columns[l - 1][0] + columns[l][0]) / 2, -top - 0.35, f"$W_{l}$", ha="center", va="top",
                fontsize=8, color="0.4")
    x_out = columns[-1][0]
    ax.add_patch(FancyArrowPatch((x_out + 1.9, 0), (x_out + r + 0.15, 0), arrowstyle="-|>", mutation_scale=10,
                                 color=NUDGE_COLOR, lw=1.4))
    ax.text(x_out + 1.0, 0.25, "target\n(nudge)", ha="center", va="bottom", fontsize=7.5, color=NUDGE_COLOR)
    ax.text(columns[-1][0] / 2, top + 2.3, "hidden units: dendrite (upper half), soma (lower half)\n"
            "weights: bottom-up $W_l$ (grey), top-down $W_{l+1}^{\\top}$ (blue)",
            ha="center", va="bottom", fontsize=7.5, color="0.3")
    ax.set(xlim=(-1.0, x_out + 2.1), ylim=(-top - 2.2, top + 3.4), aspect="equal")
    ax.axis("off")
    return ax
