"""Gaussian latent kernels against scipy.stats and direct formulas."""

import numpy as np
import pytest
from scipy import stats

from skvae._latent import (
    importance_log_weights,
    kl_to_standard_normal,
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
    total = reparameterize_backward(head, eps, np.zeros((8, 3)), 1.0, grad_head)
    assert np.isclose(total, kl.sum(), rtol=1e-14)
    # with no loss through z, the gradient is the KL's: mu and (var - 1) / 2
    np.testing.assert_allclose(grad_head[:, :3], head[:, :3])
    np.testing.assert_allclose(grad_head[:, 3:], 0.5 * np.expm1(head[:, 3:]))


def test_importance_log_weights_match_scipy_densities():
    head, eps = head_and_eps(n_draws=3)
    log_px = np.random.default_rng(1).normal(size=12)
    log_w = np.empty((3, 4))
    importance_log_weights(head, eps, log_px, log_w)
    z = head[None, :, :3] + np.exp(0.5 * head[None, :, 3:]) * eps
    log_prior = stats.norm.logpdf(z).sum(axis=2)
    log_q = stats.norm.logpdf(z, head[None, :, :3], np.exp(0.5 * head[None, :, 3:])).sum(axis=2)
    np.testing.assert_allclose(log_w, log_px.reshape(3, 4) + log_prior - log_q, rtol=1e-12)


def test_extreme_log_variances_are_clipped_with_zero_gradient():
    head = np.array([[0.5, 1e4], [0.5, -1e4], [0.5, 3.0]])
    eps = np.ones((1, 3, 1))
    kl, z, grad = np.empty(3), np.empty((3, 1)), np.empty_like(head)
    kl_to_standard_normal(head, kl)
    reparameterize(head, eps, z)
    reparameterize_backward(head, eps, np.ones((3, 1)), 1.0, grad)
    assert np.isfinite(kl).all() and np.isfinite(z).all() and np.isfinite(grad).all()
    assert kl[0] == pytest.approx(0.5 * (0.25 + np.exp(20.0) - 20.0 - 1.0))
    assert z[1, 0] == pytest.approx(0.5 + np.exp(-15.0))
    np.testing.assert_array_equal(grad[:2, 1], [0.0, 0.0])
    assert grad[2, 1] != 0.0
