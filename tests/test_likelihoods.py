"""Likelihood kernels against scipy.stats densities and the numpy reference."""

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit

from skvae._likelihoods import LIKELIHOODS

from . import reference as ref


def rows(likelihood, n_rows, n_draws, n_features, seed, scale=3.0):
    rng = np.random.default_rng(seed)
    n_out = LIKELIHOODS[likelihood].n_outputs
    out = rng.normal(0.0, scale, (n_rows * n_draws, n_out * n_features))
    if likelihood == "bernoulli":
        x = rng.integers(0, 2, (n_rows, n_features)).astype(float)
    else:
        x = rng.normal(size=(n_rows, n_features))
    return x, out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bernoulli_log_density_matches_scipy(dtype):
    x, out = rows("bernoulli", 5, 3, 4, seed=0)
    log_p = np.empty(len(out), dtype=dtype)
    LIKELIHOODS["bernoulli"].log_density(x.astype(dtype), out.astype(dtype), 0.0, log_p)
    xr = np.tile(x, (3, 1))
    expected = stats.bernoulli.logpmf(xr, expit(out)).sum(axis=1)
    np.testing.assert_allclose(log_p, expected, rtol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gaussian_log_density_matches_scipy(dtype):
    x, out = rows("gaussian", 4, 2, 3, seed=1)
    log_p = np.empty(len(out), dtype=dtype)
    LIKELIHOODS["gaussian"].log_density(x.astype(dtype), out.astype(dtype), 0.01, log_p)
    xr = np.tile(x, (2, 1))
    sd = np.sqrt(np.exp(out[:, 3:]) + 0.01)
    expected = stats.norm.logpdf(xr, out[:, :3], sd).sum(axis=1)
    np.testing.assert_allclose(log_p, expected, rtol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("likelihood", sorted(LIKELIHOODS))
def test_nll_gradient_returns_the_negative_log_density(likelihood):
    x, out = rows(likelihood, 6, 2, 5, seed=2)
    x = np.clip(x, 0, 1) if likelihood == "bernoulli" else x
    grad, row_nll = np.empty_like(out), np.empty(len(out))
    LIKELIHOODS[likelihood].nll_gradient(x, out, 0.05, 1.0, grad, row_nll)
    np.testing.assert_allclose(row_nll, -ref.log_likelihood(x, out, likelihood, 0.05),
                               rtol=1e-12)


@pytest.mark.parametrize("likelihood", sorted(LIKELIHOODS))
def test_saturated_decoder_outputs_stay_finite(likelihood):
    x = np.array([[0.0, 1.0, 1.0, 0.0]])
    out = np.array([[800.0, -800.0, 800.0, -800.0] * LIKELIHOODS[likelihood].n_outputs])
    out = out[:, : 4 * LIKELIHOODS[likelihood].n_outputs]
    grad, row_nll, log_p = np.empty_like(out), np.empty(1), np.empty(1)
    LIKELIHOODS[likelihood].nll_gradient(x, out, 1e-4, 1.0, grad, row_nll)
    nll = row_nll[0]
    LIKELIHOODS[likelihood].log_density(x, out, 1e-4, log_p)
    assert np.isfinite(nll) and np.isfinite(grad).all() and np.isfinite(log_p).all()
    if likelihood == "bernoulli":  # exact: two correct and two wrong confident predictions
        assert nll == pytest.approx(1600.0)
        np.testing.assert_array_equal(grad, [[1.0, -1.0, 0.0, 0.0]])


def test_gaussian_variance_floor_bounds_the_density():
    x = np.zeros((1, 3))
    out = np.concatenate([np.zeros((1, 3)), np.full((1, 3), -50.0)], axis=1)
    log_p = np.empty(1)
    LIKELIHOODS["gaussian"].log_density(x, out, 1e-4, log_p)
    bound = -0.5 * 3 * np.log(2 * np.pi * 1e-4)
    assert log_p[0] <= bound and log_p[0] == pytest.approx(bound, rel=1e-9)


@pytest.mark.parametrize("likelihood", sorted(LIKELIHOODS))
def test_mean_matches_reference(likelihood):
    _, out = rows(likelihood, 4, 1, 3, seed=3)
    result = np.empty((4, 3))
    LIKELIHOODS[likelihood].mean(out, 0.01, result)
    np.testing.assert_allclose(result, ref.decoder_mean(out, likelihood, 3), rtol=1e-12)


def test_bernoulli_sample_is_binary_with_the_right_frequency():
    mean = np.full((20000, 2), [0.2, 0.7])
    draws = LIKELIHOODS["bernoulli"].sample(mean, None, 0.0, np.random.default_rng(0))
    assert set(np.unique(draws)) <= {0.0, 1.0}
    np.testing.assert_allclose(draws.mean(axis=0), [0.2, 0.7], atol=0.015)


def test_gaussian_sample_has_the_decoder_moments():
    n = 20000
    out = np.column_stack([np.full(n, 2.0), np.full(n, np.log(0.25))])
    draws = LIKELIHOODS["gaussian"].sample(out[:, :1].copy(), out, 0.01, np.random.default_rng(0))
    assert stats.kstest(draws[:, 0], stats.norm(2.0, np.sqrt(0.26)).cdf).pvalue > 0.01


def test_bernoulli_refuses_data_outside_the_unit_interval():
    with pytest.raises(ValueError, match=r"\[0, 1\].*\[-0.5, 1\]"):
        LIKELIHOODS["bernoulli"].check_data(np.array([[0.0, 1.0], [-0.5, 0.2]]))


def test_column_moments_match_numpy_across_chunks():
    from skvae._likelihoods import column_moments

    X = np.random.default_rng(5).normal(3.0, 2.0, (1000, 4)).astype(np.float32)
    mean, var = column_moments(X, chunk=64)
    np.testing.assert_allclose(mean, X.astype(np.float64).mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(var, X.astype(np.float64).var(axis=0), rtol=1e-10)
