"""Inference on a fitted model: encoding, decoding and the per-row bounds, chunk by chunk.

:func:`encode_rows` and :func:`decode_rows` serve ``transform`` and
``inverse_transform``; :func:`elbo_rows` and :func:`iwae_rows` are the
per-row estimates behind ``score_samples`` and ``marginal_log_likelihood``;
:func:`map_rows` runs any of them over X in chunks that fit one
:class:`~skvae._model.Workspace`. :func:`validation_elbo` is what early
stopping monitors.
"""

import numpy as np
from scipy.special import logsumexp

from ._config import jit
from ._latent import draw_kl, kl_to_standard_normal, reparameterize
from ._network import forward
from ._threads import kernel_threads

#: Fixed standard-normal draws per row behind :func:`score_rows`.
N_SCORE_DRAWS = 16
#: Decoder rows processed at once in inference.
ROW_BUDGET = 4096


def encode_rows(model, x, ws):
    """Encoder output ``[mu | log_var]`` for the rows of ``x`` (a view into ``ws``)."""
    return forward(model.encoder, model.activation, model.inputs(x, ws), ws.enc, ws.n_blocks)


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
    eps = ws.eps(noise.shape[0], x.shape[0], model.n_latent)
    eps[:] = noise[:, None, :]
    return elbo_of_draws(model, x, eps, ws)


def elbo_of_draws(model, x, eps, ws):
    """Per-row ELBO estimated with the draws ``eps`` (L, n_rows, n_latent), a view into ``ws``."""
    n_draws, n_rows, _ = eps.shape
    head = encode_rows(model, x, ws)
    log_px = _draw_log_px(model, x, head, eps, ws)
    kl = ws.kl[:n_rows]
    kl_to_standard_normal(head, kl)
    return log_px.reshape(n_draws, n_rows).mean(axis=0, dtype=np.float64) - kl


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
    the kernel must first compact memory to find them, the first write
    stalls (docs/performance.rst).
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
    ws = model.workspace(size, max(n_draws, 1))
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


def validation_elbo(model, X, rows, noise, n_jobs=None):
    """Mean ELBO of ``X[rows]`` with one draw per row: row ``i`` uses ``noise[i]``.

    Early stopping computes it after every epoch. The draws stay fixed for
    the whole fit, so, as with :func:`score_rows`, the value changes only
    with the parameters; one draw per row costs a sixteenth of
    ``score_rows``' decoder passes, and its noise averages out over the
    rows instead of being shared by all of them.
    """
    done = 0

    def one_draw(x, ws, _):
        nonlocal done  # map_rows hands over the chunks in order
        eps = ws.eps(1, x.shape[0], model.n_latent)
        eps[0] = noise[done : done + x.shape[0]]
        done += x.shape[0]
        return elbo_of_draws(model, x, eps, ws)

    return float(np.mean(map_rows(model, X, 1, one_draw, rows=rows, n_jobs=n_jobs)))
