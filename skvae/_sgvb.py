"""The training objectives (the SGVB ELBO and the IWAE bound) and their evaluations.

:func:`sgvb_loss_gradient` is the training objective of one minibatch (the
ELBO with estimator A or B of Kingma & Welling, or the importance-weighted
bound of Burda et al.) and its hand-derived gradient; :func:`elbo_rows` and :func:`iwae_rows` are the
per-row estimates behind ``score_samples`` and ``marginal_log_likelihood``;
:func:`encode_rows` and :func:`decode_rows` serve ``transform`` and
``inverse_transform``. All of them run on a :class:`Workspace` so that no
buffer is allocated per minibatch.
"""

import numpy as np
from scipy.special import logsumexp

from ._config import jit
from ._kernels import ACTIVATIONS, add_weight_decay
from ._latent import (
    add_draw_kl_gradient,
    draw_kl,
    kl_to_standard_normal,
    normalized_importance_weights,
    reparameterize,
    reparameterize_backward,
)
from ._likelihoods import LIKELIHOODS
from ._network import NetworkLayout, allocate_activations, backward, forward
from ._threads import kernel_threads

#: Fixed standard-normal draws per row behind :func:`score_rows`.
N_SCORE_DRAWS = 16
#: Decoder rows processed at once in inference.
ROW_BUDGET = 4096


class VAEModel:
    """A VAE's parameters ``theta`` seen through its layout, ready to run.

    Built on demand from an estimator's fitted state; it holds views, so it
    is cheap to make and never stored on the estimator.
    """

    def __init__(self, layout, activation, likelihood, min_variance, theta):
        self.layout = layout
        self.activation = activation
        self.likelihood = likelihood
        self.min_variance = float(min_variance)
        self.theta = theta
        self.encoder, self.decoder = layout.views(theta)
        self.n_latent = layout.decoder_shapes[0][0]
        self.n_features = layout.encoder_shapes[0][0]

    @staticmethod
    def layout_for(arch):
        """The parameter layout of an estimator's architecture dict."""
        return NetworkLayout(arch["n_features"], arch["n_latent"], arch["hidden_layer_sizes"],
                             LIKELIHOODS[arch["likelihood"]].n_outputs)

    @classmethod
    def from_architecture(cls, arch, theta):
        """The model of an estimator's architecture dict with parameters ``theta``."""
        return cls(cls.layout_for(arch), ACTIVATIONS[arch["activation"]],
                   LIKELIHOODS[arch["likelihood"]], arch["min_variance"], theta)


class Workspace:
    """Every buffer one pass needs, for up to ``n_rows`` rows and ``n_draws`` draws.

    ``n_blocks`` is the number of threads the kernels may split their work
    between (set from :func:`~skvae._threads.kernel_threads`).
    """

    def __init__(self, layout, n_rows, n_draws, dtype):
        n_latent = layout.decoder_shapes[0][0]
        n_dec = n_rows * n_draws
        self.n_rows, self.n_draws = n_rows, n_draws
        self.n_blocks = 1
        self.x = np.empty((n_rows, layout.encoder_shapes[0][0]), dtype=dtype)
        self.enc = allocate_activations(layout.encoder_shapes, n_rows, dtype)
        self.enc_grad = allocate_activations(layout.encoder_shapes, n_rows, dtype)
        self.dec = allocate_activations(layout.decoder_shapes, n_dec, dtype)
        self.dec_grad = allocate_activations(layout.decoder_shapes, n_dec, dtype)
        self.scratch = np.empty_like(self.dec[-1])  # for the likelihood
        self._eps = np.empty(n_dec * n_latent, dtype=dtype)
        self._z = np.empty(n_dec * n_latent, dtype=dtype)
        self._grad_z = np.empty(n_dec * n_latent, dtype=dtype)
        self.log_p = np.empty(n_dec, dtype=dtype)
        self._draw_kl = np.empty(n_dec, dtype=dtype)
        self._draw_weights = np.empty(n_dec, dtype=dtype)
        self.kl = np.empty(n_rows, dtype=dtype)
        self.no_rows = np.empty((0, layout.encoder_shapes[0][0]), dtype=dtype)

    def eps(self, n_draws, n_rows, n_latent):
        return self._eps[: n_draws * n_rows * n_latent].reshape(n_draws, n_rows, n_latent)

    def z(self, n_rows, n_latent):
        return self._z[: n_rows * n_latent].reshape(n_rows, n_latent)

    def grad_z(self, n_rows, n_latent):
        return self._grad_z[: n_rows * n_latent].reshape(n_rows, n_latent)

    def draw_kl(self, n_draws, n_rows):
        return self._draw_kl[: n_draws * n_rows].reshape(n_draws, n_rows)

    def draw_weights(self, n_draws, n_rows):
        return self._draw_weights[: n_draws * n_rows].reshape(n_draws, n_rows)


def sgvb_loss_gradient(model, x, eps, beta, l2, grad, ws, kl_estimator="analytic",
                       objective="elbo"):
    """Minibatch objective and its gradient with respect to ``theta``.

    With ``objective="elbo"`` (Kingma & Welling)::

        loss = 1/M sum_m [ 1/L sum_l -log p(x_m | z_lm) + beta * KL_m ] + l2/2 ||W||^2

    where KL_m is the analytic KL (``kl_estimator="analytic"``, estimator B)
    or its Monte Carlo estimate 1/L sum_l [log q(z_lm|x_m) - log p(z_lm)]
    (``"mc"``, estimator A). With ``objective="iwae"`` (Burda et al.)::

        loss = -1/M sum_m log 1/L sum_l w_lm + l2/2 ||W||^2,
        log w_lm = log p(x_m | z_lm) - beta * [log q(z_lm|x_m) - log p(z_lm)]

    whose gradient weights each draw by its normalized importance weight.
    In both, z_lm = mu_m + sigma_m * eps_lm. Writes d loss / d theta into
    ``grad`` (a flat buffer like ``theta``) and returns ``(loss, total)``:
    ``total`` is the sum over the minibatch rows of the per-row objective,
    without the weight penalty.
    """
    n_draws, n_rows, n_latent = eps.shape
    n_dec = n_draws * n_rows
    act = model.activation
    grad_encoder, grad_decoder = model.layout.views(grad)
    iwae = objective == "iwae"
    analytic = kl_estimator == "analytic" and not iwae

    head = forward(model.encoder, act, x, ws.enc, ws.n_blocks)
    z = ws.z(n_dec, n_latent)
    reparameterize(head, eps, z)
    out = forward(model.decoder, act, z, ws.dec, ws.n_blocks)

    grad_out = ws.dec_grad[-1][:n_dec]
    row_nll = ws.log_p[:n_dec]
    model.likelihood.nll_gradient(
        x, out, model.min_variance, 1.0 if iwae else 1.0 / n_dec, grad_out, row_nll,
        ws.scratch[:n_dec], ws.n_blocks
    )
    if not analytic:
        kl_draws = ws.draw_kl(n_draws, n_rows)
        draw_kl(head, eps, kl_draws)
        weights = ws.draw_weights(n_draws, n_rows)  # of each draw's KL term in the loss
        if iwae:
            np.multiply(kl_draws, -beta, out=weights)
            weights -= row_nll.reshape(n_draws, n_rows)  # log w
            total = -normalized_importance_weights(weights, weights)
            weights /= n_rows
            grad_out *= weights.reshape(n_dec, 1)
            weights *= beta
        else:
            weights.fill(beta / n_dec)
            total = (float(row_nll.sum(dtype=np.float64))
                     + beta * float(kl_draws.sum(dtype=np.float64))) / n_draws
    grad_z = ws.grad_z(n_dec, n_latent)
    backward(model.decoder, grad_decoder, act, z, ws.dec, ws.dec_grad, grad_out, grad_z,
             ws.n_blocks)
    if not analytic:
        add_draw_kl_gradient(z, weights, grad_z)

    grad_head = ws.enc_grad[-1][:n_rows]
    kl = reparameterize_backward(head, eps, grad_z, beta / n_rows, analytic, grad_head)
    backward(model.encoder, grad_encoder, act, x, ws.enc, ws.enc_grad, grad_head, ws.no_rows,
             ws.n_blocks)

    if analytic:
        total = float(row_nll.sum(dtype=np.float64)) / n_draws + beta * kl
    loss = total / n_rows
    if l2 > 0:
        loss += 0.5 * l2 * add_weight_decay(grad, model.theta, model.layout.n_weights, l2)
    return loss, total


def encode_rows(model, x, ws):
    """Encoder output ``[mu | log_var]`` for the rows of ``x`` (a view into ``ws``)."""
    return forward(model.encoder, model.activation, x, ws.enc, ws.n_blocks)


def decode_rows(model, z, ws, result, keep_outputs=True):
    """Decoder means E[x|z] for the rows of ``z``, written into ``result``.

    Returns the decoder's outputs. With ``keep_outputs=False``, a likelihood
    with one output per feature has its last layer write into ``result``
    and takes the mean there in place, saving a pass over the rows; the
    outputs returned are then the means.
    """
    buffers = ws.dec
    if not keep_outputs and model.likelihood.n_outputs == 1:
        buffers = [*ws.dec[:-1], result]
    out = forward(model.decoder, model.activation, z, buffers, ws.n_blocks)
    model.likelihood.mean(out, model.min_variance, result, ws.n_blocks)
    return out


def _draw_log_px(model, x, head, eps, ws):
    """log p(x|z) for each draw z = mu + sigma * eps, shape (L * n_rows,)."""
    n_draws, n_rows, n_latent = eps.shape
    z = ws.z(n_draws * n_rows, n_latent)
    reparameterize(head, eps, z)
    out = forward(model.decoder, model.activation, z, ws.dec, ws.n_blocks)
    log_p = ws.log_p[: n_draws * n_rows]
    model.likelihood.log_density(x, out, model.min_variance, log_p, ws.scratch[: len(out)],
                                 ws.n_blocks)
    return log_p


def elbo_rows(model, x, noise, ws):
    """Per-row ELBO estimated with the same draws ``noise`` (L, n_latent) for every row."""
    n_rows = x.shape[0]
    head = encode_rows(model, x, ws)
    eps = ws.eps(noise.shape[0], n_rows, model.n_latent)
    eps[:] = noise[:, None, :]
    log_px = _draw_log_px(model, x, head, eps, ws)
    kl = ws.kl[:n_rows]
    kl_to_standard_normal(head, kl)
    return log_px.reshape(noise.shape[0], n_rows).mean(axis=0, dtype=np.float64) - kl


def iwae_rows(model, x, n_samples, rng, ws):
    """Per-row importance-weighted estimate of log p(x) with ``n_samples`` draws."""
    n_rows = x.shape[0]
    head = encode_rows(model, x, ws)
    log_w = np.empty((n_samples, n_rows), dtype=np.float64)
    for start in range(0, n_samples, ws.n_draws):
        n_draws = min(ws.n_draws, n_samples - start)
        eps = ws.eps(n_draws, n_rows, model.n_latent)
        rng.standard_normal(out=eps.reshape(-1), dtype=eps.dtype)
        log_px = _draw_log_px(model, x, head, eps, ws).reshape(n_draws, n_rows)
        kl = ws.draw_kl(n_draws, n_rows)
        draw_kl(head, eps, kl)
        np.subtract(log_px, kl, out=log_w[start : start + n_draws])
    return logsumexp(log_w, axis=0) - np.log(n_samples)


@jit
def empty_rows(n_rows, n_columns, like):
    """An uninitialized ``(n_rows, n_columns)`` array of ``like``'s dtype.

    It comes from the C allocator through numba, not from numpy: numpy asks
    the kernel for transparent huge pages for arrays this large, and when
    the kernel must first compact memory to find them, writing the array
    the first time stalls. ``inverse_transform`` of 60000 rows of W
    (a 188 MB result) took 0.23 to 0.56 s that way, median 0.38 s, in
    ``compare.py --inference --isolated``; with ordinary pages 0.28 to
    0.51 s, median 0.29 s (JAX: 0.38 and 0.42 s in those two runs).
    """
    return np.empty((n_rows, n_columns), like.dtype)


def map_rows(model, X, n_draws, fn, n_columns=None, rows=None, n_jobs=None):
    """Apply ``fn(chunk, workspace, result_rows)`` to C-contiguous chunks of ``X[rows]``.

    Returns one array of the model's dtype with a row per row of X, of
    width ``n_columns`` (1-D when None). ``fn`` either writes its chunk's
    rows into ``result_rows`` and returns None, or returns them. Chunks hold
    at most ``ROW_BUDGET`` decoder rows (``n_draws`` per data row) and are
    gathered into one buffer, so X (possibly a memmap) is read chunk by
    chunk, never copied whole, and the result is allocated once.
    """
    n_rows = X.shape[0] if rows is None else len(rows)
    chunk = max(1, ROW_BUDGET // max(n_draws, 1))
    size = min(chunk, n_rows)
    dtype = model.theta.dtype
    ws = Workspace(model.layout, size, max(n_draws, 1), dtype)
    buf = np.empty((size, X.shape[1]), dtype=dtype)
    if n_columns is None:
        result = np.empty(n_rows, dtype=dtype)
    else:
        result = empty_rows(n_rows, n_columns, buf[:0, 0])
    with kernel_threads(n_jobs) as ws.n_blocks:
        for start in range(0, n_rows, chunk):
            stop = min(start + chunk, n_rows)
            part = buf[: stop - start]
            if rows is None:
                part[:] = X[start:stop]
            else:
                np.take(X, rows[start:stop], axis=0, out=part, mode="clip")
            values = fn(part, ws, result[start:stop])
            if values is not None:
                result[start:stop] = values
    return result


def score_rows(model, X, rows=None, n_jobs=None):
    """Per-row ELBO with ``N_SCORE_DRAWS`` fixed draws: deterministic per row."""
    noise = np.random.default_rng(0).standard_normal((N_SCORE_DRAWS, model.n_latent))
    noise = noise.astype(model.theta.dtype)
    return map_rows(model, X, N_SCORE_DRAWS, lambda x, ws, _: elbo_rows(model, x, noise, ws),
                    rows=rows, n_jobs=n_jobs)
