# %% [markdown]
# # 03 · Dendritic temporal contrast
#
# Backprop tells every weight how the error changes with its neuron's activity, a signal computed by running the
# network backwards, which no real neuron can see. Rule 2 of the poster (after Xie & Seung 2003) gets the same
# signal from a *difference in time*: each hidden neuron's dendrite compares its top-down input **before** and
# **after** the output is nudged towards the target.
#
# **Objectives**
#
# 1. Name the two phases of the rule: the *forward* phase (no teaching) and the *backward* phase (after the output nudge).
# 2. Watch the nudge travel down the layers for one sample, and read each hidden neuron's local error $N_l = f'(z_l)\,(D_l^B - D_l^F)$.
# 3. Write the backward phase of a layer and find its **ReLU kinks**, the units a nudge pushes below zero (Exercise 1).
# 4. Show that rule 2's update is backprop's exactly where there is no kink, on single samples and over a whole epoch.
# 5. Compare accuracy with backprop, seed by seed.
#
# **Estimated time**: about 50 min

# %% jupyter={"source_hidden": true} tags=["setup"]
# Setup: imports, and the sizes quick mode shrinks (DENDRITIC_QUICK=1: the same code, run small)
# %matplotlib inline
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch

import dendritic
from dendritic import animation, diagnostics, lesson, plots

torch.set_num_threads(1)  # online learning on small tensors: one thread is fastest, also on a shared machine
SEEDS = list(range(lesson.size(10, 5)))  # networks trained side by side in Sections 4 and 5
SCANNED = lesson.size(1200, 300)  # validation samples scanned for kinks in Section 3
RECORD_EVERY = lesson.size(10, 20)  # steps between recordings of the update angle in Section 4

# %% [markdown]
# ## Section 1: Two phases
#
# One sample $x$ with target class $k$. The network is $2 \to 128 \to 32 \to 4$ with ReLU $f$ on every layer,
# $K = 4$ output units.
#
# **Forward phase (no teaching).** Bottom-up, every soma computes $z_l = W_l a_{l-1} + b_l$ and fires $a_l^F = f(z_l)$.
# Each hidden dendrite receives the top-down input $D_l^F = W_{l+1}^T a_{l+1}^F$.
#
# **Backward phase (after the nudge).** The teacher nudges the output somas towards the target,
# $N_L = \tfrac{2}{K} f'(z_L)\,(\text{target} - a_L)$ (exactly $-\partial \text{Loss}/\partial z_L$ for the mean-squared
# error), so the output fires $a_L^B = f(z_L + N_L)$. The change travels down: each hidden dendrite now receives
# $D_l^B = W_{l+1}^T a_{l+1}^B$, its soma is nudged by
#
# $$N_l = f'(z_l)\,(D_l^B - D_l^F), \qquad a_l^B = f(z_l + N_l),$$
#
# and the layer below sees that in turn.
#
# **Plasticity** is local: $\Delta W_l = \text{lr}\; N_l \otimes a_{l-1}^F$, $\Delta b_l = \text{lr}\; N_l$.
#
# `rule.compartments_of(net, x, target)` runs both phases without changing the network and returns every state of
# that sample, one dict per layer (`rule.step` does the same and then learns). The equations are
# `dendritic/rules/temporal_contrast.py`, line by line. We take a network trained for one epoch (5600 samples, as on
# the poster) and a validation sample it still gets wrong, so that the teaching signal is large; among those, one
# whose nudge silences a layer-2 unit (Section 3 is about such units).

# %% tags=["instructor"]
# **Instructor** (about 8 min). Write the two phases on the board, one column each, and stress what the dendrite
# has to *remember*: $D^F$, between the two phases. The output nudge is the only place the target enters; everything
# below it is computed from activities. The table shows the nudge pushing the target unit up and the others down.

# %%
data = dendritic.spiral_data()  # the poster's task: 5600 train / 1200 validation / 1200 test points
X, y = data.val
tc = dendritic.rule("temporal_contrast")  # the poster's learning rate, 0.1725
net = dendritic.Network(seed=0)
trained = dendritic.train(net, tc, data)  # one online epoch


def layer2_kinks(network, i):
    """How many layer-2 units the nudge of validation sample i pushes below zero."""
    layer2 = tc.compartments_of(network, X[i], int(y[i]))[1]
    return int(diagnostics.relu_kinks(layer2["activity"], layer2["nudge"]).sum())


wrong = (net.predict(X) != y).nonzero().flatten().tolist()
sample = next(i for i in wrong if layer2_kinks(net, i) > 0)
compartments = tc.compartments_of(net, X[sample], int(y[sample]))
output = compartments[-1]
target = torch.nn.functional.one_hot(y[sample], data.classes).float()
states = zip(target.tolist(), output["activity"].tolist(), output["nudge"].tolist(), output["activity_backward"].tolist())
lesson.table([dict(unit=k, target=t, activity=a, nudge=n, after_the_nudge=b) for k, (t, a, n, b) in enumerate(states)],
             formats=dict(target=".0f", activity=".3f", nudge="+.3f", after_the_nudge=".3f"))

# %%
# Lesson check: the output nudge is -dLoss/dz_L = (2/K) f'(z_L) (target - a_L), and this sample is misclassified
assert torch.allclose(output["nudge"], (2 / data.classes) * (output["soma"] > 0) * (target - output["activity"]))
assert int(output["activity"].argmax()) != int(y[sample])

# %% [markdown]
# ## Section 2: The nudge travels down the layers
#
# The animation replays the backward phase of that sample: first the forward phase, then the output nudge grows,
# then layer 2's dendrite sees its top-down input move from $D^F$ (grey) to $D^B$ (orange dots) and nudges its soma,
# then layer 1. Every number is the library's; in between, the nudge of the layer being taught grows linearly (exact
# for this rule, since $N_l$ is linear in $D_l$). A red triangle marks a unit pushed below zero by its nudge. Press
# Play, or step frame by frame.

# %% tags=["instructor"]
# **Instructor** (about 8 min). Play it once without talking, then step through the layer-2 frames: the dots move,
# the nudge column follows, and one unit (red triangle) goes silent. Ask what layer 1 will see from that unit.
# A GIF for slides: uncomment the line in the cell below the animation.

# %%
nudge_movie = animation.nudge_animation(compartments, target=int(y[sample]))
nudge_movie

# %%
# Save a GIF for slides (Pillow, no ffmpeg): uncomment, and choose where it goes
# animation.save_gif(nudge_movie, "nudge.gif")

# %% [markdown]
# This sample is one the network gets wrong, so its nudge is large. On a typical sample the dendrite's top-down
# input barely moves between the phases: over the validation set, the median change $|D_1^B - D_1^F|$ of layer 1 is
# about 3 % of $|D_1^F|$:

# %%
def relative_change(network, i, layer=1):
    """|D^B - D^F| / |D^F| of a hidden layer's dendrite on validation sample i."""
    state = tc.compartments_of(network, X[i], int(y[i]))[layer - 1]
    return float((state["dendrite_backward"] - state["dendrite_forward"]).norm() / state["dendrite_forward"].norm())


typical_change = np.median([relative_change(net, i) for i in range(SCANNED)])
lesson.table([dict(layer=1, median_relative_change=typical_change)], formats=dict(median_relative_change=".1%"))

# %%
# Lesson check: the error is a small difference of two large signals (about 3 % on the median sample)
assert 0.01 < typical_change < 0.05, typical_change

# %% [markdown]
# **Think!** The error of a typical sample is a *small difference of two large signals*, a few per cent of the
# dendrite's input. What would noise in the dendrite do to this error? And what must the dendrite keep between
# the two phases for the rule to work?

# %% tags=["instructor"]
# **Answer.** Noise of the same size in both phases does not cancel: it adds directly to $D^B - D^F$, and with the
# signal at about 3 % of $|D^F|$, noise of a few per cent of the dendritic input would swamp the error (the
# relative precision needed is that of the difference, not of the signals). The dendrite has to hold $D^F$ across
# the teaching phase, a short-term memory, e.g. a slow dendritic variable or plateau potential. Notebook 04's
# interneurons remove that need: they subtract the predictable part of $D$ so that $D$ itself is the error.

# %% [markdown]
# ## Section 3: Where rule 2 differs from backprop: the ReLU kink
#
# Backprop's nudge of a hidden layer is $N_l^{BP} = f'(z_l)\, W_{l+1}^T N_{l+1}$. Temporal contrast has
# $D_l^B - D_l^F = W_{l+1}^T (a_{l+1}^B - a_{l+1}^F)$: the layer above passes down the change of its activity, not its
# nudge. For each unit of that layer,
#
# - active and staying active ($z > 0$, $z + N > 0$): $a^B - a^F = (z + N) - z = N$;
# - silent ($z \le 0$): its own nudge is gated off, $N = f'(z)\,(\dots) = 0$, so $a^B - a^F = 0 = N$;
# - active but pushed below zero by its nudge ($z > 0$, $z + N < 0$): $a^B - a^F = 0 - z = -z$, **not** $N$.
#
# The last case is a **ReLU kink**. Where no unit of the layers above kinks, rule 2's nudges are backprop's,
# layer by layer. The output layer cannot kink: an active output unit has
# $z_L + N_L = (1 - \tfrac{2}{K})\, z_L + \tfrac{2}{K}\,\text{target} > 0$. And a kink in layer 1 changes nothing,
# since no layer below reads $a_1^B$. So in this network only layer-2 kinks matter, and only layer 1's update can
# differ from backprop's.

# %% tags=["instructor"]
# **Instructor** (about 15 min). The three cases are the heart of the notebook: draw the ReLU and mark $z$ and
# $z + N$ on it for each. Then the exercise (5-8 min). After the check, go through the cell that splits layer 1's
# nudge: the difference to backprop is *exactly* what the kinked units pass down. The demo shows single samples.

# %% [markdown]
# ### Exercise 1: the backward phase of a layer, and its kinks
#
# Write the backward phase of one layer: its activity after the nudge, $a^B = f(z + N)$, and its kinks, the units
# that were active before the nudge ($z > 0$) and are pushed below zero by it ($z + N < 0$). The check runs your
# function on the three layers of the sample above and compares it with the library's.

# %% tags=["exercise"]
def backward_phase(soma, nudge):
    """The backward phase of one layer. soma (z), nudge (N): tensors [n].
    Returns (activity_backward, kinks): a^B = f(z + N) [n] and a bool tensor [n], True at the kinks."""
    #################################################################
    # Fill in: f is the ReLU (torch.relu); a kink is active before
    # the nudge (z > 0) and below zero after it (z + N < 0).
    raise NotImplementedError("Exercise 1: compute a^B = relu(z + N) and the kinks (z > 0) & (z + N < 0)")
    #################################################################
    activity_backward = ...
    kinks = ...
    return activity_backward, kinks


# %% tags=["solution"]
def backward_phase(soma, nudge):
    """The backward phase of one layer. soma (z), nudge (N): tensors [n].
    Returns (activity_backward, kinks): a^B = f(z + N) [n] and a bool tensor [n], True at the kinks."""
    activity_backward = torch.relu(soma + nudge)
    kinks = (soma > 0) & (soma + nudge < 0)
    return activity_backward, kinks


# %%
backward_phase = lesson.exercise("Exercise 1", backward_phase, lesson.backward_phase,
                                 *[(layer["soma"], layer["nudge"]) for layer in compartments])

# %% [markdown]
# Now use it. What does layer 2 pass down to layer 1's dendrite, and where is that not its nudge? Backprop's nudges
# on the same weights and sample come from `rule("backprop").compartments_of`:

# %%
layer1, layer2 = compartments[0], compartments[1]
activity_backward, kinks = backward_phase(layer2["soma"], layer2["nudge"])
passed_down = activity_backward - layer2["activity"]  # a_2^B - a_2^F
not_the_nudge = (passed_down - layer2["nudge"]).abs() > 1e-6
backprop = dendritic.rule("backprop").compartments_of(net, X[sample], int(y[sample]))
# layer 1: rule 2's nudge minus backprop's = f'(z_1) W_2^T (what the kinked units pass down - their nudge)
kink_error = (layer1["soma"] > 0) * ((passed_down - layer2["nudge"]) @ net.W2)
angles = diagnostics.update_angles(tc, net, X[sample], int(y[sample]))
lesson.table([dict(kinks=int(kinks.sum()), not_the_nudge=int(not_the_nudge.sum()),
                   **{f"angle {k} (°)": v[0] for k, v in angles.items()})], formats={f"angle {k} (°)": ".3f" for k in angles})

# %%
# Lesson check: a^B - a^F differs from N exactly at the kinks; they account for all of layer 1's difference
assert torch.equal(not_the_nudge, kinks) and kinks.any()
torch.testing.assert_close(layer2["nudge"], backprop[1]["nudge"], rtol=1e-4, atol=1e-6)  # layer 2: backprop's
torch.testing.assert_close(layer1["nudge"] - backprop[0]["nudge"], kink_error, rtol=1e-3, atol=1e-5)
assert angles["layer3"][0] < 0.05 and angles["layer2"][0] < 0.05 and angles["layer1"][0] > 0.1

# %% [markdown]
# One sample is an anecdote. Scan the validation set, on the trained network and on the same network untrained:
# for every sample, count the kinks of layers 2 and 3 with your `backward_phase` and measure the angle between rule
# 2's update and backprop's (`diagnostics.update_angles`, all layers together).

# %%
networks = {"trained 1 epoch": net, "untrained": dendritic.Network(seed=0)}


def kinks_and_angle(network, i):
    """Kinked units of layers 2..L on validation sample i, and the angle (degrees) of rule 2's update to backprop's."""
    layers = tc.compartments_of(network, X[i], int(y[i]))
    kinked = sum(int(backward_phase(layer["soma"], layer["nudge"])[1].sum()) for layer in layers[1:])
    return kinked, float(diagnostics.update_angles(tc, network, X[i], int(y[i]))["all"][0])


scan = {name: np.array([kinks_and_angle(network, i) for i in range(SCANNED)]) for name, network in networks.items()}
summary = [dict(network=name, with_a_kink=np.mean(s[:, 0] > 0), max_angle_without=np.nanmax(s[s[:, 0] == 0, 1]),
                median_angle_with=np.nanmedian(s[s[:, 0] > 0, 1])) for name, s in scan.items()]
lesson.table(summary, formats=dict(with_a_kink=".0%", max_angle_without=".4f", median_angle_with=".2f"))

# %%
# Lesson check: no kink, no difference (float32 round-off only); with a kink the update turns by degrees
trained_scan, untrained_scan = summary
assert all(row["max_angle_without"] < 0.05 for row in summary)
assert trained_scan["median_angle_with"] > 1
assert 0.15 < trained_scan["with_a_kink"] < 0.35 and untrained_scan["with_a_kink"] > 0.5  # a quarter; more than half

# %% [markdown]
# On the trained network about one validation sample in four has a kink, and where there is none the two updates
# agree to float32 round-off (the largest angle is a few hundredths of a degree). The untrained network's output
# errors are larger, and so are its nudges: more than half of its samples have a kink.

# %% [markdown]
# ### Interactive demo 1: one sample at a time
#
# Pick a validation sample and a network. The figure is the last frame of the animation for that sample (red
# triangles: kinks); above it, the number of kinked units and the angle of rule 2's update to backprop's. At the
# default settings it is the sample of Sections 1 and 2: one kinked layer-2 unit, and an update 0.3° from
# backprop's. Find a sample with no red triangle in layers 2 and 3: its angle is round-off.

# %% tags=["demo"]
def show_sample(i, network):
    kinked, angle = kinks_and_angle(networks[network], i)
    print(f"sample {i} (class {int(y[i])}): {kinked} kinked unit(s) in layers 2-3, angle to backprop {angle:.3g}°")
    display(animation.plot_nudge(tc.compartments_of(networks[network], X[i], int(y[i])), target=int(y[i])))


controls = dict(i=widgets.IntSlider(value=sample, min=0, max=len(y) - 1, description="sample", continuous_update=False),
                network=widgets.Dropdown(options=list(networks), description="network"))
widgets.VBox([widgets.HBox(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap")),
              widgets.interactive_output(show_sample, controls)])

# %%
# Lesson check: the demo's default (the sample of Section 1, trained network) is what the text says
default_kinks, default_angle = kinks_and_angle(net, sample)
assert default_kinks == 1 and 0.2 < default_angle < 0.4, (default_kinks, default_angle)

# %% [markdown]
# **Think!** Would kinks be more frequent with a larger learning rate? With a larger output nudge? (Hint: a kink
# needs $N < -z$.)

# %% tags=["instructor"]
# **Answer.** The learning rate does not enter: the nudges are computed before any weight changes, so a larger rate
# scales $\Delta W$ but not $N$, and neither the kinks nor the angle on a given sample (its effect is indirect, through
# the weights it leads to). A larger output nudge, i.e. a larger output error, makes $N < -z$ more likely: the
# untrained network, whose errors are large, has a kink on more than half of the samples, the trained one on about a
# quarter, mostly the misclassified ones. Fewer output classes would also mean a larger $2/K$.

# %% [markdown]
# ## Section 4: Over a whole epoch
#
# `train(..., record_every=k)` records, every $k$ steps, the angle between the rule's update and backprop's on that
# step's sample and weights, per layer and for all layers together (`dendritic.diagnostics.update_angles`), and the
# compartment states from which `diagnostics.kink_counts` counts the kinks. Ten seeds, one epoch each:

# %% tags=["instructor"]
# **Instructor** (about 8 min). Left: the poster's Fig. 5 panel for rule 2. Its curves are moving averages over 15
# recordings (median over seeds), so the rare kinked steps lift layer 1's curve, and the all-layers one, to a degree
# or two; W2 and W3 lie on zero. Right: every recorded step; every angle above 0.1° has a kink.

# %%
tc_run = dendritic.train(dendritic.Network(seed=SEEDS), tc, data, record_every=RECORD_EVERY)
records = tc_run.records
angles_all, kinked = records["angle/all"], diagnostics.kink_counts(records)  # [recorded steps, seeds] each
measured = np.isfinite(angles_all)  # no angle where an update is zero
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 3.8))
plots.plot_angles(left, tc_run)
left.legend(title="weights")
plots.plot_kinks(right, tc_run)
lesson.table([dict(median_angle=np.nanmedian(angles_all), mean_angle_per_seed=np.nanmean(angles_all, axis=0),
                   steps_with_a_kink=np.mean(kinked[measured] > 0),
                   max_angle_without=angles_all[measured & (kinked == 0)].max(),
                   max_angle_layers_2_3=max(np.nanmax(records["angle/layer2"]), np.nanmax(records["angle/layer3"])))],
             formats=dict(median_angle=".4f", mean_angle_per_seed=lambda v: " ".join(f"{a:.1f}" for a in v),
                          steps_with_a_kink=".0%", max_angle_without=".3f", max_angle_layers_2_3=".3f"))

# %%
# Lesson check: most updates are backprop's; without a kink every one is; layers 2 and 3 always are
assert np.nanmedian(angles_all) < 0.05 and np.nanmean(angles_all, axis=0).max() < 3
assert angles_all[measured & (kinked == 0)].max() < 0.1
assert 0.1 < np.mean(kinked[measured] > 0) < 0.4
assert max(np.nanmax(records["angle/layer2"]), np.nanmax(records["angle/layer3"])) < 0.1

# %% [markdown]
# The median angle is zero to round-off. About one recorded step in four has a kink; those steps make up every angle
# above round-off, and the mean angle per seed stays at a degree or two. Layers 2 and 3 get backprop's update on
# every step.

# %% [markdown]
# ## Section 5: Accuracy, seed by seed
#
# Same seeds, same initialisation, same order of samples. At the poster's learning rates (0.1616 for backprop,
# 0.1725 for temporal contrast) and at one shared rate (0.1616), temporal contrast is compared with backprop on
# validation accuracy, seed by seed. Hollow circles mark runs that lost an output unit (a ReLU output that is silent
# on every input gets no teaching signal ever again, and the network drops towards chance).

# %% tags=["instructor"]
# **Instructor** (about 8 min). The point is the *pairing*: at the same learning rate the two rules make the same
# update on three samples in four, so the seeds follow each other. Where a pair differs by much, look for a lost
# output unit in one of them; that is the dead-output lottery of notebook 02, not the learning rule.

# %%
bp_run = dendritic.train(dendritic.Network(seed=SEEDS), dendritic.rule("backprop"), data)
tc_same = dendritic.train(dendritic.Network(seed=SEEDS), dendritic.rule("temporal_contrast", lr=0.1616), data)
runs = {"backprop\n(lr 0.1616)": bp_run, "temporal contrast\n(lr 0.1616)": tc_same,
        "temporal contrast\n(poster, lr 0.1725)": tc_run}
fig, ax = plt.subplots(figsize=(8, 4))
plots.plot_seed_pairs(ax, runs)
same_lr, poster_lr = np.abs(tc_same.val_acc - bp_run.val_acc), np.abs(tc_run.val_acc - bp_run.val_acc)
lesson.table([dict(seed=s, backprop=bp_run.val_acc[i], tc_same_lr=tc_same.val_acc[i], tc_poster=tc_run.val_acc[i],
                   lost_outputs=f"{bp_run.dead_outputs[i]} / {tc_same.dead_outputs[i]} / {tc_run.dead_outputs[i]}")
              for i, s in enumerate(SEEDS)], formats=dict(backprop=".3f", tc_same_lr=".3f", tc_poster=".3f"))

# %%
# Lesson check: at the same learning rate, temporal contrast tracks backprop seed by seed (median within 3 points)
assert not (bp_run.diverged.any() or tc_same.diverged.any() or tc_run.diverged.any())
assert np.median(same_lr) < 0.03, np.median(same_lr)

# %% [markdown]
# At the same learning rate the median seed ends within about a point of backprop: the two rules make the same
# update on three samples in four and a slightly different one on the rest. Where a seed differs by much more, look
# at the last column: one rule lost an output unit and the other did not. A tiny difference early on can decide
# whether an output unit dies, and that decides the accuracy. At the poster's two different learning rates the
# lottery is drawn differently, so compare the rules as distributions over seeds (notebook 05), not seed by seed.
#
# **Think!** Temporal contrast needs no transport of errors backwards, but it still uses $W_{l+1}^T$: the top-down
# weights are the transpose of the forward weights. What would happen with fixed random top-down weights $B_l$
# (feedback alignment), and what would the dendrite then compute?

# %% tags=["instructor"]
# **Answer.** With random $B_l$ the dendrite computes $B_l (a_{l+1}^B - a_{l+1}^F)$, a random projection of the
# layer above's change rather than its gradient, and the kink argument no longer gives backprop's update. Learning
# still works partly, because the forward weights tend to come into line with $B$ (feedback alignment, Lillicrap et
# al. 2016); in notebook 06 the tuned feedback-alignment rule ends about 8 points below backprop, while learning $B$
# with the Kolen-Pollack rule brings it back within a point.

# %% [markdown]
# ## Summary
#
# - Rule 2's local error is a difference in time: $N_l = f'(z_l)(D_l^B - D_l^F)$, the change of the dendrite's top-down
#   input when the output is nudged, a few per cent of that input on a typical sample.
# - For ReLU networks that is backprop's nudge, except below a **ReLU kink**, a unit pushed below zero by its nudge
#   ($a^B - a^F = -z$ instead of $N$). The output cannot kink and layer 1's kinks are read by no one, so here only
#   layer 1's update ever differs.
# - The angle to backprop is 0 on about three samples in four and a degree or two on average; at the same learning
#   rate accuracy follows backprop seed by seed, up to the dead-output lottery.
#
# ## Next
#
# Rule 2 needs each dendrite to remember $D^F$ through the teaching phase. Notebook **04** removes that memory:
# dendrite-targeting interneurons learn to cancel the top-down input the network generates itself, so that what is
# left in the dendrite is the error.
