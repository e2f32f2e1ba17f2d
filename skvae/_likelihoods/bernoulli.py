"""Bernoulli: data in [0, 1], the decoder outputs logits l.

-log p(x|l) = softplus(l) - x l and its gradient sigmoid(l) - x come from
one exp(-|l|) per element, with the vectorizable math of ``_vector_math``,
in one pass per row.
"""

import numpy as np
from numba import prange

from .._config import jit, jit_threads
from .._threads import block_range
from .._vector_math import float64_sum, sigmoid, softplus, softplus_and_sigmoid
from ._rows import Likelihood, one_output_mean, row_kernel_likelihood, unit_interval_check


@jit
def bernoulli_block(x, out, scale, grad_out, row_nll, scratch, block, n_blocks):
    """Rows of block ``block``: -log p(x|l) into row_nll and, when grad_out
    has rows, scale * (sigmoid(l) - x) into grad_out. The block's first
    row of ``scratch`` holds each row's terms before they are summed."""
    first, last = block_range(out.shape[0], block, n_blocks, 1)
    if first == last:
        return
    n_rows = x.shape[0]
    terms = scratch[first]
    for r in range(first, last):
        xr, logits = x[r % n_rows], out[r]
        if grad_out.shape[0] > 0:
            grad = grad_out[r]
            for d in range(logits.shape[0]):
                log_normalizer, mean = softplus_and_sigmoid(logits[d])
                terms[d] = log_normalizer - xr[d] * logits[d]
                grad[d] = scale * (mean - xr[d])
        else:
            for d in range(logits.shape[0]):
                terms[d] = softplus(logits[d]) - xr[d] * logits[d]
        row_nll[r] = float64_sum(terms)


@jit_threads
def bernoulli_threads(x, out, scale, grad_out, row_nll, scratch, n_blocks):
    """:func:`bernoulli_block` on every block, one thread each."""
    for block in prange(n_blocks):
        bernoulli_block(x, out, scale, grad_out, row_nll, scratch, block, n_blocks)


@jit
def sigmoid_block(out, result, block, n_blocks):
    """result = sigmoid(out) on the rows of block ``block``; over ``out``
    when ``result`` has no rows."""
    first, last = block_range(out.shape[0], block, n_blocks, 1)
    for r in range(first, last):
        values = out[r]
        if result.shape[0] == 0:
            for d in range(values.shape[0]):
                values[d] = sigmoid(values[d])
        else:
            mean = result[r]
            for d in range(values.shape[0]):
                mean[d] = sigmoid(values[d])


@jit_threads
def sigmoid_threads(out, result, n_blocks):
    """:func:`sigmoid_block` on every block, one thread each."""
    for block in prange(n_blocks):
        sigmoid_block(out, result, block, n_blocks)


def bernoulli_sample(mean, out, min_variance, rng):
    return (rng.random(mean.shape) < mean).astype(mean.dtype)


def logit_of_mean_bias(X, stats, min_variance):
    """Logits of the column means: the untrained decoder predicts each
    feature's mean (clipped away from 0 and 1)."""
    p = np.clip(stats.mean, 1e-3, 1 - 1e-3)
    return np.log(p) - np.log1p(-p)


LIKELIHOOD = Likelihood(
    1, *row_kernel_likelihood(bernoulli_block, bernoulli_threads),
    one_output_mean(sigmoid_block, sigmoid_threads), bernoulli_sample,
    unit_interval_check("bernoulli"), logit_of_mean_bias,
)
