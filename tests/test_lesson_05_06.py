"""The library side of notebooks 05 and 06 (``dendritic.lesson``), held against what it stands for:
the statistics of the committed summary, the Kolen-Pollack rule's own step, the Dale circuit's
effective top-down weights and the best linear cancellation."""

import numpy as np
import pytest
import torch

import dendritic
from dendritic import diagnostics, lesson, stats


@pytest.fixture(scope="module")
def data():
    return dendritic.spiral_data(per_class=100)


def test_welch_t_test_is_the_p_value_of_the_summary():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0.9, 0.02, 10), rng.normal(0.88, 0.05, 8)
    rows = [dict(config="c", rule=name, seed=i, val_acc=float(v), diverged=False, dead_outputs=0)
            for name, values in (("backprop", b), ("other", a)) for i, v in enumerate(values)]
    t, p = lesson.welch_t_test(a, b)
    assert t > 0 and p == pytest.approx(stats.summarize(rows)[1]["p_welch"], rel=1e-12)


@pytest.mark.parametrize("config", ["poster", "tuned"])
def test_kolen_pollack_step_is_the_rules_step(data, config):
    rule = dendritic.rule("kolen_pollack", config=config, decay=0.01)
    net = dendritic.Network(seed=3)
    before = [B[0].clone() for B in rule.state(net).top_down]
    layers = rule.step(net, data.train[0][0], int(data.train[1][0]))
    for l, B in enumerate(before):
        mine = lesson.kolen_pollack_step(B, layers[l]["activity"], layers[l + 1]["nudge"], rule.lr, rule.decay)
        assert torch.allclose(mine, rule.state(net).top_down[l][0], atol=1e-6), l
        assert not torch.allclose(mine, B, atol=1e-6)  # the step did change B


def test_effective_top_down_is_the_dale_circuits(data):
    rule = dendritic.rule("dale", config="tuned")
    net = dendritic.Network(seed=[0, 1])
    dendritic.train(net, rule, data)
    state = rule.state(net)
    for l, B in enumerate(rule.top_down_weights(state)):
        BE, BI, Q = state.top_down[l], state.relay_inhibition[l], state.relay[l]
        assert (BE >= 0).all() and (BI >= 0).all() and (Q >= 0).all()
        assert torch.allclose(lesson.effective_top_down(BE, BI, Q), B, atol=1e-6)
        assert (B < 0).any() and (B > 0).any()  # every synapse keeps its sign, the pathway has both


def test_residual_fraction_against_the_best_linear_interneurons(data):
    net = dendritic.Network(seed=[0, 1])
    rule = dendritic.rule("interneuron", config="tuned")
    dendritic.train(net, rule, data)
    X = data.val[0]
    fraction, floor = lesson.residual_fraction(rule, net, X), diagnostics.linear_cancellation_floor(net, X)
    assert fraction.shape == floor.shape == (2, 2)
    assert (fraction >= floor - 1e-6).all()  # no linear R cancels more than the least-squares one
    for name in ("R1", "R2"):
        getattr(net, name).zero_()          # no interneuron input: the dendrite keeps all of its top-down input
    assert np.allclose(lesson.residual_fraction(rule, net, X), 1.0)


def test_residual_fraction_needs_the_transpose(data):
    with pytest.raises(ValueError, match="top_down"):
        lesson.residual_fraction(dendritic.rule("dale"), dendritic.Network(seed=0), data.val[0])
