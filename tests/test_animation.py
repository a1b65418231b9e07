"""The animations of notebooks 03, 04 and 06 show the library's state, read on a projector (at least
900 px wide, no text under 10 pt), play from an HTML player whose first frame needs no script, stay
small, and export GIFs without ever losing the user's file."""

import json
import re
import shutil
import subprocess

import numpy as np
import pytest
import torch

import dendritic
from dendritic import animation

@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Online training is a chain of tiny matrix products: one thread is fastest and is not
    slowed down by other processes sharing the CPU (with two threads it can be 10x slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def stepped(rule_name="temporal_contrast", seed=0, sample=0, data=None):
    """A network after one ``rule.step`` on a validation sample; returns (net, target)."""
    net = dendritic.Network(seed=seed)
    X, y = data.val
    dendritic.rule(rule_name).step(net, X[sample], int(y[sample]))
    return net, int(y[sample])


def test_nudge_frames_end_at_the_compartments_of_the_step(small_data):
    net, _ = stepped(data=small_data)
    frames = animation.nudge_frames(net.compartments, frames_per_layer=4, hold=2)
    assert len(frames) == 2 * 2 + net.layers * 4
    first, last = frames[0]["layers"], frames[-1]["layers"]
    for l, (state, start, end) in enumerate(zip(net.compartments, first, last), start=1):
        np.testing.assert_array_equal(end["nudge"], state["nudge"].numpy())
        np.testing.assert_array_equal(end["activity"], state["activity"].numpy())
        assert not start["nudge"].any(), "the forward phase has no teaching signal"
        if "dendrite_forward" in state:
            np.testing.assert_array_equal(start["dendrite"], state["dendrite_forward"].numpy())
            np.testing.assert_allclose(end["dendrite"], state["dendrite_backward"].numpy(), rtol=0, atol=1e-7)
        if "activity_backward" in state:
            np.testing.assert_allclose(end["activity_backward"], state["activity_backward"].numpy(), atol=1e-7)


def test_nudge_travels_from_the_output_down(small_data):
    net, _ = stepped(data=small_data)
    frames = animation.nudge_frames(net.compartments, frames_per_layer=3, hold=1)
    stages = [f["stage"] for f in frames]
    assert stages == [0] + [3] * 3 + [2] * 3 + [1] * 3 + [-1]
    layer1_nudge = [np.abs(f["layers"][0]["nudge"]).sum() for f in frames]
    assert layer1_nudge[:7] == [0.0] * 7 and layer1_nudge[-1] > 0  # layer 1 moves only after the layers above


def test_ensemble_member_frames_equal_the_single_network(small_data):
    X, y = small_data.val
    ensemble = dendritic.Network(seed=[0, 1])
    dendritic.rule("temporal_contrast").step(ensemble, X[:1].expand(2, -1), y[:1].expand(2))
    single, _ = stepped(seed=1, data=small_data)
    mine = animation.nudge_frames(ensemble.compartments, member=1)[-1]["layers"]
    theirs = animation.nudge_frames(single.compartments)[-1]["layers"]
    for a, b in zip(mine, theirs):
        np.testing.assert_allclose(a["nudge"], b["nudge"], atol=1e-6)
    with pytest.raises(ValueError, match="member"):
        animation.nudge_frames(ensemble.compartments, member=2)


def test_frame_count_is_bounded():
    with pytest.raises(ValueError, match="frames_per_layer"):
        animation.nudge_frames([{"soma": torch.zeros(3), "activity": torch.zeros(3), "nudge": torch.zeros(3)}] * 3,
                               frames_per_layer=25, hold=10)
    with pytest.raises(ValueError, match="compartments"):
        animation.nudge_frames(None)


def test_nudge_animation_renders_its_frames_and_writes_a_gif(small_data, tmp_path):
    net, target = stepped(data=small_data)
    anim = animation.nudge_animation(net.compartments, target=target)
    assert len(anim.images) == len(anim.frames) <= animation.MAX_FRAMES
    assert not np.array_equal(anim.images[0], anim.images[-1])

    path = animation.save_gif(anim, tmp_path / "slides" / "nudge.gif")  # the folder is made
    from PIL import Image
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        assert 1 < gif.n_frames <= len(anim.frames)  # Pillow merges identical (held) frames
        assert gif.size == anim.images[0].shape[1::-1]
    with pytest.raises(ValueError, match="path"):
        animation.save_gif(anim, tmp_path / "nudge.mp4")


def _texts(fig):
    from matplotlib.text import Text
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def test_every_animation_reads_on_a_projector(small_data):
    """At least 900 px wide as displayed (the player shows frames at their own size) and no text
    under 10 pt at that size (frames are drawn at >= 96 dpi, so 1 pt >= 1 CSS pt)."""
    net, target = stepped(data=small_data)
    result = dendritic.train(dendritic.Network(seed=0), dendritic.rule("interneuron"), small_data, record_every=8)
    frames = animation.alignment_frames(dendritic.rule("kolen_pollack"), small_data, frames=4, steps=40)
    for anim in (animation.nudge_animation(net.compartments, target=target, frames_per_layer=1, hold=1),
                 animation.cancellation_animation(result.records, frames=4),
                 animation.alignment_animation(frames)):
        height, width = anim.images[0].shape[:2]
        assert width >= 900 and anim.figure.dpi >= 96
        sizes = {t.get_text(): t.get_fontsize() for t in _texts(anim.figure)}
        assert sizes and min(sizes.values()) >= 10, {k: v for k, v in sizes.items() if v < 10}
        html = animation.to_html(anim).data
        first = re.search(r'<img src="data:image/png;base64,[^"]+" width="(\d+)" height="(\d+)"', html)
        assert first and (int(first[1]), int(first[2])) == (width, height)


def _player(html):
    """The player's frame table: overlay PNGs and, per frame, the overlay shown (-1: the first frame alone)."""
    match = re.search(r"var pngs = (\[.*?\]), order = (\[.*?\])", html)
    return json.loads(match[1]), json.loads(match[2])


def test_html_player_holds_every_frame_and_stays_small(small_data):
    import base64
    from io import BytesIO
    from PIL import Image

    net, target = stepped(data=small_data)
    anim = animation.nudge_animation(net.compartments, target=target)
    html = animation.to_html(anim).data
    assert "dendritic-player" in anim._repr_html_()  # a notebook shows the player for the Animation itself
    overlays, order = _player(html)
    assert len(order) == len(anim.images)
    assert order[0] == -1 and -1 not in order[3:-1]  # frame 0 is the <img>; every later one moves
    assert len(overlays) == len(set(order) - {-1}) < len(order)  # held frames stored once
    # the first frame, and a later frame rebuilt as the browser shows it: within the palette's colours
    first = Image.open(BytesIO(base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', html)[1])))
    assert np.abs(np.asarray(first.convert("RGB"), int) - anim.images[0]).mean() < 2
    k = len(order) // 2
    overlay = Image.open(BytesIO(base64.b64decode(overlays[order[k]]))).convert("RGBA")
    shown = np.asarray(Image.alpha_composite(first.convert("RGBA"), overlay).convert("RGB"), int)
    assert np.abs(shown - anim.images[k]).mean() < 2
    assert len(html) < 400_000  # a notebook with this animation stays well under 1 MB
    with pytest.raises(ValueError, match="default_mode"):
        animation.to_html(anim, default_mode="bounce")


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no chromium on this machine")
def test_html_player_shows_its_first_frame_and_plays_on_the_first_click_in_a_browser(small_data, tmp_path):
    """In a static page (what nbconvert and the course website make): the first frame has its size
    before any interaction, and one click on Play advances the frames."""
    net, target = stepped(data=small_data)
    html = animation.to_html(animation.nudge_animation(net.compartments, target=target), default_mode="loop").data
    probe = """<script>window.addEventListener("load", function () {
      var img = document.querySelector("img"), before = img.getBoundingClientRect().width;
      document.querySelector("[data-do=play]").click();
      setTimeout(function () {
        document.title = [before, img.getBoundingClientRect().height, document.querySelector("input").value].join(" ");
      }, 1500);
    });</script>"""
    page = tmp_path / "player.html"
    page.write_text(f"<!doctype html><html><body>{html}{probe}</body></html>")
    dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,900",
                          "--virtual-time-budget=4000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    title = re.search(r"<title>([^<]*)</title>", dom)
    assert title, dom[-500:]
    width, height, frame = (float(v) for v in title[1].split())
    assert width == 960 and height > 0 and frame >= 3, title[1]


def test_save_gif_replaces_the_file_whole_or_not_at_all(small_data, tmp_path, monkeypatch):
    net, target = stepped(data=small_data)
    anim = animation.nudge_animation(net.compartments, target=target, frames_per_layer=1, hold=1)
    path = tmp_path / "mine.gif"
    path.write_bytes(b"the user's own file")
    from PIL import Image

    def broken(*args, **kwargs):
        raise OSError("disk full")
    import dendritic.atomic
    for target in (Image.Image, dendritic.atomic.os):  # while encoding, and at the last moment of writing
        with monkeypatch.context() as patch:
            patch.setattr(target, "save" if target is Image.Image else "replace", broken)
            with pytest.raises(OSError, match="disk full"):
                animation.save_gif(anim, path)
        assert path.read_bytes() == b"the user's own file"
    with pytest.raises(ValueError, match="path"):
        animation.save_gif(anim, tmp_path / "mine.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.gif"]  # no temporary file left behind
    animation.save_gif(anim, path, fps=2)
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.info["duration"] == 500
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.gif"]


def test_alignment_frames_follow_the_top_down_weights(small_data):
    rule = dendritic.rule("kolen_pollack", decay=2e-3)
    frames = animation.alignment_frames(rule, small_data, seed=1, frames=5, layer=2)
    assert [f["step"] for f in frames] == list(np.linspace(0, len(small_data.train[1]), 5).round().astype(int))
    from dendritic.circuit import pack
    from dendritic.diagnostics import alignment
    net = dendritic.Network(seed=1)
    B, W_above = rule.top_down_pairs(pack(net, rule))[1]  # the untrained network: the first frame
    np.testing.assert_array_equal(frames[0]["B"], B[0])
    np.testing.assert_array_equal(frames[0]["WT"], W_above[0].T)
    assert frames[0]["angle"] == pytest.approx(alignment(B, W_above)[0])
    assert frames[-1]["angle"] < frames[0]["angle"] - 10  # Kolen-Pollack aligns B with W^T
    anim = animation.alignment_animation(frames)
    assert len(anim.images) == 5 and anim.frames is frames
    with pytest.raises(ValueError, match="transpose"):
        animation.alignment_frames(dendritic.rule("temporal_contrast"), small_data)
    with pytest.raises(ValueError, match="layer"):
        animation.alignment_frames(rule, small_data, layer=3)
    with pytest.raises(ValueError, match="frames"):
        animation.alignment_animation(frames[:1])


def test_cancellation_frames_come_from_the_records(small_data, tmp_path):
    result = dendritic.train(dendritic.Network(seed=[0, 1]), dendritic.rule("interneuron"), small_data,
                             record_every=4)
    records = result.records
    frames = animation.cancellation_frames(records, member=1, frames=12)
    assert 2 <= len(frames) <= 12
    steps = [f["step"] for f in frames]
    assert steps == sorted(set(steps)) and steps[0] == 0 and steps[-1] == records["step"][-1]
    for frame in frames:
        for state in frame["layers"]:
            l, i = state["layer"], frame["index"]
            np.testing.assert_array_equal(state["dendrite_forward"], records[f"dendrite_forward/layer{l}"][i, 1])
            assert state["residual"] == pytest.approx(float(records[f"residual/layer{l}"][i, 1]))
    anim = animation.cancellation_animation(records, member=1, frames=5)
    assert len(anim.images) == len(animation.cancellation_frames(records, member=1, frames=5))
    from PIL import Image
    with Image.open(animation.save_gif(anim, tmp_path / "cancellation.gif")) as gif:
        assert gif.n_frames == len(anim.images)
    with pytest.raises(ValueError, match="frames"):
        animation.cancellation_frames(records, frames=animation.MAX_FRAMES + 1)
    with pytest.raises(ValueError, match="interneuron"):
        animation.cancellation_frames({"step": np.arange(3)})


def test_alignment_frames_follow_train_exactly_even_with_a_decaying_learning_rate(small_data):
    """The snapshots come from train's own run: same sample order and one learning-rate schedule over
    the whole run (lr_decay="linear" is not restarted between frames), so the last frame is train's result."""
    rule = dendritic.rule("kolen_pollack", config="tuned")
    assert rule.lr_decay == "linear"
    frames = animation.alignment_frames(rule, small_data, seed=3, frames=7, layer=2)
    net = dendritic.Network(seed=3)
    dendritic.train(net, rule, small_data)
    np.testing.assert_array_equal(frames[-1]["WT"], net.W3.detach().numpy().T)
    np.testing.assert_array_equal(frames[-1]["B"], rule.state(net).top_down[1][0].numpy())
