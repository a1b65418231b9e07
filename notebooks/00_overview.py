# %% [markdown]
# # 00 Overview: dendritic gating of plasticity
#
# This course reproduces, and then extends, the research poster **"Biologically Plausible Deep Learning by
# Dendritic Gating of Plasticity"** (Chennawar, Cheng, Voleti, Galloni, Milstein; Rutgers CABM).
#
# **The question.** Backprop changes a weight by $\Delta W \propto \frac{\partial E}{\partial a_\text{post}} \, a_\text{pre}$.
# The first factor is *non-local*: it depends on every weight and every error downstream, and a real neuron
# cannot see it. The poster's hypothesis: a neuron split into a **soma** (driven bottom-up) and a **dendrite**
# (driven top-down) can compute a *local* error as a difference of dendritic signals, and that local error can
# gate plasticity at the neuron's own input synapses.
#
# **What you will do.** Build the two-compartment neuron, train a 2-128-32-4 network on a 4-class spiral with
# backprop and with the poster's two dendritic rules, measure how far each rule's updates are from
# backprop's, and compare the rules over many seeds with proper statistics.

# %% [markdown]
# ## How to run the course
#
# From the repository root:
#
# ```bash
# make lab     # creates .venv if needed, then opens JupyterLab on notebooks/
# make test    # runs every test and executes every notebook in quick mode (DENDRITIC_QUICK=1)
# ```
#
# Open the notebooks in order. Each one starts with its **Objectives** and a **Setup** cell; run the cells
# top to bottom. Cells marked **Exercise** stop with `NotImplementedError` until you fill them in; the
# solution is in the collapsed cell just below (click to expand), and the cell after it checks the result
# against the library (*Run All* stops at the first exercise: run its solution cell, then
# *Run Selected Cell and All Below*). **Interactive Demo** cells have sliders and buttons; **Think!** cells are questions
# to discuss before reading on. Cells that start with `assert` check the fact the section teaches; if one fails,
# something in the library or in your edit is wrong.
#
# All the code lives in the small package `dendritic/`: the notebooks only *use* it, so after a notebook you
# can open e.g. `dendritic/rules/temporal_contrast.py` and find the equation you just saw in a few lines.
# Setting the environment variable `DENDRITIC_QUICK=1` makes every notebook run small (fewer seeds and
# steps) through the same code; that is what the tests do.

# %% [markdown]
# ## The course, in order
#
# | notebook | topic | poster figure it makes |
# |---|---|---|
# | `00_overview` | this page | |
# | `01_soma_dendrite_neuron` | one neuron: soma, dendrite, interneuron, nudge; why a difference of dendritic signals is a local error | **Fig. 1** the neuron |
# | `02_spiral_and_backprop` | the spiral task, the 2-128-32-4 network, backprop as nudges, a playground | **Fig. 2** architecture and spiral |
# | `03_temporal_contrast` | rule 2, dendritic temporal contrast: the dendrite compares its top-down input before and after the teaching nudge; update angles to backprop | **Fig. 5** update angles |
# | `04_interneurons` | rule 3, dendritic interneurons: they learn to cancel the self-generated top-down input, so the dendritic state is the error | **Fig. 5** cancellation |
# | `05_reproducing_the_comparison` | the three rules compared over seeds, with t-tests; where the committed numbers and the tuned configuration come from | **Fig. 3** per-rule summary, **Fig. 4** comparison, **Fig. 5** |
# | `06_beyond_the_poster` | the poster's future directions: learned top-down weights (feedback alignment, Kolen-Pollack), Dale's law, nonlinear interneurons | |
#
# `python -m dendritic figures` (or `make figures`) draws the same figures with the same plotting functions
# (`dendritic.figures`) from the committed results in `data/`. The cell below lists the notebooks that are
# actually in the folder, with their titles.

# %%
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

# %%
notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
for path in notebooks:
    cells = json.loads(path.read_text())["cells"]
    title = next((line.lstrip("# ").strip() for cell in cells if cell["cell_type"] == "markdown"
                  for line in "".join(cell["source"]).splitlines() if line.startswith("# ")), "?")
    print(f"{path.name:38s} {title}")
assert {"00_overview.ipynb", "01_soma_dendrite_neuron.ipynb", "02_spiral_and_backprop.ipynb"} <= {p.name for p in notebooks}

# %% [markdown]
# ## Glossary
#
# - **soma**: the cell body. Driven *bottom-up* by the layer below: $z_l = W_l a_{l-1} + b_l$; its activity is
#   $a_l = f(z_l)$ with $f = \text{ReLU}$. Only the soma's activity is sent up to the next layer.
# - **dendrite**: the apical dendrite, a second compartment driven *top-down* by the layer above. Its state
#   $D_l$ does not drive the neuron's output; it decides how the neuron's input synapses change.
# - **top-down**: input from the layer above, $I_\text{TD} = W_{l+1}^\top a_{l+1}$ (on the poster the top-down
#   weights are the transpose of the forward weights).
# - **nudge**: the small push a teaching signal gives a neuron, $N_l$. At the output it is the error
#   $N_L = \tfrac{2}{K} f'(z_L)\,(\text{target} - a_L)$; in a hidden layer it is computed by the dendrite and gated
#   by the soma: $N_l = f'(z_l)\,\cdot$ (dendritic error). Plasticity is $\Delta W_l = \text{lr}\; N_l \otimes a_{l-1}$.
# - **interneuron**: a dendrite-targeting inhibitory cell, driven by the layer's own activity, whose input
#   $I_\text{Int}$ learns to cancel the part of the top-down input that the network generates itself, so that
#   what is left in the dendrite, $D_l = I_\text{TD} - I_\text{Int}$, is the error.
# - **forward / backward phase** (superscripts $F$, $B$): before and after the teaching nudge arrives.
# - **local error**: an error a synapse can compute from signals at its own neuron (soma, dendrite) and its
#   own input, without reading weights or errors elsewhere in the network.
# - **Bayes ceiling**: the best accuracy any classifier can reach on the spiral, about 98.8 %, drawn on
#   every accuracy plot.

# %% [markdown]
# ## A quick check that everything is installed
#
# The cell prints the versions, then checks three facts the course relies on: the three learning rules are
# registered, the spiral has the poster's 5600 / 1200 / 1200 split, and the Bayes ceiling drawn on the
# plots agrees with a fresh (small) Monte-Carlo estimate from the exact class likelihoods.

# %%
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

# %%
assert set(dendritic.RULES) == {"backprop", "temporal_contrast", "interneuron"}
assert split == {"train": 5600, "val": 1200, "test": 1200}
assert output.shape == (5, 4) and torch.isfinite(output).all() and (output >= 0).all()  # ReLU outputs
assert abs(estimate - dendritic.BAYES_ACCURACY) < 0.01, "the Bayes ceiling constant disagrees with the estimate"

# %% [markdown]
# Next: **01 The soma/dendrite neuron**.
