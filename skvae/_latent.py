"""numba kernels for the Gaussian latent layer.

The encoder's last layer emits ``head = [mu | log_var]`` with shape
``(n_rows, 2 * n_latent)``: the mean and the log-variance of the diagonal
Gaussian posterior q(z|x). The prior is p(z) = N(0, I).

The log-variance is clipped to [LOG_VAR_MIN, LOG_VAR_MAX] (variances from
1e-13 to 5e8, far wider than any posterior under an N(0, I) prior needs), so
that an extreme encoder output cannot overflow ``exp``; as for any clip, its
gradient is zero outside that range.

Noise ``eps`` has shape ``(L, n_rows, n_latent)`` and latent draws ``z`` are
stored as ``(L * n_rows, n_latent)``: row ``l * n_rows + m`` is the ``l``-th
draw for data row ``m``, so that the decoder sees one stacked matrix.
"""

import numpy as np

from ._config import jit

LOG_2PI = np.log(2.0 * np.pi)
LOG_VAR_MIN, LOG_VAR_MAX = -30.0, 20.0


@jit
def clip_log_var(log_var):
    return min(max(log_var, LOG_VAR_MIN), LOG_VAR_MAX)


@jit
def reparameterize(head, eps, z):
    """z = mu + exp(log_var / 2) * eps for every sample and row."""
    n_samples, n_rows, n_latent = eps.shape
    for m in range(n_rows):
        for j in range(n_latent):
            mu = head[m, j]
            std = np.exp(0.5 * clip_log_var(head[m, n_latent + j]))
            for s in range(n_samples):
                z[s * n_rows + m, j] = mu + std * eps[s, m, j]


@jit
def kl_to_standard_normal(head, kl):
    """Per row KL(N(mu, diag(exp(log_var))) || N(0, I)), in nats."""
    n_latent = head.shape[1] // 2
    for m in range(head.shape[0]):
        total = 0.0
        for j in range(n_latent):
            mu = head[m, j]
            log_var = clip_log_var(head[m, n_latent + j])
            total += mu * mu + np.exp(log_var) - log_var - 1.0
        kl[m] = 0.5 * total


@jit
def reparameterize_backward(head, eps, grad_z, kl_weight, grad_head):
    """Gradient at ``head`` of (loss through z) + kl_weight * sum of KL terms.

    ``grad_z`` is the gradient of the loss with respect to every draw ``z``.
    Returns the sum over rows of the KL terms (unweighted).
    """
    n_samples, n_rows, n_latent = eps.shape
    kl_total = 0.0
    for m in range(n_rows):
        for j in range(n_latent):
            mu = head[m, j]
            raw = head[m, n_latent + j]
            log_var = clip_log_var(raw)
            var = np.exp(log_var)
            g_mu = 0.0
            g_noise = 0.0
            for s in range(n_samples):
                g = grad_z[s * n_rows + m, j]
                g_mu += g
                g_noise += g * eps[s, m, j]
            grad_head[m, j] = g_mu + kl_weight * mu
            inside = LOG_VAR_MIN < raw < LOG_VAR_MAX
            grad_head[m, n_latent + j] = (
                0.5 * (np.sqrt(var) * g_noise + kl_weight * (var - 1.0)) if inside else 0.0
            )
            kl_total += 0.5 * (mu * mu + var - log_var - 1.0)
    return kl_total


@jit
def importance_log_weights(head, eps, log_px, log_w):
    """log p(x|z) + log p(z) - log q(z|x) for every draw, shape (L, n_rows).

    ``log_px`` holds log p(x|z) for the stacked draws, shape (L * n_rows,).
    """
    n_samples, n_rows, n_latent = eps.shape
    for s in range(n_samples):
        for m in range(n_rows):
            total = log_px[s * n_rows + m]
            for j in range(n_latent):
                e = eps[s, m, j]
                log_var = clip_log_var(head[m, n_latent + j])
                z = head[m, j] + np.exp(0.5 * log_var) * e
                # log N(z; 0, 1) - log N(z; mu, var); the 2*pi terms cancel.
                total += 0.5 * (e * e + log_var - z * z)
            log_w[s, m] = total
