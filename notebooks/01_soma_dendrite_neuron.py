# %% [markdown]
# # 01 · The soma/dendrite neuron
#
# **Objectives**: by the end of this notebook you can
# 1. name the two compartments of a hidden unit, what drives each, and which one the next layer sees;
# 2. compute a unit's dendritic state and its nudge from its inputs, and see that a silent soma gates plasticity off;
# 3. write the hidden-layer nudge of temporal contrast, $N = f'(z)\,(D^B - D^F)$, and check it against the library;
# 4. explain why a *difference of dendritic signals* (after minus before teaching, or top-down input minus the
#    interneuron's prediction of it) is a *local* error, and why for ReLU networks it equals backprop's error signal.
#
# **Estimated time**: about 45 min.
#
# This notebook draws **poster Fig. 1** (the neuron and the network).

# %% jupyter={"source_hidden": true} tags=["setup"]
# Setup
# %matplotlib inline
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display

import dendritic
from dendritic import figures, lesson, style
from dendritic.diagnostics import relu_kinks, update_angles
from dendritic.widgets import plot_single_neuron, plot_unit_nudges, single_neuron

# %% [markdown]
# ## Section 1: A neuron with two compartments
#
# Backprop changes a weight by (error at the postsynaptic unit) × (presynaptic activity). The first factor,
# $\partial E / \partial a_\text{post}$, depends on all the weights and errors *downstream* of the unit: it is
# **non-local**. A real neuron has no access to it.
#
# Pyramidal neurons in cortex are not points, though. Their **soma** receives bottom-up input near the cell body
# and sends the output spikes; their distal **apical dendrite** receives top-down input from higher areas and can
# change plasticity at the cell's synapses (dendritic plateau potentials) without driving the output much.
# The poster's model gives every hidden unit these two compartments:
#
# | compartment | driven by | equation |
# |---|---|---|
# | soma | bottom-up input from layer $l-1$ | $z_l = W_l a_{l-1} + b_l$, activity $a_l = f(z_l)$, $f$ = ReLU |
# | dendrite | top-down input from layer $l+1$ | $I_\text{TD} = W_{l+1}^\top a_{l+1}$ |
# | interneuron input (rule 3) | the layer's own activity | $I_\text{Int} = -R_l\, a_l$ |
#
# Only the soma's activity $a_l$ goes up to the next layer; the dendrite only decides how the input synapses
# $W_l$ change.

# %% [markdown] tags=["instructor"]
# **Section 1, about 5 min.** Stress the division of labour: the soma computes (and is all the next layer sees),
# the dendrite teaches (it changes the synapses, not the output). The question of the whole course is whether the
# dendrite can hold an error that backprop would compute non-locally. Point at Fig. 1A while naming the three
# inputs: bottom-up to the soma, top-down to the dendrite, the interneuron onto the dendrite.

# %% [markdown]
# **Poster Fig. 1**: (A) a hidden unit with its soma, dendrite and dendrite-targeting interneuron; (B) the network,
# every hidden unit such a neuron. Drawn by `dendritic.figures.fig1`, the same function `python -m dendritic figures` uses.

# %%
figures.fig1()

# %% [markdown]
# ## Section 2: One neuron, three inputs
#
# Take a single hidden unit. Its soma gets a bottom-up input $z$; its dendrite gets a top-down input
# $I_\text{TD}^F$ in the **forward phase** (before any teaching) and $I_\text{TD}^B = I_\text{TD}^F + \Delta$ in the
# **backward phase**, after the teaching nudge at the output has changed the layer above by a bit.
# A dendrite-targeting interneuron subtracts $I_\text{Int}$. The dendritic state in each phase is
#
# $$D^F = I_\text{TD}^F - I_\text{Int}, \qquad D^B = I_\text{TD}^B - I_\text{Int}.$$
#
# The two dendritic rules of the poster turn that into a **nudge** $N$, gated by the soma through $f'(z)$
# (1 where $z > 0$, else 0):
#
# - rule 2, *temporal contrast*: $N = f'(z)\,(D^B - D^F)$, the dendrite compares *after* with *before*;
# - rule 3, *interneurons*: $N = f'(z)\,D^B$, the interneuron has already subtracted the "before" part.
#
# The synapses then change by $\Delta W = \text{lr}\; N \otimes a_\text{pre}$, $\Delta b = \text{lr}\; N$.

# %% [markdown] tags=["instructor"]
# **Section 2, about 10 min.** Let the students drive the sliders before reading the Think! questions. The two
# facts to leave with: the soma gates (a silent unit learns nothing, whatever its dendrite says), and rule 3's nudge
# is rule 2's plus whatever the interneuron leaves uncancelled, $D^F$. The bars use a fixed scale of ±11, so
# that nothing jumps or is cut off anywhere in the sliders' range (the largest dendritic state they reach is
# 3 + 3 + 3 = 9).

# %% [markdown]
# ### Interactive demo 1: soma, dendrite and nudge of one unit
#
# Move the sliders (the plot redraws when you release one): `bottom-up z` is the soma's input, `top-down` is
# $I_\text{TD}^F$, `teaching Δ` the change of top-down input the teaching signal causes, `interneuron` is
# $I_\text{Int}$. The values come from `dendritic.widgets.single_neuron`.
#
# At the default settings ($z = 0.8$, $I_\text{TD}^F = 0.6$, $\Delta = 0.3$, $I_\text{Int} = 0.4$) the soma is active,
# so the temporal-contrast nudge is the teaching signal itself, **+0.30**, while the interneuron rule's nudge is
# **+0.50**: the interneuron cancels only 0.4 of the 0.6 top-down input, and the uncancelled $D^F = +0.20$ is
# added to the nudge.

# %% tags=["demo"]
LIMIT = 11  # the bars' fixed scale: the sliders reach ±3, so a dendritic state reaches ±9 (and its label more)


def show_neuron(bottom_up=0.8, top_down=0.6, teaching=0.3, interneuron=0.4):
    state = single_neuron(bottom_up, top_down, teaching, interneuron)
    fig = style.figure(10, 3.8, layout=None)  # outside pyplot, shown once: redraws stay whole
    plot_single_neuron(fig.subplots(), state, limit=LIMIT)
    display(fig)
    return state


slider = dict(min=-3, max=3, step=0.05, continuous_update=False, style={"description_width": "100px"})
neuron_demo = widgets.interactive(
    show_neuron,
    bottom_up=widgets.FloatSlider(value=0.8, description="bottom-up z", **slider),
    top_down=widgets.FloatSlider(value=0.6, description="top-down", **slider),
    teaching=widgets.FloatSlider(value=0.3, description="teaching Δ", **slider),
    interneuron=widgets.FloatSlider(value=0.4, description="interneuron", **slider))
display(neuron_demo)

# %%
# The demo at its defaults shows what the text above says.
state = neuron_demo.result
assert state["gate"] == 1 and np.isclose(state["dendrite_forward"], 0.20)
assert np.isclose(state["nudge_contrast"], 0.30) and np.isclose(state["nudge_interneuron"], 0.50)
# ...and no bar can leave the fixed scale: the largest state the sliders reach, with room for its label
extreme = single_neuron(bottom_up=3, top_down=3, teaching=3, interneuron=-3)
assert 1.2 * max(abs(v) for v in extreme.values()) <= LIMIT

# %% [markdown]
# **Think!**
#
# 1. Set `bottom-up z` below zero. What happens to both nudges, whatever the dendrite does? What does that mean
#    for the synapses of a silent neuron?
# 2. Set `interneuron` equal to `top-down`. What is $D^F$ now, and how do the two rules' nudges compare?
# 3. Does the interneuron input change the temporal-contrast nudge at all? Why not?

# %% [markdown] tags=["instructor"]
# **Answers.** (1) With $z \le 0$ the gate $f'(z)$ is 0, so both nudges are 0 whatever the dendrite holds: the
# bars of $D^F$ and $D^B$ still move, the two nudge bars stay at 0. A silent neuron's input synapses do not change
# at all (the cell below checks it with $z = -0.4$). (2) $D^F = 0$, and rule 3's nudge $f'(z) D^B$ becomes
# $f'(z)\Delta$, exactly rule 2's: a perfect interneuron makes the two rules the same. (3) No: $I_\text{Int}$ is
# subtracted in both phases and cancels in $D^B - D^F$; temporal contrast never needs the interneuron, but it
# needs a memory of $D^F$ until $D^B$ arrives.

# %%
# A silent soma gates plasticity off: no nudge under either rule, whatever the dendrite says.
silent = single_neuron(bottom_up=-0.4, top_down=0.9, teaching=0.5, interneuron=-0.3)
assert silent["activity"] == 0 and silent["nudge_contrast"] == 0 and silent["nudge_interneuron"] == 0

# When the interneuron predicts the top-down input exactly (I_Int = I_TD^F), D^F = 0 and the two rules agree.
cancelled = single_neuron(bottom_up=0.8, top_down=0.6, teaching=0.3, interneuron=0.6)
assert cancelled["dendrite_forward"] == 0 and np.isclose(cancelled["nudge_interneuron"], cancelled["nudge_contrast"])

# The temporal contrast ignores the interneuron: it cancels in D^B - D^F.
assert single_neuron(0.8, 0.6, 0.3, 0.0)["nudge_contrast"] == single_neuron(0.8, 0.6, 0.3, 1.2)["nudge_contrast"]

# %% [markdown]
# ## Section 3: The compartments of a real network
#
# Now the poster network, 2 → 128 → 32 → 4, with ReLU on every layer. One online learning step with a rule,
# `rule.step(net, x, target)`, updates the weights and leaves the states it used in `net.compartments`:
# one dict per layer (hidden layer 1, hidden layer 2, output), each value a tensor over the layer's units.
#
# | key | meaning |
# |---|---|
# | `soma` | $z_l$ (forward phase) |
# | `activity` | $a_l^F = f(z_l)$ |
# | `dendrite_forward`, `dendrite_backward` | $D_l^F$, $D_l^B$ |
# | `top_down_forward`, `top_down_backward`, `interneuron` | $I_\text{TD}^F$, $I_\text{TD}^B$, $I_\text{Int}$ (rule 3) |
# | `nudge` | $N_l$ |
# | `activity_backward` | $a_l^B = f(z_l + N_l)$, what the layer below sees in the backward phase |
#
# The table below lists what temporal contrast leaves there after one step, and each tensor's shape.

# %% [markdown] tags=["instructor"]
# **Section 3, about 10 min.** The point is that nothing is hidden: every quantity of the equations is a tensor
# the students can plot, and the library's rule files (`dendritic/rules/temporal_contrast.py`) write the same
# equations line by line. Give the exercise 5 minutes; students who finish early can open that file and find
# their line in it. Run All works with the exercise unsolved: the check cell then says it uses the library's nudge.

# %%
data = dendritic.spiral_data()
X_train, y_train = data.train
X_val, y_val = data.val
x, target = X_train[0], int(y_train[0])

fresh = dendritic.Network((2, 128, 32, 4), seed=0)  # stays untrained, for Section 4
net = dendritic.Network((2, 128, 32, 4), seed=0)
rule = dendritic.rule("temporal_contrast")
rule.step(net, x, target)
lesson.table([dict(layer=l, **{key: tuple(value.shape) for key, value in layer.items()})
              for l, layer in enumerate(net.compartments, start=1)])

# %% [markdown]
# ### Exercise 1: the hidden-layer nudge
#
# Write the hidden-layer nudge of temporal contrast, $N = f'(z)\,(D^B - D^F)$, from a layer's soma and its two
# dendritic states. All three arguments are tensors of shape `[n_l]`. For ReLU, $f'(z) = 1$ where $z > 0$ and 0
# elsewhere. The check cell below compares your function with the library's on both hidden layers of the network
# above; the rest of the notebook uses yours once it agrees.

# %% tags=["exercise"]
def my_hidden_nudge(soma, dendrite_forward, dendrite_backward):
    """N = f'(z) * (D^B - D^F); every argument and the result are tensors [n_l]."""
    #################################################################
    ## TODO for students: gate the dendritic difference with f'(z), then remove the raise
    raise NotImplementedError("Exercise 1: write the nudge N = f'(z) * (D^B - D^F)")
    #################################################################
    gate = ...
    return ...


# %% tags=["solution"]
def my_hidden_nudge(soma, dendrite_forward, dendrite_backward):
    """N = f'(z) * (D^B - D^F); every argument and the result are tensors [n_l]."""
    gate = (soma > 0).float()  # f'(z) of ReLU: the soma gates plasticity
    return gate * (dendrite_backward - dendrite_forward)


# %%
hidden_layers = net.compartments[:-1]
my_hidden_nudge = lesson.exercise("Exercise 1", my_hidden_nudge, lesson.temporal_contrast_nudge,
                                  *[(c["soma"], c["dendrite_forward"], c["dendrite_backward"]) for c in hidden_layers])

# %%
# The nudge is the one the compiled rule used, and a silent soma gets none, whatever its dendrite says.
for layer in hidden_layers:
    nudge = my_hidden_nudge(layer["soma"], layer["dendrite_forward"], layer["dendrite_backward"])
    assert torch.allclose(nudge, layer["nudge"], atol=1e-7)
    silent = layer["soma"] <= 0
    assert silent.any() and (layer["dendrite_backward"] - layer["dendrite_forward"])[silent].abs().sum() > 0
    assert (nudge[silent] == 0).all()

# %% [markdown]
# ## Section 4: Why a difference of dendritic signals is backprop's error
#
# **The output.** For the MSE loss (mean over the $K$ outputs), the output nudge is exactly minus the gradient of
# the loss with respect to the soma: $N_L = \tfrac{2}{K} f'(z_L)(\text{target} - a_L) = -\partial \text{Loss}/\partial z_L$.
# In the backward phase the output units take the activity $a_L^B = f(z_L + N_L)$.
#
# **One layer down.** The dendrite of a unit in layer $L-1$ sees $D^F = W_L^\top a_L^F$ before and
# $D^B = W_L^\top a_L^B$ after the nudge, so
#
# $$D^B - D^F = W_L^\top (a_L^B - a_L^F).$$
#
# ReLU is linear on its active side: if an output unit is active and stays active, $a^B - a^F = (z + N) - z = N$;
# if it is silent its nudge is 0 and nothing changes. So $a_L^B - a_L^F = N_L$ and
#
# $$N_{L-1} = f'(z_{L-1})\,(D^B - D^F) = f'(z_{L-1})\,W_L^\top N_L,$$
#
# which is **exactly backprop's error** $-\partial \text{Loss}/\partial z_{L-1}$, and by induction in every layer. Yet
# each unit computed it from two signals *in its own dendrite* at two moments: it is local. The only exception:
# a nudge so negative that it pushes an active unit below zero ($z + N < 0$, a **kink**); then the layer below
# sees $-z$ instead of $N$.
#
# **The interneuron version.** If the interneuron input equals the forward top-down input,
# $I_\text{Int} = I_\text{TD}^F$, then $D^F = 0$ and $D^B = I_\text{TD}^B - I_\text{TD}^F$: the same difference, but held
# in a single moment, with no memory of "before" needed. In general
# rule 3 = rule 2 + $f'(z)\,D^F$: whatever the interneurons fail to cancel is exactly how far rule 3 departs from
# rule 2, and so from backprop (notebook 04).
#
# Let us check the claims on the untrained network, over 200 validation samples: your nudge of temporal contrast's
# dendritic states against backprop's nudge (`lesson.backprop_nudges`, the compiled backprop rule), the kinks
# (`dendritic.diagnostics.relu_kinks`) and the angle between the two rules' whole updates.

# %% [markdown] tags=["instructor"]
# **Section 4, about 15 min.** Derive $D^B - D^F = W^\top N$ on the board before running the cells; it is the
# central argument of the poster. Then let the numbers speak: on samples without a kink the two nudges agree to
# float rounding, and even with kinks the whole update stays within a few degrees of backprop's (median under 1°).
# Finish with rule 3 = rule 2 + $f'(z) D^F$: untrained interneurons leave a large $D^F$, which is why notebook 04
# is about teaching them to cancel.

# %%
rows = []
for x_i, y_i in zip(X_val[:200], y_val[:200]):
    contrast = rule.compartments_of(fresh, x_i, int(y_i))
    backprop = lesson.backprop_nudges(fresh, x_i, int(y_i))
    local = [my_hidden_nudge(c["soma"], c["dendrite_forward"], c["dendrite_backward"]) for c in contrast[:-1]]
    rows.append(dict(
        kinks=sum(int(relu_kinks(c["activity"], c["nudge"]).sum()) for c in contrast[1:]),  # layers 2..L
        same=all(torch.allclose(n, b, atol=1e-6) for n, b in zip(local, backprop)),
        angle=float(update_angles(rule, fresh, x_i, int(y_i))["all"][0])))
kinks, same, angles = (np.array([row[k] for row in rows]) for k in ("kinks", "same", "angle"))
lesson.table([{"samples": len(rows), "without a kink": int((kinks == 0).sum()), "with a kink": int((kinks > 0).sum()),
               "identical to backprop": int(same.sum()), "median angle (deg)": np.median(angles),
               "largest angle (deg)": angles.max()}], formats={"median angle (deg)": ".2f", "largest angle (deg)": ".2f"})

# %% [markdown]
# Of the 200 samples, 73 have no kink, and on every one of them the local nudges are identical to backprop's in
# every layer. The other 127 have a kink somewhere in layers 2 and 3 (an untrained network has many units just
# above zero), yet each kink changes only the nudge of the layer below it a little: the median angle between the
# two updates is 0.9°, the largest 2.9°. Notebook 03 follows this angle over training.

# %%
assert (same == (kinks == 0)).all()         # identical to backprop exactly where no unit is pushed below zero
assert (kinks == 0).sum() == 73 and 0.85 <= np.median(angles) < 0.95 and 2.85 <= angles.max() < 2.95

# Rule 3 = rule 2 + f'(z) D^F, on the top hidden layer (without the clamps, so the equation is exact).
interneurons = dendritic.rule("interneuron", clamp=False).compartments_of(fresh, x, target)[-2]
contrast = rule.compartments_of(fresh, x, target)[-2]
uncancelled = (interneurons["soma"] > 0).float() * interneurons["dendrite_forward"]
assert torch.allclose(interneurons["nudge"], contrast["nudge"] + uncancelled, atol=1e-6)
assert uncancelled.norm() > contrast["nudge"].norm()   # untrained interneurons leave more than the error itself

# %% [markdown]
# ### Interactive demo 2: the nudges of a real network, unit by unit
#
# Pick a validation sample and a hidden layer; the bars show the nudge each rule gives the 24 units with the largest
# backprop error. Tick the box to add the interneuron rule, whose interneurons have not learned anything yet.
#
# At the defaults (validation sample 0, hidden layer 2) backprop's and temporal contrast's bars coincide: the
# largest difference between the two nudges is below $10^{-6}$ (float rounding), against a largest nudge of about
# 0.09. Switch to hidden layer 1 and they differ slightly, by up to 0.008: on this sample a unit of hidden layer 2
# is pushed below zero by its own nudge.

# %% tags=["demo"]
def show_nudges(sample=0, layer=2, interneuron=False):
    names = ("backprop", "temporal_contrast") + (("interneuron",) if interneuron else ())
    series = {name: dendritic.rule(name).compartments_of(fresh, X_val[sample], int(y_val[sample]))[layer - 1]["nudge"]
              for name in names}
    units = np.argsort(-series["backprop"].abs().numpy())[:24]
    fig = style.figure(10, 3.5, layout=None)
    plot_unit_nudges(fig.subplots(), series, units=units,
                     title=f"hidden layer {layer}, validation sample {sample} (class {int(y_val[sample])})")
    display(fig)
    return series


look = dict(style={"description_width": "100px"})
nudges_demo = widgets.interactive(
    show_nudges,
    sample=widgets.IntSlider(value=0, min=0, max=len(y_val) - 1, description="sample", continuous_update=False, **look),
    layer=widgets.Dropdown(options=[1, 2], value=2, description="hidden layer", **look),
    interneuron=widgets.Checkbox(value=False, description="add the interneuron rule"))
display(nudges_demo)

# %%
# The demo at its defaults: layer 2 of sample 0 identical, layer 1 not, because of a kink in layer 2.
series = nudges_demo.result
assert (series["backprop"] - series["temporal_contrast"]).abs().max() < 1e-6
assert 0.08 < series["backprop"].abs().max() < 0.10
sample0 = rule.compartments_of(fresh, X_val[0], int(y_val[0]))
assert relu_kinks(sample0[1]["activity"], sample0[1]["nudge"]).any()
assert 0.005 < (lesson.backprop_nudges(fresh, X_val[0], int(y_val[0]))[0] - sample0[0]["nudge"]).abs().max() < 0.01

# %% [markdown]
# **Think!**
#
# 1. Temporal contrast needs the dendrite to hold $D^F$ until $D^B$ arrives. What could store it in a real
#    neuron, and for how long?
# 2. The gate $f'(z)$ needs to know only whether the soma is active. Is that local? What about $a_\text{pre}$?
# 3. Look for a sample where backprop and temporal contrast differ. Which units differ, and is the difference in
#    the layer with the kink or in the layer below it?

# %% [markdown] tags=["instructor"]
# **Discussion.** (1) Anything slow enough to outlast the delay between the forward pass and the teaching signal:
# a dendritic plateau potential, calcium in the dendrite, a synaptic eligibility trace; tens to hundreds of
# milliseconds. Rule 3 avoids the memory altogether, at the price of interneurons that must learn. (2) Yes: the
# soma's own activity reaches its synapses (back-propagating action potentials), and $a_\text{pre}$ is the activity
# arriving at the synapse itself. Neither needs weights or errors of other cells. (3) Sample 0, the demo's default:
# hidden layer 2 agrees to $10^{-8}$, hidden layer 1 differs by up to 0.008, because a unit of layer 2 has a kink
# (checked in the cell above). The difference is always in the layer *below* the kink: a kinked unit's own nudge is
# still backprop's; what changes is the $a^B - a^F$ it passes down.

# %% [markdown]
# ## Summary
#
# - A hidden unit has a **soma** (bottom-up, $z = W a_\text{pre} + b$, sends $f(z)$ up) and a **dendrite**
#   (top-down, $W^\top a_\text{above}$, minus an interneuron input).
# - The **nudge** is the dendritic error gated by the soma, $N = f'(z) \cdot$ error; a silent soma learns nothing.
# - The *difference* of the dendrite's top-down input after and before teaching equals $W^\top N_\text{above}$:
#   for ReLU networks the nudge is then exactly backprop's error, computed locally, except below a kink.
# - Interneurons that predict the top-down input turn that difference into a single dendritic state; what they
#   fail to cancel, $f'(z) D^F$, is rule 3's departure from rule 2.
#
# ## Next
#
# **02 · The spiral and backprop**: the task, the network, and backprop's nudges, the benchmark every dendritic rule
# is measured against.
