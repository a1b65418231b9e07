"""Pre-rendered frames and how they are played: the ``Animation`` every animation of the course
returns (``dendritic.animation``), its HTML player and its GIF.

A frame is drawn once, by Agg, at ``DPI`` and ``DISPLAY_WIDTH`` pixels wide, and shown at that
size, so text drawn at 10 pt is 10 pt on the screen. The player needs no ffmpeg and no kernel:
its first frame is a plain ``<img>`` of fixed width and height (visible as soon as the output is,
before any script runs, and the page never jumps), later frames are shown over it by a small
script, the same in JupyterLab, Notebook, VS Code and a static HTML page.
"""

import base64
from io import BytesIO
import json
from pathlib import Path
import uuid

import numpy as np

from . import checks
from .style import figure

#: Frames are drawn at this resolution and shown at their own size: DISPLAY_WIDTH pixels wide.
DPI = 100
DISPLAY_WIDTH = 960
#: What Play does at the last frame: stop, start again, or play backwards.
PLAY_MODES = ("once", "loop", "reflect")


class Animation:
    """Pre-rendered frames and how to play them.

    Attributes:
        images: list of [H, W, 3] uint8 arrays, one per frame.
        fps: frames per second.
        frames: the data each frame draws (see ``nudge_frames``, ...).
        figure: the matplotlib Figure the frames were drawn on (its last frame).
    Display it in a notebook for the player; ``to_html`` and ``save_gif`` take it.

    >>> anim = Animation([np.zeros((2, 3, 3), np.uint8), np.ones((2, 3, 3), np.uint8)], fps=4)
    >>> anim
    <Animation: 2 frames of 3 x 2 px at 4 fps>
    >>> '<img src="data:image/png;base64,' in player_html(anim) and 'width="3" height="2"' in player_html(anim)
    True
    """

    def __init__(self, images, fps, frames=None, figure=None):
        images = [np.asarray(image, dtype=np.uint8) for image in images]
        if not images or any(image.ndim != 3 or image.shape != images[0].shape or image.shape[2] != 3
                             for image in images):
            raise ValueError("images must be one or more RGB arrays [H, W, 3] of the same size")
        self.images, self.fps, self.frames, self.figure = images, checks.positive("fps", fps), frames, figure

    def __len__(self):
        return len(self.images)

    def __repr__(self):
        height, width = self.images[0].shape[:2]
        return f"<Animation: {len(self)} frames of {width} x {height} px at {self.fps:g} fps>"

    def _repr_html_(self):
        return player_html(self)


# --- drawing frames ------------------------------------------------------------------------
def projector_figure(height):
    """A projector-sized figure (``height`` inches) outside pyplot, drawn by Agg: DISPLAY_WIDTH pixels wide."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = figure(DISPLAY_WIDTH / DPI, height, layout=None, dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def render(fig, draw, animated, n_frames, fps, frames):
    """Draw ``n_frames`` frames and return them as an ``Animation``.

    ``draw(i)`` updates the ``animated`` artists to frame i. The static parts of the figure
    (axes, ticks, labels) are drawn once and only the animated artists are redrawn per frame
    (blitting): about 10x faster than redrawing the whole figure for every frame.
    """
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
    return Animation(images, fps, frames, fig)


# --- showing and saving -------------------------------------------------------------------
def _png(image, colors):
    """One frame as a PNG with a palette of ``colors`` colours (about 3x smaller than RGB; the first
    frame, stored once, keeps 256 so that no small patch of colour is lost)."""
    from PIL import Image

    out = BytesIO()
    Image.fromarray(image).quantize(colors).save(out, format="png", optimize=True)
    return out.getvalue()


def _overlay_png(image, first, colors):
    """What differs between ``image`` and the ``first`` frame, as a PNG that is transparent
    everywhere else (shown over the first frame: most of a frame is the static figure)."""
    from PIL import Image

    same = (image == first).all(-1)
    rgba = np.dstack([image, np.where(same, 0, 255).astype(np.uint8)])
    rgba[same] = 0
    out = BytesIO()
    Image.fromarray(rgba, "RGBA").quantize(colors, method=Image.Quantize.FASTOCTREE).save(out, format="png",
                                                                                         optimize=True)
    return out.getvalue()


def player_html(anim, default_mode="once", colors=64):
    """The HTML of the player (see ``to_html``) as a string."""
    checks.choice("default_mode", default_mode, PLAY_MODES)
    colors = checks.integer("colors", colors, 2)
    if colors > 256:
        raise ValueError(f"colors must be an integer in 2..256, got {colors}")
    first = anim.images[0]
    overlays, order, seen = [], [], {}
    for image in anim.images:  # frame i = the first frame + overlay order[i] (-1: none); repeats stored once
        if np.array_equal(image, first):
            order.append(-1)
            continue
        png = base64.b64encode(_overlay_png(image, first, colors)).decode("ascii")
        order.append(seen.setdefault(png, len(seen)))
        if order[-1] == len(overlays):
            overlays.append(png)
    height, width = first.shape[:2]
    n, uid = len(order), f"dendritic-player-{uuid.uuid4().hex[:12]}"
    button = "font:inherit;padding:2px 10px;cursor:pointer"
    return f"""<div id="{uid}" class="dendritic-player" style="max-width:{width}px;font:14px sans-serif">
<div style="position:relative">
<img src="data:image/png;base64,{base64.b64encode(_png(first, 256)).decode("ascii")}" width="{width}" height="{height}"
 alt="animation, frame 1 of {n}" style="display:block;width:100%;max-width:{width}px;height:auto">
<img data-do="overlay" alt="" style="position:absolute;left:0;top:0;width:100%;height:100%;visibility:hidden">
</div>
<div style="display:flex;align-items:center;gap:6px;margin-top:4px">
<button type="button" data-do="play" style="{button};min-width:6.5em">&#9654; Play</button>
<button type="button" data-do="back" style="{button}" title="previous frame">&#9664;</button>
<button type="button" data-do="next" style="{button}" title="next frame">&#9654;&#9646;</button>
<input type="range" min="0" max="{n - 1}" value="0" step="1" style="flex:1;min-width:80px" aria-label="frame">
<span data-do="label" style="min-width:7em;text-align:right">frame 1 / {n}</span>
</div>
<script>
(function () {{
  var script = document.currentScript;
  var root = (script && script.parentNode && script.parentNode.id === "{uid}") ? script.parentNode
             : document.getElementById("{uid}");
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  var pngs = {json.dumps(overlays)}, order = {json.dumps(order)}, n = order.length;
  var mode = "{default_mode}", delay = {1000 / anim.fps:.1f}, step = 1, timer = null, i = 0;
  var urls = pngs.map(function (p) {{ var u = "data:image/png;base64," + p; new Image().src = u; return u; }});
  var overlay = root.querySelector("[data-do=overlay]"), slider = root.querySelector("input");
  var play = root.querySelector("[data-do=play]"), label = root.querySelector("[data-do=label]");
  function show(k) {{
    i = k; slider.value = k; label.textContent = "frame " + (k + 1) + " / " + n;
    if (order[k] < 0) {{ overlay.style.visibility = "hidden"; return; }}
    overlay.src = urls[order[k]]; overlay.style.visibility = "visible";
  }}
  function stop() {{ clearInterval(timer); timer = null; play.innerHTML = "&#9654; Play"; }}
  function tick() {{
    var k = i + step;
    if (k >= 0 && k < n) return show(k);
    if (mode === "loop") return show(0);
    if (mode === "reflect") {{ step = -step; return show(i + step); }}
    stop();
  }}
  function start() {{
    if (mode === "once" && i === n - 1) show(0);
    timer = setInterval(tick, delay); play.innerHTML = "&#10074;&#10074; Pause";
  }}
  play.addEventListener("click", function () {{ timer ? stop() : start(); }});
  root.querySelector("[data-do=back]").addEventListener("click", function () {{ stop(); show(Math.max(i - 1, 0)); }});
  root.querySelector("[data-do=next]").addEventListener("click", function () {{ stop(); show(Math.min(i + 1, n - 1)); }});
  slider.addEventListener("input", function () {{ stop(); show(parseInt(slider.value, 10)); }});
}})();
</script>
</div>"""


def to_html(anim, default_mode="once", colors=64):
    """The animation as an inline HTML player (``IPython.display.HTML``; no ffmpeg, no kernel needed).

    The first frame is an ``<img>`` with its width and height written in the HTML, so it shows as
    soon as the output does, before any script runs, and the page does not jump when Play is
    clicked. Play / Pause, one frame back / forward and a slider; ``default_mode`` is what Play
    does at the last frame: "once" (stop), "loop" or "reflect". Every later frame is stored as what
    differs from the first (a PNG, transparent elsewhere, shown over it), identical frames once,
    in palettes of ``colors`` colours (2..256): a 30-frame animation takes about 200 kB in the
    notebook. The same HTML plays in a static page (nbconvert, a website).
    """
    from IPython.display import HTML

    return HTML(player_html(anim, default_mode, colors))


def save_gif(anim, path, fps=None):
    """Write ``anim`` as a GIF (Pillow, no ffmpeg) to ``path``, which must end in .gif; its folder
    is made if missing. ``fps`` defaults to the animation's own. Returns the Path.

    The file is replaced whole or not at all (``dendritic.atomic``): on any error a file that was
    at ``path`` is left as it was.
    """
    from PIL import Image

    from . import atomic

    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"path must end in .gif, got {str(path)!r}")
    fps = checks.positive("fps", anim.fps if fps is None else fps)
    atomic.writable_file("path", path)
    first, *rest = (Image.fromarray(image) for image in anim.images)
    buffer = BytesIO()
    first.save(buffer, format="gif", save_all=True, append_images=rest, duration=round(1000 / fps), loop=0)
    return atomic.write_bytes(path, buffer.getvalue())
