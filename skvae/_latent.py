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

from ._config import jit, jit_inline
from ._vector_math import exp_bounded

LOG_2PI = np.log(2.0 * np.pi)
LOG_VAR_MIN, LOG_VAR_MAX = -30.0, 20.0


@jit
def clip_log_var(log_var):
    return min(max(log_var, LOG_VAR_MIN), LOG_VAR_MAX)


@jit_inline
def clipped_log_var_and_std(raw):
    """The clipped log-variance and exp(log_var / 2), in ``raw``'s precision
    and with skvae's exp (``_vector_math``), so that a loop of them vectorizes."""
    t = type(raw)
    log_var = min(max(raw, t(LOG_VAR_MIN)), t(LOG_VAR_MAX))
    return log_var, exp_bounded(t(0.5) * log_var)


@jit
def reparameterize(head, eps, z):
    """z = mu + exp(log_var / 2) * eps for every sample and row."""
    n_samples, n_rows, n_latent = eps.shape
    for s in range(n_samples):
        for m in range(n_rows):
            mu, raw = head[m, :n_latent], head[m, n_latent:]
            e, out = eps[s, m], z[s * n_rows + m]
            for j in range(n_latent):
                out[j] = mu[j] + clipped_log_var_and_std(raw[j])[1] * e[j]


@jit
def kl_to_standard_normal(head, kl):
    """Per row KL(N(mu, diag(exp(log_var))) || N(0, I)), in nats."""
    n_latent = head.shape[1] // 2
    terms = np.empty(n_latent)  # a row's, apart from their sum, which would not vectorize
    for m in range(head.shape[0]):
        mu, raw = head[m, :n_latent], head[m, n_latent:]
        for j in range(n_latent):
            log_var, std = clipped_log_var_and_std(raw[j])
            terms[j] = np.float64(mu[j] * mu[j] + std * std - log_var) - 1.0
        kl[m] = 0.5 * terms.sum()


@jit
def reparameterize_backward(head, eps, grad_z, kl_weight, analytic, grad_head):
    """Gradient at ``head`` of the loss through the draws z plus the KL term's own.

    ``grad_z`` is the gradient of the loss with respect to every draw ``z``.
    With ``analytic`` (estimator B) the loss holds ``kl_weight`` times the
    analytic KL of every row, whose gradient is added here. Otherwise the KL
    is estimated from the draws (estimator A, or the IWAE bound): its part
    through z is already in ``grad_z`` (see :func:`add_draw_kl_gradient`) and
    what remains is the explicit ``-log_var / 2`` of log q, whose draw
    weights sum to ``kl_weight`` per row.
    Returns the sum over rows of the analytic KL terms (unweighted).

    Each row's draws are summed first, into the row's gradient, so that the
    loops over the latent dimensions vectorize.
    """
    n_samples, n_rows, n_latent = eps.shape
    t = head.dtype.type
    half, one, weight, lowest, highest = (t(0.5), t(1.0), t(kl_weight), t(LOG_VAR_MIN),
                                          t(LOG_VAR_MAX))
    # Loops that only read head and write a buffer of their own vectorize;
    # with grad_head written in the same loop they would not.
    kl_terms = np.zeros(n_latent)  # by latent dimension: a sum over j would not vectorize
    log_vars, stds = np.empty(n_latent, dtype=t), np.empty(n_latent, dtype=t)
    for m in range(n_rows):
        mu, raw = head[m, :n_latent], head[m, n_latent:]
        g_mu, g_noise = grad_head[m, :n_latent], grad_head[m, n_latent:]
        g_mu[:] = 0.0
        g_noise[:] = 0.0
        for s in range(n_samples):
            g, e = grad_z[s * n_rows + m], eps[s, m]
            for j in range(n_latent):
                g_mu[j] += g[j]
                g_noise[j] += g[j] * e[j]
        for j in range(n_latent):
            log_vars[j], stds[j] = clipped_log_var_and_std(raw[j])
        for j in range(n_latent):
            log_var, std = log_vars[j], stds[j]
            var = std * std
            g_log_var = half * std * g_noise[j]
            if analytic:
                g_mu[j] += weight * mu[j]
                g_log_var += half * weight * (var - one)
            else:
                g_log_var -= half * weight
            inside = (raw[j] > lowest) & (raw[j] < highest)
            g_noise[j] = g_log_var if inside else t(0.0)
            kl_terms[j] += np.float64(mu[j] * mu[j] + var - log_var) - 1.0
    return 0.5 * kl_terms.sum()


@jit
def draw_kl(head, eps, kl):
    """log q(z|x) - log p(z) for every draw z = mu + sigma * eps, shape (L, n_rows).

    The single-draw KL estimate of estimator A; its mean over draws is
    unbiased for the analytic KL.
    """
    n_samples, n_rows, n_latent = eps.shape
    for s in range(n_samples):
        for m in range(n_rows):
            total = 0.0
            for j in range(n_latent):
                e = eps[s, m, j]
                log_var = clip_log_var(head[m, n_latent + j])
                z = head[m, j] + np.exp(0.5 * log_var) * e
                # log N(z; mu, var) - log N(z; 0, 1); the 2*pi terms cancel.
                total += 0.5 * (z * z - e * e - log_var)
            kl[s, m] = total


@jit
def add_draw_kl_gradient(z, weights, grad_z):
    """Adds ``weights[s, m] * z`` to ``grad_z``: the gradient through z of the
    draw-KL terms ``weights[s, m] * draw_kl[s, m]`` (d/dz of z^2 / 2).
    """
    n_samples, n_rows = weights.shape
    for s in range(n_samples):
        for m in range(n_rows):
            w = weights[s, m]
            r = s * n_rows + m
            for j in range(z.shape[1]):
                grad_z[r, j] += w * z[r, j]


@jit
def normalized_importance_weights(log_w, weights):
    """Self-normalized weights over draws (axis 0) of ``log_w``, shape (L, n_rows).

    Returns the sum over rows of log(1/L sum_s exp(log_w[s, m])), the IWAE
    bound of each row, computed stably.
    """
    n_samples, n_rows = log_w.shape
    total = 0.0
    for m in range(n_rows):
        peak = -np.inf
        for s in range(n_samples):
            peak = max(peak, log_w[s, m])
        norm = 0.0
        for s in range(n_samples):
            weights[s, m] = np.exp(log_w[s, m] - peak)
            norm += weights[s, m]
        for s in range(n_samples):
            weights[s, m] /= norm
        total += peak + np.log(norm / n_samples)
    return total
