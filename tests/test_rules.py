"""The rules held against independent truths: autograd, and each other."""

import numpy as np
import pytest
import torch

import dendritic
from dendritic.diagnostics import alignment, update_angles

from conftest import random_sample


def autograd_delta(net, x, target, lr):
    """-lr x the gradient of the MSE loss (mean over the K outputs), by torch autograd."""
    net.zero_grad()
    out = net(x.unsqueeze(0))[0]
    onehot = torch.nn.functional.one_hot(torch.tensor(target), net.sizes[-1]).float()
    loss = ((out - onehot) ** 2).mean()
    loss.backward()
    return {name: -lr * p.grad for name, p in net.named_parameters()}


@pytest.mark.parametrize("sizes", [(2, 128, 32, 4), (2, 7, 5), (3, 16, 8, 8, 2)])
def test_backprop_delta_is_minus_lr_times_the_autograd_gradient(sizes):
    g = torch.Generator().manual_seed(0)
    rule = dendritic.rule("backprop", lr=0.3)
    for seed in range(20):
        net = dendritic.Network(sizes, seed=seed)
        x, target = random_sample(g, net)
        mine, truth = rule.delta(net, x, target), autograd_delta(net, x, target, 0.3)
        assert mine.keys() == truth.keys()
        for name in truth:
            torch.testing.assert_close(mine[name], truth[name], atol=1e-7, rtol=1e-5)


def test_delta_does_not_change_the_network_and_step_applies_it():
    net = dendritic.Network(seed=4)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    for name in dendritic.RULES:
        rule = dendritic.rule(name)
        delta = rule.delta(net, torch.tensor([0.3, -0.2]), 1)
        for k, v in net.state_dict().items():
            assert torch.equal(v, before[k])
        copy = dendritic.Network(seed=4)
        rule.step(copy, torch.tensor([0.3, -0.2]), 1)
        for k, p in copy.named_parameters():
            torch.testing.assert_close(p.detach(), before[k] + delta[k], atol=1e-7, rtol=0)


def _kinked(net):
    """Did the teaching nudge push an active unit below zero (a ReLU kink) in a hidden layer?"""
    return any(((layer["soma"] > 0) & (layer["soma"] + layer["nudge"] < 0)).any()
               for layer in net.compartments[:-1])


def test_temporal_contrast_matches_backprop_except_at_relu_kinks(capsys):
    g = torch.Generator().manual_seed(1)
    tc, bp = dendritic.rule("temporal_contrast", lr=0.2), dendritic.rule("backprop", lr=0.2)
    data = dendritic.spiral_data(per_class=100)
    cosines, kinks = [], 0
    for seed in range(40):
        net = dendritic.Network(seed=seed)
        dendritic.train(net, bp, data)  # trained networks have larger nudges than fresh ones
        for _ in range(10):
            x, target = random_sample(g, net)
            d_tc, d_bp = tc.delta(net, x, target), bp.delta(net, x, target)
            u = torch.cat([v.flatten() for v in d_tc.values()])
            v = torch.cat([v.flatten() for v in d_bp.values()])
            probe = dendritic.Network(seed=seed)
            probe.load_state_dict(net.state_dict())
            tc.step(probe, x, target)
            if _kinked(probe):
                kinks += 1
            elif u.abs().sum() > 0:
                torch.testing.assert_close(u, v, atol=1e-6, rtol=1e-4)
            if u.abs().sum() > 0 and v.abs().sum() > 0:
                cosines.append(torch.nn.functional.cosine_similarity(u, v, dim=0).item())
    cosines = torch.tensor(cosines)
    with capsys.disabled():
        print(f"\ntemporal contrast vs backprop: {len(cosines)} samples, min cosine {cosines.min():.5f}, "
              f"{kinks} / 400 samples with a ReLU kink, {(cosines <= 0.99).sum().item()} with cosine <= 0.99")
    assert (cosines > 0.99).float().mean() >= 0.99
    assert torch.median(cosines) > 0.9999


def test_interneuron_rule_is_temporal_contrast_plus_the_dendritic_residual():
    """Without clamps: N_l(interneuron) = f'(z_l) (D_l^B - D_l^F) + f'(z_l) D_l^F (docs/science.md).

    In the top hidden layer both rules see the same backward-phase activity above,
    so there the temporal-contrast part is rule 2's own nudge."""
    g = torch.Generator().manual_seed(2)
    rule3 = dendritic.rule("interneuron", clamp=False)
    rule2 = dendritic.rule("temporal_contrast")
    for seed in range(10):
        net = dendritic.Network(seed=seed)
        x, target = random_sample(g, net)
        l3, l2 = rule3.compartments_of(net, x, target), rule2.compartments_of(net, x, target)
        f_prime = [(layer["soma"] > 0).float() for layer in l3]
        torch.testing.assert_close(l3[-2]["nudge"], l2[-2]["nudge"] + f_prime[-2] * l3[-2]["dendrite_forward"],
                                   atol=1e-6, rtol=1e-5)
        for layer, fp in zip(l3[:-1], f_prime):
            contrast = fp * (layer["top_down_backward"] - layer["top_down_forward"])
            torch.testing.assert_close(layer["nudge"], contrast + fp * layer["dendrite_forward"], atol=1e-6, rtol=1e-5)


def test_interneurons_learn_to_cancel_the_top_down_input(data):
    """With the forward weights held still, anti-Hebbian interneurons drive |D^F| towards 0."""
    rule = dendritic.rule("interneuron", lr=1e-9, lr_bias=1e-9, lr_rec=(0.05, 0.05))
    result = dendritic.train(dendritic.Network(seed=[0, 1, 2]), rule, data, record_every=100)
    for layer in (1, 2):
        residual = result.records[f"residual/layer{layer}"]
        assert (residual[-10:].mean(0) < 0.1 * residual[:2].mean(0)).all(), residual[[0, 1, -1]]
        assert (result.records[f"cancelled/layer{layer}"][-10:].mean(0) > 0.4).all()


def test_angle_helpers():
    B = torch.tensor([[[1.0, 0.0]], [[1.0, 1.0]], [[0.0, 0.0]]])          # [S, n_l = 1, n_{l+1} = 2]
    W = torch.tensor([[[0.0], [2.0]], [[2.0], [2.0]], [[1.0], [0.0]]])    # [S, n_{l+1} = 2, n_l = 1]
    a = alignment(B, W)
    assert a[0] == pytest.approx(90) and a[1] == pytest.approx(0, abs=1e-6) and np.isnan(a[2])
    net = dendritic.Network(seed=0)
    x, target = torch.tensor([0.3, -0.4]), 2
    same = update_angles(dendritic.rule("backprop", lr=0.7), net, x, target)  # backprop vs itself: 0
    assert all(v[0] == pytest.approx(0, abs=1e-5) or np.isnan(v[0]) for v in same.values())


@pytest.mark.parametrize("name, kwargs, match", [
    ("nope", {}, "backprop.*temporal_contrast.*interneuron"),
    ("backprop", dict(lr=0), "lr"), ("backprop", dict(lr=-1), "lr"),
    ("interneuron", dict(lr_rec=-0.1), "lr_rec"), ("interneuron", dict(lr_bias=0), "lr_bias"),
    ("interneuron", dict(clamp="yes"), "clamp"), ("backprop", dict(lr_rec=0.1), "lr_rec"),
    ("backprop", dict(config="best"), "config"),
])
def test_bad_rule_arguments(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        dendritic.rule(name, **kwargs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(sizes=(2, 0, 4)), "sizes"), (dict(sizes=(2,)), "sizes"), (dict(bias="maybe"), "bias"),
    (dict(seed=-3), "seed"), (dict(seed=[]), "seed"),
])
def test_bad_network_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        dendritic.Network(**kwargs)


def test_bias_modes():
    g = torch.Generator().manual_seed(3)
    for mode in ("fixed", "zero"):
        net = dendritic.Network(seed=1, bias=mode)
        before = [b.clone() for b in net.biases]
        assert not any(n.startswith("b") for n, _ in net.named_parameters())
        rule = dendritic.rule("backprop")
        for _ in range(20):
            rule.step(net, *random_sample(g, net))
        assert all(torch.equal(a, b) for a, b in zip(before, net.biases))
        if mode == "zero":
            assert all((b == 0).all() for b in net.biases)
    learned, fixed = dendritic.Network(seed=1), dendritic.Network(seed=1, bias="fixed")
    assert all(torch.equal(a, b) for a, b in zip(learned.biases, fixed.biases))
