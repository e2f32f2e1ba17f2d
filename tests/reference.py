"""Plain-numpy reference implementation: the oracle for the numba kernels.

Written from the documented conventions only, sharing no code with skvae:

- ``theta`` holds every weight matrix (row-major; encoder layers, then
  decoder layers), then every bias vector in the same layer order;
- the encoder maps ``n_features -> hidden... -> 2 * n_latent`` ([mu | log_var]),
  the decoder ``n_latent -> reversed(hidden)... -> n_outputs * n_features``;
- draws are stacked as ``z[l * M + m] = mu[m] + exp(log_var[m] / 2) * eps[l, m]``;
- the encoder's log-variance is clipped to [-30, 20];
- the Gaussian decoder emits ``[mean | s]`` with variance
  ``exp(min(s, 50)) + min_variance``; "gaussian_unit" emits the mean (variance 1);
- the Bernoulli and continuous Bernoulli decoders emit logits, the Poisson
  decoder log-rates clipped at 30.

Everything is computed in float64, slowly and obviously.
"""

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy import stats
from scipy.special import expit, gammaln, log_expit, logsumexp

ACTIVATIONS = {
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "softplus": lambda z: np.logaddexp(0.0, z),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "identity": lambda z: z,
}


def layer_shapes(n_features, n_latent, hidden, likelihood):
    enc = [n_features, *hidden, 2 * n_latent]
    dec = [n_latent, *hidden[::-1], LIKELIHOODS[likelihood].n_outputs * n_features]
    return list(pairwise(enc)), list(pairwise(dec))


def n_params(shapes):
    return sum(i * o + o for i, o in shapes)


def unpack(theta, shapes):
    """Weights and biases per layer from the flat buffer."""
    theta = np.asarray(theta, dtype=np.float64)
    weights, pos = [], 0
    for i, o in shapes:
        weights.append(theta[pos : pos + i * o].reshape(i, o))
        pos += i * o
    biases = []
    for _, o in shapes:
        biases.append(theta[pos : pos + o])
        pos += o
    assert pos == theta.size
    return weights, biases


def mlp(x, weights, biases, activation):
    """Forward pass; returns the output and every hidden pre-activation."""
    a = np.asarray(x, dtype=np.float64)
    pre = []
    for k, (w, b) in enumerate(zip(weights, biases)):
        z = a @ w + b
        if k < len(weights) - 1:
            pre.append(z)
            a = ACTIVATIONS[activation](z)
        else:
            a = z
    return a, pre


@dataclass(frozen=True)
class Reference:
    """One likelihood's reference: its decoder outputs per feature, its
    log-density per element ``(x, out, n_features, min_variance)``, its mean
    ``(out, n_features)``, and data in its support for the tests ``(rng,
    shape)``."""

    n_outputs: int
    log_density: Callable
    mean: Callable
    data: Callable


def _continuous_bernoulli_log_c(out):
    # Loaiza-Ganem & Cunningham: C(lam) = 2 artanh(1 - 2 lam) / (1 - 2 lam)
    lam = expit(out)
    return np.log(2 * np.arctanh(1 - 2 * lam) / (1 - 2 * lam))


def _gaussian(x, out, d, min_variance):
    mean, var = out[:, :d], np.exp(np.minimum(out[:, d:], 50.0)) + min_variance
    return -0.5 * (np.log(2 * np.pi * var) + (x - mean) ** 2 / var)


def _continuous_bernoulli_mean(out, d):
    lam = expit(out)
    return lam / (2 * lam - 1) + 1 / (2 * np.arctanh(1 - 2 * lam))


#: The reference of every likelihood, by the estimator's name for it.
LIKELIHOODS = {
    "bernoulli": Reference(
        1, lambda x, out, d, v: x * log_expit(out) + (1 - x) * log_expit(-out),
        lambda out, d: expit(out),
        lambda rng, shape: rng.integers(0, 2, shape).astype(float)),
    "continuous_bernoulli": Reference(
        1, lambda x, out, d, v: (x * log_expit(out) + (1 - x) * log_expit(-out)
                                 + _continuous_bernoulli_log_c(out)),
        _continuous_bernoulli_mean,
        lambda rng, shape: rng.random(shape)),
    "gaussian": Reference(
        2, _gaussian, lambda out, d: out[:, :d],
        lambda rng, shape: rng.normal(size=shape)),
    "gaussian_unit": Reference(
        1, lambda x, out, d, v: -0.5 * (np.log(2 * np.pi) + (x - out) ** 2),
        lambda out, d: out[:, :d],
        lambda rng, shape: rng.normal(size=shape)),
    "poisson": Reference(
        1, lambda x, out, d, v: (x * np.minimum(out, 30.0) - np.exp(np.minimum(out, 30.0))
                                 - gammaln(x + 1)),
        lambda out, d: np.exp(np.minimum(out, 30.0)),
        lambda rng, shape: rng.poisson(2.5, shape).astype(float)),
}


def log_likelihood(x, out, likelihood, min_variance):
    """log p(x|z) per decoder row; row r belongs to x[r % len(x)]."""
    xr = np.tile(np.asarray(x, dtype=np.float64), (out.shape[0] // len(x), 1))
    return np.sum(LIKELIHOODS[likelihood].log_density(xr, out, xr.shape[1], min_variance),
                  axis=1)


def decoder_mean(out, likelihood, n_features):
    return LIKELIHOODS[likelihood].mean(out, n_features)


def kl_standard_normal(mu, log_var):
    return 0.5 * np.sum(mu**2 + np.exp(log_var) - log_var - 1.0, axis=1)


def split(theta, n_features, n_latent, hidden, likelihood):
    enc, dec = layer_shapes(n_features, n_latent, hidden, likelihood)
    w, b = unpack(theta, enc + dec)
    k = len(enc)
    return (w[:k], b[:k]), (w[k:], b[k:])


def encode(theta, x, n_latent, hidden, activation, likelihood):
    (ew, eb), _ = split(theta, x.shape[1], n_latent, hidden, likelihood)
    head, pre = mlp(x, ew, eb, activation)
    return head[:, :n_latent], np.clip(head[:, n_latent:], -30.0, 20.0), pre


def objective(theta, x, eps, hidden, activation, likelihood, beta, l2, min_variance,
              kl_estimator="analytic", bound="elbo"):
    """The minibatch objective and the smallest |hidden pre-activation|.

    elbo:  loss = 1/M sum_m [1/L sum_l -log p(x_m|z_lm) + beta KL_m] + l2/2 ||W||^2,
           KL_m analytic, or 1/L sum_l [log q(z_lm|x_m) - log p(z_lm)] ("mc");
    iwae:  loss = -1/M sum_m log 1/L sum_l exp(log p(x_m|z_lm)
                  + beta [log p(z_lm) - log q(z_lm|x_m)]) + l2/2 ||W||^2.
    """
    n_draws, m, n_latent = eps.shape
    (ew, eb), (dw, db) = split(theta, x.shape[1], n_latent, hidden, likelihood)
    head, pre_e = mlp(x, ew, eb, activation)
    mu, log_var = head[:, :n_latent], np.clip(head[:, n_latent:], -30.0, 20.0)
    z3 = mu[None] + np.exp(0.5 * log_var)[None] * eps
    out, pre_d = mlp(z3.reshape(n_draws * m, n_latent), dw, db, activation)
    log_px = log_likelihood(x, out, likelihood, min_variance).reshape(n_draws, m)
    sd = np.exp(0.5 * log_var)[None]
    log_ratio = (stats.norm.logpdf(z3, mu[None], sd) - stats.norm.logpdf(z3)).sum(axis=2)
    if bound == "iwae":
        data = -np.sum(logsumexp(log_px - beta * log_ratio, axis=0) - np.log(n_draws))
    else:
        kl = (kl_standard_normal(mu, log_var).sum() if kl_estimator == "analytic"
              else log_ratio.sum() / n_draws)
        data = -log_px.sum() / n_draws + beta * kl
    weights = np.concatenate([w.ravel() for w in ew + dw])
    loss = data / m + 0.5 * l2 * weights @ weights
    margin = min((np.abs(p).min() for p in pre_e + pre_d), default=np.inf)
    return loss, margin
