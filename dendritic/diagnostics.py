"""Diagnostics the field uses (science.md): how far a rule's update is from backprop's,
and how well the interneurons cancel the self-generated top-down input."""

import numpy as np
import torch

from .rules.backprop import Backprop

#: compartment states kept by the recorder, per layer
RECORDED_STATES = ("activity", "dendrite_forward", "dendrite_backward", "nudge")


def flat_update(rule, layers):
    """The rule's update (dW, db of every layer) as one vector per member: list over layers of [S, n]."""
    return [torch.cat([rule.lr * torch.bmm(layer["nudge"].mT, layer["presynaptic"]).flatten(1),
                       rule.lr_bias * layer["nudge"].flatten(1)], dim=1) for layer in layers]


def angle(u, v):
    """Angle in degrees between the rows of u and v ([S, n] each); NaN where either is zero."""
    cos = torch.nn.functional.cosine_similarity(u.double(), v.double(), dim=1, eps=1e-30)
    zero = (u.abs().sum(1) == 0) | (v.abs().sum(1) == 0)
    return torch.where(zero, torch.nan, torch.rad2deg(torch.arccos(cos.clamp(-1, 1))))


def update_angles(rule, weights, biases, interneurons, x, target, layers=None):
    """Angle (degrees) between ``rule``'s update and backprop's, same sample and weights.

    Returns a dict: "layer1" .. "layerL" and "all", each [S] (NaN where an update is zero).
    """
    layers = layers or rule.nudges(weights, biases, interneurons, x, target)
    reference = Backprop(lr=1.0)
    mine = flat_update(rule, layers)
    theirs = flat_update(reference, reference.nudges(weights, biases, interneurons, x, target))
    out = {f"layer{l}": angle(u, v) for l, (u, v) in enumerate(zip(mine, theirs), start=1)}
    out["all"] = angle(torch.cat(mine, 1), torch.cat(theirs, 1))
    return out


def cancellation(layers):
    """Per hidden layer with interneurons: mean |D^F|^2 and the fraction cancelled
    1 - |D^F| / |W^T a^F| (1 = perfect cancellation; NaN with no top-down input). Dict of [S] tensors."""
    out = {}
    for l, layer in enumerate(layers, start=1):
        if "top_down_forward" not in layer:
            continue
        residual = layer["dendrite_forward"].flatten(1)
        top_down = layer["top_down_forward"].flatten(1)
        out[f"residual/layer{l}"] = (residual ** 2).mean(1)
        norm = top_down.norm(dim=1)
        # no top-down input (a silent layer above): nothing to cancel, the fraction is undefined
        out[f"cancelled/layer{l}"] = torch.where(norm > 1e-6, 1 - residual.norm(dim=1) / norm, torch.nan)
    return out


class Recorder:
    """Bounded, opt-in recording during ``train``: called every k steps, before the update."""

    def __init__(self, rule):
        self.rule = rule
        self.rows = []

    def record(self, step, weights, biases, interneurons, x, target, layers):
        row = {"step": torch.tensor(step)}
        row.update({f"angle/{k}": v for k, v in update_angles(self.rule, weights, biases, interneurons, x, target, layers).items()})
        row.update(cancellation(layers))
        row.update(self.rule.diagnostics(weights, interneurons))
        for l, layer in enumerate(layers, start=1):
            for key in RECORDED_STATES:
                if key in layer:
                    row[f"{key}/layer{l}"] = layer[key][:, 0].clone()
        self.rows.append(row)

    def arrays(self):
        """Dict of numpy arrays: "step" [R], scalars [R, S], states [R, S, n_l]."""
        if not self.rows:
            return {}
        return {k: np.stack([row[k].numpy() for row in self.rows]) for k in self.rows[0]}
