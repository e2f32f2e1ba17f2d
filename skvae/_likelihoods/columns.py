"""A likelihood per column, with missing entries: the decoder of a table.

Each column ``j`` of the data has its own kind (:data:`KINDS`) and its own
decoder outputs: ``first[j]`` (a mean, logit or log-rate; a categorical
column's ``n_levels[j]`` logits start there) and, for the Gaussian,
``second[j]`` (its ``s``, variance ``exp(s) + min_variance``). A missing
entry (NaN) adds nothing to -log p and gets a zero gradient: the objective
sums over the observed entries only, as MIWAE's does (Mattei & Frellsen,
2019). A categorical column holds its category's code, 0 to K - 1.

``log_scale[j]`` is added to a Gaussian column's -log p: the column is
modelled standardized, x' = (x - shift) / scale, and log p(x) =
log p(x') - log scale, so densities are in the data's own units.

The encoder's input is built per minibatch by :func:`build_inputs`: a
numeric column's value (its ``fill`` where missing), a categorical column's
one-hot code (all zeros where missing), and a 1 in a column's missing
indicator, for the columns that have one. X is never one-hot encoded whole.
"""

import math

import numpy as np
from numba import prange
from scipy.special import expit, softmax

from .._column_stats import observed_column_stats
from .._config import jit, jit_threads
from .._latent import LOG_2PI
from .._threads import block_range, row_blocks, run_blocks
from .._vector_math import exp_nonpositive, log_positive, softplus_and_sigmoid
from . import bernoulli, continuous_bernoulli, gaussian, gaussian_unit, poisson
from .continuous_bernoulli import (
    cb_terms,
    continuous_bernoulli_mean_block,
    continuous_bernoulli_sample,
)
from .gaussian import MAX_S, gaussian_variance
from .poisson import MAX_LOG_RATE

GAUSSIAN, GAUSSIAN_UNIT, BERNOULLI, CONTINUOUS_BERNOULLI, POISSON, CATEGORICAL = range(6)

#: Every kind of column by its likelihood's public name.
KINDS = {
    "gaussian": GAUSSIAN, "gaussian_unit": GAUSSIAN_UNIT, "bernoulli": BERNOULLI,
    "continuous_bernoulli": CONTINUOUS_BERNOULLI, "poisson": POISSON,
    "categorical": CATEGORICAL,
}

HALF_LOG_2PI = 0.5 * LOG_2PI

#: The plain likelihood of each numeric kind, whose output bias a column of it starts from.
LIKELIHOOD_OF_KIND = {KINDS[name]: likelihood for name, likelihood in {
    "gaussian": gaussian.LIKELIHOOD, "gaussian_unit": gaussian_unit.LIKELIHOOD,
    "bernoulli": bernoulli.LIKELIHOOD, "continuous_bernoulli": continuous_bernoulli.LIKELIHOOD,
    "poisson": poisson.LIKELIHOOD}.items()}


@jit
def columns_block(x, out, kinds, first, second, n_levels, log_scale, log_floor, scale,
                  grad_out, row_nll, block, n_blocks):
    """Rows of block ``block``: -log p(x|out) over the observed entries into
    row_nll and, when grad_out has rows, ``scale`` times its gradient into
    grad_out (zero at the outputs of missing entries).

    Decoder row r belongs to data row r % len(x). The work goes column by
    column, each kind in its own loop over the rows, on transposed copies of
    the rows' data, outputs and gradients, so that those loops read and write
    consecutive elements, which LLVM vectorizes; each row's terms are still
    added up in column order, in float64.
    """
    first_row, last_row = block_range(out.shape[0], block, n_blocks, 1)
    n_rows = x.shape[0]
    want_grad = grad_out.shape[0] > 0
    totals = np.zeros(last_row - first_row)
    top = np.empty(last_row - first_row, dtype=out.dtype)
    sums = np.empty(last_row - first_row)
    start = first_row
    while start < last_row:  # segments of decoder rows over consecutive data rows
        row = start % n_rows
        stop = min(last_row, start + n_rows - row)
        n = stop - start
        # one column (or output) per row: the transposes of the segment's rows,
        # new arrays, so that numba knows each row of them to be contiguous
        v = np.empty((x.shape[1], n), dtype=x.dtype)
        o = np.empty((out.shape[1], n), dtype=out.dtype)
        g = np.empty((out.shape[1] if want_grad else 0, n), dtype=out.dtype)
        transpose_into(x[row : row + n], v)
        transpose_into(out[start:stop], o)
        offset = start - first_row
        seg_totals, seg_top, seg_sums = (totals[offset : offset + n], top[offset : offset + n],
                                         sums[offset : offset + n])
        for j in range(kinds.shape[0]):
            kind = kinds[j]
            if kind == CATEGORICAL:
                categorical_terms(v[j], o, g, first[j], n_levels[j], scale, want_grad,
                                  seg_totals, seg_top, seg_sums)
            else:
                numeric_terms(v[j], o, g, kind, first[j], second[j], log_scale[j], log_floor,
                              scale, want_grad, seg_totals)
        if want_grad:
            transpose_into(g, grad_out[start:stop])
        start = stop
    for r in range(first_row, last_row):
        row_nll[r] = totals[r - first_row]


@jit
def transpose_into(a, result):
    """result[j, i] = a[i, j], writing each row of ``result`` in turn: faster
    at these sizes than in tiles or along ``a``'s rows (docs/performance.rst)."""
    for j in range(a.shape[1]):
        row = result[j]
        for i in range(a.shape[0]):
            row[i] = a[i, j]


@jit
def numeric_terms(v, o, g, kind, a, b, log_scale, log_floor, scale, want_grad, totals):
    """A numeric column's -log p for each row into ``totals``, its gradient at
    outputs ``a`` (and ``b``, the Gaussian's s) of ``g``. ``v`` holds the
    column's values, ``o`` and ``g`` one output per row (a transposed block)."""
    t = o.dtype.type
    log_floor_t, inv_floor = t(log_floor), t(math.exp(-log_floor))
    zero, half, one, cap, scale_t = t(0.0), t(0.5), t(1.0), t(MAX_S), t(scale)
    if kind == GAUSSIAN:
        for r in range(v.shape[0]):
            value, s = v[r], o[b, r]
            log_var, inv_var, share = gaussian_variance(s, log_floor_t, inv_floor, cap, one)
            diff = value - o[a, r]
            ratio = diff * diff * inv_var
            seen = not np.isnan(value)
            term = half * (log_var + ratio) + HALF_LOG_2PI + log_scale
            totals[r] += term if seen else 0.0
            if want_grad:
                g_mean = -scale_t * diff * inv_var
                g_s = half * scale_t * share * (one - ratio) if s < cap else zero
                g[a, r] = g_mean if seen else zero
                g[b, r] = g_s if seen else zero
    elif kind == GAUSSIAN_UNIT:
        for r in range(v.shape[0]):
            value = v[r]
            diff = o[a, r] - value
            seen = not np.isnan(value)
            term = half * diff * diff + HALF_LOG_2PI + log_scale
            totals[r] += term if seen else 0.0
            if want_grad:
                g[a, r] = scale_t * diff if seen else zero
    elif kind == BERNOULLI:
        for r in range(v.shape[0]):
            value, eta = v[r], o[a, r]
            log_normalizer, mean = softplus_and_sigmoid(eta)
            seen = not np.isnan(value)
            totals[r] += log_normalizer - value * eta if seen else 0.0
            if want_grad:
                g[a, r] = scale_t * (mean - value) if seen else zero
    elif kind == CONTINUOUS_BERNOULLI:
        for r in range(v.shape[0]):
            value, eta = v[r], o[a, r]
            if np.isnan(value):
                if want_grad:
                    g[a, r] = zero
                continue
            log_normalizer, derivative, _ = cb_terms(eta)
            totals[r] += log_normalizer - np.float64(value) * np.float64(eta)
            if want_grad:
                g[a, r] = scale_t * (derivative - value)
    else:  # POISSON
        for r in range(v.shape[0]):
            value, eta = v[r], o[a, r]
            if np.isnan(value):
                if want_grad:
                    g[a, r] = zero
                continue
            clipped = min(np.float64(eta), MAX_LOG_RATE)
            rate = math.exp(clipped)
            count = np.float64(value)
            totals[r] += rate - count * clipped + math.lgamma(count + 1.0)
            if want_grad:
                g[a, r] = scale_t * (rate - count) if eta < MAX_LOG_RATE else zero


@jit
def categorical_terms(v, o, g, a, n_levels, scale, want_grad, totals, top, sums):
    """A categorical column's -log softmax for each row into ``totals``, its
    gradient (softmax minus one-hot) at its ``n_levels`` outputs from ``a``
    (rows of ``o`` and ``g``, one output each, as for :func:`numeric_terms`).

    Each pass runs over the rows for one level at a time, so that it
    vectorizes; ``top`` and ``sums`` hold each row's largest logit and its
    sum of exponentials. With a gradient, the exponentials wait in its slots
    until they are scaled into the softmax.
    """
    t = o.dtype.type
    zero, scale_t = t(0.0), t(scale)
    n = v.shape[0]
    for r in range(n):
        top[r] = o[a, r]
    for i in range(a + 1, a + n_levels):
        for r in range(n):
            top[r] = max(top[r], o[i, r])
    sums[:] = 0.0
    for i in range(a, a + n_levels):
        for r in range(n):
            e = exp_nonpositive(o[i, r] - top[r])
            sums[r] += np.float64(e)
            if want_grad:
                g[i, r] = e
    for r in range(n):  # apart from the gathers below, so that the logs vectorize
        share = scale / sums[r]
        sums[r] = np.float64(top[r]) + log_positive(sums[r])  # now log sum exp
        top[r] = t(share)  # now each row's softmax factor
    for r in range(n):
        value = v[r]
        if np.isnan(value):
            top[r] = zero
        else:
            totals[r] += sums[r] - o[a + int(value), r]
    if not want_grad:
        return
    for i in range(a, a + n_levels):
        for r in range(n):
            g[i, r] *= top[r]
    for r in range(n):
        if not np.isnan(v[r]):
            g[a + int(v[r]), r] -= scale_t


@jit_threads
def columns_threads(x, out, kinds, first, second, n_levels, log_scale, log_floor, scale,
                    grad_out, row_nll, n_blocks):
    """:func:`columns_block` on every block, one thread each."""
    for block in prange(n_blocks):
        columns_block(x, out, kinds, first, second, n_levels, log_scale, log_floor, scale,
                      grad_out, row_nll, block, n_blocks)


@jit
def build_inputs(x, kinds, n_levels, input_at, indicator_at, fill, inputs):
    """The encoder's input for the rows of ``x`` (see the module's docstring)."""
    for r in range(x.shape[0]):
        row, values = inputs[r], x[r]
        row[:] = 0.0
        for j in range(kinds.shape[0]):
            v = values[j]
            if np.isnan(v):
                if kinds[j] != CATEGORICAL:
                    row[input_at[j]] = fill[j]
                if indicator_at[j] >= 0:
                    row[indicator_at[j]] = 1.0
            elif kinds[j] == CATEGORICAL:
                row[input_at[j] + int(v)] = 1.0
            else:
                row[input_at[j]] = v


class ColumnLikelihood:
    """The decoder likelihood of a table, with the interface of
    :class:`~._rows.Likelihood` (``log_density``, ``nll_gradient``,
    ``mean``, ``sample``) over the per-column arrays of a
    :class:`~skvae._table_schema.KernelColumns`.

    ``mean`` and ``sample`` give one value per column: a numeric column's
    mean or draw, a categorical column's most probable or drawn code.
    ``n_outputs``, ``n_inputs``: the decoder's outputs and the encoder's
    inputs in all.
    """

    #: not one count per feature, as a plain likelihood's: see ``total_outputs``
    n_outputs = None

    def __init__(self, columns):
        self.columns = columns
        self.total_outputs, self.n_inputs = columns.n_outputs, columns.n_inputs
        self.n_columns = len(columns.kinds)

    def _rows(self, x, out, min_variance, scale, grad_out, row_nll, n_blocks):
        c = self.columns
        run_blocks(columns_block, columns_threads, row_blocks(out, n_blocks), x, out,
                   c.kinds, c.first, c.second, c.n_levels, c.log_scale,
                   math.log(min_variance), scale, grad_out, row_nll)

    def log_density(self, x, out, min_variance, log_p, scratch=None, n_blocks=1):
        self._rows(x, out, min_variance, 1.0, out[:0], log_p, n_blocks)
        np.negative(log_p, out=log_p)

    def nll_gradient(self, x, out, min_variance, scale, grad_out, row_nll, scratch=None,
                     n_blocks=1):
        self._rows(x, out, min_variance, scale, grad_out, row_nll, n_blocks)

    def encoder_input(self, x, inputs):
        c = self.columns
        build_inputs(x, c.kinds, c.n_levels, c.input_at, c.indicator_at, c.fill, inputs)
        return inputs

    def output_bias(self, T, min_variance):
        """Decoder output biases for the untrained decoder, from the observed
        entries of the model's matrix ``T``: a numeric column's are its
        likelihood's own (:attr:`~._rows.Likelihood.output_bias`), a
        categorical column's the log-shares of its categories, with one
        count added to each."""
        c = self.columns
        bias = np.zeros(self.total_outputs)
        for j, kind in enumerate(c.kinds):
            column = T[:, j : j + 1]
            observed = column[~np.isnan(column[:, 0])].astype(np.float64)
            a = c.first[j]
            if kind == CATEGORICAL:
                counts = np.bincount(observed[:, 0].astype(np.int64),
                                     minlength=c.n_levels[j]) + 1.0
                bias[a : a + c.n_levels[j]] = np.log(counts / counts.sum())
                continue
            if len(observed) == 0:
                continue
            own = LIKELIHOOD_OF_KIND[kind].output_bias(observed, observed_column_stats(observed),
                                                       min_variance)
            bias[a] = own[0]
            if kind == GAUSSIAN:
                bias[c.second[j]] = own[1]
        return bias

    def mean(self, out, min_variance, result, n_blocks=1):
        """Each column's mean into ``result`` (a categorical column's most
        probable code)."""
        c = self.columns
        for j, kind in enumerate(c.kinds):
            a = c.first[j]
            o = out[:, a]
            if kind in (GAUSSIAN, GAUSSIAN_UNIT):
                result[:, j] = o
            elif kind == BERNOULLI:
                result[:, j] = expit(o)
            elif kind == CONTINUOUS_BERNOULLI:
                column = np.ascontiguousarray(o.reshape(-1, 1))
                continuous_bernoulli_mean_block(column, result[:0, :1], 0, 1)
                result[:, j] = column[:, 0]
            elif kind == POISSON:
                result[:, j] = np.exp(np.minimum(o, MAX_LOG_RATE))
            else:
                result[:, j] = out[:, a : a + c.n_levels[j]].argmax(axis=1)

    def sample(self, mean, out, min_variance, rng):
        """One draw x ~ p(x|out) per row and column (codes for categorical
        columns); ``mean`` is not needed."""
        c = self.columns
        n = out.shape[0]
        result = np.empty((n, len(c.kinds)), dtype=out.dtype)
        for j, kind in enumerate(c.kinds):
            a = c.first[j]
            o = out[:, a].astype(np.float64)
            if kind == GAUSSIAN:
                s = np.minimum(out[:, c.second[j]].astype(np.float64), MAX_S)
                result[:, j] = o + np.sqrt(np.exp(s) + min_variance) * rng.standard_normal(n)
            elif kind == GAUSSIAN_UNIT:
                result[:, j] = o + rng.standard_normal(n)
            elif kind == BERNOULLI:
                result[:, j] = rng.random(n) < expit(o)
            elif kind == CONTINUOUS_BERNOULLI:
                result[:, j] = continuous_bernoulli_sample(o, o, min_variance, rng)
            elif kind == POISSON:
                result[:, j] = rng.poisson(np.exp(np.minimum(o, MAX_LOG_RATE)))
            else:
                cumulative = np.cumsum(softmax(out[:, a : a + c.n_levels[j]]
                                               .astype(np.float64), axis=1), axis=1)
                codes = (rng.random(n)[:, None] > cumulative).sum(axis=1)
                result[:, j] = np.minimum(codes, c.n_levels[j] - 1)
        return result
