"""Likelihood kernels against scipy.stats densities and the numpy reference."""

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import expit

from skvae import _threads
from skvae._column_stats import column_stats
from skvae._likelihoods import LIKELIHOODS
from skvae._likelihoods import poisson as poisson_module
from skvae._likelihoods._rows import mean_target

from . import reference as ref


def rows(likelihood, n_rows, n_draws, n_features, seed, scale=3.0):
    rng = np.random.default_rng(seed)
    n_out = LIKELIHOODS[likelihood].n_outputs
    out = rng.normal(0.0, scale, (n_rows * n_draws, n_out * n_features))
    return ref.LIKELIHOODS[likelihood].data(rng, (n_rows, n_features)), out


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


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gaussian_unit_log_density_matches_scipy(dtype):
    x, out = rows("gaussian_unit", 4, 2, 3, seed=1)
    log_p = np.empty(len(out), dtype=dtype)
    LIKELIHOODS["gaussian_unit"].log_density(x.astype(dtype), out.astype(dtype), 0.01, log_p)
    expected = stats.norm.logpdf(np.tile(x, (2, 1)), out).sum(axis=1)
    np.testing.assert_allclose(log_p, expected, rtol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_poisson_log_density_matches_scipy(dtype):
    x, out = rows("poisson", 4, 2, 3, seed=1, scale=1.5)
    log_p = np.empty(len(out), dtype=dtype)
    LIKELIHOODS["poisson"].log_density(x.astype(dtype), out.astype(dtype), 0.01, log_p)
    expected = stats.poisson.logpmf(np.tile(x, (2, 1)), np.exp(out)).sum(axis=1)
    np.testing.assert_allclose(log_p, expected, rtol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_poisson_counts_beyond_the_log_factorial_table_match_scipy(dtype):
    """log k! is looked up below N_LOG_FACTORIALS and corrected above it."""
    top = poisson_module.N_LOG_FACTORIALS
    x = np.array([[0.0, 1.0, top - 1.0], [top, top + 1.0, 5000.0], [2.0, 3.0, 1e6]])
    # rates near the counts, rounded to dtype before the exact result is taken
    out = (np.log(np.maximum(x, 0.5)) + np.array([0.3, -0.2, 0.1])).astype(dtype)
    out = out.astype(np.float64)
    expected = stats.poisson.logpmf(x, np.exp(out)).sum(axis=1)
    lik = LIKELIHOODS["poisson"]
    log_p, row_nll = np.empty(3, dtype), np.empty(3, dtype)
    grad = np.empty(out.shape, dtype)
    lik.log_density(x.astype(dtype), out.astype(dtype), 0.0, log_p)
    lik.nll_gradient(x.astype(dtype), out.astype(dtype), 0.0, 1.0, grad, row_nll)
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(log_p, expected, rtol=rtol)
    np.testing.assert_allclose(row_nll, -expected, rtol=rtol)
    exact_grad = np.exp(out.astype(dtype).astype(np.float64)) - x
    np.testing.assert_allclose(grad, exact_grad, rtol=rtol, atol=1e-12 * np.abs(x).max())


def test_poisson_log_rate_is_clipped_with_a_zero_gradient():
    cap = poisson_module.MAX_LOG_RATE
    x = np.array([[3.0, 3.0]])
    out = np.array([[cap - 1.0, cap + 5.0]])
    grad, row_nll = np.empty_like(out), np.empty(1)
    LIKELIHOODS["poisson"].nll_gradient(x, out, 0.0, 1.0, grad, row_nll)
    assert grad[0, 1] == 0.0
    assert grad[0, 0] == pytest.approx(np.exp(cap - 1.0) - 3.0, rel=1e-14)
    clipped = np.array([cap - 1.0, cap])
    expected = -stats.poisson.logpmf(x[0], np.exp(clipped)).sum()
    assert row_nll[0] == pytest.approx(expected, rel=1e-14)
    mean = np.empty_like(out)
    LIKELIHOODS["poisson"].mean(out, 0.0, mean)
    np.testing.assert_allclose(mean[0], np.exp(clipped), rtol=1e-15)


# Logits on both sides of the Taylor-series switch at |eta| = 1e-2, and far out.
CB_LOGITS = [-40.0, -3.0, -0.5, -0.0101, -0.0099, -1e-7, 0.0, 1e-7, 0.0099, 0.0101, 0.5, 3.0,
             40.0]


def cb_density(eta):
    """exp(log_density) of the kernel on a grid of x, as a function for quad."""
    def density(x):
        log_p = np.empty(1)
        LIKELIHOODS["continuous_bernoulli"].log_density(np.array([[x]]), np.array([[eta]]),
                                                        0.0, log_p)
        return np.exp(log_p[0])
    return density


@pytest.mark.parametrize("eta", CB_LOGITS)
def test_continuous_bernoulli_integrates_to_one_with_the_stated_mean(eta):
    density = cb_density(eta)
    points = [1.0 / abs(eta), 1 - 1.0 / abs(eta)] if abs(eta) > 2 else None
    total = integrate.quad(density, 0, 1, points=points, epsabs=1e-13)[0]
    mean = integrate.quad(lambda x: x * density(x), 0, 1, points=points, epsabs=1e-13)[0]
    result = np.empty((1, 1))
    LIKELIHOODS["continuous_bernoulli"].mean(np.array([[eta]]), 0.0, result)
    assert total == pytest.approx(1.0, rel=1e-9)
    assert result[0, 0] == pytest.approx(mean, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("x", [0.0, 0.3, 1.0])
def test_continuous_bernoulli_gradient_matches_differences_across_the_series_switch(x):
    lik = LIKELIHOODS["continuous_bernoulli"]
    etas = np.array([CB_LOGITS])
    grad, nll = np.empty_like(etas), np.empty(1)
    lik.nll_gradient(np.full((1, etas.size), x), etas, 0.0, 1.0, grad, nll)
    h = 1e-5

    def nll_at(e):
        log_p = np.empty(1)
        lik.log_density(np.array([[x]]), np.array([[e]]), 0.0, log_p)
        return -log_p[0]

    numeric = [(nll_at(e + h) - nll_at(e - h)) / (2 * h) for e in etas[0]]
    np.testing.assert_allclose(grad[0], numeric, rtol=1e-6, atol=1e-9)


def test_continuous_bernoulli_samples_follow_its_density():
    lik = LIKELIHOODS["continuous_bernoulli"]
    rng = np.random.default_rng(0)
    for eta in [-6.0, -0.005, 0.0, 0.8, 25.0]:
        out = np.full((20000, 1), eta)
        mean = np.empty_like(out)
        lik.mean(out, 0.0, mean)
        draws = lik.sample(mean, out, 0.0, rng)[:, 0]
        density = cb_density(eta)

        def cdf(v, density=density):
            return np.array([integrate.quad(density, 0, t)[0] for t in np.atleast_1d(v)])

        assert draws.min() >= 0 and draws.max() <= 1
        grid = np.quantile(draws, np.linspace(0.05, 0.95, 19))
        np.testing.assert_allclose(cdf(grid), np.linspace(0.05, 0.95, 19), atol=0.015)


def test_poisson_and_gaussian_unit_samples_have_the_decoder_moments():
    rng = np.random.default_rng(1)
    rate = np.full((40000, 1), 3.5)
    counts = LIKELIHOODS["poisson"].sample(rate, np.log(rate), 0.0, rng)
    assert np.array_equal(counts, np.floor(counts))
    assert counts.mean() == pytest.approx(3.5, abs=0.04)
    assert counts.var() == pytest.approx(3.5, abs=0.1)
    mean = np.full((40000, 1), -1.0)
    draws = LIKELIHOODS["gaussian_unit"].sample(mean, mean, 0.0, rng)
    assert stats.kstest(draws[:, 0], stats.norm(-1.0, 1.0).cdf).pvalue > 0.01


@pytest.mark.parametrize(("X", "match"), [
    (np.array([[1.0, -1.0]]), r"counts in \[0, 1e\+10\].*\[-1, 1\]"),
    (np.array([[1.0, 2.5]]), "whole-number counts"),
])
def test_poisson_refuses_data_that_are_not_counts(X, match):
    with pytest.raises(ValueError, match=match):
        LIKELIHOODS["poisson"].check_data(X, column_stats(X))


@pytest.mark.parametrize("likelihood", sorted(LIKELIHOODS))
def test_nll_gradient_returns_the_negative_log_density(likelihood):
    x, out = rows(likelihood, 6, 2, 5, seed=2)
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
    if likelihood == "continuous_bernoulli":  # the Bernoulli's, less log C(800) = log 800 each
        assert nll == pytest.approx(1600.0 - 4 * np.log(800.0), rel=1e-12)
    if likelihood == "bernoulli":  # exact: two correct and two wrong confident predictions
        assert nll == pytest.approx(1600.0)
        np.testing.assert_array_equal(grad, [[1.0, -1.0, 0.0, 0.0]])


def assert_kernels_give(likelihood, x, out, min_variance, nll, grad, rtol):
    """nll_gradient (scale 0.5) and log_density, each with and without a
    scratch buffer, give the expected per-row ``nll`` and ``grad``."""
    lik = LIKELIHOODS[likelihood]
    for scratch in (None, np.empty_like(out)):
        result = np.empty_like(out)
        row_nll, log_p = np.empty(len(out), out.dtype), np.empty(len(out), out.dtype)
        lik.nll_gradient(x, out, min_variance, 0.5, result, row_nll, scratch)
        lik.log_density(x, out, min_variance, log_p, scratch)
        np.testing.assert_allclose(row_nll, nll, rtol=rtol)
        np.testing.assert_allclose(log_p, -nll, rtol=rtol)
        np.testing.assert_allclose(result, grad, rtol=rtol, atol=1e-30)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bernoulli_kernels_keep_full_precision_at_extreme_logits(dtype):
    """The kernels (vectorizable exp and log1p) lose no tail accuracy.

    Oracle: scipy's expit and numpy's logaddexp in float64 on the same logits.
    Every kernel is called with and without a scratch buffer.
    """
    logits = np.array([-200.0, -40.0, -17.0, -1e-3, 0.0, 1e-3, 17.0, 40.0, 200.0])
    out = np.stack([logits, -logits]).astype(dtype)  # two decoder rows, two draws
    x = np.array([[0, 1, 0, 1, 0, 1, 0, 1, 1]], dtype=dtype)
    l64, x64 = out.astype(np.float64), np.broadcast_to(x, out.shape).astype(np.float64)
    nll = (np.logaddexp(0.0, l64) - x64 * l64).sum(axis=1)
    rtol = 1e-6 if dtype == np.float32 else 1e-13
    assert_kernels_give("bernoulli", x, out, 0.0, nll, 0.5 * (expit(l64) - x64), rtol)
    mean = np.empty_like(out)
    LIKELIHOODS["bernoulli"].mean(out, 0.0, mean)
    np.testing.assert_allclose(mean, expit(l64), rtol=rtol, atol=1e-30)
    if dtype == np.float64:  # sigmoid(-200) = 1.4e-87, a float64 (0 in float32)
        assert mean[0, 0] == pytest.approx(1.3838965267367376e-87, rel=1e-13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_continuous_bernoulli_kernels_match_numpy_closed_forms_over_the_line(dtype):
    """One vectorized pass in float64 (skvae's exp, expm1 and log) against
    numpy's libm in float64, for logits where the closed forms are
    accurate; float32 data get float32 roundings of the same values.
    (Near 0, the series are checked by integrating the density.)"""
    logits = np.array([-700.0, -80.0, -17.0, -3.0, -0.5, -0.1, 0.1, 0.5, 3.0, 17.0, 80.0, 700.0])
    out = np.stack([logits, -logits[::-1] * 0.7]).astype(dtype)
    x = np.random.default_rng(7).random((1, logits.size)).astype(dtype)
    l64, x64 = out.astype(np.float64), np.broadcast_to(x, out.shape).astype(np.float64)
    log_c, d_log_c, expected_mean = cb_closed_forms(l64)
    nll = (np.logaddexp(0.0, l64) - x64 * l64 - log_c).sum(axis=1)
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    assert_kernels_give("continuous_bernoulli", x, out, 0.0, nll,
                        0.5 * (expit(l64) - x64 - d_log_c), rtol)
    mean = np.empty_like(out)
    LIKELIHOODS["continuous_bernoulli"].mean(out, 0.0, mean)
    np.testing.assert_allclose(mean, expected_mean, rtol=rtol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("min_variance", [1e-6, 1e-2, 3.0])
def test_gaussian_kernels_keep_full_precision_at_extreme_scales(dtype, min_variance):
    """The split Gaussian kernels (numpy exp/log1p, numba loops) against float64
    numpy: var = exp(min(s, 50)) + floor, log var by logaddexp, the gradient
    with respect to s is zero where s is clipped. With and without scratch.
    """
    s = np.array([-200.0, -40.0, -14.0, np.log(min_variance), -1e-3, 0.0, 3.0, 40.0, 49.0, 200.0])
    mean = np.linspace(-2.0, 2.0, s.size)
    out = np.stack([np.concatenate([mean, s]), np.concatenate([-mean, s[::-1]])]).astype(dtype)
    x = np.linspace(1.5, -1.0, s.size)[None, :].astype(dtype)
    o64, x64 = out.astype(np.float64), np.broadcast_to(x, (2, s.size)).astype(np.float64)
    m, s64 = o64[:, : s.size], np.minimum(o64[:, s.size :], 50.0)
    var = np.exp(s64) + min_variance
    diff = x64 - m
    nll = 0.5 * (np.logaddexp(s64, np.log(min_variance)) + diff**2 / var + np.log(2 * np.pi))
    grad_mean = -0.5 * diff / var
    grad_s = np.where(o64[:, s.size :] < 50.0, 0.25 * np.exp(s64) / var * (1 - diff**2 / var), 0.0)
    rtol = 2e-5 if dtype == np.float32 else 1e-12
    assert_kernels_give("gaussian", x, out, min_variance, nll.sum(axis=1),
                        np.concatenate([grad_mean, grad_s], axis=1), rtol)


def cb_closed_forms(eta):
    """log C, d log C / d eta and E[x] of the continuous Bernoulli, with
    numpy's float64 functions; accurate away from eta = 0 (|eta| >= 0.1)."""
    a = np.abs(eta)
    log_c = np.log(a) - np.log(-np.expm1(-a)) + np.log1p(np.exp(-a))
    return log_c, 1 / eta - 1 / np.sinh(eta), 0.5 + 0.5 / np.tanh(eta / 2) - 1 / eta


MEANS = {"bernoulli": expit, "poisson": lambda out: np.exp(np.minimum(out, 30.0)),
         "continuous_bernoulli": lambda out: cb_closed_forms(out)[2]}


@pytest.mark.parametrize("likelihood", sorted(MEANS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernels_split_by_rows_equal_the_one_block_results(monkeypatch, dtype, likelihood):
    """Rows split between three threads (ragged blocks of 50 decoder rows)
    give exactly the one-thread results; every output starts as NaN, so a
    block left out shows."""
    monkeypatch.setattr(_threads, "MIN_ELEMENTS_PER_THREAD", 1)
    x, out = rows(likelihood, 25, 2, 7, seed=4)
    x, out = x.astype(dtype), out.astype(dtype)
    lik = LIKELIHOODS[likelihood]
    results = []
    for n_blocks in (1, 3):
        grad, mean = np.full_like(out, np.nan), np.full_like(out, np.nan)
        row_nll, log_p = np.full(len(out), np.nan, dtype), np.full(len(out), np.nan, dtype)
        lik.nll_gradient(x, out, 0.0, 0.5, grad, row_nll, None, n_blocks)
        lik.log_density(x, out, 0.0, log_p, np.empty_like(out), n_blocks)
        lik.mean(out, 0.0, mean, n_blocks)
        results.append((grad, row_nll, log_p, mean))
    assert _threads.row_blocks(out, 3) == 3
    for serial, threaded in zip(*results):
        np.testing.assert_array_equal(threaded, serial)
    rtol = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(results[1][3], MEANS[likelihood](out.astype(np.float64)),
                               rtol=rtol)


@pytest.mark.parametrize("likelihood", ["bernoulli", "continuous_bernoulli", "gaussian_unit",
                                        "poisson"])
def test_mean_in_place_equals_mean_into_a_new_array(likelihood):
    """inverse_transform takes these means in place, over the logits' own buffer."""
    out = np.random.default_rng(6).normal(0.0, 4.0, (300, 5))
    expected = np.full_like(out, np.nan)
    LIKELIHOODS[likelihood].mean(out, 0.0, expected)
    in_place = out.copy()
    LIKELIHOODS[likelihood].mean(in_place, 0.0, in_place)
    np.testing.assert_array_equal(in_place, expected)
    # decode_rows passes two views of one buffer, not one object
    buffer = out.copy()
    LIKELIHOODS[likelihood].mean(buffer[:200], 0.0, buffer[:200])
    np.testing.assert_array_equal(buffer[:200], expected[:200])
    np.testing.assert_array_equal(buffer[200:], out[200:])


def test_mean_target_has_no_rows_only_for_the_same_memory():
    """The mean kernels write over ``out`` when it has no rows (vectorizable)."""
    out = np.zeros((6, 4))
    assert mean_target(out, out).shape[0] == 0
    assert mean_target(out[:3], out[:3]).shape[0] == 0
    for other in (out.copy(), out[1:4], out[:3, :2], out[::2], np.zeros((3, 8))[:, :4]):
        assert mean_target(out[:3], other) is other


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


@pytest.mark.parametrize("likelihood", ["bernoulli", "continuous_bernoulli"])
def test_refuses_data_outside_the_unit_interval(likelihood):
    with pytest.raises(ValueError, match=rf"{likelihood}' needs data in \[0, 1\].*\[-0.5, 1\]"):
        X = np.array([[0.0, 1.0], [-0.5, 0.2]])
        LIKELIHOODS[likelihood].check_data(X, column_stats(X))


def test_continuous_bernoulli_series_match_the_next_order_of_their_expansions():
    # Below |eta| = 1e-2 the kernel uses Taylor series; one order further,
    # d log C / d eta = eta/6 - 7 eta^3/360 + 31 eta^5/15120 and E[x] = 1/2 +
    # eta/12 - eta^3/720 + eta^5/30240: what the kernel leaves out is below
    # 1e-12 (the fifth-order term is 2e-13), far below any wrong coefficient.
    eta = np.linspace(-0.0099, 0.0099, 23).reshape(1, -1)
    lik = LIKELIHOODS["continuous_bernoulli"]
    grad, nll = np.empty_like(eta), np.empty(1)
    lik.nll_gradient(np.zeros_like(eta), eta, 0.0, 1.0, grad, nll)
    d_log_c = eta / 6 - 7 * eta**3 / 360 + 31 * eta**5 / 15120
    np.testing.assert_allclose(grad, expit(eta) - d_log_c, rtol=0, atol=1e-12)
    mean = np.empty_like(eta)
    lik.mean(eta, 0.0, mean)
    np.testing.assert_allclose(mean, 0.5 + eta / 12 - eta**3 / 720 + eta**5 / 30240,
                               rtol=0, atol=1e-13)
