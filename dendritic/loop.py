"""The one compiled training loop, and evaluation, for every rule and every network depth.

``run(rule, circuit, h, inputs, classes, start, stop, steps)`` trains every member of
``circuit`` on its own samples ``start .. stop - 1``: for each, the rule's ``phases`` kernel,
then its ``plasticity`` kernel (called through function pointers: the loop is compiled
once and serves every rule, including yours). ``evaluate`` runs the forward pass on a
batch for every member, in the same fixed summation order on every CPU.
"""

import numpy as np

from .jit import Kernel, numba, phases_signature, plasticity_signature
from .circuit import circuit_type

f32 = np.float32


def _loop_signature():
    t = numba().types
    return t.void(t.FunctionType(phases_signature()), t.FunctionType(plasticity_signature()), circuit_type(),
                  t.float64[::1], t.float32[:, :, ::1], t.int64[:, ::1], t.int64, t.int64, t.int64, t.boolean)


def _train_steps(phases, plasticity, net, h, inputs, classes, start, stop, steps, linear):
    for m in range(net.params.shape[0]):
        for t in range(start, stop):
            scale = 1.0 - t / steps if linear else 1.0
            phases(net, m, inputs[t, m], classes[t, m], h)
            plasticity(net, m, h, scale)


train_steps = Kernel(_train_steps, _loop_signature)


def run(rule, circuit, h, inputs, classes, start, stop, steps):
    """Train steps ``start .. stop - 1`` (of ``steps``) of every member, in place.

    inputs [steps, S, n_0] float32 and classes [steps, S] int64 (C-contiguous numpy).
    """
    train_steps(rule.phases.compiled, rule.plasticity.compiled, circuit, h, inputs, classes, start, stop, steps,
                rule.lr_decay == "linear")


# --- evaluation ----------------------------------------------------------------------------
BLOCK = 64  # samples per block: a block's activities stay in the CPU's fastest cache


def _evaluate_signature():
    t = numba().types
    return t.void(circuit_type(), t.float32[:, ::1], t.int64[::1], t.float64[:, ::1])


def _evaluate(net, X, y, out):
    """out[m] = (accuracy, loss, dead output units, finite) of member m on (X, y).

    z_l = W_l a_{l-1} + b_l for a block of samples at once, summed over the inputs of a
    unit in order (b_l first, then W_l[:, 0] a_0, W_l[:, 1] a_1, ...), the samples side by side.
    """
    sizes = net.sizes
    L = len(sizes) - 1
    K = sizes[L]
    widest = 0
    for n in sizes:
        widest = max(widest, n)
    below = np.empty((widest, BLOCK), np.float32)
    above = np.empty((widest, BLOCK), np.float32)
    for m in range(net.params.shape[0]):
        correct = 0
        loss = 0.0
        finite = True
        silent = np.ones(K, np.bool_)  # output units with z <= 0 on every sample so far
        for first in range(0, len(y), BLOCK):
            n = min(BLOCK, len(y) - first)
            for i in range(sizes[0]):
                for s in range(n):
                    below[i, s] = X[first + s, i]
            for l in range(1, L + 1):
                rows, cols = sizes[l], sizes[l - 1]
                start = net.W_at[l]
                Wl = net.params[m, start:start + rows * cols].reshape((rows, cols))
                bias = net.params[m, net.b_at[l]:net.b_at[l] + rows]
                j = 0
                while j + 4 <= rows:  # four units at a time: each input row is read once for all four
                    z0, z1, z2, z3 = above[j], above[j + 1], above[j + 2], above[j + 3]
                    b0, b1, b2, b3 = bias[j], bias[j + 1], bias[j + 2], bias[j + 3]
                    for s in range(n):
                        z0[s], z1[s], z2[s], z3[s] = b0, b1, b2, b3
                    for i in range(cols):
                        w0, w1, w2, w3, a = Wl[j, i], Wl[j + 1, i], Wl[j + 2, i], Wl[j + 3, i], below[i]
                        for s in range(n):
                            x = a[s]
                            z0[s] += w0 * x
                            z1[s] += w1 * x
                            z2[s] += w2 * x
                            z3[s] += w3 * x
                    j += 4
                while j < rows:
                    z = above[j]
                    for s in range(n):
                        z[s] = bias[j]
                    for i in range(cols):
                        w, a = Wl[j, i], below[i]
                        for s in range(n):
                            z[s] += w * a[s]
                    j += 1
                for j in range(rows):
                    z = above[j]
                    if l == L:
                        for s in range(n):
                            if z[s] > 0:
                                silent[j] = False
                    for s in range(n):
                        z[s] = z[s] if z[s] > 0 else f32(0)  # relu; NaN stays NaN
                below, above = above, below
            for s in range(n):
                best, best_k = below[0, s], 0
                for k in range(K):
                    v = below[k, s]
                    if not np.isfinite(v):
                        finite = False
                    if v > best:
                        best, best_k = v, k
                    want = 1.0 if k == y[first + s] else 0.0
                    loss += (float(v) - want) ** 2
                if best_k == y[first + s]:
                    correct += 1
        count = 0
        for k in range(K):
            if silent[k]:
                count += 1
        out[m, 0] = correct / len(y)
        out[m, 1] = loss / (len(y) * K)
        out[m, 2] = count
        out[m, 3] = 1.0 if finite else 0.0


evaluate_kernel = Kernel(_evaluate, _evaluate_signature)


def evaluate(circuit, X, y):
    """Per member: (accuracy, loss, dead outputs, finite) on (X [n, n_0] float32, y [n] int64), float64 [S, 4]."""
    out = np.zeros((circuit.params.shape[0], 4))
    evaluate_kernel(circuit, np.ascontiguousarray(X, dtype=np.float32), np.ascontiguousarray(y, dtype=np.int64), out)
    return out
