"""dendritic.widgets: the single-neuron helpers, per-unit nudges and the playground, headless."""

import copy

import numpy as np
import pytest
import torch

import dendritic
from dendritic.widgets import (Playground, layer_states, plot_single_neuron, plot_unit_maps, plot_unit_nudges,
                               single_neuron, unit_maps)


def new_axes():
    from matplotlib.figure import Figure
    return Figure().subplots()


# --- one neuron -------------------------------------------------------------------

def test_single_neuron_follows_the_equations():
    s = single_neuron(bottom_up=0.7, top_down=0.4, teaching=0.25, interneuron=0.1)
    assert s["activity"] == pytest.approx(0.7) and s["gate"] == 1
    assert s["dendrite_forward"] == pytest.approx(0.4 - 0.1)
    assert s["dendrite_backward"] == pytest.approx(0.4 + 0.25 - 0.1)
    assert s["nudge_contrast"] == pytest.approx(0.25)            # f'(z) (D^B - D^F)
    assert s["nudge_interneuron"] == pytest.approx(0.55)         # f'(z) D^B


def test_a_silent_soma_gates_the_nudge_off():
    s = single_neuron(bottom_up=-0.3, top_down=0.9, teaching=0.5, interneuron=-0.2)
    assert s["activity"] == 0 and s["gate"] == 0
    assert s["dendrite_backward"] != 0
    assert s["nudge_contrast"] == 0 and s["nudge_interneuron"] == 0


@pytest.mark.parametrize("name", ["bottom_up", "top_down", "teaching", "interneuron"])
def test_single_neuron_rejects_non_finite_input(name):
    values = dict(bottom_up=0.5, top_down=0.5, teaching=0.1, interneuron=0.0)
    values[name] = float("nan")
    with pytest.raises(ValueError, match=name):
        single_neuron(**values)


def test_plot_single_neuron_draws_the_values():
    ax = new_axes()
    state = single_neuron(0.8, 0.6, 0.3, 0.2)
    bars = plot_single_neuron(ax, state)
    heights = [b.get_height() for b in bars]
    assert heights[0] == pytest.approx(0.8) and heights[-1] == pytest.approx(state["nudge_interneuron"])
    assert "active" in ax.get_title()
    plot_single_neuron(ax, single_neuron(-0.5, 0.6, 0.3, 0.2))
    assert "silent" in ax.get_title()


@pytest.mark.parametrize("limit", [None, 2.0, 9.0])
def test_no_neuron_bar_is_ever_cut_off(limit):
    """Notebook 01's sliders reach ±3: the dendrite then reaches 3 + 3 + 3 = 9, and its bar and label fit."""
    ax = new_axes()
    state = single_neuron(bottom_up=3.0, top_down=3.0, teaching=3.0, interneuron=-3.0)
    bars = plot_single_neuron(ax, state, limit=limit)
    low, high = ax.get_ylim()
    tallest = max(abs(b.get_height()) for b in bars)
    assert tallest == pytest.approx(9.0) and high >= 1.15 * tallest and low == -high
    ax = new_axes()
    plot_single_neuron(ax, single_neuron(0.5, 0.2, 0.1, 0.0), limit=limit)
    assert ax.get_ylim()[1] == max(2.0, limit or 2.0)  # small values: the scale the notebook asked for


# --- a real network -------------------------------------------------------------

def test_layer_states_match_rule_step_and_leave_the_network_alone():
    net = dendritic.Network((2, 16, 8, 4), seed=1)
    before = copy.deepcopy(net.state_dict())
    x, target = torch.tensor([0.3, -0.2]), 2
    states = layer_states(net, x, target)
    assert set(states) == {"backprop", "temporal_contrast", "interneuron"}
    for k, v in net.state_dict().items():
        assert torch.equal(v, before[k]), f"{k} changed"
    reference = copy.deepcopy(net)
    dendritic.rule("interneuron").step(reference, x, target)
    for mine, theirs in zip(states["interneuron"], reference.compartments):
        assert torch.equal(mine["nudge"], theirs["nudge"])
    # backprop's nudge is what rule.delta uses: dW_L = lr N_L (x) a_{L-1}
    bp = dendritic.rule("backprop")
    top, below = states["backprop"][-1], states["backprop"][-2]
    assert torch.allclose(bp.delta(net, x, target)["W3"], bp.lr * torch.outer(top["nudge"], below["activity"]))


def test_layer_states_rejects_bad_input():
    with pytest.raises(ValueError, match="rule"):
        layer_states(dendritic.Network((2, 4, 4), seed=0), torch.zeros(2), 1, rules=("hebb",))
    with pytest.raises(ValueError, match="net"):
        layer_states(torch.nn.Linear(2, 4), torch.zeros(2), 1)


def test_plot_unit_nudges_selects_units_and_checks_lengths():
    ax = new_axes()
    plot_unit_nudges(ax, {"a": np.arange(5.0), "b": -np.arange(5.0)}, units=[4, 1])
    heights = sorted(p.get_height() for p in ax.patches)
    assert heights == [-4, -1, 1, 4]
    with pytest.raises(ValueError, match="same number"):
        plot_unit_nudges(ax, {"a": np.zeros(3), "b": np.zeros(4)})


# --- the playground ----------------------------------------------------------------

@pytest.fixture
def playground():
    return Playground(per_class=100, resolution=24)  # 280 training points: fast


def test_playground_controls_keep_their_width_and_the_plot_wraps_below(playground):
    """At 1366 x 768 with the file browser open the plot does not fit beside the controls: the controls
    never shrink (no slider readout is cut off) and the box wraps the plot below them."""
    controls, output = playground.widget.children
    assert playground.widget.layout.flex_flow == "row wrap"
    assert controls.layout.flex == "0 0 auto"
    for slider in (playground.lr, playground.hidden1, playground.hidden2, playground.epochs, playground.seed,
                   playground.noise):
        assert slider.layout.width == f"{controls_width(controls) - 10}px"


def controls_width(box):
    return int(box.layout.width.removesuffix("px"))


def test_playground_builds_headless(playground):
    assert playground.sizes == (2, 128, 32, 4)
    assert playground.history().steps == 0 and playground.result is None
    assert "step 0" in playground.readout.value
    assert playground.pixels().shape[-1] == 4
    assert playground.widget.children  # an ipywidgets box with the controls and the output


def test_train_button_trains_like_the_library_and_updates_the_readout(playground):
    before = playground.readout.value
    playground.train_button.click()
    n = len(playground.data.train[1])
    assert playground.result.steps == n and playground.history().steps == n
    assert playground.readout.value != before and "val acc" in playground.readout.value
    assert f"{playground.result.val_acc[0]:.3f}" in playground.readout.value
    direct = dendritic.train(dendritic.Network(playground.sizes, seed=0), dendritic.rule("backprop"), playground.data)
    assert playground.result.val_acc[0] == direct.val_acc[0]
    # a second click continues training: the curve goes on from where it was
    playground.epochs.value = 2
    playground.train_button.click()
    assert playground.history().steps == 3 * n
    assert list(playground.history().curve_steps[-1:]) == [3 * n]
    playground.reset_button.click()
    assert playground.history().steps == 0


def test_slider_changes_change_what_is_drawn(playground):
    drawn = playground.pixels()
    weights = playground.net.W1.detach().clone()
    playground.seed.value = 5
    assert not torch.equal(playground.net.W1.detach(), weights)
    assert not np.array_equal(playground.pixels(), drawn)

    drawn = playground.pixels()
    playground.noise.value = 0.4
    assert playground.data.noise == pytest.approx(0.4)
    assert not np.array_equal(playground.pixels(), drawn)

    playground.hidden2.value = 0
    assert playground.sizes == (2, 128, 4) and playground.net.sizes == (2, 128, 4)


def test_learning_rate_applies_to_the_next_train_without_reset(playground):
    playground.train_button.click()
    playground.lr.value = 0.01
    assert playground.history().steps > 0  # not reset
    playground.train_button.click()
    assert playground.result.hyperparameters["lr"] == pytest.approx(0.01, rel=1e-6)
    playground.rule.value = "interneuron"  # each rule starts at its poster learning rate
    assert playground.lr.value == pytest.approx(dendritic.rule("interneuron").lr, rel=0.02)
    assert playground.history().steps == 0


def test_bad_input_is_impossible_or_errors_clearly(playground):
    playground.hidden1.value = 10_000  # a slider clamps to its range
    assert playground.hidden1.value == playground.hidden1.max
    playground.lr.value = 50.0
    assert playground.lr.value <= 1.0
    for kwargs, name in [(dict(lr=2.0), "lr"), (dict(lr=0), "lr"), (dict(hidden=(0, 32)), r"hidden\[0\]"),
                         (dict(hidden=(16,)), "hidden"), (dict(epochs=0), "epochs"), (dict(seed=-1), "seed"),
                         (dict(noise=0.9), "noise"), (dict(rule="hebb"), "rule"), (dict(per_class=1), "per_class")]:
        with pytest.raises(ValueError, match=name):
            Playground(**kwargs)


def test_unit_maps_are_the_units_activity_over_the_plane():
    net = dendritic.Network((2, 16, 8, 4), seed=2)
    maps = unit_maps(net, 2, limit=1.0, resolution=5)
    assert maps.shape == (8, 5, 5)
    _, activities = net.somas_and_activities(torch.tensor([[1.0, -1.0]]))  # x1 = +limit (last column), x2 = -limit (row 0)
    assert np.allclose(maps[:, 0, -1], activities[1][0].numpy())
    ax = new_axes()
    units = plot_unit_maps([ax], maps)
    assert len(units) == 1 and maps[units[0]].std() == maps.reshape(8, -1).std(1).max()
    with pytest.raises(ValueError, match="layer"):
        unit_maps(net, 4)


def test_thumbnails_checkbox_adds_unit_thumbnails(playground):
    small = playground.pixels().shape
    playground.thumbnails.value = True
    assert playground.pixels().shape[0] > small[0]
    assert len(playground.figure.get_axes()) == 2 + 8


def test_readout_text_matches_the_html(playground):
    playground.train()
    text = playground.summary()
    assert text.startswith(f"step {len(playground.data.train[1])} | val acc ") and "<" not in text
    assert f"{playground.result.val_acc[0]:.3f}" in text and "last Train" in text


def test_every_rule_trains_with_one_or_two_hidden_layers(playground):
    for name in dendritic.RULES:
        playground.rule.value = name
        for hidden2 in (0, 8):
            playground.hidden2.value = hidden2
            playground.train_button.click()
            assert playground.history().steps == len(playground.data.train[1]), (name, hidden2)
            assert "val acc" in playground.readout.value


def test_a_library_error_in_a_button_shows_in_the_readout(playground, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("lr must be a finite number > 0, got nan")
    monkeypatch.setattr(playground, "make_rule", broken)
    playground.train_button.click()
    assert "lr must be" in playground.readout.value
