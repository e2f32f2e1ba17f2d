"""Decoder likelihoods p(x|z): one table entry each.

An entry bundles everything the estimator needs from a likelihood:

- ``n_outputs``: decoder outputs per data feature;
- ``log_density(x, out, min_variance, log_p, scratch=None, n_blocks=1)``:
  log p(x|z) per decoder row;
- ``nll_gradient(x, out, min_variance, scale, grad_out, row_nll, scratch=None,
  n_blocks=1)``: writes ``scale * d(-log p)/d out`` into ``grad_out`` and
  -log p(x|z) per decoder row into ``row_nll`` (the caller sums them, in a
  fixed order). ``scratch``, a buffer shaped like ``out``, saves an
  allocation per call to the likelihoods that need one; the others ignore it;
- ``mean(out, min_variance, result, n_blocks=1)``: E[x|z].

  ``n_blocks`` is how many threads these three may split their rows
  between (see ``_threads``); every kernel but the unit-variance
  Gaussian's (a few operations per element) uses them;
- ``sample(mean_out, out, min_variance, rng)``: draws x ~ p(x|z);
- ``check_data(X, stats)``: raises ValueError for data outside the support;
- ``output_bias(X, stats, min_variance)``: decoder output biases that make
  the untrained decoder predict the data's per-feature marginals.

``stats`` is X's :class:`~skvae._column_stats.ColumnStats`, read once per
call of the estimator and shared by the two.

Decoder rows may outnumber data rows: with L Monte Carlo draws the decoder
sees ``L * n_rows`` rows and row ``r`` belongs to data row ``r % n_rows``.
Adding a likelihood means adding one entry to :data:`LIKELIHOODS`.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import prange

from ._column_stats import column_variances
from ._config import jit, jit_inline, jit_threads
from ._latent import LOG_2PI
from ._threads import block_range, row_blocks, run_blocks
from ._vector_math import (
    exp_bounded,
    exp_nonpositive,
    expm1_nonpositive,
    float64_sum,
    log1p_unit,
    log_positive,
    sigmoid,
    softplus,
    softplus_and_sigmoid,
)

# -- Bernoulli: data in [0, 1], decoder outputs logits ----------------------
# One pass per row computes softplus(l) - x*l and sigmoid(l) - x from one
# exp(-|l|), with the vectorizable math of _vector_math. Rows are split
# between threads as ``_threads.row_blocks`` decides.
def run_by_rows(block_kernel, threads_kernel, out, n_blocks, *args):
    """``block_kernel(*args, block, n_blocks)`` over the rows of ``out``, on
    as many threads as ``_threads.row_blocks`` gives them."""
    run_blocks(block_kernel, threads_kernel, row_blocks(out, n_blocks), *args)


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


bernoulli_log_density, bernoulli_nll_gradient = row_kernel_likelihood(
    bernoulli_block, bernoulli_threads)


def in_place_target(out, result):
    """``result``, or None when it is ``out``'s own memory.

    The mean kernels write over ``out`` when given None. Two arrays over
    one buffer fail the overlap check LLVM puts in front of a vectorized
    loop, so the loop ran element by element: 3.6 ns per float32 sigmoid
    against 0.41 ns in place (measured here). One array cannot fail it.
    """
    same = (out.__array_interface__["data"][0] == result.__array_interface__["data"][0]
            and out.shape == result.shape and out.strides == result.strides)
    return None if same else result


def bernoulli_mean(out, min_variance, result, n_blocks=1):
    """result = sigmoid(out); ``result`` may be ``out`` itself."""
    one_output_mean(out, result, SIGMOID, n_blocks)


def bernoulli_sample(mean, out, min_variance, rng):
    return (rng.random(mean.shape) < mean).astype(mean.dtype)


def bernoulli_output_bias(X, stats, min_variance):
    p = np.clip(stats.mean, 1e-3, 1 - 1e-3)
    return np.log(p) - np.log1p(-p)


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


# -- Gaussian: real data, decoder outputs [mean | s], var = exp(s) + floor ---
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


gaussian_log_density, gaussian_nll_gradient = row_kernel_likelihood(
    gaussian_block, gaussian_threads, lambda min_variance: (math.log(min_variance),))


def gaussian_mean(out, min_variance, result, n_blocks=1):
    """The means are the first ``n_features`` outputs: nothing to do in place."""
    if in_place_target(out, result) is not None:
        np.copyto(result, out[:, : result.shape[1]])


def gaussian_sample(mean, out, min_variance, rng):
    std = np.sqrt(np.exp(np.minimum(out[:, mean.shape[1]:], MAX_S)) + min_variance)
    return (mean + std * rng.standard_normal(mean.shape)).astype(mean.dtype)


def gaussian_output_bias(X, stats, min_variance):
    mean, var = stats.mean, column_variances(X, stats.mean)
    return np.concatenate([mean, np.log(np.maximum(var - min_variance, min_variance))])


#: Largest magnitude of data the Gaussian likelihood accepts.
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


# -- Gaussian with unit variance: decoder outputs the mean only --------------
@jit
def gaussian_unit_log_density(x, out, min_variance, log_p, scratch=None, n_blocks=1):
    n_rows, n_features = x.shape
    for r in range(out.shape[0]):
        xr = x[r % n_rows]
        total = 0.0
        for d in range(n_features):
            diff = xr[d] - out[r, d]
            total += diff * diff
        log_p[r] = -0.5 * (total + n_features * LOG_2PI)


@jit
def gaussian_unit_nll_gradient(x, out, min_variance, scale, grad_out, row_nll, scratch=None,
                               n_blocks=1):
    n_rows, n_features = x.shape
    for r in range(out.shape[0]):
        xr = x[r % n_rows]
        total = 0.0
        for d in range(n_features):
            diff = out[r, d] - xr[d]
            total += diff * diff
            grad_out[r, d] = scale * diff
        row_nll[r] = 0.5 * (total + n_features * LOG_2PI)


def gaussian_unit_sample(mean, out, min_variance, rng):
    return (mean + rng.standard_normal(mean.shape)).astype(mean.dtype)


def gaussian_unit_output_bias(X, stats, min_variance):
    return stats.mean


# -- Continuous Bernoulli: data in [0, 1], decoder outputs logits eta --------
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
# gives softplus and sigmoid, so each row is one vectorized pass, its rows
# split between threads. A float32 epoch of W's network on grey levels
# (n_jobs=-1) took 3.87 s with numba's scalar libm calls, on one thread;
# now 1.99 s, next to the Bernoulli's 1.88 (the same losses).
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


continuous_bernoulli_log_density, continuous_bernoulli_nll_gradient = row_kernel_likelihood(
    continuous_bernoulli_block, continuous_bernoulli_threads)


def continuous_bernoulli_mean(out, min_variance, result, n_blocks=1):
    """result = E[x | eta]; ``result`` may be ``out`` itself."""
    one_output_mean(out, result, CONTINUOUS_BERNOULLI_MEAN, n_blocks)


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


# -- Poisson: counts, decoder outputs log-rates ------------------------------
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


poisson_log_density, poisson_nll_gradient = row_kernel_likelihood(
    poisson_block, poisson_threads)


def poisson_mean(out, min_variance, result, n_blocks=1):
    """result = the rate; ``result`` may be ``out`` itself."""
    one_output_mean(out, result, RATE, n_blocks)


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


# -- E[x|z] of the likelihoods with one decoder output per feature ----------
#: Which mean :func:`mean_block` takes: sigmoid(l), E[x|eta] of the
#: continuous Bernoulli, or the Poisson rate exp(min(l, MAX_LOG_RATE)).
SIGMOID, CONTINUOUS_BERNOULLI_MEAN, RATE = 0, 1, 2


@jit
def mean_block(out, result, kind, block, n_blocks):
    """result = the mean ``kind`` of ``out`` on the rows of block ``block``;
    over ``out`` when ``result`` is None. Each kind has its own inner loop,
    so the test of ``kind`` stays outside the loops LLVM vectorizes."""
    first, last = block_range(out.shape[0], block, n_blocks, 1)
    for r in range(first, last):
        values = out[r]
        mean = values if result is None else result[r]
        if kind == SIGMOID:
            for d in range(values.shape[0]):
                mean[d] = sigmoid(values[d])
        elif kind == CONTINUOUS_BERNOULLI_MEAN:
            for d in range(values.shape[0]):
                mean[d] = cb_terms(values[d])[2]
        else:
            for d in range(values.shape[0]):
                mean[d] = exp_bounded(min(values[d], MAX_LOG_RATE))


@jit_threads
def mean_threads(out, result, kind, n_blocks):
    """:func:`mean_block` on every block, one thread each."""
    for block in prange(n_blocks):
        mean_block(out, result, kind, block, n_blocks)


def one_output_mean(out, result, kind, n_blocks):
    """result = the mean ``kind`` of ``out``, in place when ``result`` is ``out``'s memory."""
    run_by_rows(mean_block, mean_threads, out, n_blocks, out, in_place_target(out, result),
                kind)


@dataclass(frozen=True)
class Likelihood:
    n_outputs: int
    log_density: Callable
    nll_gradient: Callable
    mean: Callable
    sample: Callable
    check_data: Callable
    output_bias: Callable


LIKELIHOODS = {
    "bernoulli": Likelihood(
        1, bernoulli_log_density, bernoulli_nll_gradient, bernoulli_mean,
        bernoulli_sample, unit_interval_check("bernoulli"), bernoulli_output_bias,
    ),
    "continuous_bernoulli": Likelihood(
        1, continuous_bernoulli_log_density, continuous_bernoulli_nll_gradient,
        continuous_bernoulli_mean, continuous_bernoulli_sample,
        unit_interval_check("continuous_bernoulli"), bernoulli_output_bias,
    ),
    "gaussian": Likelihood(
        2, gaussian_log_density, gaussian_nll_gradient, gaussian_mean,
        gaussian_sample, real_check("gaussian"), gaussian_output_bias,
    ),
    "gaussian_unit": Likelihood(
        1, gaussian_unit_log_density, gaussian_unit_nll_gradient, gaussian_mean,
        gaussian_unit_sample, real_check("gaussian_unit"), gaussian_unit_output_bias,
    ),
    "poisson": Likelihood(
        1, poisson_log_density, poisson_nll_gradient, poisson_mean,
        poisson_sample, check_counts, poisson_output_bias,
    ),
}
