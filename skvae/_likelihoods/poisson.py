"""Poisson: counts, the decoder outputs log-rates (clipped at ``MAX_LOG_RATE``)."""

import math

import numpy as np
from numba import prange

from .._config import jit, jit_threads
from .._threads import block_range
from .._vector_math import exp_bounded, float64_sum
from ._rows import Likelihood, one_output_mean, row_kernel_likelihood

#: The log-rate is clipped above here (a rate of 1e13, beyond any count accepted).
MAX_LOG_RATE = 30.0


#: lgamma(k + 1) = log k! for the counts k below this, looked up rather than
#: computed: the data term of log p needs it for every element of every
#: minibatch, and ``math.lgamma`` is a scalar call that stops the loop from
#: being vectorized. Rows with larger counts are corrected afterwards.
N_LOG_FACTORIALS = 1024
LOG_FACTORIALS = np.array([math.lgamma(k + 1.0) for k in range(N_LOG_FACTORIALS)])


@jit
def poisson_block(x, out, scale, grad_out, row_nll, scratch, block, n_blocks):
    """Rows of block ``block``: -log p(x|log-rate) into row_nll and, when
    grad_out has rows, scale * (rate - x) into grad_out (0 where the log-rate
    is clipped). One vectorized pass per row, in float64 whatever the data's
    precision (counts and log-rates multiply into large terms that cancel):
    the rate from skvae's exp, log k! from :data:`LOG_FACTORIALS`. A row
    holding a count beyond the table replaces those elements' terms with
    exact ones (``math.lgamma``) in a second, scalar pass."""
    first, last = block_range(out.shape[0], block, n_blocks, 1)
    if first == last:
        return
    n_rows = x.shape[0]
    top = N_LOG_FACTORIALS - 1
    terms = scratch[first]
    for r in range(first, last):
        xr, log_rates = x[r % n_rows], out[r]
        n_beyond = 0
        if grad_out.shape[0] > 0:
            grad = grad_out[r]
            for d in range(log_rates.shape[0]):
                clipped = min(np.float64(log_rates[d]), MAX_LOG_RATE)
                rate = exp_bounded(clipped)
                count = np.float64(xr[d])
                terms[d] = rate - count * clipped + LOG_FACTORIALS[int(min(count, top))]
                grad[d] = scale * (rate - count) if log_rates[d] < MAX_LOG_RATE else 0.0
                n_beyond += count > top
        else:
            for d in range(log_rates.shape[0]):
                clipped = min(np.float64(log_rates[d]), MAX_LOG_RATE)
                count = np.float64(xr[d])
                terms[d] = (exp_bounded(clipped) - count * clipped
                            + LOG_FACTORIALS[int(min(count, top))])
                n_beyond += count > top
        total = float64_sum(terms)
        if n_beyond > 0:
            for d in range(log_rates.shape[0]):
                count = np.float64(xr[d])
                if count > top:
                    clipped = min(np.float64(log_rates[d]), MAX_LOG_RATE)
                    exact = math.exp(clipped) - count * clipped + math.lgamma(count + 1.0)
                    total += exact - terms[d]
        row_nll[r] = total


@jit_threads
def poisson_threads(x, out, scale, grad_out, row_nll, scratch, n_blocks):
    """:func:`poisson_block` on every block, one thread each."""
    for block in prange(n_blocks):
        poisson_block(x, out, scale, grad_out, row_nll, scratch, block, n_blocks)

@jit
def rate_block(out, result, block, n_blocks):
    """result = exp(min(out, MAX_LOG_RATE)) on the rows of block ``block``;
    over ``out`` when ``result`` has no rows."""
    first, last = block_range(out.shape[0], block, n_blocks, 1)
    for r in range(first, last):
        values = out[r]
        if result.shape[0] == 0:
            for d in range(values.shape[0]):
                values[d] = exp_bounded(min(values[d], MAX_LOG_RATE))
        else:
            mean = result[r]
            for d in range(values.shape[0]):
                mean[d] = exp_bounded(min(values[d], MAX_LOG_RATE))


@jit_threads
def rate_threads(out, result, n_blocks):
    """:func:`rate_block` on every block, one thread each."""
    for block in prange(n_blocks):
        rate_block(out, result, block, n_blocks)


def poisson_sample(mean, out, min_variance, rng):
    return rng.poisson(mean).astype(mean.dtype)


def poisson_output_bias(X, stats, min_variance):
    return np.log(np.maximum(stats.mean, 1e-3))


#: Largest count the Poisson likelihood accepts.
MAX_COUNT = 1e10


def check_counts(X, stats, chunk=4096):
    """Non-negative whole numbers; read in row chunks, so a memmap is not copied."""
    low, high = float(stats.low.min()), float(stats.high.max())
    if low < 0 or high > MAX_COUNT:
        raise ValueError(
            f"likelihood='poisson' needs counts in [0, {MAX_COUNT:.0e}], but X has values "
            f"in [{low:g}, {high:g}]."
        )
    for start in range(0, X.shape[0], chunk):
        part = X[start : start + chunk]
        if not np.array_equal(part, np.floor(part)):
            raise ValueError(
                "likelihood='poisson' needs whole-number counts, but X has fractional "
                "values. Use likelihood='gaussian' for real-valued data."
            )


LIKELIHOOD = Likelihood(
    1, *row_kernel_likelihood(poisson_block, poisson_threads),
    one_output_mean(rate_block, rate_threads), poisson_sample, check_counts,
    poisson_output_bias,
)
