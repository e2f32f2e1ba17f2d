"""Decoder likelihoods p(x|z): one table entry each.

An entry bundles everything the estimator needs from a likelihood:

- ``n_outputs``: decoder outputs per data feature;
- ``log_density(x, out, min_variance, log_p, scratch=None)``: log p(x|z) per
  decoder row;
- ``nll_gradient(x, out, min_variance, scale, grad_out, row_nll, scratch=None)``:
  writes ``scale * d(-log p)/d out`` into ``grad_out`` and -log p(x|z) per
  decoder row into ``row_nll`` (the caller sums them, in a fixed order).
  ``scratch``, a buffer shaped like ``out``, saves an allocation per call to
  the likelihoods that need one; the others ignore it;
- ``mean(out, min_variance, result)``: E[x|z];
- ``sample(mean_out, out, min_variance, rng)``: draws x ~ p(x|z);
- ``check_data(X)``: raises ValueError for data outside the support;
- ``output_bias(X, min_variance)``: decoder output biases that make the
  untrained decoder predict the data's per-feature marginals.

Decoder rows may outnumber data rows: with L Monte Carlo draws the decoder
sees ``L * n_rows`` rows and row ``r`` belongs to data row ``r % n_rows``.
Adding a likelihood means adding one entry to :data:`LIKELIHOODS`.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._config import jit
from ._kernels import sigmoid, softplus
from ._latent import LOG_2PI


def column_means(X, chunk=4096):
    """Per-column mean in float64, reading X in row chunks (a memmap is not
    copied into memory)."""
    mean = np.zeros(X.shape[1])
    for start in range(0, X.shape[0], chunk):
        mean += X[start : start + chunk].sum(axis=0, dtype=np.float64)
    return mean / X.shape[0]


def column_moments(X, chunk=4096):
    """Per-column mean and variance in float64, reading X in row chunks.

    Two passes, so the variance is exact; only one chunk is ever held as a
    temporary, so a memmap X is not copied into memory.
    """
    n_samples = X.shape[0]
    mean = column_means(X, chunk)
    var = np.zeros(X.shape[1])
    for start in range(0, n_samples, chunk):
        diff = X[start : start + chunk] - mean
        var += np.einsum("ij,ij->j", diff, diff)
    return mean, var / n_samples


# -- Bernoulli: data in [0, 1], decoder outputs logits ----------------------
# The transcendental work (exp and log1p) runs in numpy's SIMD ufuncs, the
# rest in numba loops that LLVM vectorizes: numba's scalar libm calls cost
# 13 ns per element here, and the Bernoulli likelihood has one exp and one
# log1p per decoder output.
@jit
def negative_magnitude(out, result):
    """result = -|out|, the argument of exp that never overflows."""
    for r in range(out.shape[0]):
        for d in range(out.shape[1]):
            result[r, d] = -abs(out[r, d])


def exp_of_negative_magnitude(out, scratch):
    """scratch = exp(-|out|), in (0, 1]; allocates scratch when it is None."""
    if scratch is None:
        scratch = np.empty_like(out)
    negative_magnitude(out, scratch)
    np.exp(scratch, out=scratch)
    return scratch


@jit
def bernoulli_row_nll(xr, logits, softplus_rest):
    """sum_d softplus(l) - x*l of one row, given log1p(exp(-|l|)) per element.

    Four float64 partial sums: one running sum is a chain of dependent
    additions (4 cycles each), and this sum ran at 1.6 ns per element.
    """
    n = logits.shape[0]
    t0 = t1 = t2 = t3 = 0.0
    d = 0
    while d + 4 <= n:
        t0 += max(logits[d], 0.0) + softplus_rest[d] - xr[d] * logits[d]
        t1 += max(logits[d + 1], 0.0) + softplus_rest[d + 1] - xr[d + 1] * logits[d + 1]
        t2 += max(logits[d + 2], 0.0) + softplus_rest[d + 2] - xr[d + 2] * logits[d + 2]
        t3 += max(logits[d + 3], 0.0) + softplus_rest[d + 3] - xr[d + 3] * logits[d + 3]
        d += 4
    for k in range(d, n):
        t0 += max(logits[k], 0.0) + softplus_rest[k] - xr[k] * logits[k]
    return (t0 + t1) + (t2 + t3)


@jit
def bernoulli_row_sums(x, out, softplus_rest, log_p):
    """log_p[r] = sum_d x*l - softplus(l), given log1p(exp(-|l|)) per element."""
    n_rows = x.shape[0]
    for r in range(out.shape[0]):
        log_p[r] = -bernoulli_row_nll(x[r % n_rows], out[r], softplus_rest[r])


def bernoulli_log_density(x, out, min_variance, log_p, scratch=None):
    e = exp_of_negative_magnitude(out, scratch)
    np.log1p(e, out=e)
    bernoulli_row_sums(x, out, e, log_p)


@jit
def bernoulli_combine(x, out, e, scale, softplus_rest, grad_out, row_nll):
    """Gradient scale * (sigmoid(l) - x) and row sums of the NLL.

    ``e`` is exp(-|l|) and ``softplus_rest`` is log1p(e); ``grad_out`` may be
    the same buffer as ``softplus_rest``.
    """
    n_rows = x.shape[0]
    one = out.dtype.type(1.0)
    for r in range(out.shape[0]):
        xr = x[r % n_rows]
        row_nll[r] = bernoulli_row_nll(xr, out[r], softplus_rest[r])
        for d in range(out.shape[1]):
            inv = one / (one + e[r, d])
            p = inv if out[r, d] >= 0.0 else e[r, d] * inv
            grad_out[r, d] = scale * (p - xr[d])


def bernoulli_nll_gradient(x, out, min_variance, scale, grad_out, row_nll, scratch=None):
    e = exp_of_negative_magnitude(out, scratch)
    np.log1p(e, out=grad_out)
    bernoulli_combine(x, out, e, out.dtype.type(scale), grad_out, grad_out, row_nll)


@jit
def sigmoid_from_exp(out, e, result):
    """result = sigmoid(out), given e = exp(-|out|)."""
    one = out.dtype.type(1.0)
    for r in range(out.shape[0]):
        for d in range(out.shape[1]):
            inv = one / (one + e[r, d])
            result[r, d] = inv if out[r, d] >= 0.0 else e[r, d] * inv


#: Rows per pass of the split elementwise kernels over large blocks, so that
#: each pass reads what the previous one left in the core's cache.
CACHE_ROWS = 256


def bernoulli_mean(out, min_variance, result):
    """result = sigmoid(out); ``result`` may be ``out`` itself."""
    e = np.empty((min(CACHE_ROWS, out.shape[0]), out.shape[1]), dtype=out.dtype)
    for start in range(0, out.shape[0], CACHE_ROWS):
        o, r = out[start : start + CACHE_ROWS], result[start : start + CACHE_ROWS]
        sigmoid_from_exp(o, exp_of_negative_magnitude(o, e[: len(o)]), r)


def bernoulli_sample(mean, out, min_variance, rng):
    return (rng.random(mean.shape) < mean).astype(mean.dtype)


def bernoulli_output_bias(X, min_variance):
    p = np.clip(column_means(X), 1e-3, 1 - 1e-3)
    return np.log(p) - np.log1p(-p)


def unit_interval_check(name):
    """A ``check_data`` for data in [0, 1], naming likelihood ``name`` in its error."""

    def check(X):
        low, high = np.min(X), np.max(X)
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


# As for the Bernoulli, the transcendental work runs in numpy's SIMD ufuncs.
# With s' = min(s, MAX_S), floor = min_variance and u = exp(-|s' - log floor|):
#   log var = max(s', log floor) + log1p(u),
#   exp(s') / var = sigmoid(s' - log floor)  and  floor / var = sigmoid(log floor - s'),
# both from u without cancellation, and 1 / var = (floor / var) / floor.
# numba's scalar exp and log1p took 1.3 s of a 4.9 s epoch (W's shapes, Gaussian).
@jit
def gaussian_exponent(out, log_floor, result):
    """result = -|min(s, MAX_S) - log_floor| for the decoder's ``s`` columns."""
    n_features = result.shape[1]
    for r in range(out.shape[0]):
        for d in range(n_features):
            result[r, d] = -abs(min(out[r, n_features + d], MAX_S) - log_floor)


def gaussian_variance_terms(out, log_floor, scratch):
    """``(u, log1p(u))``, each shaped like the mean columns, in the two halves of scratch."""
    n_rows, n_features = out.shape[0], out.shape[1] // 2
    if scratch is None:
        scratch = np.empty_like(out)
    flat = scratch.reshape(-1)
    u = flat[: n_rows * n_features].reshape(n_rows, n_features)
    rest = flat[n_rows * n_features : 2 * n_rows * n_features].reshape(n_rows, n_features)
    gaussian_exponent(out, log_floor, u)
    np.exp(u, out=u)
    np.log1p(u, out=rest)
    return u, rest


@jit
def row_sum(values):
    """Sum of a 1-D array in float64, with four partial sums (see bernoulli_row_nll)."""
    n = values.shape[0]
    t0 = t1 = t2 = t3 = 0.0
    d = 0
    while d + 4 <= n:
        t0 += values[d]
        t1 += values[d + 1]
        t2 += values[d + 2]
        t3 += values[d + 3]
        d += 4
    for k in range(d, n):
        t0 += values[k]
    return (t0 + t1) + (t2 + t3)


@jit
def gaussian_terms(x, out, u, rest, log_floor, scale, grad_out):
    """Per-element NLL 0.5 * (log var + (x - mean)^2 / var), written over ``rest``
    (which holds log1p(u) on entry); with ``grad_out`` of non-zero size also
    ``scale`` times its gradient with respect to the mean and ``s`` columns.
    """
    n_rows, n_features = x.shape
    inv_floor = math.exp(-log_floor)
    one = out.dtype.type(1.0)
    with_gradient = grad_out.shape[0] > 0
    for r in range(out.shape[0]):
        xr = x[r % n_rows]
        for d in range(n_features):
            s = min(out[r, n_features + d], MAX_S)
            inv = one / (one + u[r, d])
            above = s >= log_floor
            log_var = max(s, log_floor) + rest[r, d]
            inv_var = (u[r, d] * inv if above else inv) * inv_floor
            diff = xr[d] - out[r, d]
            ratio = diff * diff * inv_var
            rest[r, d] = 0.5 * (log_var + ratio)
            if with_gradient:
                grad_out[r, d] = -scale * diff * inv_var
                share = inv if above else u[r, d] * inv  # exp(s) / var
                grad_out[r, n_features + d] = (
                    0.5 * scale * share * (1.0 - ratio) if out[r, n_features + d] < MAX_S else 0.0)


@jit
def gaussian_row_nll(terms, n_features, row_nll):
    """row_nll[r] = sum of row r's NLL terms + the normalizing constant."""
    for r in range(terms.shape[0]):
        row_nll[r] = row_sum(terms[r]) + 0.5 * n_features * LOG_2PI


def gaussian_log_density(x, out, min_variance, log_p, scratch=None):
    log_floor = math.log(min_variance)
    u, rest = gaussian_variance_terms(out, log_floor, scratch)
    gaussian_terms(x, out, u, rest, log_floor, 1.0, out[:0])
    gaussian_row_nll(rest, x.shape[1], log_p)
    np.negative(log_p, out=log_p)


def gaussian_nll_gradient(x, out, min_variance, scale, grad_out, row_nll, scratch=None):
    log_floor = math.log(min_variance)
    u, rest = gaussian_variance_terms(out, log_floor, scratch)
    gaussian_terms(x, out, u, rest, log_floor, out.dtype.type(scale), grad_out)
    gaussian_row_nll(rest, x.shape[1], row_nll)


@jit
def gaussian_mean(out, min_variance, result):
    n_features = result.shape[1]
    for r in range(out.shape[0]):
        for d in range(n_features):
            result[r, d] = out[r, d]


def gaussian_sample(mean, out, min_variance, rng):
    std = np.sqrt(np.exp(np.minimum(out[:, mean.shape[1]:], MAX_S)) + min_variance)
    return (mean + std * rng.standard_normal(mean.shape)).astype(mean.dtype)


def gaussian_output_bias(X, min_variance):
    mean, var = column_moments(X)
    return np.concatenate([mean, np.log(np.maximum(var - min_variance, min_variance))])


#: Largest magnitude of data the Gaussian likelihood accepts.
MAX_ABS_VALUE = 1e10


def real_check(name):
    """A ``check_data`` for real data at a scale the network's arithmetic can square."""

    def check(X):
        biggest = max(abs(float(np.min(X))), abs(float(np.max(X))))
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
def gaussian_unit_log_density(x, out, min_variance, log_p, scratch=None):
    n_rows, n_features = x.shape
    for r in range(out.shape[0]):
        xr = x[r % n_rows]
        total = 0.0
        for d in range(n_features):
            diff = xr[d] - out[r, d]
            total += diff * diff
        log_p[r] = -0.5 * (total + n_features * LOG_2PI)


@jit
def gaussian_unit_nll_gradient(x, out, min_variance, scale, grad_out, row_nll, scratch=None):
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


def gaussian_unit_output_bias(X, min_variance):
    return column_means(X)


# -- Continuous Bernoulli: data in [0, 1], decoder outputs logits eta --------
# p(x | eta) = C(eta) * exp(eta * x - softplus(eta)), with the normalizing
# constant C(eta) = eta / tanh(eta / 2) (2 at eta = 0); Loaiza-Ganem and
# Cunningham (2019) write it in lambda = sigmoid(eta). Its closed forms cancel
# catastrophically near eta = 0, where Taylor series take over.
#: Below this |eta| the continuous Bernoulli uses Taylor series.
CB_SERIES = 1e-2
LOG_2 = np.log(2.0)


@jit
def cb_log_normalizer(eta):
    """log C(eta) = log(eta / tanh(eta / 2)), even in eta."""
    a = abs(float(eta))
    if a < CB_SERIES:
        a2 = a * a
        return LOG_2 + np.log1p(a2 / 12.0 - a2 * a2 / 720.0)
    # tanh(a / 2) = (1 - e^-a) / (1 + e^-a)
    return np.log(a) - np.log(-np.expm1(-a)) + np.log1p(np.exp(-a))


@jit
def cb_log_normalizer_derivative(eta):
    """d log C / d eta = 1 / eta - 1 / sinh(eta)."""
    eta = float(eta)
    if abs(eta) < CB_SERIES:
        return eta / 6.0 - 7.0 * eta * eta * eta / 360.0
    return 1.0 / eta - 1.0 / np.sinh(eta)


@jit
def cb_mean(eta):
    """E[x | eta] = 1/2 + 1 / (2 tanh(eta / 2)) - 1 / eta."""
    eta = float(eta)
    if abs(eta) < CB_SERIES:
        return 0.5 + eta / 12.0 - eta * eta * eta / 720.0
    return 0.5 + 0.5 / np.tanh(0.5 * eta) - 1.0 / eta


@jit
def continuous_bernoulli_log_density(x, out, min_variance, log_p, scratch=None):
    n_rows = x.shape[0]
    for r in range(out.shape[0]):
        xr = x[r % n_rows]
        total = 0.0
        for d in range(out.shape[1]):
            eta = out[r, d]
            total += xr[d] * eta - softplus(eta) + cb_log_normalizer(eta)
        log_p[r] = total


@jit
def continuous_bernoulli_nll_gradient(x, out, min_variance, scale, grad_out, row_nll, scratch=None):
    n_rows = x.shape[0]
    for r in range(out.shape[0]):
        xr = x[r % n_rows]
        total = 0.0
        for d in range(out.shape[1]):
            eta = out[r, d]
            total += softplus(eta) - xr[d] * eta - cb_log_normalizer(eta)
            grad_out[r, d] = scale * (sigmoid(eta) - xr[d] - cb_log_normalizer_derivative(eta))
        row_nll[r] = total


@jit
def continuous_bernoulli_mean(out, min_variance, result):
    for r in range(out.shape[0]):
        for d in range(out.shape[1]):
            result[r, d] = cb_mean(out[r, d])


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


@jit
def poisson_log_density(x, out, min_variance, log_p, scratch=None):
    n_rows = x.shape[0]
    for r in range(out.shape[0]):
        xr = x[r % n_rows]
        total = 0.0
        for d in range(out.shape[1]):
            log_rate = min(out[r, d], MAX_LOG_RATE)
            total += xr[d] * log_rate - np.exp(log_rate) - math.lgamma(xr[d] + 1.0)
        log_p[r] = total


@jit
def poisson_nll_gradient(x, out, min_variance, scale, grad_out, row_nll, scratch=None):
    n_rows = x.shape[0]
    for r in range(out.shape[0]):
        xr = x[r % n_rows]
        total = 0.0
        for d in range(out.shape[1]):
            log_rate = out[r, d]
            inside = log_rate < MAX_LOG_RATE
            log_rate = min(log_rate, MAX_LOG_RATE)
            rate = np.exp(log_rate)
            total += rate - xr[d] * log_rate + math.lgamma(xr[d] + 1.0)
            grad_out[r, d] = scale * (rate - xr[d]) if inside else 0.0
        row_nll[r] = total


@jit
def poisson_mean(out, min_variance, result):
    for r in range(out.shape[0]):
        for d in range(out.shape[1]):
            result[r, d] = np.exp(min(out[r, d], MAX_LOG_RATE))


def poisson_sample(mean, out, min_variance, rng):
    return rng.poisson(mean).astype(mean.dtype)


def poisson_output_bias(X, min_variance):
    return np.log(np.maximum(column_means(X), 1e-3))


#: Largest count the Poisson likelihood accepts.
MAX_COUNT = 1e10


def check_counts(X, chunk=4096):
    """Non-negative whole numbers; read in row chunks, so a memmap is not copied."""
    low, high = float(np.min(X)), float(np.max(X))
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
