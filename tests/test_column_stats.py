"""Per-column sums, minima, maxima and variances against numpy."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skvae._column_stats import column_stats, column_variances


def expected(X):
    X64 = X.astype(np.float64)
    return X64.mean(axis=0), X.min(axis=0), X.max(axis=0), X64.var(axis=0)


def assert_matches(X, chunk):
    mean, low, high, var = expected(X)
    stats = column_stats(X, chunk=chunk)
    np.testing.assert_allclose(stats.mean, mean, rtol=1e-12, atol=1e-300)
    assert stats.low.dtype == X.dtype and stats.high.dtype == X.dtype
    np.testing.assert_array_equal(stats.low, low)
    np.testing.assert_array_equal(stats.high, high)
    np.testing.assert_allclose(column_variances(X, stats.mean, chunk=chunk), var,
                               rtol=1e-9, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(n_rows=st.integers(1, 90), n_cols=st.integers(1, 40), chunk=st.integers(1, 100),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**32 - 1))
def test_one_pass_matches_numpy_for_any_shape_and_chunking(n_rows, n_cols, chunk, dtype, seed):
    X = np.random.default_rng(seed).normal(3.0, 5.0, (n_rows, n_cols)).astype(dtype)
    assert_matches(X, chunk)


@pytest.mark.parametrize("layout", ["fortran", "strided", "memmap"])
def test_any_memory_layout(layout, tmp_path):
    X = np.random.default_rng(1).uniform(-2.0, 7.0, (300, 9))
    if layout == "fortran":
        X = np.asfortranarray(X)
    elif layout == "strided":
        X = np.random.default_rng(1).uniform(-2.0, 7.0, (300, 20))[:, ::2]
    else:
        path = tmp_path / "X.dat"
        mapped = np.memmap(path, dtype=np.float64, mode="w+", shape=X.shape)
        mapped[:] = X
        mapped.flush()
        X = np.memmap(path, dtype=np.float64, mode="r", shape=X.shape)
    assert_matches(X, chunk=64)


def test_extremes_of_the_dtype_survive():
    info = np.finfo(np.float32)
    X = np.array([[info.max, 0.0], [-info.max, info.tiny], [1.0, -info.tiny]], dtype=np.float32)
    stats = column_stats(X, chunk=2)
    np.testing.assert_array_equal(stats.low, [-info.max, -info.tiny])
    np.testing.assert_array_equal(stats.high, [info.max, info.tiny])
    np.testing.assert_allclose(stats.mean, [1.0 / 3.0, 0.0], atol=1e-30)
