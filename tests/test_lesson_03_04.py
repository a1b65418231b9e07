"""The helpers notebooks 03 and 04 use: the exercises' references held against the rules' own kernels,
the summary of recorded quantities over part of an epoch, and the plots of notebook 04."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import dendritic
from dendritic import lesson, plots


@pytest.fixture(scope="module")
def data():
    return dendritic.spiral_data(per_class=200)


def test_backward_phase_is_the_temporal_contrast_kernels(data):
    """a^B = f(z + N) as the kernel computes it, bit for bit, and the kinks are relu_kinks."""
    X, y = data.val
    rule = dendritic.rule("temporal_contrast")
    net = dendritic.Network(seed=1)
    dendritic.train(net, rule, data)
    kinked = 0
    for i in range(60):
        for layer in rule.compartments_of(net, X[i], int(y[i])):
            activity_backward, kinks = lesson.backward_phase(layer["soma"], layer["nudge"])
            assert torch.equal(activity_backward, layer["activity_backward"])
            assert kinks.dtype == torch.bool
            assert torch.equal(kinks, torch.as_tensor(dendritic.diagnostics.relu_kinks(layer["activity"], layer["nudge"])))
            kinked += int(kinks.sum())
    assert kinked > 0  # the samples include kinks, so the check above is not vacuous


def test_anti_hebbian_update_is_one_step_of_the_interneuron_rule(data):
    X, y = data.val
    rule = dendritic.rule("interneuron")
    net = dendritic.Network(seed=2)
    before = [R.clone() for R in net.interneurons]
    rule.step(net, X[4], int(y[4]))
    for R, R0, layer, rate in zip(net.interneurons, before, net.compartments, rule.lr_rec):
        torch.testing.assert_close(R - R0, lesson.anti_hebbian_update(layer["dendrite_forward"], layer["activity"], rate),
                                   rtol=1e-5, atol=1e-7)


def test_median_over_epoch_takes_the_records_of_its_window(data):
    result = dendritic.train(dendritic.Network(seed=[0, 1]), dendritic.rule("interneuron"), data, record_every=7)
    steps = result.records["step"]
    gains = result.records["gain/layer1"]
    late = steps >= 0.5 * result.steps
    assert lesson.median_over_epoch(result, "gain/layer1", 0.5, 1.0) == pytest.approx(np.median(gains[late]))
    assert lesson.median_over_epoch(result, "gain/layer1") == pytest.approx(np.median(gains))
    assert np.isnan(lesson.median_over_epoch(result, "alignment/layer1"))  # not recorded by this rule
    for start, stop in ((0.5, 0.5), (-0.1, 1), (0, 1.5)):
        with pytest.raises(ValueError, match="start and stop"):
            lesson.median_over_epoch(result, "gain/layer1", start, stop)


def test_plot_residual_steps_draws_the_measured_and_predicted_residual():
    states = torch.tensor([[2.0, -1.0, 0.5], [-6.0, 3.0, -1.5], [18.0, -9.0, 4.5]])  # factor -3 per step
    fig, (left, right) = plt.subplots(1, 2)
    plots.plot_residual_steps(left, right, states, -3.0, clamp=True, units=2)
    measured, predicted = (line.get_ydata() for line in left.lines[:2])
    np.testing.assert_allclose(measured, predicted)  # the states follow the factor exactly
    assert len(right.lines) == 2 + 3  # two units, the clamp at +-1 and zero
    assert np.abs(right.lines[0].get_ydata()).max() <= 1  # clamped
    plt.close(fig)
    with pytest.raises(ValueError, match="states must be"):
        plots.plot_residual_steps(left, right, states[0], -3.0)


def test_dendrite_saturation_shows_the_hidden_layers_only(data):
    result = dendritic.train(dendritic.Network(seed=0), dendritic.rule("interneuron"), data, record_every=10)
    fig, ax = plt.subplots()
    plots.plot_dendrite_saturation(ax, result)
    assert [line.get_label() for line in ax.lines] == ["hidden 1", "hidden 2"]
    plt.close(fig)
