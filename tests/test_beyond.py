"""Beyond the poster: learned top-down weights, Dale's law, nonlinear interneurons (notebook 06)."""

import numpy as np
import pytest
import torch

import dendritic
from dendritic.diagnostics import alignment, cancellation_residual
from dendritic.network import forward
from dendritic.rules import BEYOND

from conftest import random_sample

ENSEMBLE_ATOL = 1e-5


@pytest.fixture(autouse=True)
def one_thread():
    """Batch-1 training is fastest on one thread, and a busy machine makes two threads far slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _head(data, steps):
    X, y = data.train
    return dendritic.Spiral((X[:steps], y[:steps]), data.val, data.test, data.classes, data.noise, data.seed)


# --- top-down weights -----------------------------------------------------------------
@pytest.mark.parametrize("name, hyper", [("kolen_pollack", {}), ("temporal_contrast", dict(top_down="learned")),
                                         ("interneuron", dict(top_down="learned"))])
def test_learned_top_down_weights_align_with_the_transpose_in_one_epoch(name, hyper, data, capsys):
    rule = dendritic.rule(name, **hyper)
    result = dendritic.train(dendritic.Network(seed=[0, 1, 2]), rule, data, record_every=280)
    for layer in (1, 2):
        angles = result.records[f"alignment/layer{layer}"]  # [records, seeds]
        with capsys.disabled():
            print(f"\n{name} {hyper} layer {layer}: B-W^T angle {np.round(angles[0], 1)} -> {np.round(angles[-1], 1)} deg")
        assert (angles[0] > 75).all()      # random B starts nearly orthogonal to W^T
        assert (angles[-1] < 45).all()     # and ends well aligned
        assert (angles[-1] < angles[len(angles) // 2]).all()


def test_kolen_pollack_shrinks_the_difference_between_B_and_W_transpose_by_the_decay():
    """dW = lr N (x) a - decay W and dB = lr a (x) N - decay B, so W^T - B -> (1 - decay)(W^T - B)."""
    g = torch.Generator().manual_seed(5)
    rule = dendritic.rule("kolen_pollack", lr=0.2, decay=0.01)
    net = dendritic.Network(seed=3)
    B = rule.state(net).top_down
    for _ in range(20):
        before = [(W.mT - b).clone() for W, b in zip(net.stacked()[0][1:], B)]
        rule.step(net, *random_sample(g, net))
        for W, b, diff in zip(net.stacked()[0][1:], B, before):
            torch.testing.assert_close(W.mT - b, 0.99 * diff, atol=1e-6, rtol=1e-5)


def test_feedback_alignment_keeps_B_fixed_and_the_poster_has_no_B(small_data):
    net = dendritic.Network(seed=[0, 1])
    rule = dendritic.rule("feedback_alignment")
    B = [b.clone() for b in rule.state(net).top_down]
    dendritic.train(net, rule, small_data)
    assert all(torch.equal(a, b) for a, b in zip(B, rule.state(net).top_down))
    assert not any(torch.equal(a, W.mT) for a, W in zip(B, net.stacked()[0][1:]))
    poster = dendritic.Network(seed=0)
    dendritic.train(poster, dendritic.rule("temporal_contrast"), small_data)
    assert not any(name.startswith("B") for name, _ in poster.named_buffers())


def test_transpose_is_the_poster_bit_for_bit(small_data):
    for name in ("temporal_contrast", "interneuron"):
        a, b = dendritic.Network(seed=[2, 3]), dendritic.Network(seed=[2, 3])
        dendritic.train(a, dendritic.rule(name), small_data)
        dendritic.train(b, dendritic.rule(name, top_down="transpose", decay=0.0), small_data)
        assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_alignment_helper():
    W = torch.randn(2, 5, 3)
    np.testing.assert_allclose(alignment(W.mT, W), 0, atol=1e-3)
    np.testing.assert_allclose(alignment(-W.mT, W), 180)


# --- Dale's law ------------------------------------------------------------------------
#: Every sign-constrained synapse group of the 2-128-32-4 circuit, with the inhibitory top-down relay
#: (the excitatory dendrite-targeting cells VX, GX, UX cancel the relay's inhibition) and without it.
DALE_GROUPS = {"excitatory": 3, "inhibitory": 3, "somatic": 3, "top_down": 2, "relay": 2, "relay_inhibition": 2,
               "V": 2, "G": 2, "U": 2, "VX": 2, "GX": 2, "UX": 2}
DALE_GROUPS_NO_RELAY = {k: v for k, v in DALE_GROUPS.items() if k not in ("relay", "relay_inhibition", "VX", "GX", "UX")}


@pytest.fixture(scope="module")
def tiny_data():
    """1120 training points: enough for a Dale circuit to learn and its B to align."""
    return dendritic.spiral_data(per_class=400)


def _effective_top_down(state, l):
    if state.relay is None:
        return state.top_down[l]
    return state.top_down[l] - state.relay_inhibition[l] @ state.relay[l]


@pytest.mark.parametrize("top_down, relay", [("learned", None), ("learned", 0), ("random", None), ("transpose", None),
                                             ("transpose", 0)])
def test_dale_signs_hold_after_every_step(top_down, relay, small_data):
    rule = dendritic.rule("dale", top_down=top_down, relay=relay, lr=0.2, lr_int=0.2, lr_rec=0.5, balance=1.0)
    net = dendritic.Network(seed=[4, 5])
    groups = DALE_GROUPS if relay is None else DALE_GROUPS_NO_RELAY
    names = {f"{k}{l}" for k, n in groups.items() for l in range(1, n + 1)}
    X, y = small_data.train
    if top_down != "transpose" and relay is None:  # weak relay synapses, so that they reach the clip at 0 too
        for BI in rule.state(net).relay_inhibition:
            BI.mul_(1e-3)
    clipped = set()
    for step in range(300):
        rule.step(net, X[step].expand(2, -1), y[step].expand(2))
        state = rule.state(net)
        signs = rule.signs(state)
        assert set(signs) == names
        for name, t in signs.items():
            assert (t >= 0).all(), f"{name} has a negative synapse after step {step}"
            if (t == 0).any():
                clipped.add(name)
        for W, WE, WEI, WIE in zip(net.stacked()[0], state.excitatory, state.inhibitory, state.somatic):
            torch.testing.assert_close(W, WE - WEI @ WIE, atol=1e-5, rtol=0)
    assert clipped, "no synapse ever reached 0: the sign constraint was never exercised"
    if top_down == "learned" and relay is None:
        assert {"top_down1", "relay_inhibition1"} <= clipped, clipped
    B = rule.top_down_weights(state)
    if top_down == "transpose" and relay is None:  # the relay copies layer l+1's somatic circuit: B_l = W_{l+1}^T
        for b, W in zip(B, net.stacked()[0][1:]):
            torch.testing.assert_close(b, W.mT, atol=1e-5, rtol=0)
    elif top_down != "transpose":
        for l, b in enumerate(B):
            torch.testing.assert_close(b, _effective_top_down(state, l))
    assert all(torch.isfinite(W).all() for W in net.weights)


def test_dale_circuit_starts_with_the_networks_function_and_cancels_its_top_down_input():
    """At the first sample the somatic circuit computes the network's W, the effective B has both signs,
    and the two dendrite-targeting populations (inhibitory and excitatory) cancel the top-down input."""
    net = dendritic.Network(seed=7)
    before = [W.clone() for W in net.weights]
    rule = dendritic.rule("dale", somatic=(3, 2, 1), interneurons=(40, 8), relay=(2, 3))
    state = rule.state(net)
    assert [t.shape[1] for t in state.somatic] == [3, 2, 1]
    assert [t.shape[1] for t in state.V] == [40, 8] and [t.shape[1] for t in state.VX] == [40, 8]
    assert [t.shape[1] for t in state.relay] == [2, 3]
    for W, WE, WEI, WIE in zip(before, state.excitatory, state.inhibitory, state.somatic):
        assert (WE >= 0).all() and (WEI >= 0).all() and (WIE >= 0).all()
        torch.testing.assert_close(WE[0] - WEI[0] @ WIE[0], W, atol=1e-6, rtol=0)
    for B in rule.top_down_weights(state):
        assert (B < 0).float().mean() > 0.3 and (B > 0).float().mean() > 0.3
    layers = rule.step(net, torch.tensor([0.3, -0.2]), 1)
    for layer in layers[:-1]:
        assert layer["top_down_forward"].abs().max() > 1e-3
        torch.testing.assert_close(layer["dendrite_forward"], torch.zeros_like(layer["dendrite_forward"]),
                                   atol=1e-5, rtol=0)
    assert not any(torch.equal(a, b) for a, b in zip(before, net.weights))  # and then it learned


def test_dale_effective_top_down_aligns_with_the_transpose_and_the_excitatory_only_one_cannot(tiny_data, capsys):
    """Over one epoch the angle between the effective B_l = B^E_l - B^I_l Q_l and W_{l+1}^T falls in every
    layer and seed; the excitatory-only B_l >= 0 (relay=0) ends further from W_{l+1}^T in every layer."""
    final = {}
    for relay in (None, 0):
        rule = dendritic.rule("dale", relay=relay, lr=0.06, lr_rec=0.5, lr_int=0.04, decay=3e-5, output_gate=False)
        result = dendritic.train(dendritic.Network(seed=[1, 2, 3]), rule, tiny_data, record_every=112)
        for l in (1, 2):
            angles = result.records[f"alignment/layer{l}"]  # [records, seeds]
            with capsys.disabled():
                print(f"\ndale relay={relay} layer {l}: angle(B, W^T) {np.round(angles[0], 1)} -> "
                      f"{np.round(angles[-1], 1)} deg, val acc {np.round(result.val_acc, 3)}")
            assert (angles[0] > 80).all()                  # B starts unrelated to W^T
            final[relay, l] = angles[-1]
            if relay is None:
                assert (angles[-1] < angles[0] - 10).all()  # and the effective B aligns
    for l in (1, 2):
        assert (final[None, l] < final[0, l]).all()


# --- nonlinear interneurons ----------------------------------------------------------------
def _residual(net, rule, X):
    """Mean |D^F|^2 of every hidden layer over the points X (no clamps), per member: [S, hidden]."""
    return torch.from_numpy(cancellation_residual(rule, net, X)).float()


def test_nonlinear_interneurons_cancel_better_than_the_linear_matrix(data, capsys):
    """Forward weights held still at a backprop-trained network (so the layer above is a
    clearly nonlinear function of the layer below); both populations start random and
    learn at the same rate on the same seeds, and the nonlinear ones cancel better in
    both hidden layers. The linear R is also given its best possible value (least
    squares on the training set): in the top hidden layer, whose layer above is the
    ReLU output, the nonlinear interneurons beat even that floor. (Layer 1 -> 2 of a
    one-epoch network is nearly linear on the data: there the floor is as low as what
    the nonlinear population reaches in two epochs.)"""
    seeds = [0, 1, 2]
    net = dendritic.Network(seed=seeds)
    dendritic.train(net, dendritic.rule("backprop", lr=0.05), data, eval_every=5600)
    trained = net.state_dict()
    frozen = dict(lr=1e-12, lr_bias=1e-12, lr_rec=0.05)
    linear = dendritic.rule("interneuron", **frozen)
    nonlinear = dendritic.rule("nonlinear_interneuron", start="random", lr_int=0.05, **frozen)
    residuals = {}
    for label, rule in (("linear R", linear), ("nonlinear", nonlinear)):
        probe = dendritic.Network(seed=seeds)
        probe.load_state_dict(trained)
        dendritic.train(probe, rule, data, epochs=2, eval_every=11200)
        residuals[label] = _residual(probe, rule, data.val[0])
    # the best linear R: least squares of -W_{l+1}^T a_{l+1} on a_l over the training set
    weights, biases, _ = net.stacked()
    _, a_train = forward(weights, biases, net._batch(data.train[0]))
    _, a_val = forward(weights, biases, net._batch(data.val[0]))
    best = []
    for l in range(2):
        R = torch.linalg.lstsq(a_train[l].double(), -torch.bmm(a_train[l + 1], weights[l + 1]).double(),
                               driver="gelsd").solution  # gelsd: the activities are rank-deficient (silent units)
        best.append(((torch.bmm(a_val[l + 1], weights[l + 1]).double() + a_val[l].double() @ R) ** 2).mean((1, 2)))
    residuals["best linear R"] = torch.stack(best, 1).float()
    with capsys.disabled():
        for label, r in residuals.items():
            print(f"\nmean |D^F|^2 per seed x hidden layer, {label}: {np.array2string(r.numpy(), precision=5)}")
    assert (residuals["nonlinear"] < residuals["linear R"]).all()
    assert (residuals["nonlinear"][:, -1] < residuals["best linear R"][:, -1]).all()


# --- every variant: a named rule that trains, vectorised, reproducibly -----------------------
@pytest.mark.parametrize("name", list(BEYOND))
def test_ensemble_equals_single_runs_and_same_seed_same_numbers(name, small_data):
    small = _head(small_data, 100)
    seeds = [0, 5]
    rule = dendritic.rule(name)
    ensemble = dendritic.Network(seed=seeds)
    together = dendritic.train(ensemble, rule, small, record_every=20)
    again = dendritic.Network(seed=seeds)
    repeat = dendritic.train(again, dendritic.rule(name), small, record_every=20)
    for key in together.records:
        np.testing.assert_array_equal(together.records[key], repeat.records[key], err_msg=key)
    assert all(torch.equal(a, b) for a, b in zip(ensemble.buffers(), again.buffers()))
    for i, seed in enumerate(seeds):
        alone = dendritic.Network(seed=seed)
        dendritic.train(alone, rule, small)
        for (key, a), b in zip(alone.state_dict().items(), ensemble.state_dict().values()):
            torch.testing.assert_close(b[i], a, atol=ENSEMBLE_ATOL, rtol=0, msg=f"{name} seed {seed} {key}")
        for (key, a), b in zip(alone.named_buffers(), ensemble.buffers()):
            torch.testing.assert_close(b[i], a, atol=ENSEMBLE_ATOL, rtol=0, msg=f"{name} seed {seed} {key}")


@pytest.mark.parametrize("name", list(BEYOND))
def test_delta_does_not_change_the_network_and_step_applies_it(name):
    net = dendritic.Network(seed=4)
    rule = dendritic.rule(name)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    delta = rule.delta(net, torch.tensor([0.3, -0.2]), 1)
    assert all(torch.equal(v, before[k]) for k, v in net.state_dict().items())
    rule.step(net, torch.tensor([0.3, -0.2]), 1)
    for k, p in net.named_parameters():
        torch.testing.assert_close(p.detach(), before[k] + delta[k], atol=1e-6, rtol=0)


def test_variants_run_through_compare_and_the_tuning_search_space():
    import optuna

    from dendritic.experiments import compare
    from dendritic.tuning import rule_params, suggest

    for name in BEYOND:
        space = {"lr": 0.1, "lr_rec_1": 0.1, "lr_rec_2": 0.1, "lr_bias": 0.01, "lr_int": 0.05, "decay": 1e-3, "balance": 2.0}
        trial = optuna.trial.FixedTrial(space)
        params = suggest(trial, name)
        assert rule_params(name, trial.params) == params
        assert set(dendritic.rule(name, **params).hyperparameters()) >= set(params)
    rows = compare(rules=("kolen_pollack", "dale"), seeds=1)
    assert [r["rule"] for r in rows] == ["kolen_pollack", "dale"]
    assert all(0.2 < r["val_acc"] <= 1 for r in rows)


@pytest.mark.parametrize("name, kwargs, match", [
    ("temporal_contrast", dict(top_down="sideways"), "top_down.*transpose.*random.*learned"),
    ("interneuron", dict(top_down=None), "top_down"),
    ("temporal_contrast", dict(decay=-0.1), "decay.*>= 0"),
    ("kolen_pollack", dict(decay=1.0), r"decay.*\[0, 1\)"),
    ("temporal_contrast", dict(top_down="learned", decay=0), "decay must be > 0"),
    ("feedback_alignment", dict(top_down="learned"), "no hyperparameter top_down"),
    ("nonlinear_interneuron", dict(lr_int=-1), "lr_int.*>= 0"),
    ("nonlinear_interneuron", dict(interneurons=0), "interneurons.*>= 1"),
    ("nonlinear_interneuron", dict(interneurons=()), "interneurons.*empty"),
    ("nonlinear_interneuron", dict(start="warm"), "start.*self_predicting.*random"),
    ("dale", dict(somatic=-2), "somatic.*>= 1"),
    ("dale", dict(somatic=2.5), "somatic.*integer"),
    ("dale", dict(top_down="mirror"), "top_down"),
    ("dale", dict(relay=-1), r"relay must be 0 \(no relay\), an integer >= 1"),
    ("dale", dict(relay=(1, 0)), "relay must be 0"),
    ("dale", dict(balance=0.5), "balance.*>= 1"),
])
def test_bad_arguments_name_the_parameter_and_its_range(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        dendritic.rule(name, **kwargs)


def test_population_sizes_must_fit_the_network():
    net = dendritic.Network(seed=0)
    with pytest.raises(ValueError, match=r"interneurons must be .* one per layer \(2\)"):
        dendritic.rule("nonlinear_interneuron", interneurons=(4, 4, 4)).state(net)
    with pytest.raises(ValueError, match=r"somatic must be .* one per layer \(3\)"):
        dendritic.rule("dale", somatic=(4, 4)).state(net)


# --- stable interneurons -----------------------------------------------------------------------
@pytest.mark.parametrize("name, kwargs", [("interneuron", dict(lr_rec=(0.05, 0.05))),
                                          ("interneuron", dict(lr_rec=(0.3, 0.1))),
                                          ("stable_interneuron", dict(lr_rec=(0.5, 0.5))),
                                          ("stable_interneuron", dict(lr_rec=(1.5, 1.5))),
                                          ("interneuron", dict(lr_rec=(0.9, 0.9)))])
def test_the_residual_shrinks_or_grows_by_the_predicted_factor_on_a_fixed_input(name, kwargs, data):
    """Forward weights held still, one input presented again and again: every step multiplies the
    dendrite's forward-phase state D = I_TD - I_Int by 1 - lr_rec p.a (normalised: 1 - lr_rec p.a /
    (eps + p.a)), p = clamp(a, 0, 1). Beyond |factor| = 1 it grows, flipping sign each step."""
    net = dendritic.Network(seed=0)
    dendritic.train(net, dendritic.rule("backprop"), data)
    x, target = data.val[0][3], int(data.val[1][3])
    rule = dendritic.rule(name, lr=1e-12, lr_bias=1e-12, clamp=False, **kwargs)  # the factor holds before the clamps
    states = []
    for _ in range(5):
        layer = rule.compartments_of(net, x, target)[0]  # hidden layer 1
        states.append((layer["top_down_forward"] - layer["interneuron"]).double())
        rule.step(net, x, target)
    a = layer["activity"].double()
    energy = float((a.clamp(0, 1) * a).sum())
    factor = 1 - rule.lr_rec[0] * energy / ((1e-3 + energy) if rule.normalize else 1)
    for before, after in zip(states, states[1:]):
        torch.testing.assert_close(after, factor * before, rtol=2e-3, atol=1e-6)
    if abs(factor) > 1:
        assert states[-1].norm() > 2 * states[0].norm()


def test_the_normalised_step_is_stable_below_2_whatever_the_activity_scale(data):
    """Scale the input up tenfold (|a|^2 x 100): the poster's step at lr_rec 0.05 turns unstable, the
    normalised one at lr_rec 1 is unchanged."""
    x, target = 10 * data.val[0][0], int(data.val[1][0])
    for name, rec, stable in (("interneuron", 0.05, False), ("stable_interneuron", 1.0, True)):
        probe = dendritic.Network(seed=1)
        rule = dendritic.rule(name, lr=1e-12, lr_bias=1e-12, lr_rec=rec, clamp=False)
        norms = []
        for _ in range(4):
            layer = rule.compartments_of(probe, x, target)[0]
            norms.append(float((layer["top_down_forward"] - layer["interneuron"]).norm()))
            rule.step(probe, x, target)
        assert (norms[-1] < 0.1 * norms[0]) == stable, (name, norms)
    with pytest.raises(ValueError, match=r"lr_rec must be in \[0, 2\)"):
        dendritic.rule("stable_interneuron", lr_rec=2.0)
