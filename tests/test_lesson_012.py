"""The library's answers to the exercises of notebooks 01 and 02 (``dendritic.lesson``), held against the
compiled rules and against torch autograd: a student's answer is checked against these, so they must be right."""

import torch

import dendritic
from dendritic import lesson


def _samples(n=8):
    X, y = dendritic.spiral_data(per_class=50).val
    return X[:n], y[:n]


def test_temporal_contrast_nudge_is_the_kernels():
    net = dendritic.Network(seed=1)
    rule = dendritic.rule("temporal_contrast")
    for x, label in zip(*_samples()):
        layers = rule.compartments_of(net, x, int(label))
        for layer in layers[:-1]:
            mine = lesson.temporal_contrast_nudge(layer["soma"], layer["dendrite_forward"], layer["dendrite_backward"])
            assert torch.allclose(mine, layer["nudge"], atol=1e-7)


def test_mse_output_nudge_is_the_kernels_and_minus_the_gradient():
    net = dendritic.Network(seed=2)
    for x, label in zip(*_samples()):
        target = torch.nn.functional.one_hot(label, 4).float()
        output = dendritic.rule("backprop").compartments_of(net, x, int(label))[-1]
        mine = lesson.mse_output_nudge(output["activity"], target)
        assert torch.allclose(mine, output["nudge"], atol=1e-7)
        z = output["soma"].clone().requires_grad_()
        ((torch.relu(z) - target) ** 2).mean().backward()
        assert torch.allclose(mine, -z.grad, atol=1e-7)


def test_backprop_nudges_are_minus_the_gradient_of_every_soma():
    net = dendritic.Network(seed=3)
    for x, label in zip(*_samples()):
        target = torch.nn.functional.one_hot(label, 4).float()
        nudges = lesson.backprop_nudges(net, x, target)
        assert [tuple(N.shape) for N in nudges] == [(128,), (32,), (4,)]
        assert all(torch.equal(a, b) for a, b in zip(nudges, lesson.backprop_nudges(net, x, int(label))))
        a, somas = x, []
        for W, b in zip(net.weights, net.biases):
            z = W.detach() @ a + b.detach()
            z = z.requires_grad_() if not z.requires_grad else z
            z.retain_grad()
            somas.append(z)
            a = torch.relu(z)
        ((a - target) ** 2).mean().backward()
        for N, z in zip(nudges, somas):
            assert torch.allclose(N, -z.grad, atol=1e-6)
