"""Gaussian with unit variance: the decoder outputs the mean only (a squared-error VAE)."""

from .._config import jit
from .._latent import LOG_2PI
from ._rows import Likelihood, real_check
from .gaussian import gaussian_mean


@jit
def gaussian_unit_log_density(x, out, min_variance, log_p, scratch=None, n_blocks=1):
    """log p(x|mean) per row, variance 1; on one thread (a few operations per element)."""
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
    """-log p(x|mean) per row into row_nll, scale * (mean - x) into grad_out."""
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


LIKELIHOOD = Likelihood(
    1, gaussian_unit_log_density, gaussian_unit_nll_gradient, gaussian_mean,
    gaussian_unit_sample, real_check("gaussian_unit"), gaussian_unit_output_bias,
)
