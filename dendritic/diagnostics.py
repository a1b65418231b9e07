"""Diagnostics the field uses: how far a rule's update is from backprop's, how well the
interneurons cancel the self-generated top-down input, and how well learned top-down
weights B_l align with W_{l+1}^T.

All of it is computed from the compartments the rule's own kernels leave in the circuit
(``dendritic.circuit``), in float64 with sums in a fixed order, so it is the same on every CPU:

- update angle: arccos of the cosine between the rule's update (dW_l = lr N_l (x) pre_{l-1},
  db_l = lr_bias N_l) and backprop's on the same sample and weights, per layer and all together;
- cancellation: mean (D^F)^2 per hidden layer, and the fraction cancelled 1 - |D^F| / |I_TD^F|;
- alignment: the angle between B_l and W_{l+1}^T, flattened (90 = unrelated, 0 = the transpose);
- for the linear interneuron rules, the interneurons' loop gain g = lr_rec p.a (normalised:
  lr_rec p.a / (eps + p.a)), p = clamp(a, 0, 1): each anti-Hebbian step multiplies the residual by
  1 - g, so they cancel only while g < 2 (``docs/science.md``); the angle between the rule's nudge
  and temporal contrast's on the same sample (rule 3 = rule 2 + f'(z) D^F); and the best a linear
  interneuron can cancel (``linear_cancellation_floor``).
"""

import numpy as np

from .circuit import KINDS
from .jit import Kernel, helper, numba

NUDGE, PRESYNAPTIC, ACTIVITY = KINDS.index("nudge"), KINDS.index("presynaptic"), KINDS.index("activity")
TOP_DOWN_FORWARD, DENDRITE_FORWARD = KINDS.index("top_down_forward"), KINDS.index("dendrite_forward")
#: The compartment states ``train(record_every=k)`` keeps per layer.
RECORDED_STATES = ("activity", "dendrite_forward", "dendrite_backward", "nudge")


def _angles(cells, reference, units, lr, lr_bias, bias, out):
    """out[m, l - 1] = angle of layer l's update to the reference's (l = 1..L), out[m, L] = all layers.

    The update of layer l is (lr N_l (x) pre_{l-1}, lr_bias N_l); since it is an outer product,
    u . v = lr lr' (N . N')(pre . pre') + lr_bias lr_bias' (N . N'). The reference uses rates 1.
    """
    L = len(units) - 2
    for m in range(cells.shape[0]):
        total_uv, total_uu, total_vv = 0.0, 0.0, 0.0
        for l in range(1, L + 1):
            nn_uv, nn_uu, nn_vv = _dots(cells[m, NUDGE], reference[m, NUDGE], units[l], units[l + 1])
            pp_uv, pp_uu, pp_vv = _dots(cells[m, PRESYNAPTIC], reference[m, PRESYNAPTIC], units[l - 1], units[l])
            uv = lr * nn_uv * pp_uv
            uu = lr * lr * nn_uu * pp_uu
            vv = nn_vv * pp_vv
            if bias:
                uv += lr_bias * nn_uv
                uu += lr_bias * lr_bias * nn_uu
                vv += nn_vv
            out[m, l - 1] = _degrees(uv, uu, vv)
            total_uv += uv
            total_uu += uu
            total_vv += vv
        out[m, L] = _degrees(total_uv, total_uu, total_vv)


@helper
def _dots(u, v, start, stop):
    """(u.v, u.u, v.v) over u[start:stop], v[start:stop], summed in float64 in index order."""
    uv, uu, vv = 0.0, 0.0, 0.0
    for i in range(start, stop):
        a, b = float(u[i]), float(v[i])
        uv += a * b
        uu += a * a
        vv += b * b
    return uv, uu, vv


@helper
def _degrees(uv, uu, vv):
    if uu == 0.0 or vv == 0.0:
        return np.nan
    cos = uv / np.sqrt(uu * vv)
    return np.degrees(np.arccos(min(1.0, max(-1.0, cos))))


def _cancellation(cells, units, out):
    """out[m, l - 1, 0] = mean (D_l^F)^2, out[m, l - 1, 1] = 1 - |D_l^F| / |I_TD^F| (NaN if |I_TD^F| <= 1e-6)."""
    L = len(units) - 2
    for m in range(cells.shape[0]):
        for l in range(1, L):
            dd, tt = 0.0, 0.0
            for i in range(units[l], units[l + 1]):
                d, t = float(cells[m, DENDRITE_FORWARD, i]), float(cells[m, TOP_DOWN_FORWARD, i])
                dd += d * d
                tt += t * t
            out[m, l - 1, 0] = dd / (units[l + 1] - units[l])
            out[m, l - 1, 1] = 1 - np.sqrt(dd) / np.sqrt(tt) if np.sqrt(tt) > 1e-6 else np.nan


def _nudge_angles(cells, reference, units, out):
    """out[m, l - 1] = angle between the nudges N_l of ``cells`` and ``reference`` (hidden layers)."""
    L = len(units) - 2
    for m in range(cells.shape[0]):
        for l in range(1, L):
            uv, uu, vv = _dots(cells[m, NUDGE], reference[m, NUDGE], units[l], units[l + 1])
            out[m, l - 1] = _degrees(uv, uu, vv)


def _gains(cells, units, rates, normalize, floor, out):
    """out[m, l - 1] = lr_rec_l p.a (or lr_rec_l p.a / (floor + p.a)), p = the presynaptic clamp(a, 0, 1)."""
    L = len(units) - 2
    for m in range(cells.shape[0]):
        for l in range(1, L):
            energy = 0.0
            for i in range(units[l], units[l + 1]):
                energy += float(cells[m, PRESYNAPTIC, i]) * float(cells[m, ACTIVITY, i])
            out[m, l - 1] = rates[l - 1] * (energy / (floor + energy) if normalize else energy)


def _matrix_angles(B, W, out):
    """out[m] = angle between B[m] [n, k] and W[m]^T (W [k, n]), flattened."""
    for m in range(B.shape[0]):
        uv, uu, vv = 0.0, 0.0, 0.0
        for i in range(B.shape[1]):
            for j in range(B.shape[2]):
                u, v = float(B[m, i, j]), float(W[m, j, i])
                uv += u * v
                uu += u * u
                vv += v * v
        out[m] = _degrees(uv, uu, vv)


def _signatures():
    t = numba().types
    cells, units = t.float32[:, :, ::1], t.int64[::1]
    return dict(angles=t.void(cells, cells, units, t.float64, t.float64, t.boolean, t.float64[:, ::1]),
                cancellation=t.void(cells, units, t.float64[:, :, ::1]),
                matrix_angles=t.void(t.float32[:, :, ::1], t.float32[:, :, ::1], t.float64[::1]),
                nudge_angles=t.void(cells, cells, units, t.float64[:, ::1]),
                gains=t.void(cells, units, t.float64[::1], t.boolean, t.float64, t.float64[:, ::1]))


_angles_kernel = Kernel(_angles, lambda: _signatures()["angles"])
_cancellation_kernel = Kernel(_cancellation, lambda: _signatures()["cancellation"])
_matrix_angles_kernel = Kernel(_matrix_angles, lambda: _signatures()["matrix_angles"])
_nudge_angles_kernel = Kernel(_nudge_angles, lambda: _signatures()["nudge_angles"])
_gains_kernel = Kernel(_gains, lambda: _signatures()["gains"])
KERNELS = (_angles_kernel, _cancellation_kernel, _matrix_angles_kernel, _nudge_angles_kernel, _gains_kernel)


def angles_from(circuit, reference, lr, lr_bias):
    """Update angles (degrees) of ``circuit``'s compartments to ``reference``'s (backprop's, rates 1):
    dict "layer1" .. "layerL", "all" of [S] arrays (NaN where an update is zero)."""
    L = len(circuit.sizes) - 1
    out = np.zeros((circuit.cells.shape[0], L + 1))
    _angles_kernel(circuit.cells, reference.cells, circuit.units, float(lr), float(lr_bias), circuit.learn_bias, out)
    angles = {f"layer{l}": out[:, l - 1] for l in range(1, L + 1)}
    angles["all"] = out[:, L]
    return angles


def cancellation_from(circuit):
    """Per hidden layer: "residual/layer{l}" mean (D^F)^2 and "cancelled/layer{l}" 1 - |D^F| / |I_TD^F|, [S] each."""
    L = len(circuit.sizes) - 1
    out = np.zeros((circuit.cells.shape[0], max(L - 1, 0), 2))
    _cancellation_kernel(circuit.cells, circuit.units, out)
    result = {}
    for l in range(1, L):
        result[f"residual/layer{l}"] = out[:, l - 1, 0]
        result[f"cancelled/layer{l}"] = out[:, l - 1, 1]
    return result


def alignment(B, W_above):
    """Angle in degrees between B_l [S, n_l, n_{l+1}] and W_{l+1}^T (W_{l+1} [S, n_{l+1}, n_l]) per member, [S].

    >>> import torch
    >>> W = torch.tensor([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])      # W_{l+1}: 3 units above, 2 below
    >>> alignment(W.T, W).round(3).tolist(), alignment(-W.T, W).round(3).tolist()
    ([0.0], [180.0])
    """
    B = np.ascontiguousarray(np.asarray(B, dtype=np.float32))
    W_above = np.ascontiguousarray(np.asarray(W_above, dtype=np.float32))
    if B.ndim == 2:
        B, W_above = B[None], W_above[None]
    out = np.zeros(len(B))
    _matrix_angles_kernel(B, W_above, out)
    return out


def reference_phases(rule, circuit, inputs, classes):
    """Another rule's compartments on ``circuit``'s weights and samples (inputs [S, n_0], classes [S]).
    ``rule`` must keep no synapses of its own (backprop, temporal contrast with B = W^T)."""
    reference = circuit._replace(cells=np.zeros_like(circuit.cells), state=np.zeros((circuit.params.shape[0], 1), np.float32))
    h = rule.numbers(tuple(circuit.sizes))
    for m in range(circuit.params.shape[0]):
        rule.phases(reference, m, inputs[m], int(classes[m]), h)
    return reference


def backprop_reference(circuit, inputs, classes):
    """Backprop's compartments on the same weights and samples (rates 1)."""
    from .rules.backprop import Backprop

    return reference_phases(Backprop(lr=1.0), circuit, inputs, classes)


def nudge_angles(circuit, reference):
    """Per hidden layer, the angle between the nudges of ``circuit`` and ``reference``: "nudge_angle/layer{l}"."""
    L = len(circuit.sizes) - 1
    out = np.zeros((circuit.cells.shape[0], max(L - 1, 0)))
    _nudge_angles_kernel(circuit.cells, reference.cells, circuit.units, out)
    return {f"nudge_angle/layer{l}": out[:, l - 1] for l in range(1, L)}


def interneuron_gains(rule, circuit, scale=1.0):
    """The linear interneurons' loop gain g per hidden layer ("gain/layer{l}", [S]): the residual of the
    next anti-Hebbian step is (1 - g) times this one; stable while g < 2. ``scale``: the learning-rate
    factor of the step (``rule.lr_factor``)."""
    from .rules.interneuron import ENERGY_FLOOR, per_hidden_layer

    L = len(circuit.sizes) - 1
    rates = np.array(per_hidden_layer("lr_rec", rule.lr_rec, tuple(circuit.sizes)), dtype=np.float64) * scale
    out = np.zeros((circuit.cells.shape[0], max(L - 1, 0)))
    _gains_kernel(circuit.cells, circuit.units, rates, bool(rule.normalize), ENERGY_FLOOR, out)
    return {f"gain/layer{l}": out[:, l - 1] for l in range(1, L)}


def linear_cancellation_floor(net, X):
    """The best a linear interneuron matrix R_l can cancel the top-down input W_{l+1}^T a_{l+1} on the
    points X: min over R of |W_{l+1}^T a_{l+1} + R a_l| relative to |W_{l+1}^T a_{l+1}|, summed over
    the points (least squares, float64). The top-down input is a nonlinear function of a_l, so the
    floor is above 0. Returns [S, L - 1]: the residual's fraction of the top-down input."""
    import torch

    weights, _, _ = net.stacked()
    with torch.no_grad():
        _, activities = net.somas_and_activities(torch.as_tensor(X, dtype=torch.float32))
    activities = [a if net.ensemble else a[None] for a in activities]
    out = np.zeros((net.members, net.layers - 1))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small problems: a second thread only waits, and on a busy machine it waits long
    try:
        for m in range(net.members):
            for l in range(1, net.layers):
                a = activities[l - 1][m].double()                                   # [n, n_l]
                top_down = activities[l][m].double() @ weights[l][m].double()       # [n, n_l]: W^T a_{l+1}
                R = torch.linalg.lstsq(a, -top_down, driver="gelsd").solution       # a R ~ -top-down
                residual = top_down + a @ R
                out[m, l - 1] = float(torch.sqrt((residual ** 2).sum() / (top_down ** 2).sum().clamp_min(1e-300)))
    finally:
        torch.set_num_threads(threads)
    return out


def cancellation_residual(rule, net, X):
    """Mean (I_TD^F - I_Int)^2 per member and hidden layer over the points X [n, n_0] (the dendrite's
    forward-phase state before any clamp), with ``net`` as it is: float64 [S, L - 1].

    ``rule`` is one with dendrite-targeting interneurons (``interneuron``, ``nonlinear_interneuron``,
    ``dale``); nothing learns.
    """
    if "top_down_forward" not in rule.compartments:
        raise ValueError(f"rule must have dendrite-targeting interneurons, got {rule.name!r}")
    from .circuit import pack

    circuit = pack(net, rule)
    h = rule.numbers(net.sizes)
    X = np.ascontiguousarray(np.asarray(X, dtype=np.float32))
    L = net.layers
    total = np.zeros((net.members, L - 1))
    top, cancel = KINDS.index("top_down_forward"), KINDS.index("interneuron")
    for x in X:
        for m in range(net.members):
            rule.phases(circuit, m, x, 0, h)
        for l in range(1, L):
            lo, hi = circuit.units[l], circuit.units[l + 1]
            residual = circuit.cells[:, top, lo:hi].astype(np.float64) - circuit.cells[:, cancel, lo:hi]
            total[:, l - 1] += (residual ** 2).mean(1)
    return total / len(X)


def relu_kinks(activity, nudge):
    """Units pushed below zero by their own nudge: active (a > 0) with z + N < 0.

    Only there does temporal contrast differ from backprop: the layer below sees
    a^B - a^F = -z instead of the nudge N. ``activity`` and ``nudge`` have the
    same shape [..., n]; returns a boolean array of that shape.

    >>> relu_kinks(np.array([0.5, 0.5, 0.0]), np.array([-1.0, -0.2, -1.0])).tolist()
    [True, False, False]
    """
    activity, nudge = np.asarray(activity), np.asarray(nudge)
    return (activity > 0) & (activity + nudge < 0)  # a = z where a > 0


def kink_counts(records):
    """Per recorded step and member, the number of units whose kink changes the
    update: units of layers 2..L (a layer-1 unit's backward activity is read by no one).

    ``records`` from ``train(..., record_every=k)``; returns an int array [R, S].
    """
    layers = sorted(int(k.split("layer")[1]) for k in records if k.startswith("nudge/layer"))
    if not layers:
        raise ValueError("records must hold the 'nudge/layerL' and 'activity/layerL' states: train with record_every")
    counts = np.zeros(records[f"nudge/layer{layers[0]}"].shape[:2], dtype=int)
    for l in layers[1:]:
        counts += relu_kinks(records[f"activity/layer{l}"], records[f"nudge/layer{l}"]).sum(-1)
    return counts


def update_angles(rule, net, x, target):
    """Angle (degrees) between ``rule``'s update and backprop's for one sample on ``net``'s weights.

    Returns a dict: "layer1" .. "layerL" and "all", each [S] (NaN where an update is zero).

    >>> import dendritic, torch
    >>> net = dendritic.Network(seed=0)
    >>> angles = update_angles(dendritic.rule("temporal_contrast"), net, torch.tensor([0.5, -0.3]), 1)
    >>> sorted(angles), bool(angles["all"][0] < 1)   # temporal contrast: within a degree of backprop
    (['all', 'layer1', 'layer2', 'layer3'], True)
    """
    circuit = rule.run_phases(net, x, target)
    inputs, classes = rule._sample(net, x, target)
    return angles_from(circuit, backprop_reference(circuit, inputs, classes), rule.lr, rule.lr_bias)


class Recorder:
    """Bounded, opt-in recording during ``train``: every k steps, before that step's update."""

    def __init__(self, rule, steps):
        self.rule, self.steps = rule, steps
        self.rows = []

    def record(self, step, circuit, inputs, classes):
        """``circuit`` holds the rule's compartments for sample ``step`` (its phases just ran)."""
        from .rules.temporal_contrast import TemporalContrast

        row = {"step": np.array(step)}
        reference = backprop_reference(circuit, inputs, classes)
        row.update({f"angle/{k}": v for k, v in angles_from(circuit, reference, self.rule.lr, self.rule.lr_bias).items()})
        if "top_down_forward" in self.rule.compartments:  # dendrite-targeting interneurons
            row.update(cancellation_from(circuit))
            contrast = TemporalContrast(output_gate=self.rule.output_gate)  # rule 2 on the same weights and sample
            row.update(nudge_angles(circuit, reference_phases(contrast, circuit, inputs, classes)))
            if getattr(self.rule, "linear_interneurons", False):  # the anti-Hebbian matrices R_l
                row.update(interneuron_gains(self.rule, circuit, self.rule.lr_factor(step, self.steps)))
        for l, (B, W_above) in enumerate(self.rule.top_down_pairs(circuit), start=1):
            row[f"alignment/layer{l}"] = alignment(B, W_above)
        for l in range(1, len(circuit.sizes)):
            lo, hi = circuit.units[l], circuit.units[l + 1]
            for key in RECORDED_STATES:
                if key in self.rule.compartments:
                    row[f"{key}/layer{l}"] = circuit.cells[:, KINDS.index(key), lo:hi].copy()
        self.rows.append(row)

    def arrays(self):
        """Dict of numpy arrays: "step" [R], scalars [R, S], states [R, S, n_l]."""
        if not self.rows:
            return {}
        return {k: np.stack([row[k] for row in self.rows]) for k in self.rows[0]}


