"""Gaussian: real data, the decoder outputs ``[mean | s]``, var = exp(s) + min_variance.

The variance floor ``min_variance`` keeps the density bounded where the
decoder would shrink a variance to nothing.
"""

import math

import numpy as np
from numba import prange

from .._column_stats import column_variances
from .._config import jit, jit_inline, jit_threads
from .._latent import LOG_2PI
from .._threads import block_range
from .._vector_math import exp_nonpositive, float64_sum, log1p_unit
from ._rows import Likelihood, mean_target, real_check, row_kernel_likelihood

#: The decoder's ``s`` is clipped above here: a standard deviation of 7e10,
#: beyond any data magnitude accepted (MAX_ABS_VALUE), so sampling never overflows.
MAX_S = 50.0


# With s' = min(s, MAX_S), floor = min_variance, a = s' - log floor and
# u = exp(-|a|), computed in one pass per row like the Bernoulli:
#   log var = max(s', log floor) + log1p(u),
#   exp(s') / var = sigmoid(a)  and  floor / var = sigmoid(-a),
# both from u without cancellation, and 1 / var = (floor / var) / floor.
@jit_inline
def gaussian_variance(s, log_floor, inv_floor, cap, one):
    """``(log var, 1 / var, exp(s') / var)`` of one decoder ``s``; the other
    arguments are constants in the precision of ``s``, so that nothing is
    computed in float64 for float32 data."""
    s = min(s, cap)
    a = s - log_floor
    u = exp_nonpositive(-abs(a))
    inverse = one / (one + u)
    log_var = max(s, log_floor) + log1p_unit(u)
    if a >= 0:
        return log_var, u * inverse * inv_floor, inverse
    return log_var, inverse * inv_floor, u * inverse


@jit
def gaussian_block(x, out, log_floor, scale, grad_out, row_nll, scratch, block, n_blocks):
    """Rows of block ``block``: -log p(x|z) into row_nll and, when grad_out
    has rows, ``scale`` times its gradient with respect to the mean and
    ``s`` columns into grad_out. The block's first row of ``scratch`` holds
    each row's terms before they are summed."""
    first, last = block_range(out.shape[0], block, n_blocks, 1)
    if first == last:
        return
    n_rows, n_features = x.shape
    log_floor = out.dtype.type(log_floor)
    inv_floor = out.dtype.type(math.exp(-log_floor))
    zero, half, one = out.dtype.type(0.0), out.dtype.type(0.5), out.dtype.type(1.0)
    cap = out.dtype.type(MAX_S)
    constant = 0.5 * n_features * LOG_2PI
    terms = scratch[first, :n_features]
    for r in range(first, last):
        xr, mean, s = x[r % n_rows], out[r, :n_features], out[r, n_features:]
        if grad_out.shape[0] > 0:
            grad_mean, grad_s = grad_out[r, :n_features], grad_out[r, n_features:]
            for d in range(n_features):
                log_var, inv_var, share = gaussian_variance(s[d], log_floor, inv_floor, cap,
                                                            one)
                diff = xr[d] - mean[d]
                ratio = diff * diff * inv_var
                terms[d] = half * (log_var + ratio)
                grad_mean[d] = -scale * diff * inv_var
                grad_s[d] = half * scale * share * (one - ratio) if s[d] < cap else zero
        else:
            for d in range(n_features):
                log_var, inv_var, _ = gaussian_variance(s[d], log_floor, inv_floor, cap, one)
                diff = xr[d] - mean[d]
                terms[d] = half * (log_var + diff * diff * inv_var)
        row_nll[r] = float64_sum(terms) + constant


@jit_threads
def gaussian_threads(x, out, log_floor, scale, grad_out, row_nll, scratch, n_blocks):
    """:func:`gaussian_block` on every block, one thread each."""
    for block in prange(n_blocks):
        gaussian_block(x, out, log_floor, scale, grad_out, row_nll, scratch, block, n_blocks)


def gaussian_mean(out, min_variance, result, n_blocks=1):
    """The means are the first ``n_features`` outputs: nothing to do in place."""
    if mean_target(out, result).shape[0] > 0:
        np.copyto(result, out[:, : result.shape[1]])


def gaussian_sample(mean, out, min_variance, rng):
    std = np.sqrt(np.exp(np.minimum(out[:, mean.shape[1]:], MAX_S)) + min_variance)
    return (mean + std * rng.standard_normal(mean.shape)).astype(mean.dtype)


def gaussian_output_bias(X, stats, min_variance):
    mean, var = stats.mean, column_variances(X, stats.mean)
    return np.concatenate([mean, np.log(np.maximum(var - min_variance, min_variance))])


LIKELIHOOD = Likelihood(
    2, *row_kernel_likelihood(gaussian_block, gaussian_threads,
                              lambda min_variance: (math.log(min_variance),)),
    gaussian_mean, gaussian_sample, real_check("gaussian"), gaussian_output_bias,
)
