"""Bad input gets a ValueError naming the parameter, at the API boundary, before any work.

Property-based (Hypothesis): whatever a user passes, a public function either works or raises
ValueError whose message names the parameter; never a TypeError, RuntimeError or
AttributeError from deep inside, never NaN reported as an accuracy.
"""

import math
import subprocess
import sys

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
import torch

import dendritic

#: Anything a user might type or pass by mistake.
JUNK = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
                 st.text(max_size=5), st.lists(st.integers(-3, 3), max_size=4), st.tuples(st.floats(), st.floats()),
                 st.just(object()), st.just(float("nan")), st.just((1, 0, 0)), st.just(1.5))
CHECK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def works_or_names(call, *names):
    """``call()`` works, or raises ValueError whose message names one of ``names``."""
    try:
        return call()
    except ValueError as error:
        assert any(name in str(error) for name in names), f"{error!r} names none of {names}"
        return None


@CHECK
@given(classes=JUNK | st.integers(1, 6), per_class=JUNK | st.integers(0, 50), noise=JUNK, seed=JUNK,
       split=JUNK | st.lists(st.floats(-1, 2), min_size=3, max_size=3))
def test_spiral_data(classes, per_class, noise, seed, split):
    data = works_or_names(lambda: dendritic.spiral_data(classes, per_class, noise, seed, split),
                          "classes", "per_class", "noise", "seed", "split")
    if data is not None:
        assert all(len(part[1]) > 0 for part in (data.train, data.val, data.test))


@CHECK
@given(sizes=JUNK | st.lists(st.integers(-1, 5), max_size=5), seed=JUNK | st.lists(JUNK, max_size=3), bias=JUNK)
def test_network(sizes, seed, bias):
    works_or_names(lambda: dendritic.Network(sizes, seed=seed, bias=bias), "sizes", "seed", "bias")


@CHECK
@given(name=JUNK | st.sampled_from(sorted(dendritic.rules.ALL_RULES)), config=JUNK | st.just("poster"),
       values=st.dictionaries(st.sampled_from(["lr", "lr_rec", "lr_bias", "clamp", "decay", "top_down", "output_gate",
                                               "lr_decay", "interneurons", "relay", "balance", "bogus"]),
                              JUNK, max_size=3))
def test_rule(name, config, values):
    works_or_names(lambda: dendritic.rule(name, config=config, **values), "rule name", "config", *values)


@pytest.fixture(scope="module")
def small():
    return dendritic.spiral_data(per_class=20)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.sampled_from(["spiral", "tuple", "none", "string"]), rule=st.sampled_from(["rule", "name", "none"]),
       lr_rec=st.sampled_from([(0.1,), (0.1, 0.2), (0.1, 0.2, 0.3)]), epochs=JUNK | st.just(1),
       eval_every=JUNK | st.just(10), record_every=JUNK | st.just(None), seed=JUNK | st.just(None))
def test_train(small, data, rule, lr_rec, epochs, eval_every, record_every, seed):
    data = {"spiral": small, "tuple": small.train, "none": None, "string": "spiral"}[data]
    rule = {"rule": dendritic.rule("interneuron", lr_rec=lr_rec), "name": "interneuron", "none": None}[rule]
    result = works_or_names(lambda: dendritic.train(dendritic.Network(seed=0), rule, data, epochs=epochs,
                                                    eval_every=eval_every, record_every=record_every, seed=seed),
                            "rule", "data", "lr_rec", "epochs", "eval_every", "record_every", "seed")
    if result is not None:
        assert result.diverged[0] or 0 <= result.val_acc[0] <= 1


@pytest.mark.parametrize("split, word", [
    ((torch.zeros(5, 2, dtype=torch.int64), torch.zeros(5, dtype=torch.int64)), "X must be floats"),
    ((torch.zeros(5, 3), torch.zeros(5, dtype=torch.int64)), "X must be floats of shape"),
    ((torch.zeros(5, 2), torch.zeros(5)), "y must be"),
    ((torch.zeros(5, 2), torch.full((5,), 7)), "labels must be in 0..3"),
    ((torch.full((5, 2), math.nan), torch.zeros(5, dtype=torch.int64)), "finite"),
    ((torch.zeros(0, 2), torch.zeros(0, dtype=torch.int64)), "empty"),
])
def test_train_checks_every_split_before_work(small, split, word):
    bad = dendritic.Spiral(split, small.val, small.test, 4, 0.16, 0)
    with pytest.raises(ValueError, match=word):
        dendritic.train(dendritic.Network(seed=0), dendritic.rule("backprop"), bad)


@pytest.mark.parametrize("x, target, word", [
    (torch.tensor([1, 2]), 0, "x must be"), (torch.tensor([0.1, 0.2, 0.3]), 0, "x must be"),
    (torch.tensor([0.1, math.nan]), 0, "finite"), (torch.tensor([0.1, 0.2]), 4, "target"),
    (torch.tensor([0.1, 0.2]), torch.zeros(3), "target"),
])
def test_one_sample_interface_checks_its_input(x, target, word):
    rule = dendritic.rule("temporal_contrast")
    for call in (rule.delta, rule.step, rule.compartments_of):
        with pytest.raises(ValueError, match=word):
            call(dendritic.Network(seed=0), x, target)


def test_evaluate_checks_its_input(small):
    net = dendritic.Network(seed=0)
    assert 0 <= dendritic.evaluate(net, *small.val).accuracy[0] <= 1
    with pytest.raises(ValueError, match="labels must be in 0..3"):
        dendritic.evaluate(net, small.val[0], small.val[1] + 4)
    with pytest.raises(ValueError, match="net"):
        dendritic.evaluate("net", *small.val)


# --- the command line: one line, exit status 2, no traceback, before any work ---------------------
@pytest.mark.parametrize("args, word", [
    (["train", "--rule", "interneuron", "--lr-rec", "1,2,3"], "lr_rec"),
    (["train", "--rule", "backprop", "--epochs", "1000000000"], "--epochs"),
    (["train", "--rule", "backprop", "--seed", "-1"], "seed"),
    (["train", "--rule", "backprop", "--bias", "maybe"], "bias"),
    (["compare", "--rules", ","], "--rules"),
    (["compare", "--rules", "backprop,nope"], "--rules"),
    (["compare", "--configs", ","], "--configs"),
    (["compare", "--seeds", "1000000000"], "--seeds"),
    (["compare", "--seeds", "0"], "--seeds"),
    (["compare", "--workers", "1000"], "--workers"),
    (["compare", "--out", "/proc/x.csv"], "--out"),
    (["compare", "--out", "/tmp"], "--out"),
    (["compare", "--summary", "/proc/nope/s.csv"], "--summary"),
    (["bench", "--repeats", "0"], "--repeats"),
    (["figures", "--quick", "--out", "/proc/figures"], "--out"),
])
def test_cli_bad_input_is_one_line_and_exit_2(args, word):
    done = subprocess.run([sys.executable, "-m", "dendritic", *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and word in lines[0] and "Traceback" not in done.stderr, done.stderr


@pytest.mark.parametrize("content, word", [('{"backprop": {"params": {"lr": 0.1}', "not valid JSON"),
                                           ('{"backprop": []}', "backprop"),
                                           ('{"backprop": {"params": {"lr": "fast"}}}', "lr"),
                                           ('[1, 2]', "JSON object")])
def test_a_broken_tuned_table_is_reported_naming_the_file(tmp_path, content, word):
    (tmp_path / "data").mkdir()
    path = tmp_path / "data" / "hyperparameters.json"
    path.write_text(content)
    env = dict(__import__("os").environ, DENDRITIC_ROOT=str(tmp_path))
    for args in (["train", "--rule", "backprop", "--config", "tuned"], ["compare", "--configs", "tuned", "--seeds", "1"],
                 ["figures", "--quick", "--out", str(tmp_path / "figures")]):
        done = subprocess.run([sys.executable, "-m", "dendritic", *args], capture_output=True, text=True, timeout=120,
                              env=env)
        assert done.returncode == 2, (args, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and word in lines[0] and str(path) in lines[0], (args, done.stderr)
    assert path.read_text() == content
    assert not (tmp_path / "figures").exists() or not any((tmp_path / "figures").iterdir())
