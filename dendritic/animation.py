"""Animations and didactic plots for notebooks 03 (temporal contrast) and 04 (interneurons).

- ``nudge_animation``: one sample's backward phase, the teaching nudge travelling
  from the output down the layers, built from ``net.compartments`` after ``rule.step``.
- ``cancellation_animation``: the interneurons learning to cancel the top-down
  input over training, built from the records of ``train(..., record_every=k)``.
- ``save_gif`` writes an animation as a GIF for slides (Pillow: no ffmpeg needed);
  ``to_html`` shows it in a notebook (``FuncAnimation.to_jshtml``).
- ``plot_kinks``, ``plot_seed_pairs``, ``plot_dendrite_saturation``: didactic plots.

Frames are plain data (dicts of numpy arrays), computed first and drawn second,
so a test can hold them against the library's state. matplotlib is imported only
inside the functions that draw.
"""

import base64
from io import BytesIO
from pathlib import Path

import numpy as np

from . import checks
from .data import BAYES_ACCURACY

#: An animation has at most this many frames, so its HTML stays small.
MAX_FRAMES = 60

NUDGE_STATES = ("soma", "activity", "dendrite_forward", "dendrite_backward", "nudge")


def _member(value, member, members):
    value = np.asarray(value.detach().cpu() if hasattr(value, "detach") else value)
    return value[member] if members else value


def _member_index(member, members):
    """members: ensemble size (0 for a single network)."""
    limit = max(members, 1)
    member = checks.integer("member", member, 0)
    if member >= limit:
        raise ValueError(f"member must be an integer in 0..{limit - 1}, got {member}")
    return member


def relu_kinks(activity, nudge):
    """Units pushed below zero by their own nudge: active (a > 0) with z + N < 0.

    Only there does temporal contrast differ from backprop: the layer below sees
    a^B - a^F = -z instead of the nudge N. ``activity`` and ``nudge`` have the
    same shape [..., n]; returns a boolean array of that shape.
    """
    activity, nudge = np.asarray(activity), np.asarray(nudge)
    return (activity > 0) & (activity + nudge < 0)  # a = z where a > 0


def kink_counts(records):
    """Per recorded step and member, the number of units whose kink changes the
    update: units of layers 2..L (a layer-1 unit's backward activity is read by no one).

    ``records`` from ``train(..., record_every=k)``; returns an int array [R, S].
    """
    layers = sorted(int(k.split("layer")[1]) for k in records if k.startswith("nudge/layer"))
    if not layers:
        raise ValueError("records must hold the 'nudge/layerL' and 'activity/layerL' states: train with record_every")
    counts = np.zeros(records[f"nudge/layer{layers[0]}"].shape[:2], dtype=int)
    for l in layers[1:]:
        counts += relu_kinks(records[f"activity/layer{l}"], records[f"nudge/layer{l}"]).sum(-1)
    return counts


def _sparse_ticks(ax):
    """Few ticks: an animation redraws every axis on every frame, and ticks are most of the cost."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(3))
    ax.tick_params(labelsize=7)


def _figure(size, dpi):
    """A figure outside pyplot (a notebook never shows it as a static duplicate), drawn by Agg."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def _animate(fig, draw, animated, n_frames, fps):
    """Render ``n_frames`` frames, then return a ``FuncAnimation`` that plays them as images.

    ``draw(i)`` updates the ``animated`` artists to frame i. The static parts of
    the figure (axes, ticks, labels) are drawn once and only the animated artists
    are redrawn per frame (blitting), which is ~10x faster than matplotlib's
    saving path, which redraws the whole figure for every frame. The rendered
    frames ([H, W, 3] uint8) are in ``anim.images``.
    """
    from matplotlib.animation import FuncAnimation

    canvas = fig.canvas
    for artist in animated:
        artist.set_animated(True)  # left out of the background
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    images = []
    for i in range(n_frames):
        draw(i)
        canvas.restore_region(background)
        for artist in animated:
            fig.draw_artist(artist)
        images.append(np.asarray(canvas.buffer_rgba())[..., :3].copy())

    height, width = images[0].shape[:2]
    player = _figure((width / fig.dpi, height / fig.dpi), fig.dpi)
    ax = player.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    shown = ax.imshow(images[0], interpolation="none", aspect="auto")

    def show(i):
        shown.set_data(images[i])
        return [shown]

    anim = FuncAnimation(player, show, frames=n_frames, interval=1000 / fps, blit=False)
    anim.images, anim.fps = images, fps
    return anim


# --- notebook 03: the nudge travelling down the layers -------------------------

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
    member = _member_index(member, members)
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


def nudge_animation(compartments, member=0, target=None, frames_per_layer=6, hold=3, fps=6, dpi=60):
    """A ``FuncAnimation`` of ``nudge_frames``: rows are layers (output on top),
    columns the soma's activity, the dendrite's top-down input and the nudge.

    ``target`` (class index or one-hot) marks the output's target. Red triangles
    mark units of layers 2..L pushed below zero by their nudge (layer 1's
    backward activity is read by no one, so its kinks change nothing).
    Show it with ``to_html(anim)``, save it with ``save_gif(anim, path)``; the
    frames drawn are in ``anim.frames``. No figure is left open in pyplot.
    """
    frames = nudge_frames(compartments, member, frames_per_layer, hold)
    fig = _figure(_nudge_size(frames), dpi)
    draw, animated = _draw_nudge(fig, frames, target)
    anim = _animate(fig, draw, animated, len(frames), fps)
    anim.frames = frames
    return anim


def plot_nudge(compartments, member=0, target=None):
    """The last frame of ``nudge_animation`` as a static pyplot figure (for sliders); returns the figure."""
    import matplotlib.pyplot as plt

    frames = nudge_frames(compartments, member, frames_per_layer=1, hold=1)[-1:]
    fig = plt.figure(figsize=_nudge_size(frames), dpi=72)
    draw, _ = _draw_nudge(fig, frames, target)
    draw(0)
    return fig


def _nudge_size(frames):
    return (9, 1.6 * len(frames[0]["layers"]) + 0.7)


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
        activity = ax_a.stairs(state["activity"], edges, color="C0", lw=1.2, label="$a^B$ backward")
        kinks, = ax_a.plot(units, np.full(len(units), np.nan), "v", color="C3", ms=5, clip_on=False,
                           label="pushed below 0")
        top = max(state["activity"].max(), state["activity_backward"].max(), 1e-3)
        if l == L and target is not None:
            onehot = np.eye(len(units))[int(target)] if np.ndim(target) == 0 else np.asarray(target, dtype=float)
            ax_a.plot(units, onehot, "_", color="k", ms=14, mew=2, label="target")
            top = max(top, 1.0)
        ax_a.set_ylim(0, 1.15 * top)
        ax_a.set_ylabel("output" if l == L else f"layer {l}", fontsize=9)
        dendrite = None
        if l == L:
            ax_d.text(0.5, 0.95, "the output has no dendrite:\nthe teacher nudges its soma\n"
                      "$N_L = (2/K)\\,f'(z_L)\\,(target - a_L)$", ha="center", va="top",
                      transform=ax_d.transAxes, fontsize=8)
            ax_d.set_axis_off()
        else:
            ax_d.stairs(state["dendrite_forward"], edges, fill=True, color="0.8", label="$D^F$ before")
            dendrite, = ax_d.plot(units, state["dendrite_forward"], ".", color="C1", ms=3, label="$D$ now")
            span = max(np.abs(state["dendrite_forward"]).max(), np.abs(state["dendrite"]).max(), 1e-6)
            ax_d.set_ylim(-1.15 * span, 1.15 * span)
        nudge = ax_n.stairs(np.zeros(len(units)), edges, fill=True, color="C3")
        span = max(np.abs(state["nudge"]).max(), 1e-9)
        ax_n.set_ylim(-1.15 * span, 1.15 * span)
        ax_n.axhline(0, color="0.5", lw=0.5)
        for ax in (ax_a, ax_d, ax_n):
            _sparse_ticks(ax)
            ax.set_xlim(-0.5, len(units) - 0.5)
        artists.append((l, activity, kinks if l > 1 else None, dendrite, nudge))
        animated += [a for a in (activity, kinks, dendrite, nudge) if a is not None]
    axes[0, 0].set_title("soma: activity", fontsize=9)
    axes[min(1, L - 1), 1].set_title("dendrite: top-down input $W^T a$", fontsize=9)
    axes[0, 2].set_title("nudge $N$ (own scale per layer)", fontsize=9)
    # the legend goes in the output row's empty dendrite panel, where it hides no data
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if L > 1:
        more = axes[1, 1].get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    axes[0, 1].legend(handles, labels, fontsize=7, loc="lower center", ncols=2, frameon=False)
    axes[-1, 1].set_xlabel("unit", fontsize=8)
    title = fig.suptitle("", fontsize=10)
    fig.tight_layout()

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


# --- notebook 04: the interneurons learning to cancel ---------------------------

def _hidden_layers(records):
    layers = sorted(int(k.split("layer")[1]) for k in records if k.startswith("residual/layer"))
    if not layers:
        raise ValueError("records have no cancellation residual: train an 'interneuron' rule with record_every")
    return layers


def running_median(values, window=15):
    """Median of each sliding window of ``window`` values (shorter at the ends); NaNs ignored."""
    values = np.asarray(values, dtype=float)
    window = checks.integer("window", window, 1)
    half = window // 2
    out = np.full(len(values), np.nan)
    for i in range(len(values)):
        chunk = values[max(0, i - half): i + half + 1]
        if np.isfinite(chunk).any():
            out[i] = np.nanmedian(chunk)
    return out


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
    member = _member_index(member, records[f"residual/layer{layers[0]}"].shape[1])
    indices = np.unique(np.round(np.geomspace(1, len(steps), frames)).astype(int) - 1)
    out = []
    for i in indices:
        out.append(dict(step=int(steps[i]), index=int(i), layers=[dict(
            layer=l,
            dendrite_forward=records[f"dendrite_forward/layer{l}"][i, member],
            dendrite_backward=records[f"dendrite_backward/layer{l}"][i, member],
            residual=float(records[f"residual/layer{l}"][i, member])) for l in layers]))
    return out


def cancellation_animation(records, member=0, frames=40, fps=6, dpi=60, window=15):
    """A ``FuncAnimation`` of ``cancellation_frames``: per hidden layer (top layer
    first) the dendritic state of the current sample before (D^F, grey) and after
    (D^B, dots) the teaching signal, and the residual mean |D^F|^2 over training
    (light: per sample; dark: running median of ``window`` records) with a cursor.

    Show it with ``to_html(anim)``, save it with ``save_gif(anim, path)``; the
    frames drawn are in ``anim.frames``. No figure is left open in pyplot.
    """
    from .figures import LAYER_COLORS  # the poster figures' colour of each layer

    frame_data = cancellation_frames(records, member, frames)
    by_layer = [{state["layer"]: state for state in frame["layers"]} for frame in frame_data]
    layers = sorted(by_layer[0], reverse=True)  # the top hidden layer first, as in the network
    steps = np.asarray(records["step"]) + 1
    fig = _figure((9, 2.0 * len(layers) + 0.6), dpi)
    axes = fig.subplots(len(layers), 2, squeeze=False, gridspec_kw=dict(width_ratios=(1.6, 1)))
    artists, animated = [], []
    for row, l in enumerate(layers):
        ax_d, ax_r = axes[row]
        first = by_layer[0][l]
        units = np.arange(len(first["dendrite_forward"]))
        bars = ax_d.stairs(first["dendrite_forward"], np.arange(len(units) + 1) - 0.5, fill=True, color="0.6",
                           label="$D^F$: before the teaching signal")
        dots, = ax_d.plot(units, first["dendrite_backward"], ".", color="C1", ms=3,
                          label="$D^B$: after the teaching signal")
        span = max(max(np.abs(f[l]["dendrite_forward"]).max(), np.abs(f[l]["dendrite_backward"]).max())
                   for f in by_layer)
        ax_d.set_ylim(-1.1 * span, 1.1 * span)
        ax_d.axhline(0, color="0.5", lw=0.5)
        ax_d.set_ylabel(f"layer {l}: dendrite", fontsize=8)
        ax_d.set_xlim(-0.5, len(units) - 0.5)
        label = ax_d.set_title("", fontsize=8)
        residual = np.asarray(records[f"residual/layer{l}"])[:, member]
        color = LAYER_COLORS[(l - 1) % 3]
        ax_r.plot(steps, residual, color=color, alpha=0.3, lw=0.6)
        ax_r.plot(steps, running_median(residual, window), color=color, lw=1.5)
        ax_r.set_xscale("log")
        ax_r.set_yscale("log")
        ax_r.minorticks_off()  # minor ticks of log axes cost more to draw than the data
        ax_r.set_ylabel("residual mean $|D^F|^2$", fontsize=8)
        ax_r.set_title(f"layer {l}: per sample (light), running median (dark)", fontsize=8)
        cursor = ax_r.axvline(steps[0], color="k", lw=0.8)
        _sparse_ticks(ax_d)
        ax_r.tick_params(labelsize=7)
        artists.append((l, bars, dots, label, cursor))
        animated += [bars, dots, label, cursor]
    fig.legend(*axes[0, 0].get_legend_handles_labels(), fontsize=7, loc="upper left", ncols=2, frameon=False)
    axes[-1, 0].set_xlabel("unit", fontsize=8)
    axes[-1, 1].set_xlabel("training step + 1", fontsize=8)
    title = fig.suptitle("", fontsize=10, x=0.98, ha="right")
    fig.tight_layout(rect=(0, 0, 1, 0.97))

    def draw(i):
        frame = frame_data[i]
        title.set_text(f"interneurons learning: step {frame['step']}")
        for l, bars, dots, label, cursor in artists:
            state = by_layer[i][l]
            bars.set_data(state["dendrite_forward"])
            dots.set_ydata(state["dendrite_backward"])
            at_clamp = np.mean(np.abs(state["dendrite_forward"]) >= 0.999)
            # plain text, not mathtext: text that changes every frame would be re-parsed every frame
            label.set_text(f"layer {l}: mean |D^F|\u00b2 = {state['residual']:.2g},  at the clamp |D^F| = 1: {at_clamp:.0%}")
            cursor.set_xdata([frame["step"] + 1] * 2)

    anim = _animate(fig, draw, animated + [title], len(frame_data), fps)
    anim.frames = frame_data
    return anim


# --- showing and saving -----------------------------------------------------------

def _palette_png(fig, dpi, colors):
    """The figure as a PNG with a palette of ``colors`` colours (about 3x smaller than RGBA)."""
    from PIL import Image

    buffer = BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    image = Image.open(buffer).convert("RGB").quantize(colors)
    out = BytesIO()
    image.save(out, format="png", optimize=True)
    return out.getvalue()


def to_html(anim, default_mode="once", colors=64):
    """The animation as an inline HTML/JavaScript player with play / step buttons
    (matplotlib's ``to_jshtml`` player; no ffmpeg), for ``IPython.display.display``.

    Frames are embedded as palette PNGs of ``colors`` colours (2..256), which keeps
    a 40-frame animation to a few hundred kB in the notebook.
    """
    from tempfile import TemporaryDirectory

    from IPython.display import HTML
    from matplotlib.animation import HTMLWriter

    checks.choice("default_mode", default_mode, ("once", "loop", "reflect"))
    colors = checks.integer("colors", colors, 2)
    if colors > 256:
        raise ValueError(f"colors must be an integer in 2..256, got {colors}")

    class PaletteHTMLWriter(HTMLWriter):
        # HTMLWriter keeps its embedded frames in ``_saved_frames``; if a matplotlib
        # release renames it, fall back to its own (larger, RGBA) PNG frames.
        def grab_frame(self, **savefig_kwargs):
            if not hasattr(self, "_saved_frames"):  # matplotlib changed its internals: plain PNG frames
                return super().grab_frame(**savefig_kwargs)
            png = _palette_png(self.fig, self.dpi, colors)
            self._saved_frames.append(base64.encodebytes(png).decode("ascii"))

    fps = getattr(anim, "fps", 8)
    with TemporaryDirectory() as folder:
        path = Path(folder, "animation.html")
        anim.save(path, writer=PaletteHTMLWriter(fps=fps, embed_frames=True, default_mode=default_mode))
        return HTML(path.read_text())


def save_gif(anim, path, fps=None, dpi=None):
    """Write ``anim`` to ``path`` (must end in .gif) with matplotlib's ``PillowWriter``
    (no ffmpeg); ``fps`` defaults to the animation's own. Returns the Path."""
    from matplotlib.animation import PillowWriter

    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"path must end in .gif, got {str(path)!r}")
    fps = checks.positive("fps", getattr(anim, "fps", 6) if fps is None else fps)
    path.parent.mkdir(parents=True, exist_ok=True)
    anim.save(path, writer=PillowWriter(fps=fps), dpi=dpi)
    return path


# --- didactic plots ----------------------------------------------------------------

def plot_kinks(ax, result, jitter=0.15, seed=0):
    """Angle of temporal contrast's update to backprop's (all layers) against the
    number of units pushed below zero by their nudge, one dot per recorded step
    and member. No kink -> the same update as backprop (angle ~ 0, float32 noise)."""
    records = result.records if hasattr(result, "records") else result
    counts = kink_counts(records).ravel()
    angles = np.asarray(records["angle/all"]).ravel()
    keep = np.isfinite(angles)
    x = counts[keep] + np.random.default_rng(seed).uniform(-jitter, jitter, keep.sum())
    ax.plot(x, np.maximum(angles[keep], 1e-4), ".", ms=3, alpha=0.4, color="C0")
    ax.set_yscale("log")
    ax.set_xlabel("units pushed below zero by their nudge (layers 2..L)")
    ax.set_ylabel("angle to backprop (deg, all layers)")
    ax.set_xticks(range(int(counts.max()) + 1 if counts.size else 1))


def plot_seed_pairs(ax, results, labels=None, classes=4):
    """Validation accuracy seed by seed for several ``TrainResult``s on the same seeds:
    one line per seed across the results; a hollow marker where the run lost an
    output unit (dead_outputs > 0), a cross at the bottom where it diverged.
    Dashed: the Bayes-optimal accuracy; dotted: chance, 1 / ``classes``."""
    if isinstance(results, dict):
        labels, results = labels or list(results), list(results.values())
    results = list(results)
    labels = labels or [r.rule for r in results]
    if len(labels) != len(results):
        raise ValueError(f"labels must give one name per result ({len(results)}), got {len(labels)}")
    seeds = results[0].seeds
    for r in results[1:]:
        if tuple(r.seeds) != tuple(seeds):
            raise ValueError("results must be trained on the same seeds to be compared seed by seed")
    x = np.arange(len(results))
    acc = np.array([r.val_acc for r in results])  # [results, seeds]
    chance = 1 / checks.integer("classes", classes, 2)
    for i in range(len(seeds)):
        ax.plot(x, acc[:, i], "-", color="0.7", lw=0.8, zorder=1)
    labelled = set()

    def label(text):  # each legend entry once
        if text in labelled:
            return None
        labelled.add(text)
        return text

    for j, r in enumerate(results):
        dead = r.dead_outputs > 0
        ax.plot(np.full((~dead).sum(), j), r.val_acc[~dead], "o", color=f"C{j}", ms=5, zorder=2)
        if dead.any():
            ax.plot(np.full(dead.sum(), j), r.val_acc[dead], "o", mfc="none", color=f"C{j}", ms=6, zorder=2,
                    label=label("lost an output unit"))
        if r.diverged.any():
            ax.plot(np.full(r.diverged.sum(), j), np.full(r.diverged.sum(), chance - 0.03), "x", color="C3", ms=7,
                    label=label("diverged (no accuracy)"))
    ax.axhline(BAYES_ACCURACY, color="k", ls="--", lw=0.8)
    ax.axhline(chance, color="0.5", ls=":", lw=0.8)
    ax.set_ylim(min(chance - 0.05, np.nanmin(acc, initial=1.0) - 0.02), 1.01)
    ax.set_xticks(x, labels)
    ax.set_xlim(-0.5, len(results) - 0.5)
    ax.set_ylabel("validation accuracy")


def plot_dendrite_saturation(ax, result, window=15):
    """Fraction of each hidden layer's dendrites at the clamp (|D^F| = 1) over training."""
    from .figures import LAYER_COLORS  # the poster figures' colour of each layer

    records = result.records if hasattr(result, "records") else result
    steps = np.asarray(records["step"]) + 1
    for l in _hidden_layers(records):
        at_clamp = (np.abs(records[f"dendrite_forward/layer{l}"]) >= 0.999).mean(-1)  # [R, S]
        ax.plot(steps, running_median(at_clamp.mean(1), window), color=LAYER_COLORS[(l - 1) % 3],
                label=f"hidden {l}")
    ax.set_xscale("log")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("training step + 1")
    ax.set_ylabel("dendrites at the clamp")
    ax.legend(fontsize=8)
