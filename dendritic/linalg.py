"""The few vector operations the rules need, with a fixed order of every float sum.

A float32 sum depends on the order of its terms. Libraries (BLAS, or a compiler allowed
to reorder) pick an order that suits the CPU's vector width, so the same seed gives other
numbers on another machine. Here every order is written out, and nothing is compiled with
``fastmath``, so the compiler keeps it: same inputs, same bits, on any x86-64 CPU.

- ``dot(u, v)``: eight running sums s_k over the terms i = k (mod 8), added as
  ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)), then the leftover terms in order.
  Eight independent sums let the CPU work on eight terms at once (the same result on a
  4-wide or 8-wide vector unit).
- ``matvec(M, v, out)``: out[i] = dot(M[i], v).
- ``matvec_t(M, v, out)``: out = M^T v, as out += M[j] v[j] for j = 0, 1, ...: each out[i]
  is summed in the order of j, and the eight-wide work runs over i.
- ``add_outer(M, alpha, u, v)``: M[i, j] += (alpha u[i]) v[j], element by element.
"""

import numpy as np

from .jit import helper

f32 = np.float32


@helper
def dot(u, v):
    """sum_i u[i] v[i] (float32) in the fixed order of the module docstring."""
    n = len(u)
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = f32(0)
    i = 0
    while i + 8 <= n:
        s0 += u[i] * v[i]
        s1 += u[i + 1] * v[i + 1]
        s2 += u[i + 2] * v[i + 2]
        s3 += u[i + 3] * v[i + 3]
        s4 += u[i + 4] * v[i + 4]
        s5 += u[i + 5] * v[i + 5]
        s6 += u[i + 6] * v[i + 6]
        s7 += u[i + 7] * v[i + 7]
        i += 8
    total = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    while i < n:
        total += u[i] * v[i]
        i += 1
    return total


@helper
def matvec(M, v, out):
    """out = M v: M [n, k], v [k], out [n]."""
    for i in range(M.shape[0]):
        out[i] = dot(M[i], v)


@helper
def matvec_t(M, v, out):
    """out = M^T v: M [n, k], v [n], out [k]; each out[i] summed over the rows j in order."""
    out[:] = 0
    for j in range(M.shape[0]):
        row, vj = M[j], v[j]
        for i in range(len(out)):
            out[i] += row[i] * vj


@helper
def add_outer(M, alpha, u, v):
    """M += alpha u v^T: M [n, k], u [n], v [k]; alpha a float32 scalar."""
    for i in range(M.shape[0]):
        row, step = M[i], alpha * u[i]
        for j in range(len(v)):
            row[j] += step * v[j]


@helper
def relu(z):
    """f(z) = max(z, 0), keeping NaN (so a diverging run stays visible)."""
    return f32(0) if z <= 0 else z


@helper
def clip(v, low, high):
    """min(max(v, low), high), keeping NaN."""
    if v < low:
        return low
    if v > high:
        return high
    return v
