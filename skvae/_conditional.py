"""The model's distribution of missing entries given the observed ones, by importance sampling.

For a row whose observed part is x_o, draws z_1 ... z_K from a proposal
r(z) get the self-normalized weights

    w_k  proportional to  p(x_o | z_k) p(z_k) / r(z_k),

the importance sampler of MIWAE (Mattei & Frellsen, 2019). The missing
part's conditional mean E[x_m | x_o] is then sum_k w_k E[x_m | z_k], and a
draw from p(x_m | x_o) is a draw from p(x_m | z_k) with k picked by the
weights (sampling importance resampling).

The proposal is the encoder's q(z | x_o), or a mixture of it and the prior
N(0, I) with a share ``prior_share`` of the draws taken from the prior and
every draw weighted against the mixture's density: the prior's draws keep
the weights finite where q is too narrow, as it can be for a row with
most entries missing, which the encoder may never have seen in training.
A row with nothing observed takes its draws from the prior alone, with
equal weights: the model's unconditional distribution.

:func:`complete_rows` fills the model's matrix (one column per model
column, see ``_table_schema``); the caller decodes it to the data's units.
"""

import numpy as np
from scipy.special import softmax

from ._inference import encode_rows
from ._latent import LOG_VAR_MAX, LOG_VAR_MIN
from ._network import forward

#: Proposals of z behind ``sample(given=...)``, at least (four per row asked for).
GIVEN_PROPOSALS = 2000
#: Below this effective number of proposals, ``sample(given=...)`` warns.
MIN_EFFECTIVE_PROPOSALS = 10


def propose(head, n_draws, prior_share, rng):
    """Draws z from the proposal of each row and their log p(z) - log r(z).

    ``head`` is the encoder's ``[mu | log_var]`` per row. Returns z of shape
    (n_draws, n_rows, n_latent) and the log ratios of shape (n_draws, n_rows),
    in float64. The first ``round(prior_share * n_draws)`` draws of every
    row come from the prior.
    """
    n_rows, n_latent = head.shape[0], head.shape[1] // 2
    mu = head[:, :n_latent].astype(np.float64)
    log_var = np.clip(head[:, n_latent:].astype(np.float64), LOG_VAR_MIN, LOG_VAR_MAX)
    eps = rng.standard_normal((n_draws, n_rows, n_latent))
    z = mu + np.exp(0.5 * log_var) * eps
    n_prior = round(prior_share * n_draws)
    z[:n_prior] = eps[:n_prior]
    # the normal densities' 2 pi terms cancel in the ratio
    log_p = -0.5 * np.einsum("knj,knj->kn", z, z)
    log_q = -0.5 * (((z - mu) ** 2 / np.exp(log_var)).sum(axis=2) + log_var.sum(axis=1))
    if n_prior == 0:
        return z, log_p - log_q
    if n_prior == n_draws:
        return z, np.zeros_like(log_p)
    share = n_prior / n_draws
    log_r = np.logaddexp(np.log1p(-share) + log_q, np.log(share) + log_p)
    return z, log_p - log_r


def log_weights(model, x, z, log_ratio, ws):
    """The log importance weights (n_draws, n_rows) of draws ``z`` for the
    rows ``x`` (unnormalized), and the decoder's outputs at them (row
    ``k * n_rows + r`` for draw k of row r, a view into ``ws``)."""
    n_draws, n_rows, n_latent = z.shape
    flat = ws.z(n_draws * n_rows, n_latent)
    flat[:] = z.reshape(-1, n_latent)
    out = forward(model.decoder, model.activation, flat, ws.dec, ws.n_blocks)
    log_px = ws.log_p[: n_draws * n_rows]
    model.likelihood.log_density(x, out, model.min_variance, log_px, ws.scratch[: len(out)],
                                 ws.n_blocks)
    return log_px.reshape(n_draws, n_rows).astype(np.float64) + log_ratio, out


def row_proposals(model, x, n_draws, prior_share, rng, ws):
    """The proposal draws of every row of ``x`` and their log ratios; a row
    with nothing observed draws from the prior alone."""
    head = np.array(encode_rows(model, x, ws), dtype=np.float64)
    empty = np.isnan(x).all(axis=1)
    head[empty] = 0.0  # q = N(0, I): the prior
    z, log_ratio = propose(head, n_draws, prior_share, rng)
    log_ratio[:, empty] = 0.0
    return z, log_ratio


def conditional_means(model, records, out, weights):
    """The model's matrix of E[x | x_o] per row, from the draws' outputs and weights.

    A numeric column holds its weighted mean; a categorical column the
    code of its most probable category under the weighted probabilities;
    a column with a point mass (see ``_table_schema``) its mean in the
    data's units over both parts, standardized as its value column is,
    with its flag set to "not the point mass".
    """
    columns = model.likelihood.columns
    n_draws, n_rows = weights.shape
    means = np.empty((out.shape[0], len(columns.kinds)), dtype=out.dtype)
    model.likelihood.mean(out, model.min_variance, means)
    means = means.reshape(n_draws, n_rows, -1).astype(np.float64)
    result = np.empty((n_rows, len(columns.kinds)), dtype=out.dtype)

    def probabilities(j):  # (n_draws, n_rows, n_levels) of model column j
        a, k = columns.first[j], columns.n_levels[j]
        logits = out[:, a : a + k].astype(np.float64).reshape(n_draws, n_rows, k)
        return softmax(logits, axis=2)

    j = 0
    for c in records:
        if c["kind"] == "categorical":
            weighted = np.einsum("kn,knl->nl", weights, probabilities(j))
            result[:, j] = weighted.argmax(axis=1)
            j += 1
            continue
        if c.get("spike") is not None:
            not_spike = probabilities(j)[:, :, 1]
            value = means[:, :, j + 1] * c["scale"] + c["shift"]
            mean = np.einsum("kn,kn->n", weights, not_spike * value
                             + (1.0 - not_spike) * c["spike"])
            result[:, j] = 1.0
            result[:, j + 1] = (mean - c["shift"]) / c["scale"]
            j += 2
            continue
        result[:, j] = np.einsum("kn,kn->n", weights, means[:, :, j])
        j += 1
    return result


def resampled_draws(model, out, weights, rng):
    """One draw x ~ p(x | z_k) per row, with k picked by the row's weights."""
    n_draws, n_rows = weights.shape
    cumulative = np.cumsum(weights, axis=0)
    picks = np.minimum((rng.random(n_rows) * cumulative[-1] > cumulative).sum(axis=0),
                       n_draws - 1)
    chosen = np.ascontiguousarray(out[picks * n_rows + np.arange(n_rows)])
    return model.likelihood.sample(None, chosen, model.min_variance, rng)


def complete_rows(model, records, x, n_draws, sample, prior_share, rng, ws):
    """The model's matrix of the rows ``x`` with every entry model-made:
    conditional means, or with ``sample`` one draw from p(x | x_o) per row.
    Observed entries are the caller's to keep."""
    z, log_ratio = row_proposals(model, x, n_draws, prior_share, rng, ws)
    log_w, out = log_weights(model, x, z, log_ratio, ws)
    weights = softmax(log_w, axis=0)
    if sample:
        return resampled_draws(model, out, weights, rng)
    return conditional_means(model, records, out, weights)


def effective_sample_size(weights):
    """Kish's effective number of draws behind normalized weights, per row."""
    return 1.0 / np.square(weights).sum(axis=0)

