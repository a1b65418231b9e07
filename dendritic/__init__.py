"""dendritic: biologically plausible deep learning by dendritic gating of plasticity.

A small, readable PyTorch package behind the teaching notebooks:

    data = dendritic.spiral_data()                      # the poster's 4-class spiral
    net = dendritic.Network((2, 128, 32, 4), seed=0)    # soma/dendrite network
    rule = dendritic.rule("interneuron")                # or "backprop", "temporal_contrast"
    result = dendritic.train(net, rule, data)           # online, one epoch
    result.val_acc, result.test_acc

Plotting, widgets, animations and tuning live in submodules (``dendritic.plots``,
``dendritic.figures``, ``dendritic.widgets``, ``dendritic.animation``, ``dendritic.tuning``)
and are imported only when used.
"""

from .data import BAYES_ACCURACY, Spiral, spiral_data
from .network import Network
from .rules import CONFIGS, RULES, rule
from .training import TrainResult, evaluate, train

__all__ = ["BAYES_ACCURACY", "CONFIGS", "RULES", "Network", "Spiral", "TrainResult",
           "evaluate", "rule", "spiral_data", "train"]
