# %% [markdown]
# # 06 · Beyond the poster
#
# The poster names two future directions: **learn the top-down weights** instead of using the transpose of the
# forward weights, and **separate excitatory and inhibitory neurons** (Dale's law). This notebook builds both,
# plus the **nonlinear interneurons** that fix rule 3's cancellation residual, and measures each against backprop.
#
# **Objectives**
#
# 1. Say why the poster's top-down weights $B_l = W_{l+1}^T$ need *weight transport*, and why a brain cannot do that.
# 2. Train with fixed random top-down weights (**feedback alignment**) and with top-down weights that learn by a
#    local rule (**Kolen-Pollack**), and watch the angle between $B$ and $W^T$.
# 3. Build a circuit that obeys **Dale's law** (excitatory projections, explicit somatic and dendrite-targeting
#    interneurons) and check that every synapse keeps its sign.
# 4. Show that **nonlinear interneurons** cancel the top-down input better than rule 3's linear matrix $R$.
# 5. Compare every variant with backprop over 10 seeds, honestly.
#
# Each variant is a named rule: `dendritic.rule("kolen_pollack")`, `dendritic.rule("feedback_alignment")`,
# `dendritic.rule("dale")`, `dendritic.rule("nonlinear_interneuron")`, and the poster's dendritic rules take
# `top_down="transpose" | "random" | "learned"`.

# %% jupyter={"source_hidden": true}
# Setup
# %matplotlib inline
import os

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import HTML, display

import dendritic
from dendritic import alignment as beyond
from dendritic.experiments import read_csv
from dendritic.paths import DATA
from dendritic.rules import BEYOND
from dendritic.stats import summarize

torch.set_num_threads(1)  # online learning on small tensors: one thread is fastest
QUICK = os.environ.get("DENDRITIC_QUICK") == "1"  # CI: smaller spiral, fewer seeds, same code path
data = dendritic.spiral_data(per_class=400 if QUICK else 2000)
SEEDS = [0, 1] if QUICK else [0, 1, 2, 3, 4]
STEPS = len(data.train[1])
EPOCHS = 4 if QUICK else 1  # the small spiral has a fifth of the samples: more passes, about as many steps
print(f"{'quick' if QUICK else 'full'} mode: {STEPS} training samples per epoch, {EPOCHS} epoch(s), seeds {SEEDS}")

# %% [markdown]
# ## Section 1: Weight transport
#
# In the poster's two dendritic rules, the dendrite of hidden layer $l$ hears the layer above through the
# top-down weights $B_l$:
#
# $$D_l = B_l\, a_{l+1}, \qquad B_l = W_{l+1}^T .$$
#
# The nudge of layer $l$ is then exactly backprop's error signal (notebook 03), *because* $B_l$ is the transpose.
# But $W_{l+1}$ are the synapses from layer $l$ **up** to layer $l+1$, on the dendrites of layer $l+1$; $B_l$ are
# other synapses, from layer $l+1$ **down** to layer $l$. For $B_l = W_{l+1}^T$ every top-down synapse would have to
# know, and keep tracking during learning, the strength of one particular bottom-up synapse elsewhere in the brain.
# No known mechanism transports weights like that: this is the **weight transport problem** (Grossberg 1987).
#
# Let us check that the poster's rule really uses the transpose:

# %%
net = dendritic.Network(seed=0)
rule = dendritic.rule("temporal_contrast")          # top_down="transpose": the poster
W2 = net.W2.detach().clone()                        # the forward weights the dendrite will hear through
rule.step(net, data.train[0][0], int(data.train[1][0]))
layer1, layer2 = net.compartments[0], net.compartments[1]
top_down = W2.T @ layer2["activity"]                # W_2^T a_2, computed by hand
print("dendrite of layer 1 == W_2^T a_2:", torch.allclose(layer1["dendrite_forward"], top_down, atol=1e-6))
assert torch.allclose(layer1["dendrite_forward"], top_down, atol=1e-6)


# %% [markdown]
# ### Think! 1
#
# Before reading on: if the top-down weights $B$ were **random and fixed**, the hidden layers would get a
# "wrong" error signal. Would the network learn anything at all? What would have to happen to the forward
# weights $W$ for a random $B$ to become useful?

# %% [markdown]
# ## Section 2: Feedback alignment and the alignment angle
#
# Lillicrap et al. (2016) found that a network can learn with **fixed random** $B$: the forward weights $W$ come
# to *align* with $B^T$, so that $B$ gradually carries a useful error. We measure this with the angle between
# $B_l$ and $W_{l+1}^T$, both flattened to vectors: 90° means unrelated, 0° means $B$ is the transpose.
#
# ### Exercise 1: the alignment angle
# Complete `alignment_angle(B, W_above)`: the angle in degrees between $B$ (shape `[S, n_l, n_{l+1}]`) and
# $W_{l+1}^T$ (`W_above` has shape `[S, n_{l+1}, n_l]`), one angle per ensemble member.

# %%
# NBVAL_RAISES_EXCEPTION
def alignment_angle(B, W_above):
    """Angle (degrees) between B and W_above^T, flattened per member: [S]."""
    raise NotImplementedError("Student exercise: flatten B and W_above^T per member, take arccos of their cosine")


# %% jupyter={"source_hidden": true}
# Solution to Exercise 1
def alignment_angle(B, W_above):
    """Angle (degrees) between B and W_above^T, flattened per member: [S]."""
    u, v = B.flatten(1).double(), W_above.mT.flatten(1).double()
    cosine = (u * v).sum(1) / (u.norm(dim=1) * v.norm(dim=1))
    return torch.rad2deg(torch.arccos(cosine.clamp(-1, 1)))


# %%
# Check: against the library, and the two ends of the scale
W = torch.randn(3, 4, 6)
B = torch.randn(3, 6, 4)
assert torch.allclose(alignment_angle(B, W), beyond.alignment(B, W))
assert torch.allclose(alignment_angle(W.mT, W), torch.zeros(3, dtype=torch.float64), atol=1e-3)
print("alignment_angle agrees with dendritic.alignment.alignment")

# %% [markdown]
# Now train temporal contrast with fixed random $B$ (`feedback_alignment`) and with learned $B$
# (`kolen_pollack`, Section 3) on the same seeds, recording the alignment angle during training.
# These runs use the rules' default settings (the poster's ReLU-gated output and constant rates), so some
# seeds lose output units and end with a low accuracy (notebook 05); here we watch the angle. Section 6
# compares every variant at its tuned settings.

# %%
runs = {}
for name in ("feedback_alignment", "kolen_pollack"):
    rule = dendritic.rule(name)
    net = dendritic.Network(seed=SEEDS)
    runs[name] = dendritic.train(net, rule, data, epochs=EPOCHS, record_every=max(1, EPOCHS * STEPS // 40))
    print(f"{name:20s} val acc per seed {np.round(runs[name].val_acc, 3)}  {rule}")
ax = beyond.plot_alignment(runs)
ax.set_title("angle between the top-down weights B and W$^T$, mean over seeds")
plt.show()

# %%
# What this section teaches, checked: fixed random B stays far from W^T (the forward weights align only
# slowly, mostly in the top hidden layer); learned B ends close to the transpose in every layer.
fa, kp = runs["feedback_alignment"].records, runs["kolen_pollack"].records
for l in (1, 2):
    start, end = kp[f"alignment/layer{l}"][0].mean(), kp[f"alignment/layer{l}"][-1].mean()
    print(f"layer {l}: feedback alignment ends at {fa[f'alignment/layer{l}'][-1].mean():.0f} deg; "
          f"Kolen-Pollack {start:.0f} -> {end:.0f} deg")
    assert fa[f"alignment/layer{l}"][-1].mean() > 60
    assert start > 75 and end < 45


# %% [markdown]
# ## Section 3: Learning the top-down weights (Kolen-Pollack)
#
# Akrout et al. (2019) give $B$ its own local plasticity. The forward synapse $W_{l+1}$ and the top-down synapse
# $B_l$ connect the same two layers in opposite directions, so both can see the same two local signals: the
# activity $a_l$ of layer $l$ and the nudge $N_{l+1}$ of layer $l+1$. Kolen-Pollack updates both with them, plus
# a weight decay $\lambda$:
#
# $$\Delta W_{l+1} = \eta\, N_{l+1} \otimes a_l - \lambda W_{l+1}, \qquad
#   \Delta B_l = \eta\, a_l \otimes N_{l+1} - \lambda B_l .$$
#
# The learning terms are transposes of each other, so they cancel in the difference:
# $W_{l+1}^T - B_l \to (1-\lambda)(W_{l+1}^T - B_l)$ at every step. Whatever $B$ started as, it forgets it
# and becomes the transpose, without ever reading $W$.
#
# ### Exercise 2: one Kolen-Pollack step for B
# Complete `kolen_pollack_step(B, a, N, lr, decay)`; `B` is `[S, n_l, n_{l+1}]`, the presynaptic activity
# `a` is `[S, 1, n_l]` and the nudge above `N` is `[S, 1, n_{l+1}]`. Return the new `B`.

# %%
# NBVAL_RAISES_EXCEPTION
def kolen_pollack_step(B, a, N, lr, decay):
    """B after one Kolen-Pollack step: B + lr a (x) N - decay B."""
    raise NotImplementedError("Student exercise: decay B, then add lr times the outer product of a and N")


# %% jupyter={"source_hidden": true}
# Solution to Exercise 2
def kolen_pollack_step(B, a, N, lr, decay):
    """B after one Kolen-Pollack step: B + lr a (x) N - decay B."""
    return (1 - decay) * B + lr * a.mT @ N


# %%
# Check: one step of the library's rule moves B exactly as your function does
rule = dendritic.rule("kolen_pollack", lr=0.2, decay=0.01)
net = dendritic.Network(seed=3)
B = [b.clone() for b in rule.state(net).top_down]
layers = rule.step(net, data.train[0][0], int(data.train[1][0]))
for l, b in enumerate(B):
    mine = kolen_pollack_step(b, layers[l + 1]["presynaptic"], layers[l + 1]["nudge"], rule.lr, rule.decay)
    assert torch.allclose(mine, rule.state(net).top_down[l], atol=1e-6)
print("kolen_pollack_step matches dendritic.rule('kolen_pollack').step")

# %% [markdown]
# ### Watching B become W$^T$
#
# The animation trains one network with Kolen-Pollack (a large decay, so the whole story fits in one epoch) and
# shows the top-down weights $B_2$ (32 × 4) beside $W_3^T$, and the angle between them.

# %%
frames = beyond.alignment_frames(dendritic.rule("kolen_pollack", decay=2e-3), data, seed=0, frames=24, layer=2)
display(HTML(beyond.alignment_animation(frames).to_jshtml(default_mode="once")))
print(f"angle: {frames[0]['angle']:.0f} deg at step 0 -> {frames[-1]['angle']:.0f} deg at step {frames[-1]['step']}")
assert frames[-1]["angle"] < 20 < frames[0]["angle"]


# %% [markdown]
# ### Interactive Demo 1: how much decay?
#
# The decay $\lambda$ is what aligns $B$, but it also shrinks the forward weights. Choose the top-down mode and
# the decay, and retrain one epoch (seed 0): the alignment angle on the left, the learning curve on the right.

# %%
def demo_top_down(top_down="learned", log10_decay=-3.3):
    decay = 10 ** log10_decay if top_down == "learned" else 0.0
    rule = dendritic.rule("temporal_contrast", lr=0.15, top_down=top_down, decay=decay)
    result = dendritic.train(dendritic.Network(seed=0), rule, data, epochs=EPOCHS,
                             record_every=max(1, EPOCHS * STEPS // 30), eval_every=max(1, EPOCHS * STEPS // 15))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
    beyond.plot_alignment({top_down: result}, ax=ax1)
    ax2.plot(result.curve_steps, 100 * result.curve_val_acc[:, 0])
    ax2.axhline(100 * dendritic.BAYES_ACCURACY, color="k", ls="--", lw=1)
    ax2.set(xlabel="training step", ylabel="validation accuracy (%)", ylim=(0, 100),
            title=f"{rule}: {100 * result.val_acc[0]:.1f} %")
    plt.tight_layout()
    plt.show()


demo = widgets.interactive(
    demo_top_down,
    top_down=widgets.Dropdown(options=["random", "learned"], value="learned", description="top_down"),
    log10_decay=widgets.FloatSlider(value=-3.3, min=-5, max=-2, step=0.1, description="log10 decay",
                                    continuous_update=False))
display(demo)

# %% [markdown]
# ### Think! 2
#
# With `decay` near $10^{-5}$ the angle barely moves in one epoch; near $10^{-2}$ it drops within a few hundred
# steps but the accuracy suffers. Why does the *same* decay both align $B$ and hurt learning? Which other
# biological process could play the role of the decay?

# %% [markdown]
# ## Section 4: Dale's law: excitatory and inhibitory neurons
#
# In the brain a neuron is either excitatory or inhibitory: all its outgoing synapses have one sign. The
# poster's network ignores that: every weight can be positive or negative. The `dale` rule puts the same
# learning into a circuit that obeys Dale's law. Every pathway that needs a negative weight goes through
# inhibitory interneurons:
#
# * the **pyramidal neurons** (the network's units) are excitatory: forward weights $W^E_l \ge 0$, direct
#   top-down weights $B^E_l \ge 0$;
# * **somatic interneurons** (PV-like, `somatic` per layer, one by default): $h_l = W^{IE}_l a_{l-1}$, inhibiting
#   the soma, $z_l = W^E_l a_{l-1} - W^{EI}_l h_l + b_l$, so the effective forward weight is
#   $W_l = W^E_l - W^{EI}_l W^{IE}_l$;
# * a **top-down inhibitory relay** (`relay` per hidden layer, one by default): interneurons driven by the layer
#   above, $r_l = Q_l a_{l+1}$, inhibit the dendrite through $B^I_l$. The dendrite hears the layer above through
#   the effective top-down weight
#   $$B_l = B^E_l - B^I_l Q_l ,$$
#   which, like $W_{l+1}$, can have either sign;
# * **dendrite-targeting interneurons** (SST-like, `interneurons` per hidden layer): nonlinear,
#   $i_l = f(V_l a_l - G_l h_{l+1} + c_l)$; each is paired with a neuron of the layer above, learns to fire like
#   it (Sacramento et al. 2018) and inhibits the dendrite with $U_l \ge 0$, cancelling the top-down input.
#   Inhibition can only cancel a *positive* input; the relay's inhibition is cancelled by a twin population of
#   **excitatory** dendrite-targeting cells $e_l$ (same equations, own weights) that excite the dendrite
#   with $U^X_l \ge 0$:
#   $$D_l = B^E_l a_{l+1} - B^I_l r_l - (U_l i_l - U^X_l e_l).$$
#
# Learning is the interneuron rule's, split over the two synapses of each pathway and clipped at zero:
# $\Delta W^E = \eta N \otimes a$, $\Delta W^{EI} = -\eta N \otimes h$, and for the top-down pathway
# Kolen-Pollack on both synapse types, $\Delta B^E_l = \eta\, a_l \otimes N_{l+1}$,
# $\Delta B^I_l = -\eta\, a_l \otimes (Q_l N_{l+1})$ (the relay's own change of activity), with the decay
# $\lambda$ on both. The circuit starts **balanced**: inhibition `balance` times the least that keeps every
# excitatory synapse $\ge 0$, so that excitatory synapses start away from zero (E/I balance).

# %%
rule = dendritic.rule("dale", config="tuned")  # the tuned rates (data/hyperparameters.json)
net = dendritic.Network(seed=SEEDS)
dale_run = dendritic.train(net, rule, data, epochs=EPOCHS, record_every=max(1, EPOCHS * STEPS // 40))
print(rule)
print(f"dale: val acc per seed {np.round(dale_run.val_acc, 3)}")
signs = beyond.sign_summary(rule, net)
print(f"{'synapses':20s} {'min':>8s} {'at 0':>7s}")
for name, s in signs.items():
    print(f"{name:20s} {s['min']:8.4f} {100 * s['zero']:6.1f}%")

# %%
# Every sign-constrained synapse is still >= 0 after a full epoch, the relay's included, and the network's W
# is the circuit's effective weight
state = rule.state(net)
assert all(s["min"] >= 0 for s in signs.values())
assert {"relay1", "relay_inhibition1", "UX1"} <= set(signs)
for W, WE, WEI, WIE in zip(net.stacked()[0], state.excitatory, state.inhibitory, state.somatic):
    assert torch.allclose(W, WE - WEI @ WIE, atol=1e-5)
print("Dale's law holds for", len(signs), "groups of synapses")


# %% [markdown]
# ### Exercise 3: the effective top-down weight
# Complete `effective_top_down(BE, BI, Q)`: the weight through which the dendrite of layer $l$ hears the layer
# above, given the direct excitatory synapses `BE` (`[S, n_l, n_{l+1}]`), the relay's inhibitory synapses onto
# the dendrite `BI` (`[S, n_l, q_l]`) and the relay's input synapses `Q` (`[S, q_l, n_{l+1}]`).

# %%
# NBVAL_RAISES_EXCEPTION
def effective_top_down(BE, BI, Q):
    """B_l = B^E_l - B^I_l Q_l: [S, n_l, n_{l+1}]."""
    raise NotImplementedError("Student exercise: direct excitation minus the inhibition relayed through Q")


# %% jupyter={"source_hidden": true}
# Solution to Exercise 3
def effective_top_down(BE, BI, Q):
    """B_l = B^E_l - B^I_l Q_l: [S, n_l, n_{l+1}]."""
    return BE - BI @ Q


# %%
# Check: against the library; every synapse is >= 0, the effective weight is not
for l, B in enumerate(rule.top_down_weights(None, state)):
    BE, BI, Q = state.top_down[l], state.relay_inhibition[l], state.relay[l]
    assert torch.allclose(effective_top_down(BE, BI, Q), B, atol=1e-5)
    assert (B < 0).any() and (B > 0).any()
    print(f"layer {l + 1}: B^E, B^I, Q >= 0, yet {100 * (B < 0).float().mean():.0f}% of the effective B_{l + 1} is < 0")

# %% [markdown]
# ### Where the accuracy went, and what the relay buys
#
# The first version of this circuit had no relay: the top-down input was excitatory only, $B_l = B^E_l \ge 0$.
# A matrix with no negative entries cannot point in the direction of a matrix whose entries are half negative,
# so its angle to $W_{l+1}^T$ stays far from 0. The cell below trains the tuned rule three ways on the same
# seeds: with the relay, without it (`relay=0`), and with weight transport (`top_down="transpose"`: the relay
# copies the somatic circuit of the layer above, so $B_l = W_{l+1}^T$ exactly: the ceiling of the
# sign-constrained forward path).

# %%
variants = {"relay (learned B)": dict(), "excitatory only (relay=0)": dict(relay=0),
            "weight transport (transpose)": dict(top_down="transpose", decay=0.0)}
dale_runs = {}
for label, change in variants.items():
    r = dendritic.rule("dale", config="tuned", **change)
    dale_runs[label] = dendritic.train(dendritic.Network(seed=SEEDS), r, data, epochs=EPOCHS,
                                       record_every=max(1, EPOCHS * STEPS // 40))
    angles = [np.nanmean(dale_runs[label].records[f"alignment/layer{l}"][-1]) for l in (1, 2)]
    print(f"{label:30s} val acc {100 * np.nanmean(dale_runs[label].val_acc):5.1f}%  "
          f"final angle(B, W^T): layer 1 {angles[0]:3.0f} deg, layer 2 {angles[1]:3.0f} deg")
ax = beyond.plot_alignment({k: v for k, v in dale_runs.items() if "transpose" not in k})
ax.set_title("effective B against the effective W$^T$ = (W$^E$ - W$^{EI}$W$^{IE}$)$^T$")
plt.show()

# %%
# The lesson, checked: the relay lets the effective B come closer to W^T than an excitatory-only B can
final = {k: np.nanmean([v.records[f"alignment/layer{l}"][-1] for l in (1, 2)]) for k, v in dale_runs.items()}
assert final["relay (learned B)"] < final["excitatory only (relay=0)"]
assert final["weight transport (transpose)"] < 1


# %% [markdown]
# **Measured** (poster protocol, tuned, 10 seeds; backprop tuned: 97.0 ± 0.1 %). With the relay the Dale circuit
# reaches **95.4 ± 0.3 %** validation accuracy, and its effective $B_l$ ends 44° (layer 1) and 31° (layer 2) from
# $W_{l+1}^T$, from 90° at the start. At the same rates without the relay (`relay=0`): 85.8 ± 1.3 %, 71° and 54°;
# with weight transport (`top_down="transpose"`): 94.3 ± 0.3 % (these rates were tuned for the learned $B$).
# The first version of this circuit (no relay) reached 73.4 ± 1.6 %, and the top-down sign was not its only loss.
# Taking it apart, 3 seeds each: giving it the exact effective transpose $B_l = W_{l+1}^T$ still left it at
# 73–77 %; its weight decay shrank $W^E$ alone, which pulls $W_l$ towards $-W^{EI}_l W^{IE}_l$, not towards 0
# (decaying both synapses of a pathway, and less of it, gave 91 %); its excitatory synapses started at the clip at
# 0 (starting balanced, `balance` 4, with one somatic interneuron per layer: 95.7 % with the transpose). And
# without the excitatory twin cells an inhibitory population cannot cancel a mixed-sign top-down input (53–56 %).
# Tuned, the learning rate sits at the edge of a runaway (a residual $D^F$ stuck at the clamp drives the weights
# up): one trial at $\eta = 0.08$ scored 95.8 % on seeds 0–4 and 80.8 % on seeds 5–9, so the tuner's choice was
# confirmed on new seeds.
#
# ### Think! 3
#
# The relay needs a second population of dendrite-targeting cells, and they must be **excitatory**. Why can the
# inhibitory SST-like interneurons alone not cancel the relay's inhibition? What does it cost a circuit when
# a pathway is the difference of two large, balanced parts (try `balance` below)?
#
# ### Interactive Demo 2: relay, balance and somatic interneurons

# %%
def demo_dale(top_down="learned, with relay", log10_balance=0.6, somatic=1):
    change = {"learned, with relay": dict(), "learned, excitatory only": dict(relay=0),
              "transpose (weight transport)": dict(top_down="transpose", decay=0.0)}[top_down]
    rule = dendritic.rule("dale", config="tuned", somatic=somatic, balance=10 ** log10_balance, **change)
    net = dendritic.Network(seed=0)
    result = dendritic.train(net, rule, data, epochs=EPOCHS, eval_every=max(1, EPOCHS * STEPS // 15),
                             record_every=max(1, EPOCHS * STEPS // 20))
    signs = beyond.sign_summary(rule, net)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
    ax1.plot(result.curve_steps, 100 * result.curve_val_acc[:, 0])
    ax1.axhline(100 * dendritic.BAYES_ACCURACY, color="k", ls="--", lw=1)
    ax1.set(xlabel="training step", ylabel="validation accuracy (%)", ylim=(0, 100),
            title=f"{100 * result.val_acc[0]:.1f} %, min synapse {min(s['min'] for s in signs.values()):.3f}")
    beyond.plot_alignment({top_down: result}, ax=ax2)
    plt.tight_layout()
    plt.show()


demo = widgets.interactive(
    demo_dale,
    top_down=widgets.Dropdown(options=["learned, with relay", "learned, excitatory only", "transpose (weight transport)"],
                              description="top-down"),
    log10_balance=widgets.FloatSlider(value=0.6, min=0, max=1.2, step=0.1, description="log10 balance",
                                      continuous_update=False),
    somatic=widgets.IntSlider(value=1, min=1, max=16, description="somatic", continuous_update=False))
display(demo)

# %% [markdown]
# ## Section 5: Nonlinear interneurons cancel what a linear matrix cannot
#
# Rule 3's interneurons give the dendrite $-R_l a_l$, a **linear** function of the layer's own activity. The
# top-down input they must cancel is $W_{l+1}^T f(W_{l+1} a_l + b_{l+1})$: a **nonlinear** function of $a_l$.
# Whatever is left, $D^F$, adds to the error signal (notebook 04). The `nonlinear_interneuron` rule gives each
# hidden layer a population of ReLU interneurons, each taught by one neuron above it; once they fire like the
# layer above, the top-down input can be cancelled exactly.
#
# To compare the two populations fairly we hold the forward weights still (a tiny learning rate) at a network
# trained by backprop, start both populations at random, and let them learn at the same rate on the same seeds.

# %%
trained = dendritic.Network(seed=SEEDS)
dendritic.train(trained, dendritic.rule("backprop", lr=0.05), data, eval_every=STEPS)
frozen = dict(lr=1e-12, lr_bias=1e-12, lr_rec=0.05)
populations = {"linear R (rule 3)": dendritic.rule("interneuron", **frozen),
               "nonlinear interneurons": dendritic.rule("nonlinear_interneuron", start="random", lr_int=0.05, **frozen)}
cancel_runs, residual = {}, {}
for label, rule in populations.items():
    probe = dendritic.Network(seed=SEEDS)
    probe.load_state_dict(trained.state_dict())
    cancel_runs[label] = dendritic.train(probe, rule, data, epochs=2 * EPOCHS, record_every=max(1, EPOCHS * STEPS // 25),
                                         eval_every=2 * EPOCHS * STEPS)
    residual[label] = beyond.cancellation_residual(probe, rule, data.val[0])
    print(f"{label:24s} mean |D^F|^2 on the validation set, per seed x hidden layer:\n{np.round(residual[label], 6)}")
beyond.plot_residuals(cancel_runs)
plt.title("what the interneurons leave uncancelled")
plt.show()

# %%
# The lesson, checked on every seed and hidden layer: the nonlinear population leaves less.
assert (residual["nonlinear interneurons"] < residual["linear R (rule 3)"]).all()
ratio = residual["linear R (rule 3)"] / residual["nonlinear interneurons"]
print(f"the linear matrix leaves {ratio.min():.1f}x to {ratio.max():.1f}x more than the nonlinear interneurons")

# %% [markdown]
# ## Section 6: How close to backprop?
#
# `data/comparison.csv` holds the validation accuracy per seed of every rule, one epoch under the poster
# protocol; its `tuned` rows are each rule at its tuned hyperparameters (Optuna, objective = mean validation
# accuracy over seeds 0..4, `python -m dendritic tune`), seeds 0..9. They are written by
# `dendritic.experiments.compare(rules, seeds=10, configs=("tuned",))`; re-running that gives the same numbers.
# A rule of this notebook that has no tuned rows there yet is named below, not guessed.

# %%
rows = [r for r in read_csv(DATA / "comparison.csv") if r["config"] == "tuned"]
present = {r["rule"] for r in rows}
missing = [name for name in ("backprop", *BEYOND) if name not in present]
if missing:
    print(f"not in data/comparison.csv yet (no tuned rows): {', '.join(missing)}")
table = summarize(rows) if rows else []
print(f"{'rule':24s} {'config':7s} {'n':>3s} {'mean':>7s} {'SEM':>6s} {'dead':>5s} {'p (Welch, Holm)':>16s}")
for row in table:
    print(f"{row['rule']:24s} {row['config']:7s} {row['n']:3d} {100 * row['mean']:6.1f}% {100 * row['sem']:5.1f} "
          f"{row['dead']:5d} {row['p_welch_holm']:16.3g}")
if table:
    beyond.plot_comparison(table, bayes=dendritic.BAYES_ACCURACY)
    plt.title("validation accuracy, tuned, mean ± SEM over seeds")
    plt.tight_layout()
    plt.show()

# %%
# Checked against the data (for the rules that are in it): learned feedback (no weight transport) is as good as
# the transpose it replaces, and fixed random B costs accuracy
means = {r["rule"]: r["mean"] for r in table}
if {"backprop", "kolen_pollack"} <= set(means):
    assert means["kolen_pollack"] >= means["backprop"] - 0.02      # within 2 points
if {"feedback_alignment", "kolen_pollack"} <= set(means):
    assert means["feedback_alignment"] < means["kolen_pollack"]    # fixed random B costs accuracy
assert all(r["n"] == 10 for r in table)
print({k: round(100 * v, 1) for k, v in means.items()})

# %% [markdown]
# ### Think! 4
#
# Which of the biological constraints cost accuracy, and which did not? Look at the dead-output column: how
# much of each gap to backprop is the ReLU output problem of notebook 05 rather than the constraint itself?
#
# ## Summary
#
# * The poster's rules need **weight transport** ($B = W^T$). Fixed random $B$ (feedback alignment) learns, but
#   in one online epoch it stays several points below backprop; $B$ that learns with the **Kolen-Pollack** local
#   rule aligns with $W^T$ within the epoch and, tuned, matches backprop to a fraction of a point.
# * A circuit that obeys **Dale's law** keeps every synapse's sign. A non-negative top-down pathway cannot carry
#   the error of a mixed-sign effective weight; an **inhibitory relay** makes the effective $B = B^E - B^I Q$
#   mixed-sign, Kolen-Pollack on both synapse types aligns it with $W^T$, and excitatory dendrite-targeting cells
#   cancel the relay's inhibition. Started E/I-balanced and tuned, it learns within 2 points of backprop.
# * **Nonlinear interneurons** that predict the layer above cancel the top-down input better than a linear $R$;
#   tuned, they learn as well as rule 3.
