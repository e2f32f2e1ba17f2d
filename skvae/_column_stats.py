"""Per-column summaries of the data, each in one read of X.

A fit checks that X lies in its likelihood's support (from the smallest and
largest values) and starts the decoder's output biases from the column
means; inference checks the support again. numpy takes one pass for the
minimum, one for the maximum and one for the sums. :func:`column_stats`
takes one: numba keeps a running sum, minimum and maximum per column, so
its loop runs across the columns of a row and LLVM vectorizes it without
any fast-math licence.

X is read in row chunks, so a memmap is never copied into memory whole,
and a chunk that is not C-contiguous is copied on its own.
"""

import warnings
from typing import NamedTuple

import numpy as np

from ._config import jit


class ColumnStats(NamedTuple):
    """Mean (float64), minimum and maximum of each column of X."""

    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray


@jit
def accumulate_columns(rows, sums, low, high):
    """Add the rows of ``rows`` to the running column sums, minima and maxima.

    Callers pass data that scikit-learn's validation has already found
    finite: what a NaN would do to a minimum or maximum is not specified.
    """
    for i in range(rows.shape[0]):
        row = rows[i]
        for j in range(row.shape[0]):
            sums[j] += row[j]
        # A second loop over the row while it is in cache: the three updates
        # in one loop did not vectorize as well (docs/performance.rst).
        for j in range(row.shape[0]):
            low[j] = min(row[j], low[j])
            high[j] = max(row[j], high[j])


def column_stats(X, chunk=4096):
    """:class:`ColumnStats` of a 2-D float array with at least one row."""
    n_samples, n_features = X.shape
    sums = np.zeros(n_features)
    low = np.full(n_features, np.inf, dtype=X.dtype)
    high = np.full(n_features, -np.inf, dtype=X.dtype)
    for start in range(0, n_samples, chunk):
        accumulate_columns(np.ascontiguousarray(X[start : start + chunk]), sums, low, high)
    return ColumnStats(sums / n_samples, low, high)


def observed_column_stats(X):
    """:class:`ColumnStats` of the observed (non-NaN) entries of each column;
    NaN for a column with none."""
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a column with no entries
        return ColumnStats(np.nanmean(X, axis=0, dtype=np.float64), np.nanmin(X, axis=0),
                           np.nanmax(X, axis=0))


def column_variances(X, mean, chunk=4096):
    """Per-column variance in float64 about the exact ``mean``, in row chunks."""
    var = np.zeros(X.shape[1])
    for start in range(0, X.shape[0], chunk):
        diff = X[start : start + chunk] - mean
        var += np.einsum("ij,ij->j", diff, diff)
    return var / X.shape[0]
