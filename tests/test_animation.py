"""The animations of notebooks 03 and 04 show the library's state, stay small, and export GIFs."""

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

    path = animation.save_gif(anim, tmp_path / "nudge.gif")
    from PIL import Image
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        assert 1 < gif.n_frames <= len(anim.frames)  # Pillow merges identical (held) frames
        assert gif.size == anim.images[0].shape[1::-1]
    with pytest.raises(ValueError, match="path"):
        animation.save_gif(anim, tmp_path / "nudge.mp4")


def test_html_player_stays_small(small_data):
    net, target = stepped(data=small_data)
    html = animation.to_html(animation.nudge_animation(net.compartments, target=target)).data
    assert html.count("data:image/png;base64") == len(animation.nudge_frames(net.compartments))
    assert len(html) < 600_000  # a notebook with this animation stays well under 1 MB


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


def test_temporal_contrast_departs_from_backprop_only_at_relu_kinks(small_data):
    result = dendritic.train(dendritic.Network(seed=[0, 1, 2]), dendritic.rule("temporal_contrast"), small_data,
                             record_every=1)
    kinks = animation.kink_counts(result.records)
    angle = result.records["angle/all"]
    measured = np.isfinite(angle)
    assert (kinks[measured] == 0).any() and (kinks[measured] > 0).any()
    assert np.all(angle[measured & (kinks == 0)] < 0.5)  # float32 round-off only
    assert np.median(angle[measured & (kinks > 0)]) > 0.5


def test_running_median_and_didactic_plots(small_data):
    np.testing.assert_array_equal(animation.running_median([1, 9, 2, 8, 3], window=3), [5, 2, 8, 3, 5.5])
    import matplotlib.pyplot as plt
    tc = dendritic.train(dendritic.Network(seed=[0, 1]), dendritic.rule("temporal_contrast"), small_data,
                         record_every=8)
    bp = dendritic.train(dendritic.Network(seed=[0, 1]), dendritic.rule("backprop"), small_data)
    inter = dendritic.train(dendritic.Network(seed=[0, 1]), dendritic.rule("interneuron"), small_data, record_every=8)
    fig, axes = plt.subplots(1, 3)
    animation.plot_kinks(axes[0], tc)
    animation.plot_seed_pairs(axes[1], {"backprop": bp, "temporal contrast": tc})
    animation.plot_dendrite_saturation(axes[2], inter)
    assert len(axes[1].lines) >= 2
    plt.close(fig)
