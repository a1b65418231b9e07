"""Animations for the course, sized for a projector, played without ffmpeg or a kernel.

- ``nudge_animation`` (notebook 03): one sample's backward phase, the teaching nudge travelling
  from the output down the layers, from ``net.compartments`` after ``rule.step``;
  ``plot_nudge`` is its last frame as a still figure (for sliders).
- ``cancellation_animation`` (notebook 04): the interneurons learning to cancel the top-down
  input over training, from the records of ``train(..., record_every=k)``.
- ``alignment_animation`` (notebook 06): learned top-down weights B_l becoming W_{l+1}^T,
  from ``alignment_frames``.

Each returns an ``Animation`` (``dendritic.player``): its frames are rendered once, as images
``DISPLAY_WIDTH`` pixels wide with no text under 10 pt at that size. Displayed in a notebook (or
``to_html(anim)``) it is an HTML player whose first frame is a plain ``<img>`` of fixed size,
visible as soon as the cell has run, with Play / step buttons and a slider that work on the first
click, in JupyterLab and in a static HTML page alike. ``save_gif(anim, path)`` writes a GIF for slides.

Frames are plain data (dicts of numpy arrays), computed first and drawn second, so a test can
hold them against the library's state. matplotlib is imported only inside the functions that draw.
"""


import numpy as np

from . import checks
from .player import DISPLAY_WIDTH, DPI, Animation, projector_figure, render, save_gif, to_html
from .plots.curves import smooth
from .diagnostics import relu_kinks
from .style import NUDGE_COLOR, PROJECTOR, layer_color, style

__all__ = ["Animation", "MAX_FRAMES", "alignment_animation", "alignment_frames", "cancellation_animation",
           "cancellation_frames", "nudge_animation", "nudge_frames", "plot_nudge", "save_gif", "to_html"]

#: An animation has at most this many frames, so its HTML stays small.
MAX_FRAMES = 60

NUDGE_STATES = ("soma", "activity", "dendrite_forward", "dendrite_backward", "nudge")


def _sparse_ticks(ax):
    """Few ticks: they are most of the cost of drawing an axis, and a projector needs few."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(3))


def _member(value, member, members):
    value = np.asarray(value.detach().cpu() if hasattr(value, "detach") else value)
    return value[member] if members else value


# --- notebook 03: the nudge travelling down the layers -------------------------------------
def nudge_frames(compartments, member=0, frames_per_layer=6, hold=3):
    """The backward phase of one sample as a list of frames.

    Args:
        compartments: ``net.compartments`` after ``rule.step(net, x, target)``.
        member: which ensemble member to show.
        frames_per_layer: frames while the nudge of one layer grows (>= 1).
        hold: frames shown still at the start (forward phase) and at the end.
    Returns:
        list of dicts with "title", "stage" (0 = forward phase, else the layer
        being nudged) and "layers": per layer 1..L a dict of [n_l] arrays
        soma, activity (a^F), dendrite_forward (D^F), dendrite (the top-down input
        now), nudge (now), activity_backward (relu(soma + nudge now)), kinked.
    The nudge of layer L, L-1, ..., 1 grows in turn; while it grows the layer's
    top-down input moves linearly from D^F to D^B, so in the last frame every
    state equals ``compartments`` exactly (for temporal contrast the in-between
    frames are exact too: N = f'(z) (D - D^F) is linear in D).
    """
    if not compartments:
        raise ValueError("compartments is empty: call rule.step(net, x, target) first, then pass net.compartments")
    frames_per_layer = checks.integer("frames_per_layer", frames_per_layer, 1)
    hold = checks.integer("hold", hold, 0)
    L = len(compartments)
    total = 2 * hold + L * frames_per_layer
    if total > MAX_FRAMES:
        raise ValueError(f"frames_per_layer and hold give {total} frames; keep 2*hold + {L}*frames_per_layer <= {MAX_FRAMES}")
    members = compartments[0]["nudge"].shape[0] if compartments[0]["nudge"].dim() == 2 else 0
    member = checks.member("member", member, max(members, 1))
    final = []
    for layer in compartments:
        state = {k: _member(layer[k], member, members) for k in NUDGE_STATES if k in layer}
        state.setdefault("dendrite_forward", np.zeros_like(state["soma"]))  # the output has no dendrite
        state.setdefault("dendrite_backward", state["dendrite_forward"])
        final.append(state)

    def frame(progress, stage, title):
        layers = []
        for state, s in zip(final, progress):
            nudge = s * state["nudge"]
            layers.append(dict(
                soma=state["soma"], activity=state["activity"], dendrite_forward=state["dendrite_forward"],
                dendrite=state["dendrite_forward"] + s * (state["dendrite_backward"] - state["dendrite_forward"]),
                nudge=nudge, activity_backward=np.maximum(state["soma"] + nudge, 0),
                kinked=relu_kinks(state["activity"], nudge)))
        return dict(title=title, stage=stage, layers=layers)

    progress = [0.0] * L
    frames = [frame(progress, 0, "forward phase: no teaching, the dendrites see $D^F$") for _ in range(hold)]
    for l in range(L, 0, -1):
        what = ("the teacher nudges the output towards the target" if l == L
                else f"layer {l}'s dendrite sees $D^B - D^F$ and nudges its soma")
        for i in range(1, frames_per_layer + 1):
            progress[l - 1] = i / frames_per_layer
            frames.append(frame(progress, l, f"backward phase: {what}"))
    frames += [frame(progress, -1, "after the nudge: $\\Delta W_l = lr\\, N_l \\otimes a_{l-1}^F$") for _ in range(hold)]
    return frames


def nudge_animation(compartments, member=0, target=None, frames_per_layer=6, hold=3, fps=6):
    """An ``Animation`` of ``nudge_frames``: rows are layers (output on top), columns the
    soma's activity, the dendrite's top-down input and the nudge.

    ``target`` (class index or one-hot) marks the output's target. Red triangles
    mark units of layers 2..L pushed below zero by their nudge (layer 1's
    backward activity is read by no one, so its kinks change nothing).

    >>> import dendritic, torch
    >>> net = dendritic.Network(seed=0)
    >>> _ = dendritic.rule("temporal_contrast").step(net, torch.tensor([0.3, -0.2]), 1)
    >>> nudge_animation(net.compartments, target=1)
    <Animation: 24 frames of 960 x 665 px at 6 fps>
    """
    frames = nudge_frames(compartments, member, frames_per_layer, hold)
    with style(**PROJECTOR):
        fig = projector_figure(_nudge_height(frames))
        draw, animated = _draw_nudge(fig, frames, target)
        return render(fig, draw, animated, len(frames), fps, frames)


def plot_nudge(compartments, member=0, target=None):
    """The last frame of ``nudge_animation`` as a still figure (for sliders); returns the figure.

    The figure is not registered with pyplot: show it with ``display(fig)``. (Redrawn from a slider
    through pyplot, the inline backend in JupyterLab could show a blank picture with only its tick labels.)
    """
    from matplotlib.figure import Figure

    frames = nudge_frames(compartments, member, frames_per_layer=1, hold=1)[-1:]
    with style(**PROJECTOR):
        fig = Figure(figsize=(DISPLAY_WIDTH / DPI, _nudge_height(frames)), dpi=DPI)
        draw, _ = _draw_nudge(fig, frames, target)
        draw(0)
    return fig


def _nudge_height(frames):
    return 1.75 * len(frames[0]["layers"]) + 1.4


def _draw_nudge(fig, frames, target):
    """Lay out the nudge figure; returns ``draw(i)`` and the artists it changes."""
    L = len(frames[0]["layers"])
    axes = fig.subplots(L, 3, squeeze=False)
    last = frames[-1]["layers"]
    artists, animated = [], []
    for row, l in enumerate(range(L, 0, -1)):
        state, (ax_a, ax_d, ax_n) = last[l - 1], axes[row]
        units = np.arange(len(state["soma"]))
        edges = np.arange(len(units) + 1) - 0.5
        ax_a.stairs(state["activity"], edges, fill=True, color="0.8", label="$a^F$ forward")
        activity = ax_a.stairs(state["activity"], edges, color="C0", lw=1.5, label="$a^B$ backward")
        kinks, = ax_a.plot(units, np.full(len(units), np.nan), "v", color=NUDGE_COLOR, ms=7, clip_on=False,
                           label="pushed below 0")
        top = max(state["activity"].max(), state["activity_backward"].max(), 1e-3)
        if l == L and target is not None:
            onehot = np.eye(len(units))[int(target)] if np.ndim(target) == 0 else np.asarray(target, dtype=float)
            ax_a.plot(units, onehot, "_", color="k", ms=16, mew=2, label="target")
            top = max(top, 1.0)
        ax_a.set_ylim(0, 1.15 * top)
        ax_a.set_ylabel("output" if l == L else f"layer {l}")
        dendrite = None
        if l == L:
            ax_d.text(0.5, 0.5, "the output has no dendrite:\nthe teacher nudges its soma,\n"
                      "$N_L = (2/K)\\,f'(z_L)\\,(target - a_L)$", ha="center", va="center", transform=ax_d.transAxes)
            ax_d.set_axis_off()
        else:
            ax_d.stairs(state["dendrite_forward"], edges, fill=True, color="0.8", label="$D^F$ before")
            dendrite, = ax_d.plot(units, state["dendrite_forward"], ".", color="C1", ms=4, label="$D$ now")
            span = max(np.abs(state["dendrite_forward"]).max(), np.abs(state["dendrite"]).max(), 1e-6)
            ax_d.set_ylim(-1.15 * span, 1.15 * span)
        nudge = ax_n.stairs(np.zeros(len(units)), edges, fill=True, color=NUDGE_COLOR)
        span = max(np.abs(state["nudge"]).max(), 1e-9)
        ax_n.set_ylim(-1.15 * span, 1.15 * span)
        ax_n.axhline(0, color="0.5", lw=0.5)
        for ax in (ax_a, ax_d, ax_n):
            _sparse_ticks(ax)
            ax.set_xlim(-0.5, len(units) - 0.5)
        artists.append((l, activity, kinks if l > 1 else None, dendrite, nudge))
        animated += [a for a in (activity, kinks, dendrite, nudge) if a is not None]
    axes[0, 0].set_title("soma: activity")
    axes[min(1, L - 1), 1].set_title("dendrite: top-down input $W^T a$")
    axes[0, 2].set_title("nudge $N$ (own scale per layer)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if L > 1:
        more = axes[1, 1].get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    fig.legend(handles, labels, loc="lower center", ncols=len(handles), frameon=False)
    for ax in axes[-1]:
        ax.set_xlabel("unit")
    title = fig.suptitle("")
    fig.tight_layout(rect=(0, 0.06, 1, 1))

    def draw(i):
        frame = frames[i]
        title.set_text(frame["title"])
        for l, activity, kinks, dendrite, nudge in artists:
            state = frame["layers"][l - 1]
            activity.set_data(state["activity_backward"])
            nudge.set_data(state["nudge"])
            if kinks is not None:
                kinks.set_ydata(np.where(state["kinked"], 0.0, np.nan))
            if dendrite is not None:
                dendrite.set_ydata(state["dendrite"])

    return draw, animated + [title]


# --- notebook 04: the interneurons learning to cancel -----------------------------------------
def _hidden_layers(records):
    layers = sorted(int(k.split("layer")[1]) for k in records if k.startswith("residual/layer"))
    if not layers:
        raise ValueError("records have no cancellation residual: train an 'interneuron' rule with record_every")
    return layers


def cancellation_frames(records, member=0, frames=40):
    """Frames of the interneurons learning, from ``train(..., record_every=k).records``.

    Frames are taken at recorded steps spaced logarithmically (the interneurons
    learn fastest at the start). Returns a list of dicts with "step", "index"
    (into the records) and "layers": per hidden layer a dict with "layer",
    dendrite_forward (D^F, before the teaching signal) and dendrite_backward
    (D^B, after it) [n_l], and residual (mean |D^F|^2 of that sample).
    """
    layers = _hidden_layers(records)
    frames = checks.integer("frames", frames, 2)
    if frames > MAX_FRAMES:
        raise ValueError(f"frames must be an integer in 2..{MAX_FRAMES}, got {frames}")
    steps = np.asarray(records["step"])
    member = checks.member("member", member, records[f"residual/layer{layers[0]}"].shape[1])
    indices = np.unique(np.round(np.geomspace(1, len(steps), frames)).astype(int) - 1)
    out = []
    for i in indices:
        out.append(dict(step=int(steps[i]), index=int(i), layers=[dict(
            layer=l,
            dendrite_forward=records[f"dendrite_forward/layer{l}"][i, member],
            dendrite_backward=records[f"dendrite_backward/layer{l}"][i, member],
            residual=float(records[f"residual/layer{l}"][i, member])) for l in layers]))
    return out


def cancellation_animation(records, member=0, frames=40, fps=6, window=15):
    """An ``Animation`` of ``cancellation_frames``: per hidden layer (top layer first) the
    dendritic state of the current sample before (D^F, grey) and after (D^B, dots) the
    teaching signal, and the residual mean |D^F|^2 over training (light: per sample;
    dark: moving average over ``window`` records, ``dendritic.plots.smooth``) with a cursor.
    """
    frame_data = cancellation_frames(records, member, frames)
    by_layer = [{state["layer"]: state for state in frame["layers"]} for frame in frame_data]
    layers = sorted(by_layer[0], reverse=True)  # the top hidden layer first, as in the network
    steps = np.asarray(records["step"]) + 1
    with style(**PROJECTOR):
        fig = projector_figure(2.3 * len(layers) + 1.7)
        axes = fig.subplots(len(layers), 2, squeeze=False, gridspec_kw=dict(width_ratios=(1.5, 1)))
        artists, animated = [], []
        for row, l in enumerate(layers):
            ax_d, ax_r = axes[row]
            first = by_layer[0][l]
            units = np.arange(len(first["dendrite_forward"]))
            bars = ax_d.stairs(first["dendrite_forward"], np.arange(len(units) + 1) - 0.5, fill=True, color="0.6",
                               label="$D^F$: before the teaching signal")
            dots, = ax_d.plot(units, first["dendrite_backward"], ".", color="C1", ms=4,
                              label="$D^B$: after the teaching signal")
            span = max(max(np.abs(f[l]["dendrite_forward"]).max(), np.abs(f[l]["dendrite_backward"]).max())
                       for f in by_layer)
            ax_d.set_ylim(-1.1 * span, 1.1 * span)
            ax_d.axhline(0, color="0.5", lw=0.5)
            ax_d.set_ylabel(f"layer {l}: dendrite")
            ax_d.set_xlim(-0.5, len(units) - 0.5)
            label = ax_d.set_title("", loc="left")
            residual = np.asarray(records[f"residual/layer{l}"])[:, member]
            color = layer_color(l)
            ax_r.plot(steps, residual, color=color, alpha=0.45, lw=0.8, label="residual of each sample")
            ax_r.plot(steps, smooth(residual, window), color=color, lw=2.5, label=f"moving average ({window} records)")
            ax_r.set_xscale("log")
            ax_r.set_yscale("log")
            ax_r.minorticks_off()  # minor ticks of log axes cost more to draw than the data
            ax_r.set_ylabel("mean $|D^F|^2$")
            ax_r.set_title(f"layer {l}: residual", loc="left")
            cursor = ax_r.axvline(steps[0], color="k", lw=1)
            _sparse_ticks(ax_d)
            artists.append((l, bars, dots, label, cursor))
            animated += [bars, dots, label, cursor]
        axes[-1, 0].set_xlabel("unit")
        axes[-1, 1].set_xlabel("training step + 1")
        handles, labels = (sum(pair, []) for pair in zip(axes[0, 0].get_legend_handles_labels(),
                                                          axes[-1, 1].get_legend_handles_labels()))
        fig.legend(handles, labels, loc="lower center", ncols=2, frameon=False)
        title = fig.suptitle("")
        fig.tight_layout(rect=(0, 0.1, 1, 1))

        def draw(i):
            frame = frame_data[i]
            title.set_text(f"interneurons learning: step {frame['step']}")
            for l, bars, dots, label, cursor in artists:
                state = by_layer[i][l]
                bars.set_data(state["dendrite_forward"])
                dots.set_ydata(state["dendrite_backward"])
                at_clamp = np.mean(np.abs(state["dendrite_forward"]) >= 0.999)
                # plain text, not mathtext: text that changes every frame would be re-parsed every frame
                label.set_text(f"mean |D^F|\u00b2 = {state['residual']:.2g}, at the clamp: {at_clamp:.0%}")
                cursor.set_xdata([frame["step"] + 1] * 2)

        return render(fig, draw, animated + [title], len(frame_data), fps, frame_data)


# --- notebook 06: top-down weights B aligning with W^T ----------------------------------------
def alignment_frames(rule, data, seed=0, frames=40, layer=2, steps=None):
    """Train one network (``Network(seed=seed)``) with ``rule`` and keep ``frames`` snapshots of its
    top-down weights B_layer and of W_{layer+1}^T, spaced evenly over ``steps`` training steps
    (default: one epoch of ``data``).

    ``rule`` must have top-down weights of its own (``kolen_pollack``, ``feedback_alignment``,
    ``dale``, ``top_down="learned"``...); for ``dale`` B is the effective B^E - B^I Q.
    Returns a list of dicts: step, B [n_l, n_{l+1}], WT [n_l, n_{l+1}], angle (degrees,
    ``dendritic.diagnostics.alignment``). The run is ``train``'s, sample order and learning-rate
    schedule included: only the snapshots are added.
    """
    from . import loop
    from .circuit import pack
    from .diagnostics import alignment
    from .network import Network
    from .training import sample_order

    frames = checks.integer("frames", frames, 2)
    if frames > MAX_FRAMES:
        raise ValueError(f"frames must be an integer in 2..{MAX_FRAMES}, got {frames}")
    net = Network(seed=checks.integer("seed", seed, 0))
    pairs = rule.top_down_pairs(pack(net, rule))
    if not pairs:
        raise ValueError(f"rule must have top-down weights of its own, not the transpose; {rule!r} uses W^T")
    layer = checks.integer("layer", layer, 1)
    if layer > len(pairs):
        raise ValueError(f"layer must be a hidden layer in 1..{len(pairs)}, got {layer}")
    X, y = data.train
    steps = len(y) if steps is None else checks.integer("steps", steps, frames)
    if steps > len(y):
        raise ValueError(f"steps must be an integer in {frames}..{len(y)} (one epoch of data), got {steps}")
    bounds = np.linspace(0, steps, frames).round().astype(int)
    rule.check_network(net)
    circuit, h = pack(net, rule), rule.numbers(net.sizes)
    order = sample_order(net.seeds[0], len(y), 1)[:steps]
    inputs = np.ascontiguousarray(X[order].numpy()[:, None, :])    # [steps, 1, n_0], as train orders them
    classes = np.ascontiguousarray(y[order].numpy()[:, None])

    def snapshot(step):
        B, W_above = rule.top_down_pairs(circuit)[layer - 1]
        return dict(step=int(step), B=B[0].copy(), WT=W_above[0].T.copy(), angle=float(alignment(B, W_above)[0]))

    out = [snapshot(0)]
    for start, stop in zip(bounds[:-1], bounds[1:]):
        loop.run(rule, circuit, h, inputs, classes, int(start), int(stop), steps)
        out.append(snapshot(stop))
    return out


def alignment_animation(frames, title="top-down weights $B$ learning to mirror $W^T$", fps=6):
    """An ``Animation`` of ``alignment_frames``: B and W^T side by side (one colour scale), and
    the angle between them over training."""
    if not 2 <= len(frames) <= MAX_FRAMES:
        raise ValueError(f"frames must hold 2..{MAX_FRAMES} snapshots (from alignment_frames), got {len(frames)}")
    scale = float(max(max(np.abs(f["B"]).max(), np.abs(f["WT"]).max()) for f in frames)) or 1.0
    steps = [f["step"] for f in frames]
    angles = [f["angle"] for f in frames]
    with style(**PROJECTOR):
        fig = projector_figure(4.4)
        ax_b, ax_w, ax_a = fig.subplots(1, 3, gridspec_kw=dict(width_ratios=[1, 1, 1.6]))
        kw = dict(cmap="RdBu_r", vmin=-scale, vmax=scale, aspect="auto", interpolation="nearest")
        im_b, im_w = ax_b.imshow(frames[0]["B"].T, **kw), ax_w.imshow(frames[0]["WT"].T, **kw)
        ax_b.set_title("$B$ (top-down)")
        ax_w.set_title("$W^T$ (bottom-up)")
        for ax in (ax_b, ax_w):
            ax.set_xlabel("unit of layer $l$")
            ax.set_yticks([])
        ax_b.set_ylabel("unit of layer $l+1$")
        ax_a.plot(steps, angles, color="0.8")
        line, = ax_a.plot(steps[:1], angles[:1], color=NUDGE_COLOR, lw=2.5)
        ax_a.axhline(90, color="0.5", ls=":", lw=1)
        ax_a.set(xlim=(0, steps[-1]), ylim=(0, 100), xlabel="training step", ylabel="angle($B$, $W^T$) (°)")
        text = ax_a.set_title(" ")
        fig.suptitle(title)
        fig.tight_layout()

        def draw(k):
            im_b.set_data(frames[k]["B"].T)
            im_w.set_data(frames[k]["WT"].T)
            line.set_data(steps[:k + 1], angles[:k + 1])
            text.set_text(f"step {steps[k]}: {angles[k]:.0f}\u00b0")

        return render(fig, draw, [im_b, im_w, line, text], len(frames), fps, frames)
