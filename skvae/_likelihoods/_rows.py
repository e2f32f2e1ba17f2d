"""What every likelihood shares: its table entry, and the skeleton of its row kernels.

A likelihood's kernels work row by row over the decoder's output ``out``.
Decoder rows may outnumber data rows: with L Monte Carlo draws the decoder
sees ``L * n_rows`` rows and row ``r`` belongs to data row ``r % n_rows``.
Each kernel comes as a block kernel (the rows of block ``block`` of
``n_blocks``) and a ``prange`` twin running every block, one thread each;
``_threads.row_blocks`` decides how many blocks a call is worth.

An output a kernel is not to write is passed as an array with no rows:
``grad_out`` when only -log p is wanted, a mean's ``result`` when the mean
is to overwrite ``out`` (see :func:`mean_target`).
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._threads import row_blocks, run_blocks


@dataclass(frozen=True)
class Likelihood:
    """Everything the estimator needs of one decoder likelihood p(x|z).

    - ``n_outputs``: decoder outputs per data feature;
    - ``log_density(x, out, min_variance, log_p, scratch=None, n_blocks=1)``:
      log p(x|z) per decoder row;
    - ``nll_gradient(x, out, min_variance, scale, grad_out, row_nll,
      scratch=None, n_blocks=1)``: writes ``scale * d(-log p)/d out`` into
      ``grad_out`` and -log p(x|z) per decoder row into ``row_nll`` (the
      caller sums them, in a fixed order). ``scratch``, a buffer shaped like
      ``out``, saves an allocation per call to the likelihoods that need one;
    - ``mean(out, min_variance, result, n_blocks=1)``: E[x|z] into
      ``result``, which may be ``out``'s own memory;
    - ``sample(mean, out, min_variance, rng)``: draws x ~ p(x|z);
    - ``check_data(X, stats)``: raises ValueError for data outside the support;
    - ``output_bias(X, stats, min_variance)``: decoder output biases for the
      untrained decoder, from the data's per-feature statistics.

    ``n_blocks`` is how many threads the kernels may split their rows
    between. ``stats`` is X's :class:`~skvae._column_stats.ColumnStats`,
    read once per call of the estimator and shared by the two checks.
    """

    n_outputs: int
    log_density: Callable
    nll_gradient: Callable
    mean: Callable
    sample: Callable
    check_data: Callable
    output_bias: Callable


def run_by_rows(block_kernel, threads_kernel, out, n_blocks, *args):
    """``block_kernel(*args, block, n_blocks)`` over the rows of ``out``, on
    as many threads as ``_threads.row_blocks`` gives them."""
    run_blocks(block_kernel, threads_kernel, row_blocks(out, n_blocks), *args)


def row_kernel_likelihood(block_kernel, threads_kernel, parameters=lambda min_variance: ()):
    """``log_density`` and ``nll_gradient`` over a pair of row kernels taking
    ``(x, out, *parameters(min_variance), scale, grad_out, row_nll, scratch)``
    (with ``block, n_blocks`` or ``n_blocks`` after them), which write -log p
    per row and, when grad_out has rows, its scaled gradient."""

    def rows(x, out, min_variance, scale, grad_out, row_nll, scratch, n_blocks):
        scratch = np.empty_like(out) if scratch is None else scratch
        run_by_rows(block_kernel, threads_kernel, out, n_blocks, x, out,
                    *parameters(min_variance), out.dtype.type(scale), grad_out, row_nll,
                    scratch)

    def log_density(x, out, min_variance, log_p, scratch=None, n_blocks=1):
        rows(x, out, min_variance, 1.0, out[:0], log_p, scratch, n_blocks)
        np.negative(log_p, out=log_p)

    def nll_gradient(x, out, min_variance, scale, grad_out, row_nll, scratch=None,
                     n_blocks=1):
        rows(x, out, min_variance, scale, grad_out, row_nll, scratch, n_blocks)

    return log_density, nll_gradient


def mean_target(out, result):
    """``result``, or an array with no rows when it is ``out``'s own memory.

    The mean kernels then write over ``out`` in a loop of their own: a loop
    reading one view of a buffer and writing another fails the overlap
    check LLVM puts in front of a vectorized loop, and runs element by
    element.
    """
    same = (out.__array_interface__["data"][0] == result.__array_interface__["data"][0]
            and out.shape == result.shape and out.strides == result.strides)
    return result[:0] if same else result


def one_output_mean(block_kernel, threads_kernel):
    """A ``mean(out, min_variance, result, n_blocks=1)`` over a pair of mean
    kernels taking ``(out, result)`` (``result`` with no rows: in place)."""

    def mean(out, min_variance, result, n_blocks=1):
        run_by_rows(block_kernel, threads_kernel, out, n_blocks, out,
                    mean_target(out, result))

    return mean


def unit_interval_check(name):
    """A ``check_data`` for data in [0, 1], naming likelihood ``name`` in its error."""

    def check(X, stats):
        low, high = stats.low.min(), stats.high.max()
        if low < 0 or high > 1:
            raise ValueError(
                f"likelihood={name!r} needs data in [0, 1], but X has values in "
                f"[{low:g}, {high:g}]. Rescale X (for example with MinMaxScaler) "
                "or use likelihood='gaussian'."
            )

    return check


#: Largest magnitude of data the Gaussian likelihoods accept.
MAX_ABS_VALUE = 1e10


def real_check(name):
    """A ``check_data`` for real data at a scale the network's arithmetic can square."""

    def check(X, stats):
        biggest = max(abs(float(stats.low.min())), abs(float(stats.high.max())))
        if biggest > MAX_ABS_VALUE:
            raise ValueError(
                f"X has values of magnitude up to {biggest:.3g}; likelihood={name!r} "
                f"accepts at most {MAX_ABS_VALUE:.0e}, as larger values overflow the "
                "network's arithmetic. Standardize X first (for example with "
                "StandardScaler)."
            )

    return check
