"""Gaussian latent kernels against scipy.stats and direct formulas."""

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp, softmax

from skvae._latent import (
    draw_kl,
    kl_to_standard_normal,
    normalized_importance_weights,
    reparameterize,
    reparameterize_backward,
)


def head_and_eps(n_rows=4, n_latent=3, n_draws=2, seed=0):
    rng = np.random.default_rng(seed)
    head = np.column_stack([rng.normal(0, 1.5, (n_rows, n_latent)),
                            rng.normal(0, 1.0, (n_rows, n_latent))])
    return head, rng.standard_normal((n_draws, n_rows, n_latent))


def test_kl_matches_numerical_integration_with_scipy():
    head, _ = head_and_eps()
    kl = np.empty(4)
    kl_to_standard_normal(head, kl)
    for m in range(4):
        expected = 0.0
        for mu, log_var in zip(head[m, :3], head[m, 3:]):
            q = stats.norm(mu, np.exp(0.5 * log_var))
            cross_entropy = -q.expect(stats.norm(0, 1).logpdf)
            expected += cross_entropy - q.entropy()
        assert np.isclose(kl[m], expected, rtol=1e-7)


def test_reparameterize_stacks_draws_sample_major():
    head, eps = head_and_eps()
    z = np.empty((8, 3))
    reparameterize(head, eps, z)
    expected = head[None, :, :3] + np.exp(0.5 * head[None, :, 3:]) * eps
    np.testing.assert_allclose(z, expected.reshape(8, 3), rtol=1e-14)


def test_reparameterize_backward_returns_the_kl_sum():
    head, eps = head_and_eps()
    kl = np.empty(4)
    kl_to_standard_normal(head, kl)
    grad_head = np.empty_like(head)
    total = reparameterize_backward(head, eps, np.zeros((8, 3)), 1.0, True, grad_head)
    assert np.isclose(total, kl.sum(), rtol=1e-14)
    # with no loss through z, the gradient is the KL's: mu and (var - 1) / 2
    np.testing.assert_allclose(grad_head[:, :3], head[:, :3])
    np.testing.assert_allclose(grad_head[:, 3:], 0.5 * np.expm1(head[:, 3:]))


def test_draw_kl_matches_scipy_densities():
    head, eps = head_and_eps(n_draws=3)
    kl = np.empty((3, 4))
    draw_kl(head, eps, kl)
    z = head[None, :, :3] + np.exp(0.5 * head[None, :, 3:]) * eps
    log_prior = stats.norm.logpdf(z).sum(axis=2)
    log_q = stats.norm.logpdf(z, head[None, :, :3], np.exp(0.5 * head[None, :, 3:])).sum(axis=2)
    np.testing.assert_allclose(kl, log_q - log_prior, rtol=1e-12)


def test_draw_kl_averages_to_the_analytic_kl():
    head, _ = head_and_eps(n_rows=2)
    eps = np.random.default_rng(7).standard_normal((200000, 2, 3))
    kl_draws, kl = np.empty((200000, 2)), np.empty(2)
    draw_kl(head, eps, kl_draws)
    kl_to_standard_normal(head, kl)
    standard_error = kl_draws.std(axis=0) / np.sqrt(len(kl_draws))
    assert np.all(np.abs(kl_draws.mean(axis=0) - kl) < 4 * standard_error)


def test_normalized_importance_weights_match_scipy():
    log_w = np.random.default_rng(2).normal(0.0, 30.0, (5, 3)) - 1000.0
    weights = np.empty_like(log_w)
    total = normalized_importance_weights(log_w, weights)
    np.testing.assert_allclose(weights, softmax(log_w, axis=0), rtol=1e-12)
    assert total == pytest.approx(np.sum(logsumexp(log_w, axis=0) - np.log(5)), rel=1e-14)


def test_mc_backward_adds_the_explicit_log_q_term_only():
    head, eps = head_and_eps()
    grad_z = np.random.default_rng(3).normal(size=(8, 3))
    analytic, mc = np.empty_like(head), np.empty_like(head)
    reparameterize_backward(head, eps, grad_z, 0.5, True, analytic)
    reparameterize_backward(head, eps, grad_z, 0.5, False, mc)
    path = analytic - np.column_stack([0.5 * head[:, :3], 0.25 * np.expm1(head[:, 3:])])
    np.testing.assert_allclose(mc[:, :3], path[:, :3], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(mc[:, 3:], path[:, 3:] - 0.25, rtol=1e-12, atol=1e-15)


def test_extreme_log_variances_are_clipped_with_zero_gradient():
    head = np.array([[0.5, 1e4], [0.5, -1e4], [0.5, 3.0]])
    eps = np.ones((1, 3, 1))
    kl, z, grad = np.empty(3), np.empty((3, 1)), np.empty_like(head)
    kl_to_standard_normal(head, kl)
    reparameterize(head, eps, z)
    reparameterize_backward(head, eps, np.ones((3, 1)), 1.0, True, grad)
    assert np.isfinite(kl).all() and np.isfinite(z).all() and np.isfinite(grad).all()
    assert kl[0] == pytest.approx(0.5 * (0.25 + np.exp(20.0) - 20.0 - 1.0))
    assert z[1, 0] == pytest.approx(0.5 + np.exp(-15.0))
    np.testing.assert_array_equal(grad[:2, 1], [0.0, 0.0])
    assert grad[2, 1] != 0.0
