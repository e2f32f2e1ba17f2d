"""Matrix products for the kernels: BLAS's gemm on a block of output columns.

numba's ``np.dot`` multiplies whole, contiguous matrices; splitting one
product between threads needs gemm itself, with its leading dimensions and
transpose flags. :func:`matmul` calls the gemm that ``np.dot`` uses (numba's
``numba_xxgemm`` helper, which forwards to scipy's ``cython_blas``), so it is
cached with the kernels and needs nothing beyond numba and scipy.

Arrays are row-major (C order) with unit stride along a row; a row-major
matrix is the column-major matrix of its transpose, so ``C = A @ B`` is asked
of gemm as ``C.T = B.T @ A.T`` with the operands swapped. How a product
is split, and on how many threads, is ``_threads``' decision.
"""

import numba
import numpy as np

# The BLAS that numba_xxgemm calls, loaded now rather than at the first
# product, so that threadpoolctl finds it when _threads first looks and can
# hold its threads: left with its own threads under numba's, the two pools
# fight for the cores (docs/performance.rst).
import scipy.linalg.cython_blas  # noqa: F401
from numba import types

from ._config import jit

#: numba's wrapper around scipy's ``?gemm``: every pointer is passed as void*.
_GEMM = types.ExternalFunction("numba_xxgemm", types.intc(
    types.char, types.char, types.char,  # kind ('s' or 'd'), transa, transb
    types.intp, types.intp, types.intp,  # m, n, k
    types.voidptr, types.voidptr, types.intp,  # alpha, a, lda
    types.voidptr, types.intp, types.voidptr,  # b, ldb, beta
    types.voidptr, types.intp,  # c, ldc
))

_NO, _YES = ord("n"), ord("t")

@jit
def leading_dimension(a):
    """Elements between the starts of consecutive rows of a row-major matrix."""
    return max(a.strides[0] // a.itemsize, a.shape[1], 1)


#: gemm's alpha = 1 and beta = 0 in each precision, read-only constants of
#: the compiled code, so that the kernels' products allocate nothing.
_ONE_ZERO_32 = np.array([1.0, 0.0], dtype=np.float32)
_ONE_ZERO_64 = np.array([1.0, 0.0], dtype=np.float64)


@jit
def _call_gemm(kind, a, trans_a, b_block, trans_b, out_block, n_rows, n_cols, inner,
               leading, scalars):
    """gemm on row-major arrays; ``scalars`` holds alpha and beta, ``leading``
    the leading dimensions of a, b and out."""
    _GEMM(kind, _YES if trans_b else _NO, _YES if trans_a else _NO, n_cols, n_rows, inner,
          scalars.ctypes, b_block.ctypes, leading[1], a.ctypes, leading[0],
          scalars[1:].ctypes, out_block.ctypes, leading[2])


@jit
def matmul(a, b, out, trans_a, trans_b, beta, start, stop):
    """out[:, start:stop] = op(a) @ op(b)[:, start:stop] + beta * out[:, start:stop].

    ``op(m)`` is ``m.T`` when its flag is set. All three arrays are 2-D with
    unit stride along their rows and the same dtype (float32 or float64);
    their row strides may exceed their widths.
    """
    n_rows = out.shape[0]
    n_cols = stop - start
    inner = a.shape[0] if trans_a else a.shape[1]
    if n_rows == 0 or n_cols <= 0:
        return
    single = out.itemsize == 4
    kind = ord("s") if single else ord("d")
    # Column block of op(b): columns of b, or rows of b when transposed.
    b_block = b[start:] if trans_b else b[:, start:]
    leading = (leading_dimension(a), leading_dimension(b), leading_dimension(out))
    args = (kind, a, trans_a, b_block, trans_b, out[:, start:], n_rows, n_cols, inner, leading)
    if beta != 0.0:
        scalars = np.empty(2, dtype=out.dtype)
        scalars[0] = 1.0
        scalars[1] = beta
        _call_gemm(*args, scalars)
    elif single:
        _call_gemm(*args, _ONE_ZERO_32)
    else:
        _call_gemm(*args, _ONE_ZERO_64)


def _matmul_python(a, b, out, trans_a, trans_b, beta, start, stop):
    """:func:`matmul` in numpy, for running the kernels as Python (under
    ``NUMBA_DISABLE_JIT=1``, where numba's gemm cannot be called)."""
    op_a = a.T if trans_a else a
    op_b = (b.T if trans_b else b)[:, start:stop]
    block = out[:, start:stop]
    product = op_a @ op_b
    block[...] = product + beta * block if beta != 0.0 else product


if numba.config.DISABLE_JIT:
    matmul = _matmul_python
