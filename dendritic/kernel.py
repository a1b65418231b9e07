"""The compiled training loop behind ``dendritic.compiled`` (numba; see that module first).

One call trains members 0..S-1 of an ensemble for steps ``start .. stop - 1``, in place,
on numpy views of the network's torch tensors. The equations are those of
``rules/backprop.py``, ``rules/temporal_contrast.py`` and ``rules/interneuron.py``.

Layout: layer l = 0 .. L (0 is the input) occupies ``offset[l]:offset[l + 1]`` of each
per-unit scratch vector; ``W[l]`` [S, n_{l+1}, n_l] feeds layer l + 1; hidden layer l
(1 .. L-1) has the interneuron matrix ``R[l - 1]`` [S, n_l, n_l] and, unless the
top-down weights are W^T, ``B[l - 1]`` [S, n_l, n_{l+1}].
"""

import numba
import numpy as np

from .compiled import BACKPROP, INTERNEURON, LEARNED, TEMPORAL_CONTRAST, TRANSPOSE

_jit = numba.njit(cache=True)  # compiled once (~5 s), then loaded from numba's on-disk cache


@_jit
def _clip(v, low, high):
    """clamp that keeps NaN (so a diverging run stays visible)."""
    if v < low:
        return low
    if v > high:
        return high
    return v


@numba.njit(cache=True, fastmath={"reassoc"})
def _dot(row, vector):
    """sum_i row[i] vector[i], summed in SIMD lanes (the order is fixed for a given machine)."""
    total = np.float32(0)
    for i in range(len(row)):
        total += row[i] * vector[i]
    return total


@_jit
def _relu(v):
    return np.float32(0) if v <= 0 else v  # NaN stays NaN


@_jit
def train(code, top_down, W, b, R, B, X, y, start, stop, steps, lr, lr_bias, lr_rec, decay, clamp, gate, learn_bias,
          linear):
    L = len(W)
    S = X.shape[1]
    offset = np.zeros(L + 2, np.int64)
    offset[1] = X.shape[2]
    for l in range(L):
        offset[l + 2] = offset[l + 1] + W[l].shape[1]
    n = offset[L + 1]
    # per unit of every layer: soma, activity, clamped activity, nudge, backward-phase activity, D^F, D^B
    soma, act, pre, nudge = np.zeros(n, np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32)
    act_b, dend_f, dend_b = np.zeros(n, np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32)
    zero, one = np.float32(0), np.float32(1)

    for m in range(S):
        for step in range(start, stop):
            scale = 1.0 - step / steps if linear else 1.0
            # forward phase: z_l = W_l a_{l-1} + b_l, a_l = f(z_l)
            act[:offset[1]] = X[step, m]
            for l in range(L):
                Wl, bl = W[l][m], b[l][m]
                below, z, a = act[offset[l]:offset[l + 1]], soma[offset[l + 1]:offset[l + 2]], act[offset[l + 1]:offset[l + 2]]
                for j in range(len(z)):
                    z[j] = bl[j] + _dot(Wl[j], below)
                    a[j] = _relu(z[j])
            # output nudge: N_L = (2/K) f'(z_L) (target - a_L)   (clamped to +-1 by the interneuron rule)
            lo, hi = offset[L], offset[L + 1]
            z, a, N, a_b = soma[lo:hi], act[lo:hi], nudge[lo:hi], act_b[lo:hi]
            K = len(a)
            for j in range(K):
                target = one if y[step, m] == j else zero
                N[j] = np.float32(2 / K) * (target - a[j])
                if gate and not a[j] > 0:
                    N[j] = zero
                if clamp:
                    N[j] = _clip(N[j], -one, one)
                a_b[j] = _relu(z[j] + N[j])
            # hidden layers from the top down; W[l] feeds the layer above (l + 1)
            for l in range(L - 1, 0, -1):
                Wa = W[l][m]
                lo, hi, top = offset[l], offset[l + 1], offset[l + 2]
                z, a, N, a_b, D_f, D_b = soma[lo:hi], act[lo:hi], nudge[lo:hi], act_b[lo:hi], dend_f[lo:hi], dend_b[lo:hi]
                a_up, N_up, a_b_up = act[hi:top], nudge[hi:top], act_b[hi:top]
                # top-down input D_f = B_l a_{l+1}^F, D_b = B_l a_{l+1}^B (backprop: D_f = W_{l+1}^T N_{l+1})
                if code == BACKPROP or top_down == TRANSPOSE:  # B_l = W_{l+1}^T: one row of W_{l+1} at a time
                    D_f[:] = zero
                    D_b[:] = zero
                    for j in range(len(a_up)):
                        row = Wa[j]
                        if code == BACKPROP:
                            for i in range(len(a)):
                                D_f[i] += row[i] * N_up[j]
                        else:
                            for i in range(len(a)):
                                D_f[i] += row[i] * a_up[j]
                                D_b[i] += row[i] * a_b_up[j]
                else:
                    Bl = B[l - 1][m]
                    for i in range(len(a)):
                        D_f[i] = _dot(Bl[i], a_up)
                        D_b[i] = _dot(Bl[i], a_b_up)
                if code == INTERNEURON:  # D = clamp(I_TD - I_Int), I_Int = -R_l a_l^F
                    Rl = R[l - 1][m]
                    for i in range(len(a)):
                        cancel = _dot(Rl[i], a)
                        D_f[i] += cancel
                        D_b[i] += cancel
                        if clamp:
                            D_f[i], D_b[i] = _clip(D_f[i], -one, one), _clip(D_b[i], -one, one)
                for i in range(len(a)):
                    if not a[i] > 0:  # f'(z_l) = 0
                        N[i] = zero
                    elif code == INTERNEURON:
                        N[i] = D_b[i]
                    elif code == TEMPORAL_CONTRAST:  # N_l = f'(z_l) (D^B - D^F)
                        N[i] = D_b[i] - D_f[i]
                    else:  # backprop
                        N[i] = D_f[i]
                    a_b[i] = _relu(z[i] + N[i])
            # plasticity: dW_l = lr N_l (x) pre_l, db_l = lr_bias N_l (pre: clamp(a, 0, 1) for the interneuron rule)
            for i in range(n):
                pre[i] = _clip(act[i], zero, one) if clamp else act[i]
            rate, rate_bias = np.float32(lr * scale), np.float32(lr_bias * scale)
            shrink = np.float32(1 - decay * scale)
            for l in range(L):
                Wl, bl = W[l][m], b[l][m]
                below, N = pre[offset[l]:offset[l + 1]], nudge[offset[l + 1]:offset[l + 2]]
                for j in range(len(N)):
                    row, step_j = Wl[j], rate * N[j]
                    if decay > 0:
                        for i in range(len(below)):
                            row[i] = row[i] * shrink + step_j * below[i]
                    else:
                        for i in range(len(below)):
                            row[i] += step_j * below[i]
                    if learn_bias:
                        bl[j] += rate_bias * N[j]
            if code != BACKPROP and top_down == LEARNED:  # Kolen-Pollack: dB_l = lr a_l (x) N_{l+1} - decay B_l
                for l in range(1, L):
                    Bl, a, N_up = B[l - 1][m], pre[offset[l]:offset[l + 1]], nudge[offset[l + 1]:offset[l + 2]]
                    for i in range(len(a)):
                        row, step_i = Bl[i], rate * a[i]
                        for j in range(len(N_up)):
                            row[j] = row[j] * shrink + step_i * N_up[j]
            if code == INTERNEURON:  # anti-Hebbian: dR_l = -lr_rec D_l^F (x) clamp(a_l, 0, 1)
                for l in range(1, L):
                    Rl, rate_rec = R[l - 1][m], np.float32(-lr_rec[l - 1] * scale)
                    D_f, post = dend_f[offset[l]:offset[l + 1]], pre[offset[l]:offset[l + 1]]
                    for i in range(len(D_f)):
                        row, step_i = Rl[i], rate_rec * D_f[i]
                        for k in range(len(post)):
                            row[k] += step_i * post[k]
