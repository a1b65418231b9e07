"""The first implementation of every rule, in torch, step by step: the independent truth
the compiled kernels of ``dendritic.rules`` are held against (``tests/test_kernels.py``).

It is not part of the package and nothing in the package imports it. It was the rules'
only code before the kernels existed (the package's history has it), and it is kept here
unchanged but for its imports: a second, differently written implementation of the same
equations, like micrograd's test against PyTorch.
"""

import torch

from .backprop import Backprop
from .dale import Dale
from .feedback_rules import FeedbackAlignment, KolenPollack
from .interneuron import Interneuron
from .nonlinear_interneuron import NonlinearInterneuron
from .temporal_contrast import TemporalContrast

RULES = {cls.name: cls for cls in (Backprop, TemporalContrast, Interneuron, FeedbackAlignment, KolenPollack,
                                   NonlinearInterneuron, Dale)}


def make(name, **hyperparameters):
    return RULES[name](**hyperparameters)


def step(rule, net, x, target, scale=1.0):
    """One online step of the reference ``rule`` on ``net`` (in place): x [S, n_0], target [S] classes."""
    weights, biases, _ = net.stacked()
    state = rule.state(net)
    K = net.sizes[-1]
    onehot = torch.nn.functional.one_hot(torch.as_tensor(target), K).float().reshape(net.members, 1, K)
    x = torch.as_tensor(x, dtype=torch.float32).reshape(net.members, 1, net.sizes[0])
    with torch.no_grad():
        layers = rule.nudges(weights, biases, state, x, onehot)
        rule.apply(weights, biases, state, layers, learn_bias=net.bias == "learned", scale=scale)
    return layers
