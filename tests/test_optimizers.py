"""Optimizer kernels against their textbook formulas written in numpy."""

import numpy as np
import pytest

from skvae._optimizers import OPTIMIZERS


def run(name, n_steps=5, lr=0.01, seed=0):
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=10)
    grads = rng.normal(size=(n_steps, 10))
    opt = OPTIMIZERS[name](10, np.float64, lr)
    for g in grads:
        opt.step(theta, g.copy())
    return theta, grads, opt


def numpy_twin(name, theta, grads, lr=0.01, b1=0.9, b2=0.999, eps=1e-8):
    theta = theta.copy()
    m = v = s = np.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        if name == "sgd":
            theta -= lr * g
        elif name == "adagrad":
            s = s + g * g
            theta -= lr * g / (np.sqrt(s) + eps)
        else:
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            theta -= lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
    return theta


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_update_matches_the_numpy_twin(name):
    start = np.random.default_rng(0).normal(size=10)
    theta, grads, _ = run(name)
    np.testing.assert_allclose(theta, numpy_twin(name, start, grads), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_state_round_trip_resumes_exactly(name):
    rng = np.random.default_rng(1)
    grads = rng.normal(size=(4, 10))
    opt = OPTIMIZERS[name](10, np.float64, 0.1)
    theta = np.zeros(10)
    opt.step(theta, grads[0].copy())
    saved_theta, saved_state = theta.copy(), opt.get_state()
    opt.step(theta, grads[1].copy())
    after_one = theta.copy()
    opt.set_state(saved_state)
    theta[:] = saved_theta
    opt.step(theta, grads[1].copy())
    np.testing.assert_array_equal(theta, after_one)
    assert opt.t == 2
