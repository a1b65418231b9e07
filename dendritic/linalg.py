"""The few vector operations the rules need, with a fixed order of every float sum.

A float32 sum depends on the order of its terms. Libraries (BLAS, or a compiler allowed
to reorder) pick an order that suits the CPU's vector width, so the same seed gives other
numbers on another machine. Here every order is written out, and nothing is compiled with
``fastmath``, so the compiler keeps it: same inputs, same bits, on any x86-64 CPU.

- ``dot(u, v)``: sum_i u[i] v[i], left to right.
- ``matvec(M, v, out)``: out[i] = dot(M[i], v), four rows at a time (the four sums run side
  by side; each is still left to right).
- ``matvec_t(M, v, out)``: out = M^T v, as out += M[j] v[j] for j = 0, 1, ...: each out[i]
  is summed in the order of j, and the vector unit works along the contiguous rows of M (the
  fast direction: the circuit stores a matrix whose product is taken every step transposed,
  so that this is the one it uses, see ``dendritic.circuit``).
- ``add_outer(M, alpha, u, v)``: M[i, j] += (alpha u[i]) v[j], element by element.
"""

import numpy as np

from .jit import helper

f32 = np.float32


@helper
def dot(u, v):
    """sum_i u[i] v[i] (float32), left to right."""
    total = f32(0)
    for i in range(len(u)):
        total += u[i] * v[i]
    return total


@helper
def matvec(M, v, out):
    """out = M v: M [n, k], v [k], out [n]; each out[i] = dot(M[i], v), four rows at a time."""
    rows, cols = M.shape
    i = 0
    while i + 4 <= rows:
        s0 = s1 = s2 = s3 = f32(0)
        r0, r1, r2, r3 = M[i], M[i + 1], M[i + 2], M[i + 3]
        for j in range(cols):
            x = v[j]
            s0 += r0[j] * x
            s1 += r1[j] * x
            s2 += r2[j] * x
            s3 += r3[j] * x
        out[i], out[i + 1], out[i + 2], out[i + 3] = s0, s1, s2, s3
        i += 4
    while i < rows:
        out[i] = dot(M[i], v)
        i += 1


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
