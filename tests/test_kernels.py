"""Dense-layer kernels against the plain numpy twins in reference.py."""

import numpy as np
import pytest

from skvae._kernels import (
    ACTIVATIONS,
    IDENTITY,
    dense_backward,
    dense_forward,
    dense_layer,
    scale_columns_by_derivative,
)

from . import reference as ref

NAMES = sorted(ACTIVATIONS) + ["identity"]


def code(name):
    return ACTIVATIONS.get(name, IDENTITY)


# The kernel applies every activation but tanh, which dense_layer applies with numpy.
KERNEL_CASES = [(dense_forward, name) for name in NAMES if name != "tanh"]


@pytest.mark.parametrize(("layer", "name"),
                         KERNEL_CASES + [(dense_layer, name) for name in NAMES])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dense_forward_matches_numpy(name, dtype, layer):
    rng = np.random.default_rng(0)
    a, w, b = rng.normal(size=(7, 5)), rng.normal(size=(5, 4)), rng.normal(size=4)
    out = np.empty((7, 4), dtype=dtype)
    layer(a.astype(dtype), w.astype(dtype), b.astype(dtype), code(name), out)
    expected = ref.ACTIVATIONS[name](a @ w + b)
    np.testing.assert_allclose(out, expected, rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-6 if dtype == np.float32 else 1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_derivative_from_output_matches_central_differences(name):
    z = np.linspace(-4, 4, 41).reshape(1, -1) + 0.013  # keeps clear of the kinks at 0
    a = ref.ACTIVATIONS[name](z)
    grad = np.full_like(z, 2.0)
    scale_columns_by_derivative(a, grad, code(name), 0, grad.shape[1])
    h = 1e-6
    numeric = (ref.ACTIVATIONS[name](z + h) - ref.ACTIVATIONS[name](z - h)) / (2 * h)
    np.testing.assert_allclose(grad, 2.0 * numeric, rtol=1e-7, atol=1e-9)


def test_dense_backward_matches_numpy():
    rng = np.random.default_rng(1)
    a, w, g = rng.normal(size=(6, 5)), rng.normal(size=(5, 3)), rng.normal(size=(6, 3))
    gw, gb, ga = np.empty((5, 3)), np.empty(3), np.empty((6, 5))
    dense_backward(a, w, g, gw, gb, ga)
    np.testing.assert_allclose(gw, a.T @ g, rtol=1e-12)
    np.testing.assert_allclose(gb, g.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(ga, g @ w.T, rtol=1e-12)


def test_dense_backward_skips_the_input_gradient_when_it_has_no_rows():
    rng = np.random.default_rng(2)
    a, w, g = rng.normal(size=(6, 5)), rng.normal(size=(5, 3)), rng.normal(size=(6, 3))
    gw, gb = np.empty((5, 3)), np.empty(3)
    dense_backward(a, w, g, gw, gb, np.empty((0, 5)))
    np.testing.assert_allclose(gw, a.T @ g, rtol=1e-12)
