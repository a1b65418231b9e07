"""Write notebooks 00_overview, 01_soma_dendrite_neuron and 02_spiral_and_backprop (without outputs).

    .venv/bin/python notebooks/tools/build_00_02.py

The committed artifacts are the .ipynb files; this script is how they were made,
so an edit to a lesson is an edit here followed by a re-run.
"""

from nbformat.v4 import new_code_cell

from cells import code, md, write


def exercise(text):
    """A student exercise: raises NotImplementedError, which nbval expects (NBVAL_RAISES_EXCEPTION)."""
    text = text.strip("\n")
    assert text.startswith("# NBVAL_RAISES_EXCEPTION")
    cell = new_code_cell(text)
    cell.metadata["tags"] = ["exercise"]
    return cell


def solution(text):
    """The solution, right below its exercise, collapsed in JupyterLab."""
    cell = new_code_cell(text.strip("\n"))
    cell.metadata["jupyter"] = {"source_hidden": True}
    cell.metadata["tags"] = ["solution"]
    return cell


# --- 00_overview.ipynb -----------------------------------------------------
OVERVIEW = [
md(r"""
# 00 Overview: dendritic gating of plasticity

This course reproduces, and then extends, the research poster **"Biologically Plausible Deep Learning by
Dendritic Gating of Plasticity"** (Chennawar, Cheng, Voleti, Galloni, Milstein; Rutgers CABM).

**The question.** Backprop changes a weight by $\Delta W \propto \frac{\partial E}{\partial a_\text{post}} \, a_\text{pre}$.
The first factor is *non-local*: it depends on every weight and every error downstream, and a real neuron
cannot see it. The poster's hypothesis: a neuron split into a **soma** (driven bottom-up) and a **dendrite**
(driven top-down) can compute a *local* error as a difference of dendritic signals, and that local error can
gate plasticity at the neuron's own input synapses.

**What you will do.** Build the two-compartment neuron, train a 2-128-32-4 network on a 4-class spiral with
backprop and with the poster's two dendritic rules, measure how far each rule's updates are from
backprop's, and compare the rules over many seeds with proper statistics.
"""),
md(r"""
## How to run the course

From the repository root:

```bash
make lab     # creates .venv if needed, then opens JupyterLab on notebooks/
make test    # runs every test and executes every notebook in quick mode (DENDRITIC_QUICK=1)
```

Open the notebooks in order. Each one starts with its **Objectives** and a **Setup** cell; run the cells
top to bottom. Cells marked **Exercise** stop with `NotImplementedError` until you fill them in; the
solution is in the collapsed cell just below (click to expand), and the cell after it checks the result
against the library (*Run All* stops at the first exercise: run its solution cell, then
*Run Selected Cell and All Below*). **Interactive Demo** cells have sliders and buttons; **Think!** cells are questions
to discuss before reading on. Cells that start with `assert` check the fact the section teaches; if one fails,
something in the library or in your edit is wrong.

All the code lives in the small package `dendritic/`: the notebooks only *use* it, so after a notebook you
can open e.g. `dendritic/rules/temporal_contrast.py` and find the equation you just saw in a few lines.
Setting the environment variable `DENDRITIC_QUICK=1` makes every notebook run small (fewer seeds and
steps) through the same code; that is what the tests do.
"""),
md(r"""
## The course, in order

| notebook | topic | poster figure it makes |
|---|---|---|
| `00_overview` | this page | |
| `01_soma_dendrite_neuron` | one neuron: soma, dendrite, interneuron, nudge; why a difference of dendritic signals is a local error | **Fig. 1** the neuron |
| `02_spiral_and_backprop` | the spiral task, the 2-128-32-4 network, backprop as nudges, a playground | **Fig. 2** architecture and spiral |
| `03_temporal_contrast` | rule 2, dendritic temporal contrast: the dendrite compares its top-down input before and after the teaching nudge; update angles to backprop | **Fig. 5** update angles |
| `04_interneurons` | rule 3, dendritic interneurons: they learn to cancel the self-generated top-down input, so the dendritic state is the error | **Fig. 5** cancellation |
| `05_reproducing_the_comparison` | the three rules compared over seeds, with t-tests; where the committed numbers and the tuned configuration come from | **Fig. 3** per-rule summary, **Fig. 4** comparison, **Fig. 5** |
| `06_beyond_the_poster` | the poster's future directions: learned top-down weights (feedback alignment, Kolen-Pollack), Dale's law, nonlinear interneurons | |

`python -m dendritic figures` (or `make figures`) draws the same figures with the same plotting functions
(`dendritic.figures`) from the committed results in `data/`. The cell below lists the notebooks that are
actually in the folder, with their titles.
"""),
code(r"""
# Setup
import json
import platform

import matplotlib
import numpy
import torch
import ipywidgets

import dendritic
from dendritic.data import bayes_accuracy
from dendritic.paths import ROOT
"""),
code(r"""
notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
for path in notebooks:
    cells = json.loads(path.read_text())["cells"]
    title = next((line.lstrip("# ").strip() for cell in cells if cell["cell_type"] == "markdown"
                  for line in "".join(cell["source"]).splitlines() if line.startswith("# ")), "?")
    print(f"{path.name:38s} {title}")
assert {"00_overview.ipynb", "01_soma_dendrite_neuron.ipynb", "02_spiral_and_backprop.ipynb"} <= {p.name for p in notebooks}
"""),
md(r"""
## Glossary

- **soma**: the cell body. Driven *bottom-up* by the layer below: $z_l = W_l a_{l-1} + b_l$; its activity is
  $a_l = f(z_l)$ with $f = \text{ReLU}$. Only the soma's activity is sent up to the next layer.
- **dendrite**: the apical dendrite, a second compartment driven *top-down* by the layer above. Its state
  $D_l$ does not drive the neuron's output; it decides how the neuron's input synapses change.
- **top-down**: input from the layer above, $I_\text{TD} = W_{l+1}^\top a_{l+1}$ (on the poster the top-down
  weights are the transpose of the forward weights).
- **nudge**: the small push a teaching signal gives a neuron, $N_l$. At the output it is the error
  $N_L = \tfrac{2}{K} f'(z_L)\,(\text{target} - a_L)$; in a hidden layer it is computed by the dendrite and gated
  by the soma: $N_l = f'(z_l)\,\cdot$ (dendritic error). Plasticity is $\Delta W_l = \text{lr}\; N_l \otimes a_{l-1}$.
- **interneuron**: a dendrite-targeting inhibitory cell, driven by the layer's own activity, whose input
  $I_\text{Int}$ learns to cancel the part of the top-down input that the network generates itself, so that
  what is left in the dendrite, $D_l = I_\text{TD} - I_\text{Int}$, is the error.
- **forward / backward phase** (superscripts $F$, $B$): before and after the teaching nudge arrives.
- **local error**: an error a synapse can compute from signals at its own neuron (soma, dendrite) and its
  own input, without reading weights or errors elsewhere in the network.
- **Bayes ceiling**: the best accuracy any classifier can reach on the spiral, about 98.8 %, drawn on
  every accuracy plot.
"""),
md(r"""
## A quick check that everything is installed

The cell prints the versions, then checks three facts the course relies on: the three learning rules are
registered, the spiral has the poster's 5600 / 1200 / 1200 split, and the Bayes ceiling drawn on the
plots agrees with a fresh (small) Monte-Carlo estimate from the exact class likelihoods.
"""),
code(r"""
print(f"python {platform.python_version()} | dendritic {dendritic.__name__} from {ROOT}")
print(f"torch {torch.__version__} | numpy {numpy.__version__} | matplotlib {matplotlib.__version__} "
      f"| ipywidgets {ipywidgets.__version__}")
print("learning rules:", ", ".join(dendritic.RULES))

data = dendritic.spiral_data()
split = {name: len(getattr(data, name)[1]) for name in ("train", "val", "test")}
print("spiral split:", split)

net = dendritic.Network((2, 128, 32, 4), seed=0)
output = net(data.val[0][:5])
print("network:", net, "| output of 5 samples:", tuple(output.shape))

estimate = bayes_accuracy(points=4000, grid=300)
print(f"Bayes ceiling: dendritic.BAYES_ACCURACY = {dendritic.BAYES_ACCURACY}, fresh estimate {estimate:.3f}")
"""),
code(r"""
assert set(dendritic.RULES) == {"backprop", "temporal_contrast", "interneuron"}
assert split == {"train": 5600, "val": 1200, "test": 1200}
assert output.shape == (5, 4) and torch.isfinite(output).all() and (output >= 0).all()  # ReLU outputs
assert abs(estimate - dendritic.BAYES_ACCURACY) < 0.01, "the Bayes ceiling constant disagrees with the estimate"
"""),
md(r"""
Next: **01 The soma/dendrite neuron**.
"""),
]


# --- 01_soma_dendrite_neuron.ipynb -----------------------------------------
NEURON = [
md(r"""
# 01 The soma/dendrite neuron

**Objectives.** By the end of this notebook you can
1. name the two compartments of a hidden unit, what drives each, and which one the next layer sees;
2. compute a unit's dendritic state and its nudge from its inputs, and see that a silent soma gates plasticity off;
3. explain why a *difference of dendritic signals* (after minus before teaching, or top-down input minus the
   interneuron's prediction of it) is a *local* error, and why for ReLU networks it equals backprop's error signal;
4. read the compartments of a real network after one learning step (`net.compartments`).

This notebook draws **poster Fig. 1** (the neuron).
"""),
code(r"""
# Setup
%matplotlib inline
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
"""),
md(r"""
## Section 1: A neuron with two compartments

Backprop changes a weight by (error at the postsynaptic unit) x (presynaptic activity). The first factor,
$\partial E / \partial a_\text{post}$, depends on all the weights and errors *downstream* of the unit: it is
**non-local**. A real neuron has no access to it.

Pyramidal neurons in cortex are not points, though. Their **soma** receives bottom-up input near the cell body
and sends the output spikes; their distal **apical dendrite** receives top-down input from higher areas and can
change plasticity at the cell's synapses (dendritic plateau potentials) without driving the output much.
The poster's model gives every hidden unit these two compartments:

| compartment | driven by | equation |
|---|---|---|
| soma | bottom-up input from layer $l-1$ | $z_l = W_l a_{l-1} + b_l$, activity $a_l = f(z_l)$, $f$ = ReLU |
| dendrite | top-down input from layer $l+1$ | $I_\text{TD} = W_{l+1}^\top a_{l+1}$ |
| interneuron input (rule 3) | the layer's own activity | $I_\text{Int} = -R_l\, a_l$ |

Only the soma's activity $a_l$ goes up to the next layer; the dendrite only decides how the input synapses
$W_l$ change.
"""),
md(r"""
**Poster Fig. 1**: (A) a hidden unit with its soma, dendrite and dendrite-targeting interneuron; (B) the network,
every hidden unit such a neuron. Drawn by `dendritic.figures.fig1`, the same function `python -m dendritic figures` uses.
"""),
code(r"""
figures.fig1()
"""),
md(r"""
## Section 2: One neuron, three inputs

Take a single hidden unit. Its soma gets a bottom-up input $z$; its dendrite gets a top-down input
$I_\text{TD}^F$ in the **forward phase** (before any teaching) and $I_\text{TD}^B = I_\text{TD}^F + \Delta$ in the
**backward phase**, after the teaching nudge at the output has changed the layer above by a bit.
A dendrite-targeting interneuron adds $-I_\text{Int}$. The dendritic state in each phase is

$$D^F = I_\text{TD}^F - I_\text{Int}, \qquad D^B = I_\text{TD}^B - I_\text{Int}.$$

The two dendritic rules of the poster turn that into a **nudge** $N$, gated by the soma through $f'(z)$
(1 where $z > 0$, else 0):

- rule 2, *temporal contrast*: $N = f'(z)\,(D^B - D^F)$, the dendrite compares *after* with *before*;
- rule 3, *interneurons*: $N = f'(z)\,D^B$, the interneuron has already subtracted the "before" part.

The synapses then change by $\Delta W = \text{lr}\; N \otimes a_\text{pre}$, $\Delta b = \text{lr}\; N$.
"""),
md(r"""
### Interactive Demo 1: soma, dendrite and nudge of one unit

Move the sliders. `bottom_up` is the soma's input $z$; `top_down` is $I_\text{TD}^F$; `teaching` is $\Delta$,
the change of top-down input the teaching signal causes; `interneuron` is $I_\text{Int}$.
(The values come from `dendritic.widgets.single_neuron`, which uses the library's `relu_derivative` for $f'$.)
"""),
code(r"""
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
"""),
md(r"""
### Think! 1

1. Set `bottom_up` below zero. What happens to both nudges, whatever the dendrite does? What does that mean
   for the synapses of a silent neuron?
2. Set `interneuron` equal to `top_down`. What is $D^F$ now, and how do the two rules' nudges compare?
3. Does the interneuron input change the temporal-contrast nudge at all? Why not?
"""),
code(r"""
# A silent soma gates plasticity off: no nudge under either rule, whatever the dendrite says.
silent = single_neuron(bottom_up=-0.4, top_down=0.9, teaching=0.5, interneuron=-0.3)
assert silent["activity"] == 0 and silent["nudge_contrast"] == 0 and silent["nudge_interneuron"] == 0

# When the interneuron predicts the top-down input exactly (I_Int = I_TD^F), D^F = 0 and the two rules agree.
cancelled = single_neuron(bottom_up=0.8, top_down=0.6, teaching=0.3, interneuron=0.6)
assert cancelled["dendrite_forward"] == 0
assert np.isclose(cancelled["nudge_interneuron"], cancelled["nudge_contrast"])

# The temporal contrast ignores the interneuron: it cancels in D^B - D^F.
assert single_neuron(0.8, 0.6, 0.3, 0.0)["nudge_contrast"] == single_neuron(0.8, 0.6, 0.3, 1.2)["nudge_contrast"]
"""),
md(r"""
## Section 3: The compartments of a real network

Now the poster network, 2 -> 128 -> 32 -> 4, with ReLU on every layer. One online learning step with a rule,
`rule.step(net, x, target)`, updates the weights and leaves the states it used in `net.compartments`:
one dict per layer (hidden layer 1, hidden layer 2, output), each value a tensor over the layer's units.

| key | meaning |
|---|---|
| `soma` | $z_l$ (forward phase) |
| `activity` | $a_l^F = f(z_l)$ |
| `dendrite_forward`, `dendrite_backward` | $D_l^F$, $D_l^B$ |
| `top_down_forward`, `top_down_backward`, `interneuron` | $I_\text{TD}^F$, $I_\text{TD}^B$, $I_\text{Int}$ (rule 3) |
| `nudge` | $N_l$ |
| `activity_backward` | $a_l^B = f(z_l + N_l)$, what the layer below sees in the backward phase |
"""),
code(r"""
data = dendritic.spiral_data()
X_train, y_train = data.train
x, target = X_train[0], int(y_train[0])

net = dendritic.Network((2, 128, 32, 4), seed=0)
fresh = copy.deepcopy(net)  # an untouched copy, for Section 4
rule = dendritic.rule("temporal_contrast")
rule.step(net, x, target)

for l, layer in enumerate(net.compartments, start=1):
    print(f"layer {l}:", ", ".join(f"{k} {tuple(v.shape)}" for k, v in layer.items()))
"""),
md(r"""
### Exercise 1: the nudge

Write the hidden-layer nudge of temporal contrast, $N = f'(z)\,(D^B - D^F)$, from a layer's soma and its two
dendritic states. All three arguments are tensors of shape `[n_l]`. For ReLU, $f'(z) = 1$ where $z > 0$ and 0
elsewhere.
"""),
exercise(r"""
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
"""),
solution(r"""
# to_remove solution
def hidden_nudge(soma, dendrite_forward, dendrite_backward):
    '''N = f'(z) * (D^B - D^F); every argument and the result are tensors [n_l].'''
    gate = (soma > 0).float()  # f'(z) of ReLU: the soma gates plasticity
    return gate * (dendrite_backward - dendrite_forward)


layer = net.compartments[1]  # hidden layer 2
print(hidden_nudge(layer["soma"], layer["dendrite_forward"], layer["dendrite_backward"]))
"""),
code(r"""
# Check: your nudge against the library's, on both hidden layers of the real network after rule.step.
for l, layer in enumerate(net.compartments[:-1], start=1):
    mine = hidden_nudge(layer["soma"], layer["dendrite_forward"], layer["dendrite_backward"])
    assert torch.allclose(mine, layer["nudge"], atol=1e-7), f"hidden layer {l}: your nudge differs from the library's"

    # ...and the gate: a unit whose soma is silent gets no nudge, whatever its dendrite says
    silent = layer["soma"] <= 0
    assert silent.any() and (layer["dendrite_backward"] - layer["dendrite_forward"])[silent].abs().sum() > 0
    assert (layer["nudge"][silent] == 0).all()
    print(f"hidden layer {l}: nudge matches; {int(silent.sum())} of {len(silent)} units silent, all with zero nudge")
"""),
md(r"""
## Section 4: Why a difference of dendritic signals is an error

**The output.** For the MSE loss (mean over the $K$ outputs), the output nudge is exactly minus the gradient of
the loss with respect to the soma: $N_L = \tfrac{2}{K} f'(z_L)(\text{target} - a_L) = -\partial \text{Loss}/\partial z_L$.
In the backward phase the output units take the activity $a_L^B = f(z_L + N_L)$.

**One layer down.** The dendrite of a unit in layer $L-1$ sees $D^F = W_L^\top a_L^F$ before and
$D^B = W_L^\top a_L^B$ after the nudge, so

$$D^B - D^F = W_L^\top (a_L^B - a_L^F).$$

ReLU is linear on its active side: if an output unit is active and stays active, $a^B - a^F = (z + N) - z = N$;
if it is silent its nudge is 0 and nothing changes. So $a_L^B - a_L^F = N_L$ and

$$N_{L-1} = f'(z_{L-1})\,(D^B - D^F) = f'(z_{L-1})\,W_L^\top N_L,$$

which is **exactly backprop's error** $-\partial \text{Loss}/\partial z_{L-1}$, by induction for every layer. Yet each
unit computed it from two signals *in its own dendrite* at two moments: it is local. The only exception:
a nudge so negative that it pushes an active unit below zero ($z + N < 0$, a "kink"); then the layer below
sees $-z$ instead of $N$.

**The interneuron version.** If the interneuron input equals the forward top-down input,
$I_\text{Int} = I_\text{TD}^F$, then $D^F = 0$ and $D^B = I_\text{TD}^B - I_\text{TD}^F$: the same difference, but held
in a single moment, with no memory of "before" needed. In general
rule 3 = rule 2 + $f'(z)\,D^F$: whatever the interneurons fail to cancel is exactly how far rule 3 departs from
backprop (notebook 04).

Let us check both claims on the real network: each rule takes one step on its own copy of the same network,
with the same sample (`dendritic.widgets.layer_states`).
"""),
code(r"""
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
"""),
code(r"""
assert exact > 0 and np.median(angles) < 2 and angles.max() < 10  # temporal contrast ~ backprop
"""),
md(r"""
Kinks are common in an untrained network (many units sit just above zero), but each one changes only the
nudge of the layer below it a little: the whole update stays within a few degrees of backprop's.
Notebook 03 follows this angle over training.
"""),
code(r"""
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
"""),
md(r"""
### Interactive Demo 2: the nudges of a real network, unit by unit

Pick a validation sample and a hidden layer; the bars show the nudge each rule gives the units (the 24 units with
the largest backprop error). Backprop and temporal contrast should sit on top of each other; the interneuron
rule, with interneurons that have not learned anything yet, does not.
"""),
code(r"""
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
"""),
md(r"""
### Think! 2

1. Temporal contrast needs the dendrite to hold $D^F$ until $D^B$ arrives. What could store it in a real
   neuron, and for how long?
2. The gate $f'(z)$ needs to know only whether the soma is active. Is that local? What about $a_\text{pre}$?
3. Look for a sample where backprop and temporal contrast differ. Which units differ, and is the difference in
   the layer with the kink or the layer below it?
"""),
md(r"""
## Summary

- A hidden unit has a **soma** (bottom-up, $z = W a_\text{pre} + b$, sends $f(z)$ up) and a **dendrite**
  (top-down, $W^\top a_\text{above}$, plus an interneuron input).
- The **nudge** is the dendritic error gated by the soma, $N = f'(z) \cdot$ error; a silent soma learns nothing.
- The *difference* of the dendrite's top-down input after and before teaching equals $W^\top N_\text{above}$:
  for ReLU networks the nudge is then exactly backprop's error, computed locally (except at kinks).
- Interneurons that predict the top-down input turn that difference into a single dendritic state; what they
  fail to cancel, $f'(z) D^F$, is the departure from backprop.

Next: **02 The spiral and backprop**.
"""),
]


# --- 02_spiral_and_backprop.ipynb ------------------------------------------
SPIRAL = [
md(r"""
# 02 The spiral and backprop

**Objectives.** By the end of this notebook you can
1. generate the poster's 4-class spiral, name its split, and say why no classifier beats about 98.8 % on it;
2. describe the 2-128-32-4 ReLU network and its MSE loss;
3. write backprop as *nudges*: the MSE output nudge and the hidden-layer error, checked against the library
   and against torch autograd;
4. train the network online with backprop and read its decision map, learning curve and Bayes ceiling,
   including the seeds that lose an output unit;
5. explore learning rate, network shape, epochs, seed and noise in a small playground.

This notebook draws **poster Fig. 2** (architecture and spiral). Backprop is the benchmark the dendritic rules
are compared with in notebooks 03 to 05.
"""),
code(r"""
# Setup
%matplotlib inline
import os
import time

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display
from ipywidgets import interactive

import dendritic
from dendritic import figures
from dendritic.rules.base import output_nudge
from dendritic.widgets import Playground

QUICK = os.environ.get("DENDRITIC_QUICK") == "1"  # CI mode: fewer seeds, coarser maps
RESOLUTION = 80 if QUICK else 200                  # decision-map pixels per side
# Online training multiplies tiny matrices one sample at a time: one thread is fastest
# (several threads wait on each other, badly so on a busy machine). Same numbers either way.
torch.set_num_threads(1)
"""),
md(r"""
## Section 1: The spiral

Four interleaved arms, one per class $k = 0..K-1$. For $t$ running from 0 to 1 in $N$ steps,

$$x_1 = t\,\big(\sin(\tfrac{2\pi}{K}(2t + k)) + \sigma n_1\big), \qquad
  x_2 = t\,\big(\cos(\tfrac{2\pi}{K}(2t + k)) + \sigma n_2\big), \qquad n_1, n_2 \sim \mathcal{N}(0, 1).$$

The poster uses $K = 4$, $N = 2000$ points per class, $\sigma = 0.16$, shuffled once with a fixed data seed and
split 70 / 15 / 15 into **train** (5600), **validation** (1200, what the poster compares) and **test** (1200, held
out). The noise grows with $t$ but so does the radius; near the centre the arms overlap, so even the best
possible classifier, which knows the generator, gets about **98.8 %** right: the **Bayes ceiling**.
"""),
code(r"""
data = dendritic.spiral_data()  # classes=4, per_class=2000, noise=0.16, seed=0
for split in ("train", "val", "test"):
    X, y = getattr(data, split)
    print(f"{split:5s} X {tuple(X.shape)} {X.dtype}, y {tuple(y.shape)} {y.dtype}, per class {torch.bincount(y).tolist()}")
print(f"Bayes ceiling: {dendritic.BAYES_ACCURACY}")
"""),
code(r"""
# The data API the rest of the course relies on
assert [len(getattr(data, s)[1]) for s in ("train", "val", "test")] == [5600, 1200, 1200]
assert all(getattr(data, s)[0].shape == (len(getattr(data, s)[1]), 2) for s in ("train", "val", "test"))
assert data.train[0].dtype == torch.float32 and data.train[1].dtype == torch.int64
all_y = torch.cat([data.train[1], data.val[1], data.test[1]])
assert torch.bincount(all_y).tolist() == [2000] * 4           # every point in exactly one split
again = dendritic.spiral_data()
assert torch.equal(again.train[0], data.train[0]) and torch.equal(again.val[1], data.val[1])  # same seed, same data
"""),
md(r"""
### Interactive Demo 1: make your own spiral

Change the noise, the number of classes, the points per class and the data seed. The plot uses
`dendritic.figures.plot_spiral`, the function that draws the poster figure.
"""),
code(r"""
def show_spiral(noise=0.16, classes=4, per_class=500, seed=0):
    spiral = dendritic.spiral_data(classes=classes, per_class=per_class, noise=noise, seed=seed)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    figures.plot_spiral(ax, spiral)
    ax.set_title(f"{classes} classes x {per_class} points, noise {noise:.2f}, seed {seed}")
    plt.show()


style = dict(continuous_update=False)
demo = interactive(show_spiral,
                   noise=widgets.FloatSlider(value=0.16, min=0.0, max=0.5, step=0.01, **style),
                   classes=widgets.IntSlider(value=4, min=2, max=8, **style),
                   per_class=widgets.IntSlider(value=500, min=50, max=2000, step=50, **style),
                   seed=widgets.IntSlider(value=0, min=0, max=20, **style))
display(demo)
"""),
md(r"""
### Think! 1

1. Where in the plane do the classes overlap? Why there?
2. With `noise = 0`, could a classifier be perfect? Which points would still be ambiguous?
3. The Bayes ceiling 98.8 % is for $\sigma = 0.16$. Would it go up or down with more noise?
"""),
md(r"""
## Section 2: The network

Two inputs, two hidden layers of 128 and 32 units, four outputs; ReLU on **every** layer, including the output;
biases on; PyTorch's default `nn.Linear` initialisation. Layer by layer,

$$z_l = W_l\,a_{l-1} + b_l, \qquad a_l = f(z_l) = \max(0, z_l), \qquad a_0 = x.$$

The loss is the mean squared error between the output activity and the one-hot target,
$\text{Loss} = \frac{1}{K}\sum_k (a_{L,k} - \text{target}_k)^2$, and training is **online**: one sample per step,
5600 steps = one epoch. **Poster Fig. 2**:
"""),
code(r"""
net = dendritic.Network((2, 128, 32, 4), seed=0)
print(net, "|", sum(p.numel() for p in net.parameters()), "trainable parameters")

fig, (ax_net, ax_data) = plt.subplots(1, 2, figsize=(12, 5))
figures.plot_architecture(ax_net, net.sizes)
figures.plot_spiral(ax_data, data)
plt.show()
"""),
md(r"""
## Section 3: Backprop as nudges

Backprop's update of layer $l$ is $\Delta W_l = \text{lr}\; N_l \otimes a_{l-1}$, $\Delta b_l = \text{lr}\; N_l$,
with the error ("nudge") $N_l = -\partial \text{Loss}/\partial z_l$:

$$N_L = \tfrac{2}{K}\, f'(z_L)\,(\text{target} - a_L), \qquad N_l = f'(z_l)\,\big(W_{l+1}^\top N_{l+1}\big).$$

The second line is what a biological neuron cannot do: unit $i$ of layer $l$ would need the weights
$W_{l+1}$ *leaving* it and the errors of the layer above. (In notebook 01 you saw the dendrite compute the
same quantity from its own top-down input.) An output unit with $z_L \le 0$ gets $f'(z_L) = 0$: no teaching
signal at all. Keep that in mind for Section 4.
"""),
md(r"""
### Exercise 1: the MSE output nudge

Write $N_L = \frac{2}{K} f'(z_L)\,(\text{target} - a_L)$ from the output activity $a_L = f(z_L)$ (shape `[K]`) and the
one-hot target (shape `[K]`). Hint: for ReLU, $f'(z) = 1$ exactly where $a > 0$.
"""),
exercise(r"""
# NBVAL_RAISES_EXCEPTION
def my_output_nudge(activity, target):
    '''N_L = (2/K) f'(z_L) * (target - a_L); activity and target [K] -> [K].'''
    #################################################################
    ## TODO for students: the derivative of the mean squared error, gated by f'
    raise NotImplementedError("Student exercise: write the MSE output nudge N_L = (2/K) f'(z_L) (target - a_L)")
    #################################################################
    K = ...
    return ...


print(my_output_nudge(torch.tensor([0.3, 0.0, 0.8, 0.1]), torch.tensor([0.0, 0.0, 1.0, 0.0])))
"""),
solution(r"""
# to_remove solution
def my_output_nudge(activity, target):
    '''N_L = (2/K) f'(z_L) * (target - a_L); activity and target [K] -> [K].'''
    K = activity.shape[-1]
    gate = (activity > 0).float()  # f'(z) of ReLU
    return 2 / K * gate * (target - activity)


print(my_output_nudge(torch.tensor([0.3, 0.0, 0.8, 0.1]), torch.tensor([0.0, 0.0, 1.0, 0.0])))
"""),
code(r"""
# Check against the library and against torch autograd: N_L = -dLoss/dz_L.
X_val, y_val = data.val
somas, activities = net.somas_and_activities(X_val[:50])
targets = torch.nn.functional.one_hot(y_val[:50], 4).float()
for z, t in zip(somas[-1], targets):
    mine = my_output_nudge(torch.relu(z), t)
    assert torch.allclose(mine, output_nudge(torch.relu(z), t)), "differs from dendritic.rules.base.output_nudge"
    z = z.clone().requires_grad_()
    loss = ((torch.relu(z) - t) ** 2).mean()
    loss.backward()
    assert torch.allclose(mine, -z.grad, atol=1e-7), "differs from -dLoss/dz_L by autograd"
print("output nudge matches the library and autograd on 50 validation samples")
"""),
md(r"""
### Exercise 2: the hidden-layer error

Write backprop's nudges for every layer of a network, from the output down:
$N_l = f'(z_l)\,(W_{l+1}^\top N_{l+1})$. Use `net.somas_and_activities(x)` for the forward pass and
`net.weights` for $W_1..W_L$ (each `[n_out, n_in]`). Return a list of tensors `[n_l]`, layer 1 first.
"""),
exercise(r"""
# NBVAL_RAISES_EXCEPTION
def my_backprop_nudges(net, x, target):
    '''Nudges N_1..N_L of backprop for one sample x [2] and one-hot target [K].'''
    somas, activities = net.somas_and_activities(x)       # lists over layers of [1, n_l]
    activities = [a[0] for a in activities]
    nudges = [my_output_nudge(activities[-1], target)]
    for l in range(net.layers - 2, -1, -1):                # hidden layers, top down (0-based)
        #################################################################
        ## TODO for students: N_l = f'(z_l) * (W_{l+1}^T N_{l+1})
        raise NotImplementedError("Student exercise: write the backprop hidden-layer error")
        #################################################################
        nudges.insert(0, ...)
    return nudges


X_val, y_val = data.val
print([tuple(N.shape) for N in my_backprop_nudges(net, X_val[0], torch.eye(4)[y_val[0]])])
"""),
solution(r"""
# to_remove solution
def my_backprop_nudges(net, x, target):
    '''Nudges N_1..N_L of backprop for one sample x [2] and one-hot target [K].'''
    somas, activities = net.somas_and_activities(x)       # lists over layers of [1, n_l]
    activities = [a[0] for a in activities]
    nudges = [my_output_nudge(activities[-1], target)]
    for l in range(net.layers - 2, -1, -1):                # hidden layers, top down (0-based)
        gate = (activities[l] > 0).float()
        nudges.insert(0, gate * (net.weights[l + 1].detach().T @ nudges[0]))
    return nudges


X_val, y_val = data.val
print([tuple(N.shape) for N in my_backprop_nudges(net, X_val[0], torch.eye(4)[y_val[0]])])
"""),
code(r"""
# Check: lr * N_l (x) a_{l-1} against rule("backprop").delta and against -lr * dLoss/dW_l by autograd.
backprop = dendritic.rule("backprop")
for i in range(20):
    x, label = X_val[i], int(y_val[i])
    target = torch.nn.functional.one_hot(torch.tensor(label), 4).float()
    nudges = my_backprop_nudges(net, x, target)
    pre = [x] + [a[0] for a in net.somas_and_activities(x)[1][:-1]]
    delta = backprop.delta(net, x, label)
    net.zero_grad()
    ((net(x[None])[0] - target) ** 2).mean().backward()
    for l, (N, a) in enumerate(zip(nudges, pre), start=1):
        mine = backprop.lr * torch.outer(N, a)
        assert torch.allclose(mine, delta[f"W{l}"], atol=1e-7), f"layer {l}: differs from rule('backprop').delta"
        assert torch.allclose(mine, -backprop.lr * getattr(net, f"W{l}").grad, atol=1e-6), f"layer {l}: differs from autograd"
net.zero_grad()
print("backprop nudges match rule('backprop').delta and torch autograd on 20 samples, all layers")
"""),
md(r"""
## Section 4: Training with backprop

One epoch, online, at the poster's learning rate (0.1616). `dendritic.train` evaluates the validation accuracy
every 200 steps for the learning curve. The timing below is the wall time of one training run: it is what you
wait for after each click of *Train* in the playground of Section 5.
"""),
code(r"""
SEED = 3  # a seed whose output units all survive (see 4.2 for the others)
net = dendritic.Network((2, 128, 32, 4), seed=SEED)
start = time.perf_counter()
result = dendritic.train(net, dendritic.rule("backprop"), data)
seconds = time.perf_counter() - start
print(f"one epoch of backprop ({result.steps} online steps) in {seconds:.2f} s")
print(f"validation accuracy {result.val_acc[0]:.4f}, test accuracy {result.test_acc[0]:.4f}, "
      f"dead output units {result.dead_outputs[0]}, Bayes ceiling {dendritic.BAYES_ACCURACY}")

fig, (ax_map, ax_curve) = plt.subplots(1, 2, figsize=(12, 5))
figures.plot_decision_map(ax_map, net, data, split="test", resolution=RESOLUTION)
ax_map.set_title(f"seed {SEED}: decision map and test points (test accuracy {result.test_acc[0]:.3f})")
figures.plot_learning_curve(ax_curve, result, label=f"backprop, seed {SEED}")
ax_curve.legend(loc="lower right")
plt.show()
"""),
code(r"""
# Backprop learns the spiral: far above chance (25 %), below the Bayes ceiling.
assert 0.85 < result.val_acc[0] < dendritic.BAYES_ACCURACY
assert result.curve_val_acc[-1, 0] > result.curve_val_acc[0, 0] + 0.5   # it learned during this epoch
assert not result.diverged[0] and result.dead_outputs[0] == 0
"""),
md(r"""
**Poster Fig. 2** shows the task and what a network learns. Here with backprop only (notebook 05 adds the two
dendritic rules): the spiral, the decision map on the test points, and the mean activity of every unit for each
class (units sorted by the class they prefer; silent units last).
"""),
code(r"""
figures.fig2(data, {"backprop": net}, activity_rule="backprop")
"""),
md(r"""
### 4.2 Many seeds, and output units that die

A seed fixes the initial weights and the order of the samples. Train an **ensemble** of seeds at once
(`Network(seed=[0, 1, ...])` trains all members in one vectorised loop; each member is exactly the network
you would get with that seed alone). With ReLU outputs, an output unit whose $z_L \le 0$ on every input gets no
teaching signal ever again: it is **dead**, and its class is (almost) never predicted. In the decision map,
grey marks the inputs where no output unit is active at all. At the poster's learning
rate this happens to a good fraction of seeds; the poster's accuracies include them.
"""),
code(r"""
seeds = list(range(5 if QUICK else 10))
ensemble = dendritic.Network((2, 128, 32, 4), seed=seeds)
start = time.perf_counter()
many = dendritic.train(ensemble, dendritic.rule("backprop"), data)
print(f"{len(seeds)} seeds in {time.perf_counter() - start:.2f} s")
for s, acc, dead in zip(seeds, many.val_acc, many.dead_outputs):
    print(f"seed {s}: validation accuracy {acc:.3f}, dead output units {dead}")

worst = int(np.nanargmin(many.val_acc))
fig, (ax_curve, ax_map) = plt.subplots(1, 2, figsize=(12, 5))
figures.plot_learning_curve(ax_curve, many)
ax_curve.legend(loc="lower right")
figures.plot_decision_map(ax_map, ensemble, data, split="val", member=worst, resolution=RESOLUTION)
ax_map.set_title(f"seed {seeds[worst]}: {many.dead_outputs[worst]} dead output unit(s)")
plt.show()
"""),
code(r"""
dead = many.dead_outputs > 0
assert (many.val_acc[~dead] > 0.85).all()                  # every seed that keeps its outputs learns the spiral
assert dead.any(), "expected at least one seed with a dead output unit at the poster's learning rate"
assert many.val_acc[dead].max() < many.val_acc[~dead].min()  # a dead output unit costs accuracy
# the quick run is the same training: member 3 of the ensemble is the network of Section 4
assert np.isclose(many.val_acc[seeds.index(SEED)], result.val_acc[0])
"""),
md(r"""
### Think! 2

1. Why can a dead output unit never recover under backprop? Would a different output nonlinearity help?
2. The best seeds reach about 96 %, the ceiling is 98.8 %. What would you change first: epochs, learning rate, or
   network size? Try it below.
"""),
md(r"""
## Section 5: The playground

### Interactive Demo 2: a small TensorFlow Playground

**Train** trains the current network for *epochs* more epochs with the chosen rule and learning rate (one epoch =
5600 online steps); **Reset** starts from a fresh network. Changing the hidden sizes, the seed, the noise or the rule
resets at once; the learning rate and epochs apply to the next *Train*. The left panel is the decision map with the
test points, the right one the validation accuracy with the Bayes ceiling; the thumbnails below show what single
units of the last hidden layer compute over the plane (untick *unit thumbnails* to hide them); the readout says how
long the last *Train* took. (The ceiling line is for noise 0.16; the rules `temporal_contrast` and `interneuron` are the subject of
notebooks 03 and 04.)
"""),
code(r"""
playground = Playground(resolution=60 if QUICK else 100, thumbnails=True)
display(playground)
playground.train();  # one click of Train, so the page shows a trained network
"""),
md(r"""
The playground is a thin shell over the library: its first *Train* after a reset is exactly
`dendritic.train(Network(sizes, seed), rule, data, epochs)`. And it has to be quick enough to play with: we change
a slider, click *Train*, and time it.
"""),
code(r"""
direct = dendritic.train(dendritic.Network(playground.sizes, seed=playground.seed.value),
                         playground.make_rule(), playground.data)
assert playground.history().val_acc[0] == direct.val_acc[0]

playground.hidden2.value = 16            # a slider change: resets to a fresh 2-128-16-4 network
start = time.perf_counter()
playground.train_button.click()          # what a click on Train does
total = time.perf_counter() - start
print(f"retrain after a slider change: training {playground.seconds:.2f} s, training + drawing {total:.2f} s")
print(playground.summary())
assert playground.sizes == (2, 128, 16, 4) and playground.history().steps == 5600
assert total < 5, "the playground is far too slow to play with (target: about 1 s per Train)"
playground.hidden2.value = 32            # back to the poster network...
if not QUICK:
    playground.train();                  # ...trained, for the page
"""),
md(r"""
### Think! 3

1. Set the learning rate to 0.5 and train. Then 0.01. What goes wrong in each case? Look at the readout.
2. Set *hidden 1* to 4 and *hidden 2* to 0 (one hidden layer). How many straight edges can the decision boundary
   have, and why?
3. Train the same network for several epochs. Does validation accuracy approach the ceiling? Does it ever cross it?
"""),
md(r"""
## Summary

- The spiral: 4 classes, 8000 points, split 5600 / 1200 / 1200; the Bayes ceiling is about 98.8 %.
- The network: 2-128-32-4, ReLU everywhere, trained online on the MSE loss.
- Backprop's nudges: $N_L = \frac{2}{K} f'(z_L)(\text{target} - a_L)$ and $N_l = f'(z_l)\,W_{l+1}^\top N_{l+1}$; the second one
  is non-local.
- One epoch takes well under a second and reaches about 90-96 % on good seeds; some seeds lose an output unit and
  end far lower. The dendritic rules of notebooks 03 and 04 are measured against this benchmark.

Next: **03**, where the dendrite computes the hidden-layer error itself.
"""),
]


if __name__ == "__main__":
    write("00_overview.ipynb", OVERVIEW)
    write("01_soma_dendrite_neuron.ipynb", NEURON)
    write("02_spiral_and_backprop.ipynb", SPIRAL)
