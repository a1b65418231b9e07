# %% [markdown]
# # 06 · Beyond the poster
#
# The poster ends with two future directions: **learn the top-down weights** instead of copying the forward
# weights, and **separate excitatory and inhibitory neurons** (Dale's law). This lesson builds both, and the
# interneurons that cancel what the poster's linear interneurons cannot, and measures each against backprop the
# way notebook 05 measured the poster's rules. Every variant is a named rule with a tuned configuration:
# `dendritic.rule("feedback_alignment")`, `"kolen_pollack"`, `"dale"`, `"nonlinear_interneuron"` and
# `"stable_interneuron"` (their equations: `docs/science.md` and `dendritic/rules/`).
#
# **Objectives**
#
# 1. Say why the poster's top-down weights $B_l = W_{l+1}^\top$ need *weight transport*, which no known synapse can do.
# 2. Measure how well fixed random top-down weights (**feedback alignment**) and learned ones (**Kolen-Pollack**)
#    come to point like $W_{l+1}^\top$, and write the Kolen-Pollack update.
# 3. Build a circuit that obeys **Dale's law** (every synapse keeps its sign) and see what its inhibitory relay buys.
# 4. Compare how much of the top-down input **linear and nonlinear interneurons** leave uncancelled, against the
#    best any linear interneuron could do.
# 5. Say which biological constraints cost accuracy on this task and which did not (Figs. 6 and 7).
#
# **Estimated time**: about 85 min

# %% jupyter={"source_hidden": true} tags=["setup"]
# Setup: imports, the data, and how much this lesson trains (quick mode, DENDRITIC_QUICK=1: fewer seeds, same code)
# %matplotlib inline
import ipywidgets as widgets
import numpy as np
import torch
from IPython.display import display

import dendritic
from dendritic import animation, diagnostics, figures, lesson, plots, results, style
from dendritic.rules import BEYOND
from dendritic.rules.dale import sign_summary

data = dendritic.spiral_data()   # the poster's spiral; every network here trains one epoch on it
SEEDS = list(range(lesson.size(5, 2)))   # the seeds of this lesson's multi-seed runs (data/comparison.csv has 10)
FRAMES = lesson.size(30, 12)             # frames of the animation

# %% [markdown]
# ## Section 1: Weight transport
#
# In the poster's dendritic rules the dendrite of hidden layer $l$ hears the layer above through the top-down
# weights $B_l$, and on the poster $B_l = W_{l+1}^\top$:
#
# $$D_l = B_l\, a_{l+1}, \qquad B_l = W_{l+1}^\top .$$
#
# That choice is what makes the nudge of layer $l$ backprop's error signal (notebook 03). But $W_{l+1}$ are the
# synapses from layer $l$ **up** to layer $l+1$, on the dendrites of layer $l+1$; $B_l$ are other synapses, from
# layer $l+1$ **down** to layer $l$. For $B_l = W_{l+1}^\top$ every top-down synapse would have to know, and follow
# during learning, the strength of one particular bottom-up synapse elsewhere. No known mechanism carries weights
# across like that: this is the **weight transport problem** (Grossberg 1987). First, the poster's rule does use
# the transpose:

# %% [markdown] tags=["instructor"]
# **Instructor** (about 10 min). Draw two layers and the two synapses between a pair of units, one in each
# direction, and ask how the downward one could learn the upward one's strength. The code cell is a one-line
# fact check; the Think! sets up the whole lesson.

# %%
net = dendritic.Network(seed=0)
W2 = net.W2.detach().clone()                              # the forward weights from layer 1 up to layer 2
layers = dendritic.rule("temporal_contrast").step(net, data.train[0][0], int(data.train[1][0]))
assert torch.allclose(layers[0]["dendrite_forward"], W2.T @ layers[1]["activity"], atol=1e-6)   # D_1 = W_2^T a_2

# %% [markdown]
# **Think!** Suppose the top-down weights $B$ were **random and fixed**. The hidden layers would then get an
# error signal sent back through the "wrong" weights. Would the network learn anything at all? What would have to
# happen to the forward weights $W$ for a fixed random $B$ to become useful?

# %% [markdown] tags=["instructor"]
# **Answer.** It learns, more slowly (Section 2, and Fig. 6 in Section 6: tuned feedback alignment ends more
# than 5 points below backprop, yet far above chance). The output layer's update never uses $B$, so $W_3$ learns
# correctly from the start; the nudge of layer 2, sent down through a random $B_2$, is still a consistent
# signal, and $W_3$ comes to align with $B_2^\top$ (Section 2: the angle between $B_2$ and $W_3^\top$ ends between
# 50° and 80°), so that the random feedback carries part of the real error. In one online epoch that happens
# only in the top hidden layer: $B_1$ stays at about 90° from $W_2^\top$.

# %% [markdown]
# ## Section 2: Fixed random top-down weights: feedback alignment
#
# Lillicrap et al. (2016) found that a network can learn with **fixed random** $B$: the forward weights come to
# *align* with $B^\top$, so that $B$ gradually carries a useful error. We measure it with the angle between $B_l$
# and $W_{l+1}^\top$, both flattened to vectors: 90° means unrelated, 0° means that $B_l$ points like the transpose.

# %% [markdown] tags=["instructor"]
# **Instructor** (about 15 min). Exercise 1 takes about 5 minutes. Then run the training cell (it trains every
# variant of this lesson once; the later sections reuse it) and read the alignment plot together: feedback
# alignment's $B_1$ stays at 90°, $B_2$ comes partly into line; Kolen-Pollack's come much closer.

# %% [markdown]
# ### Exercise 1: the alignment angle
#
# Complete `alignment_angle(B, W_above)`: the angle in degrees between $B$ (shape `[S, n_l, n_{l+1}]`, one matrix
# per ensemble member) and $W_{l+1}^\top$, where `W_above` is $W_{l+1}$ (shape `[S, n_{l+1}, n_l]`): one angle per member.

# %% tags=["exercise"]
def alignment_angle(B, W_above):
    """Angle (degrees) between B and W_above^T, each flattened per member: [S]."""
    #################################################################
    # Fill in: flatten B and W_above^T per member (u, v), their cosine
    # u.v / (|u| |v|), and the angle arccos(cosine) in degrees.
    raise NotImplementedError("Exercise 1: flatten B and W_above.mT per member, then the arccos of their cosine")
    #################################################################
    u, v = ..., ...
    cosine = ...
    return ...


# %% jupyter={"source_hidden": true} tags=["solution"]
def alignment_angle(B, W_above):
    """Angle (degrees) between B and W_above^T, each flattened per member: [S]."""
    u, v = B.flatten(1).double(), W_above.mT.flatten(1).double()
    cosine = (u * v).sum(1) / (u.norm(dim=1) * v.norm(dim=1))
    return torch.rad2deg(torch.arccos(cosine.clamp(-1, 1)))


# %%
generator = torch.Generator().manual_seed(0)
W, B = torch.randn(3, 4, 6, generator=generator), torch.randn(3, 6, 4, generator=generator)
alignment_angle = lesson.exercise("Exercise 1", alignment_angle, diagnostics.alignment,
                                  (B, W), (B + 0.5 * W.mT, W), (-W.mT + 0.1 * B, W))

# %% [markdown]
# Now every variant of this lesson, trained at its tuned hyperparameters on the same seeds, one online epoch,
# recording every 20th sample (the update angle to backprop, the alignment of $B_l$, the interneurons' residual).
# `runs[name]` keeps the rule, the trained ensemble and what `dendritic.train` returned; the sections below read it.

# %%
runs = {}
for name in ("interneuron", *BEYOND):
    rule, net = dendritic.rule(name, config="tuned"), dendritic.Network(seed=SEEDS)
    runs[name] = dict(rule=rule, net=net, result=dendritic.train(net, rule, data, record_every=20, eval_every=200))
lesson.table([dict(rule=name, **{f"seed {s}": a for s, a in zip(SEEDS, run["result"].val_acc)}) for name, run in runs.items()],
             formats={f"seed {s}": ".1%" for s in SEEDS})

# %%
fig = style.figure(7.5, 3.6)
ax = fig.subplots()
for name in ("feedback_alignment", "kolen_pollack"):
    plots.plot_top_down_alignment(ax, runs[name]["result"])
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1, 1))
fig


# %%
def final_alignment(name, layer):
    """The median over seeds of the last recorded angle between B_layer and W_{layer+1}^T (degrees)."""
    return float(np.median(runs[name]["result"].records[f"alignment/layer{layer}"][-1]))

# The exercise's function measures what the records hold, on a trained network
state, weights = runs["feedback_alignment"]["rule"].state(runs["feedback_alignment"]["net"]), runs["feedback_alignment"]["net"].stacked()[0]
assert np.allclose(alignment_angle(state.top_down[1], weights[2]), diagnostics.alignment(state.top_down[1], weights[2]), atol=1e-3)
# Fixed random B: B1 stays unrelated to W2^T, B2 comes partly into line; learned B comes much closer in both
assert final_alignment("feedback_alignment", 1) > 80 and 50 < final_alignment("feedback_alignment", 2) < 80
assert final_alignment("kolen_pollack", 1) < 45 and final_alignment("kolen_pollack", 2) < 25

# %% [markdown]
# With fixed random $B$ only the top hidden layer comes partly into line: $B_2$ ends between 50° and 80° from
# $W_3^\top$, $B_1$ stays at about 90° from $W_2^\top$. Kolen-Pollack's learned $B$ ends below 45° (layer 1) and
# below 25° (layer 2). How does it get there without ever reading $W$?

# %% [markdown]
# ## Section 3: Learning the top-down weights: Kolen-Pollack
#
# Akrout et al. (2019) give $B$ its own local plasticity. The forward synapse $W_{l+1}$ and the top-down synapse
# $B_l$ connect the same two layers in opposite directions, so both can see the same two local signals: the
# activity $a_l$ of layer $l$ and the nudge $N_{l+1}$ of layer $l+1$. Kolen-Pollack updates both with them, and a
# weight decay $\lambda$:
#
# $$\Delta W_{l+1} = \eta\, N_{l+1} \otimes a_l - \lambda W_{l+1}, \qquad
#   \Delta B_l = \eta\, a_l \otimes N_{l+1} - \lambda B_l .$$
#
# The learning terms are transposes of each other, so they cancel in the difference:
# $W_{l+1}^\top - B_l \to (1-\lambda)(W_{l+1}^\top - B_l)$ at every step. Whatever $B$ started as, the difference
# shrinks, and $B$ never reads $W$ (`dendritic/rules/top_down.py`).

# %% [markdown] tags=["instructor"]
# **Instructor** (about 20 min). Exercise 2 (5 min), then the animation (play it on the projector), then the demo
# and its Think!: the surprise is that the angle falls even when the decay does almost nothing. Let students find
# the reason before giving the answer: both matrices receive the same learned increments.

# %% [markdown]
# ### Exercise 2: one Kolen-Pollack step for B
#
# Complete `kolen_pollack_step(B, a, N, lr, decay)` for one network: `B` is $B_l$ (`[n_l, n_{l+1}]`), `a` the
# activity of layer $l$ (`[n_l]`), `N` the nudge of layer $l+1$ (`[n_{l+1}]`). Return $B_l$ after the step.

# %% tags=["exercise"]
def kolen_pollack_step(B, a, N, lr, decay):
    """B after one Kolen-Pollack step: (1 - decay) B + lr a (x) N."""
    #################################################################
    # Fill in: shrink B by the decay, then add lr times the outer product
    # of a (rows) and N (columns): torch.outer(a, N).
    raise NotImplementedError("Exercise 2: decay B, then add lr times the outer product of a and N")
    #################################################################
    return ...


# %% jupyter={"source_hidden": true} tags=["solution"]
def kolen_pollack_step(B, a, N, lr, decay):
    """B after one Kolen-Pollack step: (1 - decay) B + lr a (x) N."""
    return (1 - decay) * B + lr * torch.outer(a, N)


# %%
rule = dendritic.rule("kolen_pollack", lr=0.2, decay=0.01)
net = dendritic.Network(seed=3)
before = [B[0].clone() for B in rule.state(net).top_down]          # B_1, B_2 before the step
layers = rule.step(net, data.train[0][0], int(data.train[1][0]))   # one step of the library's rule
examples = [(before[l], layers[l]["activity"], layers[l + 1]["nudge"], rule.lr, rule.decay) for l in range(2)]
kolen_pollack_step = lesson.exercise("Exercise 2", kolen_pollack_step, lesson.kolen_pollack_step, *examples)

# %%
# The library's rule moved each B_l exactly as the function says
for l, example in enumerate(examples):
    assert torch.allclose(kolen_pollack_step(*example), rule.state(net).top_down[l][0], atol=1e-6)

# %% [markdown]
# ### Watching $B$ become $W^\top$
#
# The animation trains one network (seed 0) with Kolen-Pollack at its default rates (constant, decay
# $5\cdot 10^{-4}$ per step, so $(1-\lambda)^{5600} \approx 6\,\%$ of the start's difference is left after the
# epoch) and shows $B_2$ ($32 \times 4$) beside $W_3^\top$, and the angle between them. Press play.

# %%
frames = animation.alignment_frames(dendritic.rule("kolen_pollack"), data, seed=0, frames=FRAMES, layer=2)
alignment_movie = animation.alignment_animation(frames)
assert frames[0]["angle"] > 75 and frames[-1]["angle"] < 10     # from unrelated to nearly the transpose
alignment_movie

# %%
# Save a GIF for slides: uncomment, and choose where it goes
# animation.save_gif(alignment_movie, "kolen_pollack_alignment.gif")

# %% [markdown]
# ### Interactive demo 1: how much decay?
#
# The decay $\lambda$ makes $B$ forget its random start, but it shrinks the forward weights too. Choose the
# top-down weights (learned by Kolen-Pollack, or fixed random: feedback alignment) and the decay, and one network
# (seed 0) retrains for one epoch at the tuned rates: the angle between $B_l$ and $W_{l+1}^\top$ on the left, the
# learning curve on the right, and in the title how much of the start's difference $W_{l+1}^\top - B_l$ is left.
# At the defaults (learned, the tuned decay $7.6\cdot 10^{-5}$) the network reaches **97.7 %** and $B_2$ ends
# **19°** from $W_3^\top$.

# %% tags=["demo"]
KP_DECAY = dendritic.rule("kolen_pollack", config="tuned").decay


def train_top_down(pathway="learned", decay=KP_DECAY):
    """One network (seed 0), one epoch: (TrainResult, the fraction of |W_{l+1}^T - B_l| left, per hidden layer)."""
    rule = (dendritic.rule("kolen_pollack", config="tuned", decay=decay) if pathway == "learned"
            else dendritic.rule("feedback_alignment", config="tuned"))
    net = dendritic.Network(seed=0)
    rule.state(net)   # makes B_1, B_2 (the network's buffers net.B1, net.B2)
    gap = lambda: np.array([torch.linalg.norm(net.W2.T - net.B1).item(), torch.linalg.norm(net.W3.T - net.B2).item()])
    start = gap()
    result = dendritic.train(net, rule, data, record_every=56, eval_every=280)
    return result, gap() / start


def show_top_down(pathway, decay):
    result, left = train_top_down(pathway, decay)
    fig = style.figure(8.5, 3.3)
    left_ax, right_ax = fig.subplots(1, 2)
    plots.plot_top_down_alignment(left_ax, result)
    plots.plot_learning_curve(right_ax, result)
    left_ax.legend(fontsize=7, loc="lower left")
    fig.suptitle(f"{pathway} B: {100 * result.val_acc[0]:.1f} %; left of W$^T$ - B: "
                 f"{100 * left[0]:.0f} % (B$_1$), {100 * left[1]:.0f} % (B$_2$)", fontsize=10)
    display(fig)


narrow = dict(style=dict(description_width="64px"), layout=widgets.Layout(width="300px"))
pathway = widgets.Dropdown(options=["learned", "random"], value="learned", description="top-down", **narrow)
decay = widgets.SelectionSlider(options=[("1e-6", 1e-6), ("1e-5", 1e-5), ("7.6e-5 tuned", KP_DECAY), ("3e-4", 3e-4),
                                         ("1e-3", 1e-3), ("1e-2", 1e-2)], value=KP_DECAY, description="decay",
                                continuous_update=False, style=narrow["style"],
                                layout=widgets.Layout(width="340px"))   # room for the readout "7.6e-5 tuned"
note = widgets.HTML()


def follow(change=None):
    decay.disabled = pathway.value == "random"
    note.value = "<i>decay is off: a fixed random B does not learn, so there is nothing for it to decay.</i>" * decay.disabled


pathway.observe(follow, "value")
follow()
plot = widgets.interactive_output(show_top_down, dict(pathway=pathway, decay=decay))
plot.layout.min_height = "340px"
widgets.VBox([widgets.HBox([pathway, decay], layout=widgets.Layout(flex_flow="row wrap")), note, plot])

# %%
# At its defaults the demo shows what the text says
result, left = train_top_down()
assert round(100 * result.val_acc[0], 1) == 97.7 and round(result.records["alignment/layer2"][-1, 0]) == 19

# %% [markdown]
# **Think!** Set the decay to `1e-6`. The title says that more than 99 % of the start's difference
# $W_{l+1}^\top - B_l$ is still there after the epoch, yet the angle of $B_1$ still falls from 90° to below 50°.
# What lines $B$ up with $W^\top$, if not the decay? And why does a decay of `1e-2` ruin learning?

# %% [markdown] tags=["instructor"]
# **Answer.** Both matrices receive the same learned increment every step ($\eta\, a_l \otimes N_{l+1}$ for $B_l$,
# its transpose for $W_{l+1}$), so after an epoch each is its random start plus the same learned sum. Once that
# shared part is large compared to the random starts, the two matrices point nearly the same way, whatever
# happens to their difference: the angle falls from 90° to below 50° with almost no decay. The decay removes
# the random remainder, which finishes the job (at the default $5\cdot 10^{-4}$ the animation's $B_2$ ends within
# 10°). At $10^{-2}$ every weight, forward ones included, shrinks by 1 % per step: $W$ cannot hold what it
# learns, and the network stays at chance (below 30 %, checked below).

# %%
# The Think!, checked: with decay 1e-6 the difference is almost all there, the angle falls anyway;
# with 1e-2 the network does not learn
result, left = train_top_down("learned", 1e-6)
angles = result.records["alignment/layer1"][:, 0]
assert (left > 0.99).all() and angles[0] > 85 and angles[-1] < 50
assert train_top_down("learned", 1e-2)[0].val_acc[0] < 0.3

# %% [markdown]
# ## Section 4: Dale's law: excitatory and inhibitory neurons
#
# In the brain a neuron is either excitatory or inhibitory: all its outgoing synapses have one sign. The
# poster's network ignores that: every weight can be positive or negative. The `dale` rule
# (`dendritic/rules/dale.py`) puts the interneuron rule's learning into a circuit that obeys Dale's law; every
# pathway that needs a negative weight goes through inhibitory interneurons:
#
# * the **pyramidal neurons** (the network's units) are excitatory: forward weights $W^E_l \ge 0$, direct
#   top-down weights $B^E_l \ge 0$;
# * **somatic interneurons** (PV-like, one per layer by default): $h_l = W^{IE}_l a_{l-1}$, inhibiting the soma,
#   $z_l = W^E_l a_{l-1} - W^{EI}_l h_l + b_l$, so the effective forward weight $W_l = W^E_l - W^{EI}_l W^{IE}_l$
#   can take either sign;
# * a **top-down inhibitory relay** (one cell per hidden layer by default): $r_l = Q_l a_{l+1}$, driven by the layer
#   above, inhibits the dendrite through $B^I_l$, so the dendrite hears the layer above through the effective
#   $$B_l = B^E_l - B^I_l Q_l ,$$
#   which, like $W_{l+1}$, can take either sign;
# * **dendrite-targeting interneurons** (SST-like): nonlinear cells $i_l = f(V_l a_l - G_l h_{l+1} + c_l)$, each
#   paired with a neuron of the layer above and learning to fire like it (Sacramento et al. 2018), inhibit the
#   dendrite with $U_l \ge 0$ and so cancel the top-down input. Inhibition can only cancel a *positive* input: the
#   relay's inhibition is cancelled by a twin population of **excitatory** cells $e_l$ (same equations, own weights)
#   that excite the dendrite with $U^X_l \ge 0$:
#   $$D_l = B^E_l a_{l+1} - B^I_l r_l - (U_l i_l - U^X_l e_l).$$
#
# Every synapse is clipped at 0 after each step. The top-down synapses learn Kolen-Pollack style, $B^E$ from the
# nudge above and $B^I$ from the relay's own change. The circuit starts **balanced**: each inhibitory pathway is
# `balance` times the least inhibition that lets its excitatory synapses start at or above 0.

# %% [markdown] tags=["instructor"]
# **Instructor** (about 20 min). Walk through the circuit on the board (pyramidal cells, PV, relay, SST and their
# excitatory twins) before any code. Then: the sign check, Exercise 3 (5 min), the relay comparison and the demo.
# The point to land: an all-positive top-down pathway cannot point like the mixed-sign $W^\top$; the relay makes
# the effective $B$ mixed-sign while every synapse keeps its sign.

# %%
dale = runs["dale"]
signs = sign_summary(dale["rule"], dale["net"])     # every sign-constrained synapse group, after a full epoch
lesson.table([dict(synapses=name, **s) for name, s in signs.items()], formats=dict(min=".3g", zero=".1%"))

# %%
# Every sign-constrained synapse is still >= 0, the relay's included, and the network's W_l is the circuit's
# effective forward weight W^E_l - W^EI_l W^IE_l
state = dale["rule"].state(dale["net"])
assert all(s["min"] >= 0 for s in signs.values()) and {"relay1", "relay_inhibition1", "UX1"} <= set(signs)
for W, WE, WEI, WIE in zip(dale["net"].stacked()[0], state.excitatory, state.inhibitory, state.somatic):
    assert torch.allclose(W, WE - WEI @ WIE, atol=1e-5)

# %% [markdown]
# ### Exercise 3: the effective top-down weight
#
# Complete `effective_top_down(BE, BI, Q)`: the weight through which the dendrite of layer $l$ hears the layer
# above, from the direct excitatory synapses `BE` (`[S, n_l, n_{l+1}]`), the relay's inhibitory synapses onto the
# dendrite `BI` (`[S, n_l, q_l]`) and the relay's input synapses `Q` (`[S, q_l, n_{l+1}]`).

# %% tags=["exercise"]
def effective_top_down(BE, BI, Q):
    """B_l = B^E_l - B^I_l Q_l, per member: [S, n_l, n_{l+1}]."""
    #################################################################
    # Fill in: the direct excitation minus the inhibition relayed through Q
    # (a batched matrix product: BI @ Q).
    raise NotImplementedError("Exercise 3: direct excitation minus the inhibition relayed through Q")
    #################################################################
    return ...


# %% jupyter={"source_hidden": true} tags=["solution"]
def effective_top_down(BE, BI, Q):
    """B_l = B^E_l - B^I_l Q_l, per member: [S, n_l, n_{l+1}]."""
    return BE - BI @ Q


# %%
effective_top_down = lesson.exercise("Exercise 3", effective_top_down, lesson.effective_top_down,
                                     *[(state.top_down[l], state.relay_inhibition[l], state.relay[l]) for l in range(2)])

# %%
# Every synapse of the pathway is >= 0, yet the effective B_l has both signs (and is what the circuit uses)
negative = {}
for l, B in enumerate(dale["rule"].top_down_weights(state)):
    parts = (state.top_down[l], state.relay_inhibition[l], state.relay[l])
    assert all((part >= 0).all() for part in parts)
    assert torch.allclose(effective_top_down(*parts), B, atol=1e-5)
    negative[f"B{l + 1}"] = float((B < 0).float().mean())
assert all(0.2 < share < 0.8 for share in negative.values())
negative   # the share of negative entries of each effective B_l

# %% [markdown]
# ### What the relay buys
#
# A matrix with no negative entries cannot point in the direction of a matrix whose entries are about half
# negative, so without the relay (`relay=0`, $B_l = B^E_l \ge 0$) the top-down input cannot align with
# $W_{l+1}^\top$. The cell below trains the tuned circuit three ways on the same seeds: with the relay, without
# it, and with weight transport (`top_down="transpose"`: the relay copies the somatic circuit of the layer above,
# so $B_l = W_{l+1}^\top$ exactly, the ceiling of the sign-constrained forward path).

# %%
pathways = {"relay (learned B)": dict(), "no relay (B >= 0)": dict(relay=0),
            "weight transport": dict(top_down="transpose", decay=0.0)}
dale_runs = {"relay (learned B)": dale["result"]}
for label, change in list(pathways.items())[1:]:
    dale_runs[label] = dendritic.train(dendritic.Network(seed=SEEDS), dendritic.rule("dale", config="tuned", **change),
                                       data, record_every=20, eval_every=200)
fig = style.figure(10, 3.6)
pairs_ax, align_ax = fig.subplots(1, 2, width_ratios=(1, 1.6))
plots.plot_seed_pairs(pairs_ax, dale_runs, labels=["relay", "no relay", "transpose"])
for (label, result), color in zip(list(dale_runs.items())[:2], ("#7b3294", "#c2a5cf")):
    plots.plot_top_down_alignment(align_ax, result, label=label, color=color)
align_ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1, 1))
fig

# %%
# The relay lets the effective B come much closer to W^T than an all-positive B can, and the circuit learns better
final = {label: [float(np.median(r.records[f"alignment/layer{l}"][-1])) for l in (1, 2)] for label, r in dale_runs.items()}
accuracy = {label: float(np.mean(r.val_acc)) for label, r in dale_runs.items()}
assert all(a < b - 10 for a, b in zip(final["relay (learned B)"], final["no relay (B >= 0)"]))
assert max(final["weight transport"]) < 1
assert accuracy["relay (learned B)"] > accuracy["no relay (B >= 0)"] + 0.03

# %% [markdown]
# With the relay the effective $B_l$ ends more than 10° closer to $W_{l+1}^\top$ in both layers than without it,
# and the circuit learns several points better on the same seeds; weight transport makes the angle 0.

# %% [markdown]
# ### Interactive demo 2: the top-down pathway and the E/I balance
#
# Choose the top-down pathway of the Dale circuit (learned with the relay, learned without it, fixed random, or
# weight transport) and the balance of its start, and one network (seed 0) retrains for one epoch at the tuned
# rates (about a second). At the defaults (the tuned circuit: learned with the relay, balance 4.1) it reaches
# **94.1 %**, its effective $B_2$ ends **31°** from $W_3^\top$, and every synapse keeps its sign.

# %% tags=["demo"]
DALE_BALANCE = dendritic.rule("dale", config="tuned").balance
DALE_PATHWAYS = {"learned, relay": dict(), "learned, no relay": dict(relay=0), "fixed random": dict(top_down="random"),
                 "transpose": dict(top_down="transpose", decay=0.0)}


def train_dale(pathway="learned, relay", balance=DALE_BALANCE):
    """One Dale circuit (seed 0), one epoch: (TrainResult, whether every synapse kept its sign)."""
    rule = dendritic.rule("dale", config="tuned", balance=balance, **DALE_PATHWAYS[pathway])
    net = dendritic.Network(seed=0)
    result = dendritic.train(net, rule, data, record_every=56, eval_every=280)
    return result, all(s["min"] >= 0 for s in sign_summary(rule, net).values())


def show_dale(pathway, balance):
    result, signs_kept = train_dale(pathway, balance)
    fig = style.figure(8.5, 3.3)
    curve_ax, align_ax = fig.subplots(1, 2)
    plots.plot_learning_curve(curve_ax, result)
    plots.plot_top_down_alignment(align_ax, result)
    align_ax.legend(fontsize=7, loc="lower left")
    fig.suptitle(f"{pathway}: {100 * result.val_acc[0]:.1f} %, B$_2$ ends {result.records['alignment/layer2'][-1, 0]:.0f}° "
                 f"from W$_3^T$; every synapse keeps its sign: {signs_kept}", fontsize=10)
    display(fig)


dale_pathway = widgets.Dropdown(options=list(DALE_PATHWAYS), value="learned, relay", description="top-down", **narrow)
dale_balance = widgets.SelectionSlider(options=[("1", 1.0), ("2", 2.0), ("4.1 tuned", DALE_BALANCE), ("8", 8.0),
                                                ("16", 16.0)], value=DALE_BALANCE, description="balance",
                                       continuous_update=False, **narrow)
dale_plot = widgets.interactive_output(show_dale, dict(pathway=dale_pathway, balance=dale_balance))
dale_plot.layout.min_height = "340px"
widgets.VBox([widgets.HBox([dale_pathway, dale_balance], layout=widgets.Layout(flex_flow="row wrap")), dale_plot])

# %%
# At its defaults the demo shows what the text says
result, signs_kept = train_dale()
assert round(100 * result.val_acc[0], 1) == 94.1 and round(result.records["alignment/layer2"][-1, 0]) == 31
assert signs_kept

# %% [markdown]
# **Think!** The relay needs a second population of dendrite-targeting cells, and they must be **excitatory**.
# Why can the inhibitory SST-like interneurons alone not cancel the relay's inhibition? And what does it cost a
# circuit when a pathway is the difference of two large, balanced parts (try `balance` 16 against 1)?

# %% [markdown] tags=["instructor"]
# **Answer.** The relay *subtracts* $B^I_l r_l$ from the dendrite, so the self-generated part of the top-down
# input has a negative component; an inhibitory cell can only subtract more, never add back, so cancelling a
# negative input needs excitation: the twin cells $e_l$, whose $U^X_l$ adds to the dendrite. (Without them the
# dendrite would keep the relay's inhibition as a false error.) A pathway that is the difference of two large
# parts ($W^E - W^{EI} W^{IE}$, $B^E - B^I Q$) is sensitive: a small relative change of either part is a large
# change of the difference, and the clip at 0 acts on the parts, not on the difference. In the demo students can see how much the balance matters
# on this task by comparing the accuracy and the alignment across the balance values.

# %% [markdown]
# ## Section 5: Interneurons that cancel better
#
# Rule 3's interneurons give the dendrite $-R_l a_l$, a **linear** function of the layer's own activity. The
# top-down input they must cancel is $W_{l+1}^\top f(W_{l+1} a_l + b_{l+1})$, a **nonlinear** function of $a_l$:
# whatever is left, $D^F$, adds to the error signal (rule 3 = rule 2 + $f'(z) D^F$, notebook 04). Two variants:
#
# - `stable_interneuron`: rule 3 with the normalised anti-Hebbian step, stable whatever the activity (notebook 04
#   derives the stability condition, $0 < \eta\, p\cdot a < 2$; Fig. 8 measures it);
# - `nonlinear_interneuron`: each hidden layer has a population of ReLU interneurons, each taught by one neuron of
#   the layer above to fire like it (Sacramento et al. 2018); once they do, the top-down input can be cancelled exactly.
#
# How much of its own top-down input does each dendrite keep at the end of the epoch, on the validation points?
# And how much would the *best* linear interneuron matrix keep on the same network
# (`diagnostics.linear_cancellation_floor`, a least-squares fit)?

# %% [markdown] tags=["instructor"]
# **Instructor** (about 10 min). Keep it short: the table is the lesson. Layer 2's top-down input comes from
# the 4 ReLU output units and is far from linear; there the nonlinear interneurons beat any linear matrix.
# The stability story belongs to notebook 04.

# %%
interneuron_rules = ("interneuron", "stable_interneuron", "nonlinear_interneuron")
left_over = {name: lesson.residual_fraction(runs[name]["rule"], runs[name]["net"], data.val[0]) for name in interneuron_rules}
best_linear = {name: diagnostics.linear_cancellation_floor(runs[name]["net"], data.val[0]) for name in interneuron_rules}
angle = {name: float(np.nanmedian(runs[name]["result"].records["angle/all"][-28:])) for name in interneuron_rules}
lesson.table([dict(rule=name, **{f"kept, hidden {l}": np.median(left_over[name][:, l - 1]) for l in (1, 2)},
                   **{f"best linear, hidden {l}": np.median(best_linear[name][:, l - 1]) for l in (1, 2)},
                   angle=angle[name]) for name in interneuron_rules],
             formats={**{f"{what}, hidden {l}": ".1%" for what in ("kept", "best linear") for l in (1, 2)}, "angle": ".0f"})

# %%
# Layer 2: the nonlinear interneurons keep less than the best linear matrix could on the same network (every seed);
# the learned linear matrices keep at least that floor (no linear R can do better), and in layer 1 far more
assert (left_over["nonlinear_interneuron"][:, 1] < best_linear["nonlinear_interneuron"][:, 1]).all()
for name in ("interneuron", "stable_interneuron"):
    assert (left_over[name] >= best_linear[name] - 1e-6).all()
    assert (best_linear[name][:, 0] < 0.1).all() and (left_over[name][:, 0] > 2 * best_linear[name][:, 0]).all()
    assert (best_linear[name][:, 1] > 2 * best_linear[name][:, 0]).all()   # layer 2's top-down input: far less linear
# each output unit is off for about half of the validation points (the Think! below)
with torch.no_grad():
    output = runs["nonlinear_interneuron"]["net"].somas_and_activities(data.val[0])[1][-1]
assert (0.25 < (output > 0).float().mean(dim=1)).all() and ((output > 0).float().mean(dim=1) < 0.75).all()
# and the update of the nonlinear circuit is closer to backprop's (median angle, last 10 % of the epoch)
assert angle["nonlinear_interneuron"] < min(angle["interneuron"], angle["stable_interneuron"]) - 10

# %% [markdown]
# The table's columns are medians over the seeds: "kept" is $|D^F| / |W^\top a|$ before any clamp, "angle" the
# median angle between the rule's update and backprop's over the last tenth of the epoch (degrees).
#
# **Think!** In hidden layer 1 the best linear matrix would keep less than a tenth of the top-down input, yet the
# learned matrices $R_1$ keep more than twice that floor. In hidden layer 2 even the best linear matrix keeps a
# large part, and only the nonlinear interneurons get below it. Why is layer 2's top-down input so much less
# linear than layer 1's? And why might an anti-Hebbian $R_1$ stay above a floor that a least-squares fit reaches?

# %% [markdown] tags=["instructor"]
# **Answer.** Layer 2 hears the 4 output units, $W_3^\top f(W_3 a_2 + b_3)$, and each output unit is off (its ReLU
# at zero) for about half of the validation points (checked above): as the input moves across the spiral, the
# top-down input switches between a few very different linear pieces, and one linear map fits them only on
# average. Layer 1 hears 32 units, each switching on its own boundary: a sum of many small kinks is much closer
# to a linear function of $a_1$, hence its low floor. The nonlinear interneurons copy the units above, kinks
# included, so they switch off with them. The learned $R_1$ chases a moving target: $W_2$ (and with it the
# top-down input) changes every step, and a rate slow enough to be stable averages over many samples, so online
# learning stays above the least-squares fit to the final network.

# %% [markdown]
# ## Section 6: How close to backprop?
#
# Fig. 6 draws `data/comparison.csv`'s tuned rows of every variant beside tuned backprop and the poster rule it
# changes, 10 seeds each, with p-values against backprop (Holm over every comparison of the tuned configuration,
# notebook 05). Fig. 7 draws this lesson's runs: each variant's update angle to backprop per layer, the alignment
# of the top-down weights, and the interneurons' cancellation.

# %% [markdown] tags=["instructor"]
# **Instructor** (about 10 min). Read Fig. 6 with the Think! in mind: which constraint costs what. Fig. 7 is the
# mechanism: Kolen-Pollack's update comes closest to backprop's, feedback alignment's stays far in layer 1
# (both checked below).

# %%
rows, summary = results.read_comparison(), results.read_summary()
missing = set(BEYOND) - {s["rule"] for s in summary if s["config"] == "tuned"}
assert not missing, f"data/comparison.csv has no tuned rows of {missing}: `python -m dendritic figures` adds them"
figures.fig6(rows, summary)

# %%
figures.fig7({("tuned", name): run["result"] for name, run in runs.items() if name in BEYOND})

# %%
# What Fig. 6 shows, checked on the committed data
tuned = {s["rule"]: s for s in summary if s["config"] == "tuned"}
gap = {name: tuned["backprop"]["mean"] - tuned[name]["mean"] for name in tuned}
assert abs(gap["kolen_pollack"]) < 0.005 and tuned["kolen_pollack"]["p_welch_holm"] > 0.05
assert gap["feedback_alignment"] > 0.05 and tuned["feedback_alignment"]["p_welch_holm"] < 0.01
assert 0 < gap["dale"] < 0.02 and tuned["dale"]["p_welch_holm"] < 0.01
assert tuned["feedback_alignment"]["mean"] > 0.8 and tuned["kolen_pollack"]["mean"] > 0.95
assert max(gap["stable_interneuron"], gap["nonlinear_interneuron"]) < 0.01
assert all(tuned[name]["dead"] == 0 and tuned[name]["diverged"] == 0 for name in BEYOND)
# and what Fig. 7 shows of this lesson's runs: Kolen-Pollack's update is the closest to backprop's, feedback
# alignment's layer-1 update nearly unrelated to it
overall = {name: float(np.nanmedian(runs[name]["result"].records["angle/all"])) for name in BEYOND}
assert min(overall, key=overall.get) == "kolen_pollack"
assert np.nanmedian(runs["feedback_alignment"]["result"].records["angle/layer1"]) > 80

# %% [markdown]
# **Think!** Which of the biological constraints cost accuracy on this task, and which did not?

# %% [markdown] tags=["instructor"]
# **Answer** (from Fig. 6, checked above). Removing weight transport costs nothing when $B$ learns: Kolen-Pollack
# is within half a point of backprop and not significantly different. It costs more than 5 points when $B$ is
# fixed and random (feedback alignment, Holm p < 0.01): in one online epoch $W$ aligns with $B$ only in the top layer.
# Dale's law costs less than 2 points, but significantly (Holm p < 0.01), with an inhibitory relay and excitatory
# twin cells to keep the top-down pathway mixed-sign. The interneuron variants (stable or nonlinear) stay within a
# point of backprop. No variant diverged or lost an output unit (the tuned rules' ungated output).

# %% [markdown]
# ## Summary
#
# - The poster's rules need **weight transport** ($B = W^\top$). Fixed random $B$ (feedback alignment) learns, but
#   in one online epoch only the top layer comes into line and it ends more than 5 points below backprop.
#   $B$ that learns by the local **Kolen-Pollack** rule aligns with $W^\top$ and comes within half a point of
#   backprop (not significantly different).
# - Both matrices receive the same learned increments: that aligns them even with almost no decay; the decay
#   removes what is left of their random starts, and too much of it stops learning.
# - A circuit that obeys **Dale's law** keeps every synapse's sign. An inhibitory **relay** makes the effective
#   top-down weight $B = B^E - B^I Q$ mixed-sign, so it can align with $W^\top$; excitatory dendrite-targeting
#   cells cancel the relay's inhibition. Tuned, it learns within 2 points of backprop.
# - **Nonlinear interneurons** that predict the layer above cancel layer 2's top-down input better than any linear
#   matrix could; the stable rule (notebook 04) is still a linear matrix, bounded by the same floor. Both stay within
#   a point of backprop.
#
# ## Next
#
# This is the last lesson of the course. To go further: `docs/science.md` states every equation and what the data
# show; `python -m dendritic tune --rule dale --trials 50` runs your own search (nothing is written without
# `--write`); and the open questions are many: more epochs, other tasks, spiking neurons, Dale's law with the
# nonlinear interneurons' exact cancellation, or a relay with more than one cell.
