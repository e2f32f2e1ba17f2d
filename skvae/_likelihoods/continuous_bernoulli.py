"""Continuous Bernoulli (Loaiza-Ganem and Cunningham, 2019): data in [0, 1],
the decoder outputs logits eta.
"""

import math

import numpy as np
from numba import prange

from .._config import jit, jit_inline, jit_threads
from .._threads import block_range
from .._vector_math import (
    exp_nonpositive,
    expm1_nonpositive,
    float64_sum,
    log1p_unit,
    log_positive,
    softplus_and_sigmoid,
)
from ._rows import Likelihood, one_output_mean, row_kernel_likelihood, unit_interval_check
from .bernoulli import logit_of_mean_bias

# p(x | eta) = C(eta) * exp(eta * x - softplus(eta)), with the normalizing
# constant C(eta) = eta / tanh(eta / 2) (2 at eta = 0); Loaiza-Ganem and
# Cunningham (2019) write it in lambda = sigmoid(eta). With a = |eta|,
# e = exp(-a), e_minus = 1 - e (from expm1, without cancellation) and
# e_plus = 1 + e:
#   log C = log(a e_plus / e_minus),  d log C / d eta = 1 / eta - 1 / sinh(eta)
#   = sign(eta) (1 / a - 2 e / (e_minus e_plus)),  E[x] = 1/2 + sign(eta)
#   (e_plus / (2 e_minus) - 1 / a).
# They cancel catastrophically near eta = 0, where Taylor series take over.
# Everything is computed in float64, whatever the data's precision: the
# closed forms lose up to 4 of float64's digits just above the switch.
# Both forms are computed for every element and one is kept, and e also
# gives softplus and sigmoid, so each row is one vectorized pass rather
# than a chain of scalar libm calls.
#: Below this |eta| the continuous Bernoulli uses Taylor series.
CB_SERIES = 1e-2
LOG_2 = math.log(2.0)


@jit_inline
def cb_terms(eta):
    """``(softplus(eta) - log C(eta), sigmoid(eta) - d log C / d eta,
    E[x | eta])`` of one logit, in float64 (numba's ``float()`` of a float32
    is a float32)."""
    t = np.float64(eta)
    a = abs(t)
    e = exp_nonpositive(-a)
    e_plus = 1.0 + e
    e_minus = -expm1_nonpositive(-a)
    sign = 1.0 if t >= 0.0 else -1.0
    # its exp(-|t|) is e: LLVM computes it once
    softplus_t, sigmoid_t = softplus_and_sigmoid(t)
    a2 = a * a
    series = a < CB_SERIES
    log_c = (LOG_2 + log1p_unit(a2 / 12.0 - a2 * a2 / 720.0) if series
             else log_positive(a * e_plus / e_minus))
    d_log_c = (t / 6.0 - 7.0 * t * a2 / 360.0 if series
               else sign * (1.0 / a - 2.0 * e / (e_minus * e_plus)))
    mean = (0.5 + t / 12.0 - t * a2 / 720.0 if series
            else 0.5 + sign * (0.5 * e_plus / e_minus - 1.0 / a))
    return softplus_t - log_c, sigmoid_t - d_log_c, mean


@jit
def continuous_bernoulli_block(x, out, scale, grad_out, row_nll, scratch, block, n_blocks):
    """Rows of block ``block``: -log p(x|eta) into row_nll and, when grad_out
    has rows, ``scale`` times its gradient into grad_out. The block's first
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
                log_normalizer, derivative, _ = cb_terms(logits[d])
                data = np.float64(xr[d])
                terms[d] = log_normalizer - data * np.float64(logits[d])
                grad[d] = scale * (derivative - data)
        else:
            for d in range(logits.shape[0]):
                terms[d] = cb_terms(logits[d])[0] - np.float64(xr[d]) * np.float64(logits[d])
        row_nll[r] = float64_sum(terms)


@jit_threads
def continuous_bernoulli_threads(x, out, scale, grad_out, row_nll, scratch, n_blocks):
    """:func:`continuous_bernoulli_block` on every block, one thread each."""
    for block in prange(n_blocks):
        continuous_bernoulli_block(x, out, scale, grad_out, row_nll, scratch, block, n_blocks)

@jit
def continuous_bernoulli_mean_block(out, result, block, n_blocks):
    """result = E[x | eta] on the rows of block ``block``; over ``out`` when
    ``result`` has no rows."""
    first, last = block_range(out.shape[0], block, n_blocks, 1)
    for r in range(first, last):
        values = out[r]
        if result.shape[0] == 0:
            for d in range(values.shape[0]):
                values[d] = cb_terms(values[d])[2]
        else:
            mean = result[r]
            for d in range(values.shape[0]):
                mean[d] = cb_terms(values[d])[2]


@jit_threads
def continuous_bernoulli_mean_threads(out, result, n_blocks):
    """:func:`continuous_bernoulli_mean_block` on every block, one thread each."""
    for block in prange(n_blocks):
        continuous_bernoulli_mean_block(out, result, block, n_blocks)


def continuous_bernoulli_sample(mean, out, min_variance, rng):
    """Inverse-CDF draws: x = log(1 + u (e^eta - 1)) / eta, u ~ U(0, 1)."""
    eta = out.astype(np.float64)
    u = rng.random(eta.shape)
    a = np.where(np.abs(eta) < CB_SERIES, 1.0, eta)  # no division by ~0 below
    with np.errstate(over="ignore", divide="ignore"):
        # eta > 0: rewrite as 1 + log(u + (1 - u) e^-eta) / eta so e^eta cannot overflow
        positive = 1.0 + np.log(u + (1.0 - u) * np.exp(-np.abs(a))) / a
        negative = np.log1p(u * np.expm1(np.minimum(a, 0.0))) / a
    x = np.where(eta > 0, positive, negative)
    x = np.where(np.abs(eta) < CB_SERIES, u + 0.5 * eta * u * (1.0 - u), x)
    return np.clip(x, 0.0, 1.0).astype(mean.dtype)


# The Bernoulli's output bias: logits of the column means. The continuous
# Bernoulli's mean at those logits is not the column mean (0.43 for a mean
# of 0.3), but it starts training from the same place as the Bernoulli.
LIKELIHOOD = Likelihood(
    1, *row_kernel_likelihood(continuous_bernoulli_block, continuous_bernoulli_threads),
    one_output_mean(continuous_bernoulli_mean_block, continuous_bernoulli_mean_threads),
    continuous_bernoulli_sample, unit_interval_check("continuous_bernoulli"),
    logit_of_mean_bias,
)
