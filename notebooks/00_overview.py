# %% [markdown]
# # 00 · Overview: dendritic gating of plasticity
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
# **Objectives**: after the course you can
# - build the two-compartment neuron and say what drives its soma, its dendrite and its nudge;
# - train a 2-128-32-4 network on a 4-class spiral with backprop and with the poster's two dendritic rules
#   (temporal contrast and dendritic interneurons);
# - measure how far each rule's updates are from backprop's, and when the interneurons really cancel;
# - compare the rules over many seeds with proper statistics, and reproduce the poster's figures;
# - try the poster's future directions: learned top-down weights, Dale's law, nonlinear interneurons.
#
# **Estimated time**: about 10 min for this page; the whole course (seven notebooks) about 300 min. Each
# notebook states its own time.

# %% jupyter={"source_hidden": true} tags=["setup"]
# Setup
import dendritic
from dendritic import lesson
from dendritic.data import bayes_accuracy

POINTS = lesson.size(4000, 2000)  # samples of the Monte-Carlo estimate of the Bayes ceiling below

# %% [markdown]
# ## How to run the course
#
# From the repository root (each command creates `.venv` and installs the project into it the first time):
#
# ```bash
# make lab          # JupyterLab on notebooks/: open the notebooks in order
# make test         # every test, and every notebook executed in quick mode (DENDRITIC_QUICK=1)
# make student      # build/student/: the student edition (solutions and instructor notes removed)
# make instructor   # build/instructor/: the instructor edition (every cell)
# make book         # build/book/index.html: the course as a website (make book-quick runs it small)
# ```
#
# **Quick mode.** With the environment variable `DENDRITIC_QUICK=1` every notebook runs small (fewer seeds,
# coarser maps) through the same code; that is what `make test` does. At full size each notebook runs in
# under a minute and a half.
#
# **What is in a notebook.** Every notebook starts with its **Objectives**, an **Estimated time** and a hidden
# setup cell (imports; click to expand). Then numbered **Sections**, and in them:
# - **Exercises**: a function whose body raises `NotImplementedError` until you fill it in. *Run All* still
#   runs to the end: the cell after the exercise (a check) keeps using the library's version and says so in
#   one line until yours works and agrees with the library; from then on the notebook uses yours. The
#   solution is in the instructor edition.
# - **Interactive demos**: sliders and buttons; the plot redraws when you release a slider. The text beside
#   a demo describes what its default settings show, and a check cell holds it to that.
# - **Think!** questions to discuss before reading on (the instructor edition has an answer for each).
# - Cells with `assert`: they check the fact the section teaches. If one fails, something in the library or
#   in your edit is wrong.
#
# All the code lives in the small package `dendritic/`: the notebooks only *use* it, so after a notebook you
# can open, say, `dendritic/rules/temporal_contrast.py` and find the equation you just saw in a few lines.
# The model, its equations and what the data show are written up in `docs/science.md`; the `README.md` at
# the repository root has the command line, the results and how to tune and reproduce them.

# %% [markdown]
# ## The course, in order
#
# | notebook | topic | poster figure |
# |---|---|---|
# | `00_overview` | this page: how to run the course, the glossary | |
# | `01_soma_dendrite_neuron` | one neuron: soma, dendrite, interneuron input and nudge, with sliders; why a difference of dendritic signals is backprop's error; exercise: the hidden-layer nudge | Fig. 1 |
# | `02_spiral_and_backprop` | the spiral task, the 2-128-32-4 network, backprop as nudges checked against autograd, output units that die, a playground; exercises: the output nudge, backprop's nudges | Fig. 2 |
# | `03_temporal_contrast` | rule 2: the dendrite compares its top-down input before and after the teaching nudge; the nudge travelling down the layers; the angle to backprop | Fig. 5 |
# | `04_interneurons` | rule 3: interneurons learn to cancel the self-generated top-down input; when they do (the stability condition), and stable interneurons | Figs. 5, 8 |
# | `05_reproducing_the_comparison` | the three rules over ten seeds, with statistics; where the committed numbers and the tuned configuration come from | Figs. 3, 4 |
# | `06_beyond_the_poster` | weight transport, feedback alignment, learned top-down weights (Kolen-Pollack), Dale's law, nonlinear interneurons | Figs. 6, 7 |
#
# `make figures` (`python -m dendritic figures`) draws every figure with the same plotting functions
# (`dendritic.figures`) from the committed results in `data/`.

# %% [markdown]
# ## Glossary
#
# - **soma**: the cell body. Driven *bottom-up* by the layer below: $z_l = W_l a_{l-1} + b_l$; its activity is
#   $a_l = f(z_l)$ with $f = \text{ReLU}$. Only the soma's activity is sent up to the next layer.
# - **dendrite**: the apical dendrite, a second compartment driven *top-down* by the layer above. Its state
#   $D_l$ does not drive the neuron's output; it decides how the neuron's input synapses change.
# - **top-down**: input from the layer above, $I_\text{TD} = B_l\, a_{l+1}$. On the poster the top-down weights
#   are the transpose of the forward weights, $B_l = W_{l+1}^\top$ (notebook 06 learns them instead).
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
# ## A check that everything is installed
#
# Three facts the course relies on: the poster's three learning rules are registered, the spiral has the
# poster's 5600 / 1200 / 1200 split, and the Bayes ceiling drawn on the plots agrees with a fresh Monte-Carlo
# estimate from the exact class likelihoods (`dendritic.data.bayes_accuracy`).

# %%
data = dendritic.spiral_data()
net = dendritic.Network((2, 128, 32, 4), seed=0)
output = net(data.val[0][:5])
estimate = bayes_accuracy(points=POINTS, grid=300)
lesson.table([dict(rules=", ".join(dendritic.RULES), train=len(data.train[1]), val=len(data.val[1]),
                   test=len(data.test[1]), ceiling=dendritic.BAYES_ACCURACY, estimate=estimate)],
             formats={"ceiling": ".3f", "estimate": ".3f"})

# %%
assert {"backprop", "temporal_contrast", "interneuron"} <= set(dendritic.RULES)
assert [len(data.train[1]), len(data.val[1]), len(data.test[1])] == [5600, 1200, 1200]
assert output.shape == (5, 4) and (output >= 0).all()   # four ReLU outputs
assert abs(estimate - dendritic.BAYES_ACCURACY) < 0.01, "the Bayes ceiling constant disagrees with the estimate"

# %% [markdown]
# ## Summary
#
# - The course asks whether a neuron with a soma and a dendrite can learn with a *local* error, as well as
#   backprop does with its non-local one.
# - Run it with `make lab`; check it with `make test`; `make student`, `make instructor` and `make book` build the
#   two editions and the website; `DENDRITIC_QUICK=1` runs every notebook small.
# - Every notebook has objectives, sections, exercises (Run All works before you solve them), interactive
#   demos, Think! questions and checks.
#
# ## Next
#
# **01 · The soma/dendrite neuron**: one neuron, its two compartments and its nudge, with sliders.
