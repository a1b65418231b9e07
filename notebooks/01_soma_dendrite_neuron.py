# %% [markdown]
# # 01 The soma/dendrite neuron
#
# **Objectives.** By the end of this notebook you can
# 1. name the two compartments of a hidden unit, what drives each, and which one the next layer sees;
# 2. compute a unit's dendritic state and its nudge from its inputs, and see that a silent soma gates plasticity off;
# 3. explain why a *difference of dendritic signals* (after minus before teaching, or top-down input minus the
#    interneuron's prediction of it) is a *local* error, and why for ReLU networks it equals backprop's error signal;
# 4. read the compartments of a real network after one learning step (`net.compartments`).
#
# This notebook draws **poster Fig. 1** (the neuron).

# %%
# Setup
# %matplotlib inline
import copy
import os

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display
from ipywidgets import interactive

import dendritic
from dendritic import figures
from dendritic.diagnostics import update_angles
from dendritic.widgets import layer_states, plot_single_neuron, plot_unit_nudges, single_neuron

QUICK = os.environ.get("DENDRITIC_QUICK") == "1"  # CI mode: fewer samples

# %% [markdown]
# ## Section 1: A neuron with two compartments
#
# Backprop changes a weight by (error at the postsynaptic unit) x (presynaptic activity). The first factor,
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
# A dendrite-targeting interneuron adds $-I_\text{Int}$. The dendritic state in each phase is
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

# %% [markdown]
# ### Interactive Demo 1: soma, dendrite and nudge of one unit
#
# Move the sliders. `bottom_up` is the soma's input $z$; `top_down` is $I_\text{TD}^F$; `teaching` is $\Delta$,
# the change of top-down input the teaching signal causes; `interneuron` is $I_\text{Int}$.
# (The values come from `dendritic.widgets.single_neuron`, which uses the library's `relu_derivative` for $f'$.)

# %%
def show_neuron(bottom_up=0.8, top_down=0.6, teaching=0.3, interneuron=0.4):
    state = single_neuron(bottom_up, top_down, teaching, interneuron)
    fig, ax = plt.subplots(figsize=(11, 3.8))
    plot_single_neuron(ax, state)
    plt.show()


slider = dict(min=-1.5, max=1.5, step=0.05)  # drawing is cheap, so the plot follows the drag
demo = interactive(show_neuron,
                   bottom_up=widgets.FloatSlider(value=0.8, description="bottom_up", **slider),
                   top_down=widgets.FloatSlider(value=0.6, description="top_down", **slider),
                   teaching=widgets.FloatSlider(value=0.3, description="teaching", **slider),
                   interneuron=widgets.FloatSlider(value=0.4, description="interneuron", **slider))
display(demo)

# %% [markdown]
# ### Think! 1
#
# 1. Set `bottom_up` below zero. What happens to both nudges, whatever the dendrite does? What does that mean
#    for the synapses of a silent neuron?
# 2. Set `interneuron` equal to `top_down`. What is $D^F$ now, and how do the two rules' nudges compare?
# 3. Does the interneuron input change the temporal-contrast nudge at all? Why not?

# %%
# A silent soma gates plasticity off: no nudge under either rule, whatever the dendrite says.
silent = single_neuron(bottom_up=-0.4, top_down=0.9, teaching=0.5, interneuron=-0.3)
assert silent["activity"] == 0 and silent["nudge_contrast"] == 0 and silent["nudge_interneuron"] == 0

# When the interneuron predicts the top-down input exactly (I_Int = I_TD^F), D^F = 0 and the two rules agree.
cancelled = single_neuron(bottom_up=0.8, top_down=0.6, teaching=0.3, interneuron=0.6)
assert cancelled["dendrite_forward"] == 0
assert np.isclose(cancelled["nudge_interneuron"], cancelled["nudge_contrast"])

# The temporal contrast ignores the interneuron: it cancels in D^B - D^F.
assert single_neuron(0.8, 0.6, 0.3, 0.0)["nudge_contrast"] == single_neuron(0.8, 0.6, 0.3, 1.2)["nudge_contrast"]

# %% [markdown]
# ## Section 3: The compartments of a real network
#
# Now the poster network, 2 -> 128 -> 32 -> 4, with ReLU on every layer. One online learning step with a rule,
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

# %%
data = dendritic.spiral_data()
X_train, y_train = data.train
x, target = X_train[0], int(y_train[0])

net = dendritic.Network((2, 128, 32, 4), seed=0)
fresh = copy.deepcopy(net)  # an untouched copy, for Section 4
rule = dendritic.rule("temporal_contrast")
rule.step(net, x, target)

for l, layer in enumerate(net.compartments, start=1):
    print(f"layer {l}:", ", ".join(f"{k} {tuple(v.shape)}" for k, v in layer.items()))


# %% [markdown]
# ### Exercise 1: the nudge
#
# Write the hidden-layer nudge of temporal contrast, $N = f'(z)\,(D^B - D^F)$, from a layer's soma and its two
# dendritic states. All three arguments are tensors of shape `[n_l]`. For ReLU, $f'(z) = 1$ where $z > 0$ and 0
# elsewhere.

# %% tags=["exercise"]
# NBVAL_RAISES_EXCEPTION
def hidden_nudge(soma, dendrite_forward, dendrite_backward):
    '''N = f'(z) * (D^B - D^F); every argument and the result are tensors [n_l].'''
    #################################################################
    ## TODO for students: gate the dendritic difference with f'(z)
    raise NotImplementedError("Student exercise: write the nudge N = f'(z) * (D^B - D^F)")
    #################################################################
    gate = ...
    return ...


layer = net.compartments[1]  # hidden layer 2
print(hidden_nudge(layer["soma"], layer["dendrite_forward"], layer["dendrite_backward"]))


# %% jupyter={"source_hidden": true} tags=["solution"]
# to_remove solution
def hidden_nudge(soma, dendrite_forward, dendrite_backward):
    '''N = f'(z) * (D^B - D^F); every argument and the result are tensors [n_l].'''
    gate = (soma > 0).float()  # f'(z) of ReLU: the soma gates plasticity
    return gate * (dendrite_backward - dendrite_forward)


layer = net.compartments[1]  # hidden layer 2
print(hidden_nudge(layer["soma"], layer["dendrite_forward"], layer["dendrite_backward"]))

# %%
# Check: your nudge against the library's, on both hidden layers of the real network after rule.step.
for l, layer in enumerate(net.compartments[:-1], start=1):
    mine = hidden_nudge(layer["soma"], layer["dendrite_forward"], layer["dendrite_backward"])
    assert torch.allclose(mine, layer["nudge"], atol=1e-7), f"hidden layer {l}: your nudge differs from the library's"

    # ...and the gate: a unit whose soma is silent gets no nudge, whatever its dendrite says
    silent = layer["soma"] <= 0
    assert silent.any() and (layer["dendrite_backward"] - layer["dendrite_forward"])[silent].abs().sum() > 0
    assert (layer["nudge"][silent] == 0).all()
    print(f"hidden layer {l}: nudge matches; {int(silent.sum())} of {len(silent)} units silent, all with zero nudge")

# %% [markdown]
# ## Section 4: Why a difference of dendritic signals is an error
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
# which is **exactly backprop's error** $-\partial \text{Loss}/\partial z_{L-1}$, by induction for every layer. Yet each
# unit computed it from two signals *in its own dendrite* at two moments: it is local. The only exception:
# a nudge so negative that it pushes an active unit below zero ($z + N < 0$, a "kink"); then the layer below
# sees $-z$ instead of $N$.
#
# **The interneuron version.** If the interneuron input equals the forward top-down input,
# $I_\text{Int} = I_\text{TD}^F$, then $D^F = 0$ and $D^B = I_\text{TD}^B - I_\text{TD}^F$: the same difference, but held
# in a single moment, with no memory of "before" needed. In general
# rule 3 = rule 2 + $f'(z)\,D^F$: whatever the interneurons fail to cancel is exactly how far rule 3 departs from
# backprop (notebook 04).
#
# Let us check both claims on the real network: each rule takes one step on its own copy of the same network,
# with the same sample (`dendritic.widgets.layer_states`).

# %%
samples = 40 if QUICK else 200
X_val, y_val = data.val
exact, kinked, angles = 0, 0, []
for i in range(samples):
    states = layer_states(fresh, X_val[i], int(y_val[i]), rules=("backprop", "temporal_contrast"))
    bp, tc = states["backprop"], states["temporal_contrast"]
    # a kink: an active unit of layer 2..L pushed below zero by its own nudge
    kinks = sum(int(((s["activity"] > 0) & (s["activity"] + s["nudge"] < 0)).sum()) for s in tc[1:])
    same = all(torch.allclose(a["nudge"], b["nudge"], atol=1e-6) for a, b in zip(bp, tc))
    if kinks == 0:
        assert same, f"sample {i}: no kink, yet temporal contrast differs from backprop"
        exact += 1
    else:
        kinked += 1
    # the angle between the two rules' updates of all weights and biases (dendritic.diagnostics)
    x_i = X_val[i].reshape(1, 1, 2)
    t_i = torch.nn.functional.one_hot(y_val[i], 4).float().reshape(1, 1, 4)
    angles.append(float(update_angles(dendritic.rule("temporal_contrast"), *fresh.stacked(), x_i, t_i)["all"][0]))
angles = np.array(angles)
print(f"{samples} validation samples, untrained network:")
print(f"  {exact} without a kink: nudges identical to backprop's in every layer")
print(f"  {kinked} with a kink somewhere in layers 2..3")
print(f"  angle between the updates: median {np.median(angles):.2f} deg, max {angles.max():.2f} deg")

# %%
assert exact > 0 and np.median(angles) < 2 and angles.max() < 10  # temporal contrast ~ backprop

# %% [markdown]
# Kinks are common in an untrained network (many units sit just above zero), but each one changes only the
# nudge of the layer below it a little: the whole update stays within a few degrees of backprop's.
# Notebook 03 follows this angle over training.

# %%
# Rule 3 = rule 2 + f'(z) D^F, checked on the top hidden layer (no clamps, so the equations are exact).
states = layer_states(fresh, x, target, rules=("temporal_contrast",))
tc = states["temporal_contrast"][-2]
rule3 = copy.deepcopy(fresh)
dendritic.rule("interneuron", clamp=False).step(rule3, x, target)
ir = rule3.compartments[-2]
gate = (ir["soma"] > 0).float()
assert torch.allclose(ir["nudge"], tc["nudge"] + gate * ir["dendrite_forward"], atol=1e-6)
print(f"top hidden layer: |temporal-contrast nudge| = {tc['nudge'].norm():.3f}, "
      f"|f'(z) D^F| left over by untrained interneurons = {(gate * ir['dendrite_forward']).norm():.3f}")


# %% [markdown]
# ### Interactive Demo 2: the nudges of a real network, unit by unit
#
# Pick a validation sample and a hidden layer; the bars show the nudge each rule gives the units (the 24 units with
# the largest backprop error). Backprop and temporal contrast should sit on top of each other; the interneuron
# rule, with interneurons that have not learned anything yet, does not.

# %%
def show_nudges(sample=0, layer=2, interneuron=False):
    rules = ("backprop", "temporal_contrast") + (("interneuron",) if interneuron else ())
    states = layer_states(fresh, X_val[sample], int(y_val[sample]), rules=rules)
    series = {name: states[name][layer - 1]["nudge"] for name in rules}
    units = np.argsort(-series["backprop"].abs().numpy())[:24]
    fig, ax = plt.subplots(figsize=(11, 3.5))
    plot_unit_nudges(ax, series, units=units,
                     title=f"hidden layer {layer}, validation sample {sample} (class {int(y_val[sample])})")
    plt.show()


demo = interactive(show_nudges,
                   sample=widgets.IntSlider(value=0, min=0, max=len(y_val) - 1, continuous_update=False),
                   layer=widgets.Dropdown(options=[1, 2], value=2),
                   interneuron=widgets.Checkbox(value=False, description="show the interneuron rule"))
display(demo)

# %% [markdown]
# ### Think! 2
#
# 1. Temporal contrast needs the dendrite to hold $D^F$ until $D^B$ arrives. What could store it in a real
#    neuron, and for how long?
# 2. The gate $f'(z)$ needs to know only whether the soma is active. Is that local? What about $a_\text{pre}$?
# 3. Look for a sample where backprop and temporal contrast differ. Which units differ, and is the difference in
#    the layer with the kink or the layer below it?

# %% [markdown]
# ## Summary
#
# - A hidden unit has a **soma** (bottom-up, $z = W a_\text{pre} + b$, sends $f(z)$ up) and a **dendrite**
#   (top-down, $W^\top a_\text{above}$, plus an interneuron input).
# - The **nudge** is the dendritic error gated by the soma, $N = f'(z) \cdot$ error; a silent soma learns nothing.
# - The *difference* of the dendrite's top-down input after and before teaching equals $W^\top N_\text{above}$:
#   for ReLU networks the nudge is then exactly backprop's error, computed locally (except at kinks).
# - Interneurons that predict the top-down input turn that difference into a single dendritic state; what they
#   fail to cancel, $f'(z) D^F$, is the departure from backprop.
#
# Next: **02 The spiral and backprop**.
