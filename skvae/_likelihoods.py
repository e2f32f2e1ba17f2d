"""Decoder likelihoods p(x|z): one table entry each.

An entry bundles everything the estimator needs from a likelihood:

- ``n_outputs``: decoder outputs per data feature;
- ``log_density(x, out, min_variance, log_p)``: log p(x|z) per decoder row;
- ``nll_gradient(x, out, min_variance, scale, grad_out, row_nll)``: writes
  ``scale * d(-log p)/d out`` into ``grad_out`` and -log p(x|z) per decoder
  row into ``row_nll`` (the caller sums them, in a fixed order);
- ``mean(out, min_variance, result)``: E[x|z];
- ``sample(mean_out, out, min_variance, rng)``: draws x ~ p(x|z);
- ``check_data(X)``: raises ValueError for data outside the support;
- ``output_bias(X, min_variance)``: decoder output biases that make the
  untrained decoder predict the data's per-feature marginals.

Decoder rows may outnumber data rows: with L Monte Carlo draws the decoder
sees ``L * n_rows`` rows and row ``r`` belongs to data row ``r % n_rows``.
Adding a likelihood means adding one entry to :data:`LIKELIHOODS`.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._config import jit
from ._kernels import sigmoid, softplus
from ._latent import LOG_2PI


def column_moments(X, chunk=4096):
    """Per-column mean and variance in float64, reading X in row chunks.

    Two passes, so the variance is exact; only one chunk is ever held as a
    temporary, so a memmap X is not copied into memory.
    """
    n_samples = X.shape[0]
    mean = np.zeros(X.shape[1])
    for start in range(0, n_samples, chunk):
        mean += X[start : start + chunk].sum(axis=0, dtype=np.float64)
    mean /= n_samples
    var = np.zeros(X.shape[1])
    for start in range(0, n_samples, chunk):
        diff = X[start : start + chunk] - mean
        var += np.einsum("ij,ij->j", diff, diff)
    return mean, var / n_samples


# -- Bernoulli: data in [0, 1], decoder outputs logits ----------------------
@jit
def bernoulli_log_density(x, out, min_variance, log_p):
    n_rows = x.shape[0]
    for r in range(out.shape[0]):
        xr = x[r % n_rows]
        total = 0.0
        for d in range(out.shape[1]):
            total += xr[d] * out[r, d] - softplus(out[r, d])
        log_p[r] = total


@jit
def bernoulli_nll_gradient(x, out, min_variance, scale, grad_out, row_nll):
    n_rows = x.shape[0]
    for r in range(out.shape[0]):
        xr = x[r % n_rows]
        total = 0.0
        for d in range(out.shape[1]):
            logit = out[r, d]
            e = np.exp(-abs(logit))  # one exp serves softplus and sigmoid
            total += max(logit, 0.0) + np.log1p(e) - xr[d] * logit
            p = 1.0 / (1.0 + e) if logit >= 0.0 else e / (1.0 + e)
            grad_out[r, d] = scale * (p - xr[d])
        row_nll[r] = total


@jit
def bernoulli_mean(out, min_variance, result):
    for r in range(out.shape[0]):
        for d in range(out.shape[1]):
            result[r, d] = sigmoid(out[r, d])


def bernoulli_sample(mean, out, min_variance, rng):
    return (rng.random(mean.shape) < mean).astype(mean.dtype)


def bernoulli_output_bias(X, min_variance):
    p = np.clip(column_moments(X)[0], 1e-3, 1 - 1e-3)
    return np.log(p) - np.log1p(-p)


def check_unit_interval(X):
    low, high = np.min(X), np.max(X)
    if low < 0 or high > 1:
        raise ValueError(
            "likelihood='bernoulli' needs data in [0, 1], but X has values in "
            f"[{low:g}, {high:g}]. Rescale X (for example with MinMaxScaler) "
            "or use likelihood='gaussian'."
        )


# -- Gaussian: real data, decoder outputs [mean | s], var = exp(s) + floor ---
#: The decoder's ``s`` is clipped above here: a standard deviation of 7e10,
#: beyond any data magnitude accepted (MAX_ABS_VALUE), so sampling never overflows.
MAX_S = 50.0


@jit
def log_variance(s, log_floor):
    """log(exp(min(s, MAX_S)) + exp(log_floor)) without overflow: the floored log-variance."""
    s = min(s, MAX_S)
    if s > log_floor:
        return s + np.log1p(np.exp(log_floor - s))
    return log_floor + np.log1p(np.exp(s - log_floor))


@jit
def gaussian_log_density(x, out, min_variance, log_p):
    n_rows, n_features = x.shape
    log_floor = np.log(min_variance)
    for r in range(out.shape[0]):
        xr = x[r % n_rows]
        total = 0.0
        for d in range(n_features):
            log_var = log_variance(out[r, n_features + d], log_floor)
            diff = xr[d] - out[r, d]
            total += log_var + diff * diff * np.exp(-log_var)
        log_p[r] = -0.5 * (total + n_features * LOG_2PI)


@jit
def gaussian_nll_gradient(x, out, min_variance, scale, grad_out, row_nll):
    n_rows, n_features = x.shape
    log_floor = np.log(min_variance)
    for r in range(out.shape[0]):
        xr = x[r % n_rows]
        total = 0.0
        for d in range(n_features):
            s = out[r, n_features + d]
            log_var = log_variance(s, log_floor)
            inv_var = np.exp(-log_var)
            diff = xr[d] - out[r, d]
            ratio = diff * diff * inv_var
            total += 0.5 * (log_var + ratio)
            grad_out[r, d] = -scale * diff * inv_var
            # d var / d s = exp(s), and exp(s) / var = exp(s - log_var) <= 1
            ds = 0.5 * scale * np.exp(s - log_var) * (1.0 - ratio) if s < MAX_S else 0.0
            grad_out[r, n_features + d] = ds
        row_nll[r] = total + 0.5 * n_features * LOG_2PI


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


def check_real(X):
    """Finite real data, at a scale the network's arithmetic can square."""
    biggest = max(abs(float(np.min(X))), abs(float(np.max(X))))
    if biggest > MAX_ABS_VALUE:
        raise ValueError(
            f"X has values of magnitude up to {biggest:.3g}; likelihood='gaussian' accepts "
            f"at most {MAX_ABS_VALUE:.0e}, as larger values overflow the network's "
            "arithmetic. Standardize X first (for example with StandardScaler)."
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
        bernoulli_sample, check_unit_interval, bernoulli_output_bias,
    ),
    "gaussian": Likelihood(
        2, gaussian_log_density, gaussian_nll_gradient, gaussian_mean,
        gaussian_sample, check_real, gaussian_output_bias,
    ),
}
