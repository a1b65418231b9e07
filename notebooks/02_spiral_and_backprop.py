# %% [markdown]
# # 02 The spiral and backprop
#
# **Objectives.** By the end of this notebook you can
# 1. generate the poster's 4-class spiral, name its split, and say why no classifier beats about 98.8 % on it;
# 2. describe the 2-128-32-4 ReLU network and its MSE loss;
# 3. write backprop as *nudges*: the MSE output nudge and the hidden-layer error, checked against the library
#    and against torch autograd;
# 4. train the network online with backprop and read its decision map, learning curve and Bayes ceiling,
#    including the seeds that lose an output unit;
# 5. explore learning rate, network shape, epochs, seed and noise in a small playground.
#
# This notebook draws **poster Fig. 2** (architecture and spiral). Backprop is the benchmark the dendritic rules
# are compared with in notebooks 03 to 05.

# %%
# Setup
# %matplotlib inline
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

# %% [markdown]
# ## Section 1: The spiral
#
# Four interleaved arms, one per class $k = 0..K-1$. For $t$ running from 0 to 1 in $N$ steps,
#
# $$x_1 = t\,\big(\sin(\tfrac{2\pi}{K}(2t + k)) + \sigma n_1\big), \qquad
#   x_2 = t\,\big(\cos(\tfrac{2\pi}{K}(2t + k)) + \sigma n_2\big), \qquad n_1, n_2 \sim \mathcal{N}(0, 1).$$
#
# The poster uses $K = 4$, $N = 2000$ points per class, $\sigma = 0.16$, shuffled once with a fixed data seed and
# split 70 / 15 / 15 into **train** (5600), **validation** (1200, what the poster compares) and **test** (1200, held
# out). The noise grows with $t$ but so does the radius; near the centre the arms overlap, so even the best
# possible classifier, which knows the generator, gets about **98.8 %** right: the **Bayes ceiling**.

# %%
data = dendritic.spiral_data()  # classes=4, per_class=2000, noise=0.16, seed=0
for split in ("train", "val", "test"):
    X, y = getattr(data, split)
    print(f"{split:5s} X {tuple(X.shape)} {X.dtype}, y {tuple(y.shape)} {y.dtype}, per class {torch.bincount(y).tolist()}")
print(f"Bayes ceiling: {dendritic.BAYES_ACCURACY}")

# %%
# The data API the rest of the course relies on
assert [len(getattr(data, s)[1]) for s in ("train", "val", "test")] == [5600, 1200, 1200]
assert all(getattr(data, s)[0].shape == (len(getattr(data, s)[1]), 2) for s in ("train", "val", "test"))
assert data.train[0].dtype == torch.float32 and data.train[1].dtype == torch.int64
all_y = torch.cat([data.train[1], data.val[1], data.test[1]])
assert torch.bincount(all_y).tolist() == [2000] * 4           # every point in exactly one split
again = dendritic.spiral_data()
assert torch.equal(again.train[0], data.train[0]) and torch.equal(again.val[1], data.val[1])  # same seed, same data


# %% [markdown]
# ### Interactive Demo 1: make your own spiral
#
# Change the noise, the number of classes, the points per class and the data seed. The plot uses
# `dendritic.figures.plot_spiral`, the function that draws the poster figure.

# %%
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

# %% [markdown]
# ### Think! 1
#
# 1. Where in the plane do the classes overlap? Why there?
# 2. With `noise = 0`, could a classifier be perfect? Which points would still be ambiguous?
# 3. The Bayes ceiling 98.8 % is for $\sigma = 0.16$. Would it go up or down with more noise?

# %% [markdown]
# ## Section 2: The network
#
# Two inputs, two hidden layers of 128 and 32 units, four outputs; ReLU on **every** layer, including the output;
# biases on; PyTorch's default `nn.Linear` initialisation. Layer by layer,
#
# $$z_l = W_l\,a_{l-1} + b_l, \qquad a_l = f(z_l) = \max(0, z_l), \qquad a_0 = x.$$
#
# The loss is the mean squared error between the output activity and the one-hot target,
# $\text{Loss} = \frac{1}{K}\sum_k (a_{L,k} - \text{target}_k)^2$, and training is **online**: one sample per step,
# 5600 steps = one epoch. **Poster Fig. 2**:

# %%
net = dendritic.Network((2, 128, 32, 4), seed=0)
print(net, "|", sum(p.numel() for p in net.parameters()), "trainable parameters")

fig, (ax_net, ax_data) = plt.subplots(1, 2, figsize=(12, 5))
figures.plot_architecture(ax_net, net.sizes)
figures.plot_spiral(ax_data, data)
plt.show()


# %% [markdown]
# ## Section 3: Backprop as nudges
#
# Backprop's update of layer $l$ is $\Delta W_l = \text{lr}\; N_l \otimes a_{l-1}$, $\Delta b_l = \text{lr}\; N_l$,
# with the error ("nudge") $N_l = -\partial \text{Loss}/\partial z_l$:
#
# $$N_L = \tfrac{2}{K}\, f'(z_L)\,(\text{target} - a_L), \qquad N_l = f'(z_l)\,\big(W_{l+1}^\top N_{l+1}\big).$$
#
# The second line is what a biological neuron cannot do: unit $i$ of layer $l$ would need the weights
# $W_{l+1}$ *leaving* it and the errors of the layer above. (In notebook 01 you saw the dendrite compute the
# same quantity from its own top-down input.) An output unit with $z_L \le 0$ gets $f'(z_L) = 0$: no teaching
# signal at all. Keep that in mind for Section 4.

# %% [markdown]
# ### Exercise 1: the MSE output nudge
#
# Write $N_L = \frac{2}{K} f'(z_L)\,(\text{target} - a_L)$ from the output activity $a_L = f(z_L)$ (shape `[K]`) and the
# one-hot target (shape `[K]`). Hint: for ReLU, $f'(z) = 1$ exactly where $a > 0$.

# %% tags=["exercise"]
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


# %% jupyter={"source_hidden": true} tags=["solution"]
# to_remove solution
def my_output_nudge(activity, target):
    '''N_L = (2/K) f'(z_L) * (target - a_L); activity and target [K] -> [K].'''
    K = activity.shape[-1]
    gate = (activity > 0).float()  # f'(z) of ReLU
    return 2 / K * gate * (target - activity)


print(my_output_nudge(torch.tensor([0.3, 0.0, 0.8, 0.1]), torch.tensor([0.0, 0.0, 1.0, 0.0])))

# %%
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


# %% [markdown]
# ### Exercise 2: the hidden-layer error
#
# Write backprop's nudges for every layer of a network, from the output down:
# $N_l = f'(z_l)\,(W_{l+1}^\top N_{l+1})$. Use `net.somas_and_activities(x)` for the forward pass and
# `net.weights` for $W_1..W_L$ (each `[n_out, n_in]`). Return a list of tensors `[n_l]`, layer 1 first.

# %% tags=["exercise"]
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


# %% jupyter={"source_hidden": true} tags=["solution"]
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

# %%
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

# %% [markdown]
# ## Section 4: Training with backprop
#
# One epoch, online, at the poster's learning rate (0.1616). `dendritic.train` evaluates the validation accuracy
# every 200 steps for the learning curve. The timing below is the wall time of one training run: it is what you
# wait for after each click of *Train* in the playground of Section 5.

# %%
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

# %%
# Backprop learns the spiral: far above chance (25 %), below the Bayes ceiling.
assert 0.85 < result.val_acc[0] < dendritic.BAYES_ACCURACY
assert result.curve_val_acc[-1, 0] > result.curve_val_acc[0, 0] + 0.5   # it learned during this epoch
assert not result.diverged[0] and result.dead_outputs[0] == 0

# %% [markdown]
# **Poster Fig. 2** shows the task and what a network learns. Here with backprop only (notebook 05 adds the two
# dendritic rules): the spiral, the decision map on the test points, and the mean activity of every unit for each
# class (units sorted by the class they prefer; silent units last).

# %%
figures.fig2(data, {"backprop": net}, activity_rule="backprop")

# %% [markdown]
# ### 4.2 Many seeds, and output units that die
#
# A seed fixes the initial weights and the order of the samples. Train an **ensemble** of seeds at once
# (`Network(seed=[0, 1, ...])` trains all members in one vectorised loop; each member is exactly the network
# you would get with that seed alone). With ReLU outputs, an output unit whose $z_L \le 0$ on every input gets no
# teaching signal ever again: it is **dead**, and its class is (almost) never predicted. In the decision map,
# grey marks the inputs where no output unit is active at all. At the poster's learning
# rate this happens to a good fraction of seeds; the poster's accuracies include them.

# %%
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

# %%
dead = many.dead_outputs > 0
assert (many.val_acc[~dead] > 0.85).all()                  # every seed that keeps its outputs learns the spiral
assert dead.any(), "expected at least one seed with a dead output unit at the poster's learning rate"
assert many.val_acc[dead].max() < many.val_acc[~dead].min()  # a dead output unit costs accuracy
# the quick run is the same training: member 3 of the ensemble is the network of Section 4
assert np.isclose(many.val_acc[seeds.index(SEED)], result.val_acc[0])

# %% [markdown]
# ### Think! 2
#
# 1. Why can a dead output unit never recover under backprop? Would a different output nonlinearity help?
# 2. The best seeds reach about 96 %, the ceiling is 98.8 %. What would you change first: epochs, learning rate, or
#    network size? Try it below.

# %% [markdown]
# ## Section 5: The playground
#
# ### Interactive Demo 2: a small TensorFlow Playground
#
# **Train** trains the current network for *epochs* more epochs with the chosen rule and learning rate (one epoch =
# 5600 online steps); **Reset** starts from a fresh network. Changing the hidden sizes, the seed, the noise or the rule
# resets at once; the learning rate and epochs apply to the next *Train*. The left panel is the decision map with the
# test points, the right one the validation accuracy with the Bayes ceiling; the thumbnails below show what single
# units of the last hidden layer compute over the plane (untick *unit thumbnails* to hide them); the readout says how
# long the last *Train* took. (The ceiling line is for noise 0.16; the rules `temporal_contrast` and `interneuron` are the subject of
# notebooks 03 and 04.)

# %%
playground = Playground(resolution=60 if QUICK else 100, thumbnails=True)
display(playground)
playground.train();  # one click of Train, so the page shows a trained network

# %% [markdown]
# The playground is a thin shell over the library: its first *Train* after a reset is exactly
# `dendritic.train(Network(sizes, seed), rule, data, epochs)`. And it has to be quick enough to play with: we change
# a slider, click *Train*, and time it.

# %%
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

# %% [markdown]
# ### Think! 3
#
# 1. Set the learning rate to 0.5 and train. Then 0.01. What goes wrong in each case? Look at the readout.
# 2. Set *hidden 1* to 4 and *hidden 2* to 0 (one hidden layer). How many straight edges can the decision boundary
#    have, and why?
# 3. Train the same network for several epochs. Does validation accuracy approach the ceiling? Does it ever cross it?

# %% [markdown]
# ## Summary
#
# - The spiral: 4 classes, 8000 points, split 5600 / 1200 / 1200; the Bayes ceiling is about 98.8 %.
# - The network: 2-128-32-4, ReLU everywhere, trained online on the MSE loss.
# - Backprop's nudges: $N_L = \frac{2}{K} f'(z_L)(\text{target} - a_L)$ and $N_l = f'(z_l)\,W_{l+1}^\top N_{l+1}$; the second one
#   is non-local.
# - One epoch takes well under a second and reaches about 90-96 % on good seeds; some seeds lose an output unit and
#   end far lower. The dendritic rules of notebooks 03 and 04 are measured against this benchmark.
#
# Next: **03**, where the dendrite computes the hidden-layer error itself.
