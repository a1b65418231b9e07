# %% [markdown]
# # 03 · Dendritic temporal contrast
#
# Backprop tells every weight how the error changes with its neuron's activity, a
# signal computed by running the network backwards, which no real neuron can see.
# Rule 2 of the poster (after Xie & Seung 2003) gets the same signal from a
# *difference in time*: each hidden neuron's dendrite compares its top-down input
# **before** and **after** the output is nudged towards the target.
#
# **Objectives**
#
# 1. Name the two phases of the rule: the *forward* phase (no teaching) and the *backward* phase (after the output nudge).
# 2. Watch the nudge travel down the layers for one sample, and read each neuron's local error as $N_l = f'(z_l)\,(D_l^B - D_l^F)$.
# 3. Implement that hidden-layer nudge yourself and check it against the library (Exercise 1).
# 4. Measure the angle between this update and backprop's, per layer and overall, and find the one place where they differ: a ReLU unit pushed below zero by its own nudge.
# 5. Compare accuracy with backprop, seed by seed.

# %%
# Setup
# %matplotlib inline
import copy
import os
import tempfile
from pathlib import Path

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display

import dendritic
from dendritic import animation, figures
from dendritic.diagnostics import update_angles

QUICK = os.environ.get("DENDRITIC_QUICK") == "1"  # CI: fewer seeds, same code path
SEEDS = list(range(5 if QUICK else 10))
# Online training of a small network is a long chain of tiny matrix products:
# one thread is fastest, and stays fast when other programs share the CPU.
torch.set_num_threads(1)

data = dendritic.spiral_data()  # the poster's split: 5600 train / 1200 validation / 1200 test
X, y = data.val
print(f"{len(SEEDS)} seeds{' (quick mode)' if QUICK else ''}")

# %% [markdown]
# ## Section 1: Two phases
#
# One sample $x$ with target class $k$. The network is $2 \to 128 \to 32 \to 4$ with ReLU $f$ on every layer.
#
# **Forward phase (no teaching).** Bottom-up, every soma computes $z_l = W_l a_{l-1} + b_l$ and fires $a_l^F = f(z_l)$.
# Each hidden dendrite receives the top-down input $D_l^F = W_{l+1}^T a_{l+1}^F$.
#
# **Backward phase (after the nudge).** The teacher nudges the output somas towards the target,
# $N_L = \tfrac{2}{K} f'(z_L)\,(\text{target} - a_L)$ (exactly $-\partial \text{Loss}/\partial z_L$ for the mean-squared error),
# so the output fires $a_L^B = f(z_L + N_L)$. The change travels down: each hidden dendrite now receives
# $D_l^B = W_{l+1}^T a_{l+1}^B$, its soma is nudged by
#
# $$N_l = f'(z_l)\,(D_l^B - D_l^F), \qquad a_l^B = f(z_l + N_l),$$
#
# and the layer below sees that in turn.
#
# **Plasticity** is local: $\Delta W_l = \text{lr}\; N_l \otimes a_{l-1}^F$, $\Delta b_l = \text{lr}\; N_l$.
#
# `rule("temporal_contrast").step(net, x, target)` runs both phases and updates the weights; afterwards
# `net.compartments` holds every state of that sample, one dict per layer. We take a network trained for one
# epoch (5600 samples, as on the poster) and a validation sample it still gets wrong, so the teaching signal is large.

# %%
tc = dendritic.rule("temporal_contrast")  # the poster's learning rate, 0.1725
net = dendritic.Network(seed=0)
result = dendritic.train(net, tc, data)
print(f"seed 0 after one epoch: validation accuracy {result.val_acc[0]:.3f}")

def step_copy(net, rule, i):
    """One step of `rule` on validation sample i, on a copy of `net` (so `net` stays as it is)."""
    trial = copy.deepcopy(net)
    rule.step(trial, X[i], int(y[i]))
    return trial

# a misclassified validation sample whose nudge silences a layer-2 unit (we come back to that in Section 4)
wrong = (net.predict(X) != y).nonzero().flatten().tolist()
kinked = [i for i in wrong[:300]
          if animation.relu_kinks(*(step_copy(net, tc, i).compartments[1][k].numpy() for k in ("activity", "nudge"))).any()]
sample = (kinked or wrong)[0]
trial = step_copy(net, tc, sample)
for l, layer in enumerate(trial.compartments, start=1):
    print(f"layer {l}:", ", ".join(f"{k} {tuple(v.shape)}" for k, v in layer.items()))

# %%
out = trial.compartments[-1]
K = data.classes
target = torch.nn.functional.one_hot(y[sample], K).float()
print("sample", sample, "target class", int(y[sample]), "predicted", int(out["activity"].argmax()))
print("output activity a_L^F :", out["activity"].numpy().round(3))
print("target                :", target.numpy())
print("output nudge  N_L     :", out["nudge"].numpy().round(3))
# the output nudge is -dLoss/dz_L: (2/K) f'(z_L) (target - a_L)
expected = (2 / K) * (out["soma"] > 0).float() * (target - out["activity"])
assert torch.allclose(out["nudge"], expected)

# %% [markdown]
# ## Section 2: The nudge travels down the layers
#
# The animation replays the backward phase of that sample from `trial.compartments`: first the forward phase,
# then the output nudge grows, then layer 2's dendrite sees its top-down input move from $D^F$ (grey) to $D^B$
# (orange dots) and nudges its soma, then layer 1. Every number is the library's; in between, the nudge of the
# layer being taught grows linearly (exact for this rule, since $N_l$ is linear in $D_l$). Use the buttons to step
# frame by frame.

# %%
anim = animation.nudge_animation(trial.compartments, target=int(y[sample]))
display(animation.to_html(anim))
print(f"{len(anim.frames)} frames; a red triangle marks a unit pushed below zero by its nudge")

# %% [markdown]
# For slides, the same animation as a GIF (Pillow, no ffmpeg), written into a temporary folder here:

# %%
with tempfile.TemporaryDirectory() as folder:
    gif = animation.save_gif(anim, Path(folder) / "nudge.gif")
    print(f"{gif.name}: {gif.stat().st_size / 1e3:.0f} kB")

# %% [markdown]
# ### Think! 1
#
# Compare the grey bars ($D^F$) and the orange dots ($D^B$) of layer 1: the dendrite's input barely moves,
# yet the nudge column shows a clear signal. The error is a *small difference of two large signals*.
# What would noise in the dendrite do to this error, and what does the rule need the dendrite to remember
# between the two phases?

# %% [markdown]
# ### Interactive Demo 1: one sample at a time
#
# Pick a validation sample and a network (untrained, or trained for one epoch). The figure is the last frame of
# the animation; the printout gives the angle between this rule's update and backprop's on the same sample and
# weights (Section 4 explains the angle).

# %%
untrained = dendritic.Network(seed=0)

def sample_angles(net, rule, i):
    """Angle (degrees) between `rule`'s update and backprop's for validation sample i, per layer and overall."""
    weights, biases, interneurons = net.stacked()
    x = X[i].reshape(1, 1, -1)
    onehot = torch.nn.functional.one_hot(y[i], data.classes).float().reshape(1, 1, -1)
    return {k: float(v[0]) for k, v in update_angles(rule, weights, biases, interneurons, x, onehot).items()}

def show_sample(i=sample, network="trained 1 epoch"):
    base = net if network == "trained 1 epoch" else untrained
    stepped = step_copy(base, tc, i)
    animation.plot_nudge(stepped.compartments, target=int(y[i]))
    angles = sample_angles(base, tc, i)
    print("angle to backprop (deg):", ", ".join(f"{k} {v:.3g}" for k, v in angles.items()))
    layer2 = stepped.compartments[1]
    print("layer-2 units pushed below zero:", int(animation.relu_kinks(layer2["activity"], layer2["nudge"]).sum()))
    plt.show()

demo = widgets.interactive(
    show_sample,
    i=widgets.IntSlider(value=sample, min=0, max=len(y) - 1, description="sample", continuous_update=False),
    network=widgets.Dropdown(options=["trained 1 epoch", "untrained"], description="network"))
display(demo)


# %% [markdown]
# ## Section 3: Exercise 1: the hidden-layer nudge
#
# Write $N_l = f'(z_l)\,(D_l^B - D_l^F)$ for one hidden layer. $f'(z)$ of the ReLU is 1 where the soma $z > 0$
# and 0 elsewhere. The check compares your function with the library on every hidden layer of an ensemble of
# networks, each stepped on its own sample.

# %%
# NBVAL_RAISES_EXCEPTION
def hidden_nudge(soma, dendrite_forward, dendrite_backward):
    """N_l = f'(z_l) * (D_l^B - D_l^F). All arguments and the result: tensors of the same shape [..., n_l]."""
    #################################################################
    # Fill in: f'(z) is 1 where soma > 0, else 0; then gate the
    # change of the dendrite's top-down input with it.
    raise NotImplementedError("Student exercise: implement the hidden-layer nudge N_l = f'(z_l) * (D_l^B - D_l^F)")
    #################################################################
    return ...

layer2 = trial.compartments[1]  # the sample of Section 2
print(hidden_nudge(layer2["soma"], layer2["dendrite_forward"], layer2["dendrite_backward"])[:8])


# %% jupyter={"source_hidden": true}
# to_remove solution
def hidden_nudge(soma, dendrite_forward, dendrite_backward):
    """N_l = f'(z_l) * (D_l^B - D_l^F). All arguments and the result: tensors of the same shape [..., n_l]."""
    relu_derivative = (soma > 0).float()
    return relu_derivative * (dendrite_backward - dendrite_forward)


# %%
# Check: your nudge equals the library's, exactly, on every hidden layer of 5 networks and 5 samples
ensemble = dendritic.Network(seed=[0, 1, 2, 3, 4])
tc.step(ensemble, X[:5], y[:5])
for l, layer in enumerate(ensemble.compartments[:-1], start=1):
    mine = hidden_nudge(layer["soma"], layer["dendrite_forward"], layer["dendrite_backward"])
    assert torch.equal(mine, layer["nudge"]), f"layer {l}: your nudge differs from the library's"
print("hidden_nudge matches dendritic's temporal-contrast rule on layers",
      list(range(1, ensemble.layers)))

# %% [markdown]
# ## Section 4: How close is it to backprop?
#
# Backprop's nudge of a hidden layer is $N_l^{BP} = f'(z_l)\, W_{l+1}^T N_{l+1}$. Temporal contrast has
# $D_l^B - D_l^F = W_{l+1}^T (a_{l+1}^B - a_{l+1}^F)$, and for a unit that stays active,
# $a^B - a^F = f(z + N) - f(z) = N$: the same thing. The two differ only where a unit that was active ($z > 0$)
# is pushed below zero by its nudge ($z + N < 0$): then $a^B - a^F = -z$ instead of $N$, a **ReLU kink**.
#
# The field measures the difference as the angle between the two updates, on the same sample and weights.
# `train(..., record_every=k)` records it every $k$ steps, per layer and for all layers together
# (`dendritic.diagnostics.update_angles`).

# %%
record_every = 20 if QUICK else 10
tc_run = dendritic.train(dendritic.Network(seed=SEEDS), tc, data, record_every=record_every, progress=True)
records = tc_run.records
fig, ax = plt.subplots(figsize=(7, 3.5))
figures.plot_angles(ax, tc_run)  # the poster's Fig. 5 panel
ax.set_title(f"temporal contrast vs backprop, median of {len(SEEDS)} seeds (band: interquartile range)")
ax.legend(title="weights")
plt.show()

print(f"{len(records['step'])} recorded steps x {len(SEEDS)} seeds; angle to backprop in degrees:")
print(f"{'':8s} {'median':>8s} {'mean':>8s} {'95th pct':>9s} {'max':>8s}")
for key in ("layer1", "layer2", "layer3", "all"):
    a = records[f"angle/{key}"]
    print(f"{key:8s} {np.nanmedian(a):8.4f} {np.nanmean(a):8.3f} {np.nanpercentile(a, 95):9.3f} {np.nanmax(a):8.2f}")
print(f"(no angle where an update is zero: {np.isnan(records['angle/all']).mean():.1%} of the recorded steps)")

# %% [markdown]
# Layers 3 and 2 get exactly backprop's update; only layer 1 differs, on some samples. Why? The output layer
# can never kink: for an active output unit $z_L + N_L = (1 - \tfrac{2}{K}) z_L + \tfrac{2}{K}\,\text{target} > 0$.
# So the only kinks that matter are in layer 2, and a layer-2 kink changes what layer 1's dendrite sees.
# (A layer-1 kink changes nothing: no layer below reads $a_1^B$.)
#
# `animation.kink_counts` counts, for every recorded step, the layer-2..L units pushed below zero by their nudge:

# %%
kinks = animation.kink_counts(records)  # [recorded steps, seeds]
angles = records["angle/all"]
measured = np.isfinite(angles)
print(f"samples with a kink: {(kinks[measured] > 0).mean():.1%}")
print(f"angle without a kink: at most {angles[measured & (kinks == 0)].max():.3f} deg (float32 round-off)")
print(f"angle with a kink:    median {np.median(angles[measured & (kinks > 0)]):.2f} deg")
fig, ax = plt.subplots(figsize=(6, 3.5))
animation.plot_kinks(ax, tc_run)
ax.set_title("temporal contrast vs backprop, every recorded step of every seed")
plt.show()

# %%
# Assertions: the lesson of this section, measured
per_seed_mean = np.nanmean(angles, axis=0)
assert np.nanmedian(angles) < 0.1, "most updates should be backprop's (angle ~ 0)"
assert per_seed_mean.max() < 5, f"mean angle per seed should stay small, got {per_seed_mean.round(2)}"
assert angles[measured & (kinks == 0)].max() < 0.5, "without a ReLU kink the update must be backprop's"
for key in ("angle/layer2", "angle/layer3"):
    assert np.nanmax(records[key]) < 0.5, f"{key}: layers above the kinks must match backprop"
print(f"median angle {np.nanmedian(angles):.4f} deg; mean per seed {per_seed_mean.round(2)} deg")

# %% [markdown]
# ### Think! 2
#
# About one sample in four has a kink, yet the mean angle is about a degree. Would a kink matter more with a
# larger learning rate, or a larger output nudge? (Hint: the kink happens when $|N| > z$.)

# %% [markdown]
# ## Section 5: Accuracy, seed by seed
#
# Same seeds, same initialisation, same order of samples. At the poster's learning rates (0.1616 for backprop,
# 0.1725 for temporal contrast) and at one shared rate (0.1616), temporal contrast is compared with backprop on
# validation accuracy, seed by seed. Hollow circles mark runs that lost an output unit (a ReLU output that is
# silent on every input gets no teaching signal ever again, and the network drops towards chance).

# %%
bp_run = dendritic.train(dendritic.Network(seed=SEEDS), dendritic.rule("backprop"), data, progress=True)
tc_same = dendritic.train(dendritic.Network(seed=SEEDS), dendritic.rule("temporal_contrast", lr=0.1616), data,
                          progress=True)
runs = {"backprop\n(lr 0.1616)": bp_run, "temporal contrast\n(lr 0.1616)": tc_same,
        "temporal contrast\n(poster, lr 0.1725)": tc_run}
fig, ax = plt.subplots(figsize=(7, 4))
animation.plot_seed_pairs(ax, runs)
ax.legend(loc="lower right")
plt.show()

print("seed  backprop  TC(0.1616)  TC(0.1725)   lost outputs (BP / TC / TC)")
for i, s in enumerate(SEEDS):
    print(f"{s:4d}  {bp_run.val_acc[i]:8.3f}  {tc_same.val_acc[i]:10.3f}  {tc_run.val_acc[i]:10.3f}   "
          f"{bp_run.dead_outputs[i]} / {tc_same.dead_outputs[i]} / {tc_run.dead_outputs[i]}")
same_lr = np.abs(tc_same.val_acc - bp_run.val_acc)
poster_lr = np.abs(tc_run.val_acc - bp_run.val_acc)
print(f"median |TC - BP| over seeds: {np.median(same_lr):.3f} at the shared lr, "
      f"{np.median(poster_lr):.3f} at the poster's lrs")

# %%
# Assertion: at the same learning rate, temporal contrast tracks backprop seed by seed
assert not (bp_run.diverged.any() or tc_same.diverged.any() or tc_run.diverged.any())
assert np.median(same_lr) < 0.03, f"median |TC - BP| per seed at the same lr: {np.median(same_lr):.3f}"
print("median seed-by-seed difference at the same lr:", round(float(np.median(same_lr)), 4))

# %% [markdown]
# At the same learning rate most seeds end within a point or two of backprop: the two rules make the same
# update on three samples in four and a slightly different one on the rest. Where a seed differs by much more,
# look at the last column: one rule lost an output unit and the other did not. A tiny difference early on can
# decide whether an output unit dies, and that decides the accuracy. At the poster's two different learning
# rates the same lottery is drawn differently, so seed-by-seed agreement is weaker there; compare the rules as
# distributions over seeds (notebook on the poster comparison), not seed by seed.
#
# ### Think! 3
#
# Temporal contrast needs no transport of errors backwards, but it still needs $W_{l+1}^T$: the top-down
# weights are the transpose of the forward weights. What would happen with random top-down weights $B_l$
# (feedback alignment), and what would the dendrite then compute?
#
# ## Summary
#
# - Rule 2's local error is a difference in time: $N_l = f'(z_l)(D_l^B - D_l^F)$, the change of the dendrite's top-down input when the output is nudged.
# - For ReLU networks that is backprop's update, except where a nudge pushes an active unit below zero; with $K = 4$ outputs that can happen only in hidden layers, so here only layer 1's update ever differs.
# - The angle to backprop is 0 on most samples and about a degree on average; accuracy follows backprop seed by seed at the same learning rate, up to the dead-output lottery.
