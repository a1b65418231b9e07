"""The compiled loop (dendritic.compiled) against the rules' own torch code, the independent truth."""

import numpy as np
import pytest
import torch

import dendritic
from dendritic import compiled
from dendritic.training import sample_order

# (rule, hyperparameters) the compiled loop runs; each differs in one option from the poster
CASES = {
    "backprop": ("backprop", {}),
    "backprop,ungated,linear": ("backprop", dict(output_gate=False, lr_decay="linear")),
    "temporal_contrast": ("temporal_contrast", {}),
    "temporal_contrast,decay": ("temporal_contrast", dict(decay=1e-3)),
    "interneuron": ("interneuron", {}),
    "interneuron,no clamp": ("interneuron", dict(clamp=False, lr=0.01, lr_rec=0.05)),
    "interneuron,ungated,linear": ("interneuron", dict(output_gate=False, lr_decay="linear", lr_rec=(0.05, 0.1))),
    "feedback_alignment": ("feedback_alignment", {}),
    "kolen_pollack": ("kolen_pollack", dict(decay=1e-2)),
    "interneuron,learned B": ("interneuron", dict(top_down="learned", decay=1e-2)),
    "interneuron,random B": ("interneuron", dict(top_down="random")),
}


def _steps(net, rule, data, steps, fast):
    """``steps`` online steps in the order ``train`` uses, by the compiled loop or the rule's torch code."""
    X, y = data.train
    order = torch.stack([sample_order(s, len(y), 1) for s in net.seeds], 1)[:steps]
    weights, biases, _ = net.stacked()
    interneurons = rule.state(net)
    if fast:
        run = compiled.loop(rule, weights, biases, interneurons, net.bias == "learned")
        run(X[order].numpy(), y[order].numpy(), 0, steps, steps)
        return
    with torch.no_grad():
        for step in range(steps):
            target = torch.nn.functional.one_hot(y[order[step]], 4).float().unsqueeze(1)
            layers = rule.nudges(weights, biases, interneurons, X[order[step]].unsqueeze(1), target)
            rule.apply(weights, biases, interneurons, layers, net.bias == "learned", rule.lr_factor(step, steps))


def _top_down(rule, net):
    """The network's top-down weights B_l (none for W^T; not in ``state_dict``: rule state)."""
    return getattr(rule.state(net), "top_down", None) or []


def _max_difference(a, b):
    return max((x - y).abs().max().item() for x, y in zip(a.state_dict().values(), b.state_dict().values()))


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("bias", ["learned", "zero"])
def test_compiled_steps_equal_the_torch_rule(case, bias, small_data):
    """A few steps from a network trained a while (so that every compartment is active):
    the same weights up to float32 rounding."""
    name, hyper = CASES[case]
    rule = dendritic.rule(name, **hyper)
    start = dendritic.Network(seed=[4, 11], bias=bias)
    dendritic.train(start, dendritic.rule("backprop"), small_data, fast=False)
    fast, slow = (dendritic.Network(seed=[4, 11], bias=bias) for _ in range(2))
    for net in (fast, slow):
        net.load_state_dict(start.state_dict())
    _steps(fast, rule, small_data, 5, fast=True)
    _steps(slow, rule, small_data, 5, fast=False)
    assert _max_difference(start, slow) > 1e-3  # the steps did learn
    for key, value in slow.state_dict().items():
        torch.testing.assert_close(fast.state_dict()[key], value, rtol=1e-5, atol=1e-6, msg=f"{case} {key}")
    for l, (B, B_slow) in enumerate(zip(_top_down(rule, fast), _top_down(rule, slow)), start=1):
        torch.testing.assert_close(B, B_slow, rtol=1e-5, atol=1e-6, msg=f"{case} B{l}")


@pytest.mark.parametrize("case", ["backprop", "temporal_contrast", "interneuron,no clamp", "backprop,ungated,linear",
                                  "feedback_alignment", "kolen_pollack"])
def test_compiled_epoch_equals_the_torch_rule(case, small_data):
    """A whole epoch, where the dynamics are not chaotic: rounding stays rounding.

    (The poster's interneuron rule is chaotic: a 1e-7 change of one weight grows to
    order-1 differences within ~30 steps, whether in torch or compiled, so its epochs
    are compared step by step above and by accuracy in test_training.)"""
    name, hyper = CASES[case]
    rule = dendritic.rule(name, **hyper)
    fast, slow = dendritic.Network(seed=[0, 1]), dendritic.Network(seed=[0, 1])
    a = dendritic.train(fast, rule, small_data)
    b = dendritic.train(slow, rule, small_data, fast=False)
    assert _max_difference(fast, slow) < 1e-4
    for B, B_slow in zip(_top_down(rule, fast), _top_down(rule, slow)):
        assert (B - B_slow).abs().max() < 1e-4
    np.testing.assert_allclose(a.curve_val_acc, b.curve_val_acc, atol=2 / len(small_data.val[1]))


def test_which_rules_run_compiled():
    for name in (*dendritic.RULES, "feedback_alignment", "kolen_pollack"):
        assert compiled.supports(dendritic.rule(name))
    assert compiled.supports(dendritic.rule("interneuron", top_down="random"))
    for name in ("nonlinear_interneuron", "dale"):  # their own populations: torch code only
        assert not compiled.supports(dendritic.rule(name))


def test_compiled_keeps_nan_visible(small_data):
    net = dendritic.Network(seed=[0, 1])
    with torch.no_grad():
        net.W2[1, 3, 5] = float("nan")
    result = dendritic.train(net, dendritic.rule("interneuron"), small_data)
    assert list(result.diverged) == [False, True] and np.isnan(result.val_acc[1])
    assert torch.isfinite(net.W1[0]).all()


def test_recording_does_not_change_training(small_data):
    """Recording computes states with the torch rule but leaves every update to the compiled loop."""
    plain, recorded = dendritic.Network(seed=[0, 1]), dendritic.Network(seed=[0, 1])
    dendritic.train(plain, dendritic.rule("interneuron"), small_data)
    result = dendritic.train(recorded, dendritic.rule("interneuron"), small_data, record_every=7)
    assert all(torch.equal(x, y) for x, y in zip(plain.state_dict().values(), recorded.state_dict().values()))
    assert len(result.records["step"]) == -(-len(small_data.train[1]) // 7)
    # the last step's compartments are there for notebooks, as after rule.step
    assert plain.compartments is not None and set(plain.compartments[0]) >= {"soma", "nudge", "dendrite_forward"}


def test_fast_must_be_a_bool(small_data):
    with pytest.raises(ValueError, match="fast must be True or False"):
        dendritic.train(dendritic.Network(seed=0), dendritic.rule("backprop"), small_data, fast="yes")
