"""What the lessons (the notebooks in ``notebooks/``) share: quick mode, the exercise pattern and
a table for results, so that the visible code of a lesson is the science.

Quick mode: ``DENDRITIC_QUICK=1`` (what ``make test`` sets) runs every lesson small through the
same code; ``lesson.size(full, quick)`` picks the number.

The exercise pattern (as in Neuromatch Academy's tutorials): an exercise is a function whose body
raises ``NotImplementedError`` until the student fills it in; the cell below it calls

    hidden_nudge = lesson.exercise("Exercise 1", my_hidden_nudge, library_hidden_nudge, example, ...)

which returns the student's function once it works and agrees with the library on the examples,
and the library's until then (saying so in one line). Run All therefore runs top to bottom with
every exercise unsolved, and checks a student's answer as soon as there is one.
"""

import os

import numpy as np

#: True when the lessons run small (``DENDRITIC_QUICK=1``, as in ``make test``).
QUICK = os.environ.get("DENDRITIC_QUICK", "") not in ("", "0")


def size(full, quick):
    """``full`` normally, ``quick`` in quick mode.

    >>> size(10, 2) in (10, 2)
    True
    """
    return quick if QUICK else full


def _as_array(value):
    if hasattr(value, "detach"):
        value = value.detach()
    if isinstance(value, (list, tuple)):
        return [_as_array(v) for v in value]
    return np.asarray(value, dtype=float)


def _close(got, want, rtol, atol):
    got, want = _as_array(got), _as_array(want)
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(_close(g, w, rtol, atol) for g, w in zip(got, want))
    return not isinstance(got, list) and got.shape == want.shape and np.allclose(got, want, rtol=rtol, atol=atol)


def exercise(name, student, library, *examples, rtol=1e-5, atol=1e-6):
    """The function the rest of the lesson uses for exercise ``name``.

    Args:
        student: the student's function (its body raises NotImplementedError until filled in).
        library: the same computation by the library (the reference).
        examples: argument tuples to compare the two on.
    Returns ``student`` if it runs on every example and agrees with ``library`` (to rtol, atol),
    else ``library``; prints one line saying which and why.

    >>> def mine(x):
    ...     raise NotImplementedError("Exercise 0: square x")
    >>> exercise("Exercise 0", mine, lambda x: x * x, (3.0,)) is mine
    Exercise 0: not solved yet; this notebook uses the library's version until you fill in mine.
    False
    >>> exercise("Exercise 0", lambda x: x ** 2, lambda x: x * x, (3.0,), (-1.5,)).__name__
    Exercise 0: solved: it agrees with the library on 2 examples; this notebook now uses yours.
    '<lambda>'
    """
    if not examples:
        raise ValueError("examples must hold at least one argument tuple to compare the two functions on")
    try:
        answers = [student(*example) for example in examples]
    except NotImplementedError:
        print(f"{name}: not solved yet; this notebook uses the library's version until you fill in "
              f"{student.__name__}.")
        return library
    for i, (answer, example) in enumerate(zip(answers, examples), start=1):
        expected = library(*example)
        if not _close(answer, expected, rtol, atol):
            print(f"{name}: not yet right: on example {i} your answer is {_as_array(answer)!r:.200}, the library "
                  f"gives {_as_array(expected)!r:.200}. This notebook keeps using the library's version.")
            return library
    print(f"{name}: solved: it agrees with the library on {len(examples)} example{'s' * (len(examples) > 1)}; "
          "this notebook now uses yours.")
    return student


def table(rows, columns=None, formats=None):
    """Rows (dicts) as an HTML table for a notebook; ``columns``: which keys, in order (default: all
    of the first row); ``formats``: {column: format spec or callable}. Returns an object Jupyter shows.

    >>> t = table([dict(rule="backprop", acc=0.9702)], formats={"acc": ".1%"})
    >>> "97.0%" in t._repr_html_()
    True
    """
    import html

    rows = list(rows)
    columns = list(columns or (rows[0] if rows else []))
    formats = formats or {}

    def cell(column, value):
        spec = formats.get(column)
        if callable(spec):
            return spec(value)
        if spec and isinstance(value, (int, float, np.number)):
            return format(value, spec)
        return str(value)

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell(c, row.get(c, '')))}</td>" for c in columns) + "</tr>"
                   for row in rows)

    class Table:
        def _repr_html_(self):
            return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

        def __repr__(self):
            lines = ["  ".join(str(c) for c in columns)]
            lines += ["  ".join(cell(c, row.get(c, "")) for c in columns) for row in rows]
            return "\n".join(lines)

    return Table()


# --- notebooks 01 and 02: the soma/dendrite neuron, the spiral and backprop --------------------------
# The library's answers to those notebooks' exercises, in torch, each held against the compiled rules
# by tests/test_lesson_012.py (the kernels compute them for every unit at once, inside a training step).

def temporal_contrast_nudge(soma, dendrite_forward, dendrite_backward):
    """A hidden layer's nudge under temporal contrast (``dendritic/rules/temporal_contrast.py``):
    N = f'(z) (D^B - D^F). Every argument and the result are tensors [n_l].

    >>> import torch
    >>> temporal_contrast_nudge(torch.tensor([0.5, -0.2]), torch.tensor([0.1, 0.1]), torch.tensor([0.4, 0.9]))
    tensor([0.3000, 0.0000])
    """
    gate = (soma > 0).to(soma.dtype)  # f'(z) of ReLU: the soma gates plasticity
    return gate * (dendrite_backward - dendrite_forward)


def mse_output_nudge(activity, target):
    """The teacher's nudge of the output layer (``output_nudge`` in ``dendritic/rules/base.py``):
    N_L = (2/K) f'(z_L) (target - a_L) = -dLoss/dz_L of the MSE loss (mean over the K outputs).
    ``activity`` a_L = f(z_L) and the one-hot ``target``: tensors [K] -> [K].

    >>> import torch
    >>> mse_output_nudge(torch.tensor([0.5, 0.0, 0.2, 0.0]), torch.tensor([0.0, 1.0, 0.0, 0.0]))
    tensor([-0.2500,  0.0000, -0.1000,  0.0000])
    """
    gate = (activity > 0).to(activity.dtype)  # f'(z_L) = 1 exactly where a_L > 0
    return 2 / activity.shape[-1] * gate * (target - activity)


def backprop_nudges(net, x, target):
    """Backprop's nudges N_1 .. N_L of one sample, as the compiled rule computes them
    (``rule("backprop").compartments_of``): a list of tensors [n_l], layer 1 first.
    ``x``: one input [n_0]; ``target``: a class or a one-hot vector [K].

    >>> import dendritic
    >>> [tuple(N.shape) for N in backprop_nudges(dendritic.Network(seed=0), dendritic.spiral_data().val[0][0], 2)]
    [(128,), (32,), (4,)]
    """
    from .rules import rule

    return [layer["nudge"] for layer in rule("backprop").compartments_of(net, x, target)]


# --- notebooks 03 (temporal contrast) and 04 (interneurons) ----------------------------------------

def backward_phase(soma, nudge):
    """Rule 2's backward phase of one layer, the reference of notebook 03's Exercise 1.

    Args:
        soma, nudge: the layer's z_l and N_l, tensors of the same shape [..., n_l].
    Returns:
        (activity_backward, kinks): a^B = f(z + N) (float), and the ReLU kinks (bool): the units
        active before the nudge (z > 0) that it pushes below zero (z + N < 0), the only units where
        a^B - a^F is not the nudge N (``diagnostics.relu_kinks``).

    >>> import torch
    >>> a_B, kinks = backward_phase(torch.tensor([0.5, 0.5, -0.25, 0.25]), torch.tensor([-1.0, -0.25, 0.0, 0.5]))
    >>> a_B.tolist(), kinks.tolist()
    ([0.0, 0.25, 0.0, 0.75], [True, False, False, False])
    """
    import torch

    from .diagnostics import relu_kinks

    soma, nudge = torch.as_tensor(soma), torch.as_tensor(nudge)
    kinks = relu_kinks(torch.relu(soma).detach().cpu().numpy(), nudge.detach().cpu().numpy())
    return torch.relu(soma + nudge), torch.as_tensor(kinks)


def anti_hebbian_update(dendrite_forward, activity, lr_rec):
    """Rule 3's interneuron update of one hidden layer, the reference of notebook 04's Exercise 1:
    dR_l = -lr_rec D_l^F (x) clamp(a_l^F, 0, 1). dendrite_forward, activity: tensors [n_l]; returns [n_l, n_l].

    >>> import torch
    >>> anti_hebbian_update(torch.tensor([0.5, -1.0]), torch.tensor([2.0, 0.25]), 0.5).tolist()
    [[-0.25, -0.0625], [0.5, 0.125]]
    """
    import torch

    dendrite_forward, activity = torch.as_tensor(dendrite_forward), torch.as_tensor(activity)
    return -lr_rec * torch.outer(dendrite_forward, activity.clamp(0, 1))


def median_over_epoch(result, key, start=0.0, stop=1.0):
    """The median of ``result.records[key]`` over every member and over the records taken in the part
    [start, stop) of training (fractions of its steps: 0.45, 0.55 is mid-epoch; 0.9, 1 its end), NaN
    values left out. NaN when the run does not record ``key`` (the nonlinear interneurons have no
    loop gain ``gain/layer1``, for instance).

    >>> import dendritic
    >>> data = dendritic.spiral_data(per_class=100)
    >>> run = dendritic.train(dendritic.Network(seed=0), dendritic.rule("temporal_contrast"), data, record_every=10)
    >>> bool(median_over_epoch(run, "angle/layer3") < 1e-3), bool(np.isnan(median_over_epoch(run, "gain/layer1")))
    (True, True)
    """
    if not 0 <= start < stop <= 1:
        raise ValueError(f"start and stop must be fractions of training with 0 <= start < stop <= 1, got {start}, {stop}")
    records = result.records or {}
    if key not in records:
        return float("nan")
    steps = np.asarray(records["step"])
    keep = (steps >= start * result.steps) & (steps < stop * result.steps)
    values = np.asarray(records[key], dtype=float)[keep]
    return float(np.nanmedian(values)) if np.isfinite(values).any() else float("nan")


# --- 05_reproducing_the_comparison and 06_beyond_the_poster ---------------------------------------
# The library's side of their exercises (what a student's answer is checked against) and one
# measurement of notebook 06. Each is held against the rule it stands for in tests/test_lesson_05_06.py.

def welch_t_test(a, b):
    """Welch's two-sided t-test of samples ``a`` and ``b`` (no equal-variance assumption): (t, p),
    as ``dendritic.stats.summarize`` computes the p-values of ``data/comparison_summary.csv``.

    >>> t, p = welch_t_test([0.90, 0.92, 0.94], [0.80, 0.85, 0.90])
    >>> round(t, 3), round(p, 3)
    (2.251, 0.122)
    """
    from scipy import stats

    test = stats.ttest_ind(np.asarray(a, dtype=float), np.asarray(b, dtype=float), equal_var=False)
    return float(test.statistic), float(test.pvalue)


def kolen_pollack_step(B, a, N, lr, decay):
    """B_l after one Kolen-Pollack step (``dendritic/rules/top_down.py``): (1 - decay) B_l + lr a_l (x) N_{l+1}.

    B: [n_l, n_{l+1}]; a: the activity of layer l [n_l]; N: the nudge of layer l+1 [n_{l+1}].

    >>> import torch
    >>> kolen_pollack_step(torch.ones(2, 1), torch.tensor([1.0, 0.0]), torch.tensor([0.5]), lr=0.1, decay=0.5)
    tensor([[0.5500],
            [0.5000]])
    """
    import torch

    return (1 - decay) * B + lr * torch.outer(a, N)


def effective_top_down(BE, BI, Q):
    """The weights through which a Dale circuit's dendrite hears the layer above,
    B_l = B^E_l - B^I_l Q_l, computed by ``dendritic.rules.dale`` itself.

    BE: [S, n_l, n_{l+1}] excitatory top-down synapses; BI: [S, n_l, q_l] the relay's inhibitory
    synapses onto the dendrite; Q: [S, q_l, n_{l+1}] the relay's input synapses. Returns [S, n_l, n_{l+1}].

    >>> import torch
    >>> effective_top_down(torch.ones(1, 2, 2), torch.full((1, 2, 1), 2.0), torch.tensor([[[1.0, 0.0]]]))
    tensor([[[-1.,  1.],
             [-1.,  1.]]])
    """
    from types import SimpleNamespace

    from .rules.dale import Dale

    parts = SimpleNamespace(top_down=[BE], relay_inhibition=[BI], relay=[Q])
    return Dale().top_down_weights(parts)[0]


def residual_fraction(rule, net, X):
    """How much of its own top-down input W_{l+1}^T a_{l+1} a hidden layer's dendrite keeps once the
    interneurons have cancelled what they can: |I_TD - I_Int| / |I_TD| over the points X, per member
    and hidden layer, [S, L - 1] (0: perfect cancellation, 1: none). Pooled over points and units like
    ``dendritic.diagnostics.linear_cancellation_floor``, the best any linear interneuron matrix can do,
    so the two compare directly. ``rule``: one whose top-down weights are the transpose
    (``interneuron``, ``stable_interneuron``, ``nonlinear_interneuron``); nothing learns.
    """
    import torch

    from .diagnostics import cancellation_residual

    if getattr(rule, "top_down", "transpose") != "transpose":
        raise ValueError(f"rule must hear the layer above through W^T (top_down='transpose'), got {rule!r}")
    residual = cancellation_residual(rule, net, X)                      # mean over points and units, [S, L - 1]
    weights, _, _ = net.stacked()
    with torch.no_grad():
        _, activities = net.somas_and_activities(torch.as_tensor(X, dtype=torch.float32))
    activities = [a if net.ensemble else a[None] for a in activities]
    top_down = np.zeros_like(residual)
    for l in range(1, net.layers):
        incoming = (activities[l].double() @ weights[l].double()).numpy()   # [S, n, n_l]: W_{l+1}^T a_{l+1}
        top_down[:, l - 1] = (incoming ** 2).mean(axis=(1, 2))
    return np.sqrt(residual / np.maximum(top_down, 1e-300))
