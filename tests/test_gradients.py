"""The hand-derived gradients against central finite differences.

Every likelihood, both KL estimators and both objectives (ELBO and IWAE).

Hypothesis chooses the architecture and the settings; a seeded generator
draws parameter values, data and the fixed noise. The oracle is the plain
numpy objective in ``reference.py``, differentiated numerically.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from skvae import _threads
from skvae._kernels import ACTIVATIONS
from skvae._likelihoods import LIKELIHOODS
from skvae._model import VAEModel, Workspace
from skvae._network import NetworkLayout
from skvae._objective import sgvb_loss_gradient

from . import reference as ref

STEP = 1e-4  # step of the five-point central difference (truncation error O(STEP**4))
RTOL = 1e-5  # required relative agreement, per parameter
FLOOR = 1e-4  # gradients smaller than this are compared on an absolute scale


@st.composite
def problems(draw):
    return {
        "hidden": tuple(draw(st.lists(st.integers(1, 8), min_size=1, max_size=3))),
        "n_latent": draw(st.integers(1, 4)),
        "n_draws": draw(st.integers(1, 3)),
        "n_rows": draw(st.integers(1, 5)),
        "n_features": draw(st.integers(1, 6)),
        "likelihood": draw(st.sampled_from(sorted(LIKELIHOODS))),
        "activation": draw(st.sampled_from(sorted(ACTIVATIONS))),
        "beta": draw(st.sampled_from([0.0, 0.5, 1.0, 2.0])),
        "l2": draw(st.sampled_from([0.0, 0.3])),
        "min_variance": draw(st.sampled_from([1e-3, 0.1])),
        "kl_estimator": draw(st.sampled_from(["analytic", "mc"])),
        "objective": draw(st.sampled_from(["elbo", "iwae"])),
        "seed": draw(st.integers(0, 2**31 - 1)),
    }


def make_case(p):
    rng = np.random.default_rng(p["seed"])
    layout = NetworkLayout(p["n_features"], p["n_latent"], p["hidden"],
                           LIKELIHOODS[p["likelihood"]].n_outputs * p["n_features"])
    theta = rng.normal(0.0, 0.5, layout.n_params)
    x = ref.LIKELIHOODS[p["likelihood"]].data(rng, (p["n_rows"], p["n_features"]))
    eps = rng.standard_normal((p["n_draws"], p["n_rows"], p["n_latent"]))
    return layout, theta, x, eps


def analytic(p, layout, theta, x, eps, n_blocks=1):
    model = VAEModel(layout, ACTIVATIONS[p["activation"]], LIKELIHOODS[p["likelihood"]],
                     p["min_variance"], theta.copy())
    ws = Workspace(layout, p["n_rows"], p["n_draws"], np.float64)
    ws.n_blocks = n_blocks
    grad = np.full_like(theta, np.nan)
    loss, _ = sgvb_loss_gradient(model, x, eps, p["beta"], p["l2"], grad, ws,
                                 p["kl_estimator"], p["objective"])
    return loss, grad


def reference_loss(p, theta, x, eps):
    return ref.objective(theta, x, eps, p["hidden"], p["activation"], p["likelihood"],
                         p["beta"], p["l2"], p["min_variance"], p["kl_estimator"],
                         p["objective"])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_gradient_matches_central_differences(p):
    layout, theta, x, eps = make_case(p)
    _, margin = reference_loss(p, theta, x, eps)
    # Kinked activations: finite differences are only valid away from the kink.
    assume(p["activation"] not in ("relu", "leaky_relu") or margin > 1e-2)

    loss, grad = analytic(p, layout, theta, x, eps)
    assert_matches_central_differences(p, theta, x, eps, loss, grad)


def assert_matches_central_differences(p, theta, x, eps, loss, grad):
    loss_ref, _ = reference_loss(p, theta, x, eps)
    assert np.isclose(loss, loss_ref, rtol=1e-10, atol=1e-12)

    def f(i, h):
        shifted = theta.copy()
        shifted[i] += h
        return reference_loss(p, shifted, x, eps)[0]

    # Five points rather than two: the loss can be in the hundreds while a
    # gradient entry is 1e-4, and the smaller truncation error allows a step
    # large enough that rounding (about 1e-16 * loss / STEP) stays negligible.
    numeric = np.array([(-f(i, 2 * STEP) + 8 * f(i, STEP) - 8 * f(i, -STEP) + f(i, -2 * STEP))
                        / (12 * STEP) for i in range(theta.size)])
    # Rounding in the stencil is about 1.5 * eps * |loss| / STEP: entries below
    # the floor where that is 1e-5 of the floor are compared on that absolute scale.
    floor = max(FLOOR, 2 * np.finfo(float).eps * abs(loss_ref) / (STEP * RTOL))
    scale = np.maximum(np.maximum(np.abs(grad), np.abs(numeric)), floor)
    rel_err = np.abs(grad - numeric) / scale
    assert rel_err.max() < RTOL, (int(rel_err.argmax()), grad, numeric)


def test_every_likelihood_has_a_reference_with_its_outputs():
    assert set(ref.LIKELIHOODS) == set(LIKELIHOODS)
    for name, likelihood in LIKELIHOODS.items():
        assert ref.LIKELIHOODS[name].n_outputs == likelihood.n_outputs, name


@pytest.mark.parametrize(("kl_estimator", "objective"),
                         [("analytic", "elbo"), ("mc", "elbo"), ("analytic", "iwae")])
@pytest.mark.parametrize("likelihood", sorted(LIKELIHOODS))
def test_every_likelihood_s_gradient_matches_central_differences(likelihood, kl_estimator,
                                                                   objective):
    """Each table entry, whatever hypothesis draws: a likelihood added to the
    table is checked here without editing this file."""
    p = {"hidden": (5,), "n_latent": 2, "n_draws": 2, "n_rows": 3, "n_features": 3,
         "likelihood": likelihood, "activation": "tanh", "beta": 1.0, "l2": 0.1,
         "min_variance": 0.05, "kl_estimator": kl_estimator, "objective": objective,
         "seed": 11}
    layout, theta, x, eps = make_case(p)
    loss, grad = analytic(p, layout, theta, x, eps)
    assert_matches_central_differences(p, theta, x, eps, loss, grad)


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
@pytest.mark.parametrize("activation", ["tanh", "softplus"])
def test_gradient_split_between_threads_matches_central_differences(
        likelihood, activation, monkeypatch):
    """Every product split into column (and row) blocks, one of them ragged,
    and the likelihood's rows split too (the Bernoulli's)."""
    monkeypatch.setattr(_threads, "MIN_WORK_PER_THREAD", 1)
    monkeypatch.setattr(_threads, "MIN_BLOCK_COLUMNS", 1)
    monkeypatch.setattr(_threads, "MIN_SPLIT_INNER", 1)
    monkeypatch.setattr(_threads, "MIN_ELEMENTS_PER_THREAD", 1)
    p = {"hidden": (40, 18), "n_latent": 3, "n_draws": 2, "n_rows": 4, "n_features": 20,
         "likelihood": likelihood, "activation": activation, "beta": 1.0, "l2": 0.3,
         "min_variance": 0.1, "kl_estimator": "analytic", "objective": "elbo", "seed": 5}
    layout, theta, x, eps = make_case(p)
    loss, grad = analytic(p, layout, theta, x, eps, n_blocks=3)
    serial_loss, serial_grad = analytic(p, layout, theta, x, eps)
    assert loss == serial_loss
    np.testing.assert_allclose(grad, serial_grad, rtol=1e-12, atol=1e-14)
    assert_matches_central_differences(p, theta, x, eps, loss, grad)


@pytest.mark.parametrize(("kl_estimator", "objective"),
                         [("analytic", "elbo"), ("mc", "elbo"), ("analytic", "iwae")])
@pytest.mark.parametrize("likelihood", sorted(LIKELIHOODS))
def test_float32_gradient_agrees_with_float64(likelihood, kl_estimator, objective):
    p = {"hidden": (6, 5), "n_latent": 3, "n_draws": 2, "n_rows": 7, "n_features": 4,
         "likelihood": likelihood, "activation": "tanh", "beta": 1.0, "l2": 0.1,
         "min_variance": 0.01, "kl_estimator": kl_estimator, "objective": objective,
         "seed": 3}
    layout, theta, x, eps = make_case(p)
    loss64, grad64 = analytic(p, layout, theta, x, eps)
    model = VAEModel(layout, ACTIVATIONS["tanh"], LIKELIHOODS[likelihood], 0.01,
                     theta.astype(np.float32))
    ws = Workspace(layout, 7, 2, np.float32)
    grad32 = np.empty(theta.size, dtype=np.float32)
    loss32, _ = sgvb_loss_gradient(model, x.astype(np.float32), eps.astype(np.float32),
                                   1.0, 0.1, grad32, ws, kl_estimator, objective)
    assert np.isclose(loss32, loss64, rtol=1e-5)
    np.testing.assert_allclose(grad32, grad64, rtol=2e-3, atol=2e-5 * np.abs(grad64).max())
