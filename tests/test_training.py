import math

import numpy as np
import pytest
import torch

import dendritic
from dendritic.training import MAX_RECORDS

def test_same_seed_same_numbers_bit_for_bit(small_data):
    runs = []
    for _ in range(2):
        net = dendritic.Network(seed=[1, 2])
        result = dendritic.train(net, dendritic.rule("interneuron"), small_data, record_every=50)
        runs.append((net.state_dict(), result))
    (s1, r1), (s2, r2) = runs
    assert all(torch.equal(s1[k], s2[k]) for k in s1)
    np.testing.assert_array_equal(r1.curve_val_acc, r2.curve_val_acc)
    np.testing.assert_array_equal(r1.records["angle/all"], r2.records["angle/all"])


def test_each_seed_has_its_own_init_and_order(small_data):
    a, b = dendritic.Network(seed=0), dendritic.Network(seed=1)
    assert not torch.equal(a.W1, b.W1)
    from dendritic.training import sample_order
    assert not torch.equal(sample_order(0, 100, 1), sample_order(1, 100, 1))
    # the order seed is not the init seed: the same seed with another order gives other weights
    c, d = dendritic.Network(seed=0), dendritic.Network(seed=0)
    dendritic.train(c, dendritic.rule("backprop"), small_data)
    dendritic.train(d, dendritic.rule("backprop"), small_data, seed=7)
    assert not torch.equal(c.W1, d.W1)


def test_backprop_learns_the_spiral(data):
    result = dendritic.train(dendritic.Network(seed=[0, 7, 8]), dendritic.rule("backprop"), data)
    assert result.val_acc.max() > 0.9
    assert (result.val_acc <= dendritic.BAYES_ACCURACY + 0.01).all()
    assert result.curve_val_acc[-1].mean() > result.curve_val_acc[0].mean() + 0.3
    assert result.curve_steps[0] == 0 and result.curve_steps[-1] == 5600


def test_epochs_and_learning_curve(small_data):
    result = dendritic.train(dendritic.Network(seed=0), dendritic.rule("backprop"), small_data, epochs=3, eval_every=100)
    n = len(small_data.train[1])
    assert result.steps == 3 * n
    assert result.curve_steps.tolist() == sorted(set(list(range(0, 3 * n, 100)) + [3 * n]))
    assert result.curve_val_acc.shape == (len(result.curve_steps), 1)


def test_divergence_is_detected_and_never_reported_as_accuracy(small_data):
    result = dendritic.train(dendritic.Network(seed=[0, 1]), dendritic.rule("interneuron", clamp=False), small_data)
    assert result.diverged.all()
    assert np.isnan(result.val_acc).all() and np.isnan(result.test_acc).all()
    assert (result.diverged_step > 0).all()
    assert all(math.isnan(row["val_acc"]) and row["diverged"] for row in result.rows())


def test_dead_output_units_are_counted(data):
    net = dendritic.Network(seed=0)
    with torch.no_grad():
        net.b3[1] = -100.0  # output unit 1 can never fire
    result = dendritic.train(net, dendritic.rule("backprop", lr=1e-4), data, eval_every=5600)
    assert result.dead_outputs[0] >= 1


def test_recording_is_opt_in_and_bounded(small_data):
    plain = dendritic.train(dendritic.Network(seed=0), dendritic.rule("backprop"), small_data)
    assert plain.records == {}
    steps = len(small_data.train[1]) * 10
    minimum = math.ceil(steps / MAX_RECORDS)
    if minimum > 1:
        with pytest.raises(ValueError, match="record_every"):
            dendritic.train(dendritic.Network(seed=0), dendritic.rule("backprop"), small_data, epochs=10,
                            record_every=minimum - 1)
    result = dendritic.train(dendritic.Network(seed=[0, 1]), dendritic.rule("temporal_contrast"), small_data,
                             record_every=40)
    assert result.records["step"].tolist() == list(range(0, len(small_data.train[1]), 40))
    assert result.records["nudge/layer1"].shape[1:] == (2, 128)
    assert np.nanmax(result.records["angle/all"]) < 45


def test_compartments_are_readable_after_a_step():
    net = dendritic.Network(seed=0)
    dendritic.rule("interneuron").step(net, torch.tensor([0.5, -0.5]), 2)
    layers = net.compartments
    assert len(layers) == 3
    for key in ("soma", "activity", "top_down_forward", "interneuron", "dendrite_forward", "dendrite_backward", "nudge"):
        assert layers[0][key].shape == (128,)
    assert layers[2]["nudge"].shape == (4,)


@pytest.mark.parametrize("kwargs, match", [(dict(epochs=0), "epochs"), (dict(epochs=10**9), "epochs"),
                                           (dict(eval_every=0), "eval_every"), (dict(seed=[1, 2]), "seed"),
                                           (dict(seed=1.5), "seed"), (dict(progress="yes"), "progress")])
def test_bad_training_arguments(kwargs, match, small_data):
    with pytest.raises(ValueError, match=match):
        dendritic.train(dendritic.Network(seed=0), dendritic.rule("backprop"), small_data, **kwargs)
