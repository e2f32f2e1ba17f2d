"""The vectorizable exp, expm1, log1p, log, sigmoid, softplus, tanh and sum against
numpy in float64."""

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit
from scipy.special import expit

from skvae._vector_math import (
    TANH_32_EDGE,
    exp_bounded,
    exp_nonpositive,
    expm1_nonpositive,
    float64_sum,
    log1p_unit,
    log_positive,
    sigmoid,
    softplus,
    tanh,
)

DTYPES = [np.float32, np.float64]

#: For the tests of the compiled math's accuracy: as Python (NUMBA_DISABLE_JIT=1)
#: the functions are numpy's, whose float32 exp and log are less exact.
compiled_only = pytest.mark.skipif(numba.config.DISABLE_JIT,
                                   reason="checks the compiled math, not numpy's")


def elementwise(function):
    """A compiled loop applying ``function`` to every element of a 1-D array."""

    @njit(error_model="numpy")
    def apply(values, result):
        for i in range(values.shape[0]):
            result[i] = function(values[i])

    def run(values):
        result = np.empty_like(values)
        apply(values, result)
        return result

    run.compiled = apply
    return run


vexp, vlog1p = elementwise(exp_nonpositive), elementwise(log1p_unit)
vexp_bounded = elementwise(exp_bounded)
vexpm1, vlog = elementwise(expm1_nonpositive), elementwise(log_positive)
vsigmoid, vsoftplus = elementwise(sigmoid), elementwise(softplus)
vtanh = elementwise(tanh)


def ulps(result, exact, dtype):
    """|result - exact| in units of the last place of ``exact`` rounded to dtype."""
    return np.abs(result.astype(np.float64) - exact) / np.spacing(
        np.abs(exact).astype(dtype)).astype(np.float64)


@compiled_only
@settings(deadline=None, max_examples=50)
@given(st.sampled_from(DTYPES), st.integers(0, 2**32 - 1))
def test_exp_nonpositive_is_within_one_and_a_half_ulps(dtype, seed):
    rng = np.random.default_rng(seed)
    x = -np.abs(rng.standard_normal(2000) * rng.choice([0.01, 1.0, 30.0, 300.0])).astype(dtype)
    exact = np.exp(x.astype(np.float64))
    result = vexp(x)
    normal = exact >= np.finfo(dtype).tiny
    assert ulps(result[normal], exact[normal], dtype).max() <= 1.5
    # Below the smallest normal number the result is flushed to zero.
    assert (result[~normal] == 0).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_exp_nonpositive_edge_cases(dtype):
    tiny = np.finfo(dtype).tiny
    x = np.array([0.0, -0.0, -np.inf, np.nan, np.log(tiny) * 1.001, np.log(tiny) * 0.999,
                  -1e-30], dtype=dtype)
    result = vexp(x)
    assert result[0] == 1 and result[1] == 1 and result[2] == 0 and np.isnan(result[3])
    assert result[4] == 0
    assert result[5] == pytest.approx(np.exp(float(x[5])), rel=1e-6)
    assert result[6] == 1


@compiled_only
@settings(deadline=None, max_examples=50)
@given(st.sampled_from(DTYPES), st.integers(0, 2**32 - 1))
def test_exp_bounded_is_within_one_and_a_half_ulps_up_to_80(dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, 2000) * rng.choice([0.01, 1.0, 30.0, 80.0])
    x = np.append(x, [80.0, 79.99, 1e-30, -1e-30]).astype(dtype)
    exact = np.exp(x.astype(np.float64))
    assert ulps(vexp_bounded(x), exact, dtype).max() <= 1.5
    # below zero it is exp_nonpositive
    np.testing.assert_array_equal(vexp_bounded(-np.abs(x)), vexp(-np.abs(x)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_exp_bounded_edge_cases(dtype):
    result = vexp_bounded(np.array([0.0, np.nan, -np.inf, 1.0], dtype=dtype))
    assert result[0] == 1 and np.isnan(result[1]) and result[2] == 0
    assert result[3] == pytest.approx(np.e, rel=2 * float(np.finfo(dtype).eps))


@compiled_only
@settings(deadline=None, max_examples=50)
@given(st.sampled_from(DTYPES), st.integers(0, 2**32 - 1))
def test_log1p_unit_is_within_two_and_a_half_ulps(dtype, seed):
    rng = np.random.default_rng(seed)
    u = (rng.random(2000) ** rng.choice([1.0, 8.0])).astype(dtype)
    exact = np.log1p(u.astype(np.float64))
    result = vlog1p(u)
    positive = exact > 0
    assert ulps(result[positive], exact[positive], dtype).max() <= 2.5
    assert (result[~positive] == 0).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_log1p_unit_edge_cases(dtype):
    u = np.array([0.0, 1.0, 0.5, np.nextafter(dtype(0.5), dtype(1)), 1e-30, np.nan],
                 dtype=dtype)
    result = vlog1p(u)
    np.testing.assert_allclose(result[:5], np.log1p(u[:5].astype(np.float64)),
                               rtol=4 * np.finfo(dtype).eps)
    assert np.isnan(result[5])


@compiled_only
@settings(deadline=None, max_examples=50)
@given(st.sampled_from(DTYPES), st.integers(0, 2**32 - 1))
def test_expm1_nonpositive_is_within_three_ulps(dtype, seed):
    rng = np.random.default_rng(seed)
    x = -np.abs(rng.standard_normal(2000) * rng.choice([1e-6, 0.01, 0.3, 3.0, 100.0]))
    # on both sides of the switch from the polynomial to exp(x) - 1 at -ln(2) / 2
    x = np.append(x, -np.log(2) / 2 + np.linspace(-1e-3, 1e-3, 101)).astype(dtype)
    exact = np.expm1(x.astype(np.float64))
    nonzero = exact != 0
    assert ulps(vexpm1(x)[nonzero], exact[nonzero], dtype).max() <= 3.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_expm1_nonpositive_edge_cases(dtype):
    result = vexpm1(np.array([0.0, -1e-30, -np.inf, np.nan, -800.0], dtype=dtype))
    assert result[0] == 0 and result[1] == dtype(-1e-30)
    assert result[2] == -1 and np.isnan(result[3]) and result[4] == -1


@compiled_only
@settings(deadline=None, max_examples=50)
@given(st.sampled_from(DTYPES), st.integers(0, 2**32 - 1))
def test_tanh_is_within_three_ulps_in_float64_and_six_in_float32(dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(2000) * rng.choice([1e-6, 0.01, 0.3, 3.0, 30.0])
    # on both sides of expm1's switch from its polynomial at -2|x| = -ln(2) / 2,
    # and of float32's edge, beyond which it is 1
    switch = np.log(2) / 4 + np.linspace(-1e-3, 1e-3, 101)
    edge = TANH_32_EDGE + np.linspace(-1e-3, 1e-3, 101)
    x = np.concatenate([x, switch, -switch, edge, -edge]).astype(dtype)
    exact = np.tanh(x.astype(np.float64))
    assert ulps(vtanh(x), exact, dtype).max() <= (3.0 if dtype == np.float64 else 6.0)


@compiled_only
def test_float32_tanh_is_within_six_ulps_where_its_rounding_is_worst():
    # float32 from 1 to 9.2 in steps of 8 units: its rational function's
    # rounding errors are largest there, as its value nears 1
    bits = np.arange(np.float32(1.0).view(np.int32), np.float32(9.2).view(np.int32), 8)
    x = bits.astype(np.int32).view(np.float32)
    errors = ulps(vtanh(x), np.tanh(x.astype(np.float64)), np.float32)
    assert errors.max() <= 6.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_tanh_edge_cases(dtype):
    x = np.array([0.0, -0.0, 1e-30, -1e-30, np.inf, -np.inf, np.nan, 800.0, -800.0],
                 dtype=dtype)
    result = vtanh(x)
    assert result[0] == 0 and result[2] == dtype(1e-30) and result[3] == dtype(-1e-30)
    assert result[4] == 1 and result[5] == -1 and np.isnan(result[6])
    assert result[7] == 1 and result[8] == -1


@compiled_only
@settings(deadline=None, max_examples=50)
@given(st.sampled_from(DTYPES), st.integers(0, 2**32 - 1))
def test_log_positive_is_within_two_and_a_half_ulps(dtype, seed):
    rng = np.random.default_rng(seed)
    info = np.finfo(dtype)
    exponents = rng.uniform(np.log(info.tiny), np.log(info.max), 2000)
    x = np.exp(exponents * rng.choice([1e-8, 1e-3, 1.0]))
    # just below and above powers of two, where a careless split cancels
    x = np.append(x, [np.nextafter(2.0**k, 0) for k in range(-5, 6)] + [2.0**k for k in range(-5, 6)])
    x = x.astype(dtype)
    exact = np.log(x.astype(np.float64))
    nonzero = exact != 0
    result = vlog(x)
    assert ulps(result[nonzero], exact[nonzero], dtype).max() <= 2.5
    assert (result[~nonzero] == 0).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_positive_edge_cases(dtype):
    info = np.finfo(dtype)
    x = np.array([1.0, 2.0, 0.5, info.tiny, info.max, np.inf, np.nan, 0.0, -1.0, info.tiny / 4],
                 dtype=dtype)
    result = vlog(x)
    np.testing.assert_allclose(result[:5], np.log(x[:5].astype(np.float64)),
                               rtol=2 * float(info.eps))
    assert result[0] == 0 and result[5] == np.inf
    # no finite logarithm (or none it computes): NaN, never a wrong number
    assert np.isnan(result[6:]).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_and_softplus_match_scipy_and_numpy_over_the_whole_line(dtype):
    x = np.concatenate([np.linspace(-120, 120, 4001), [-1e-30, 0.0, 1e-30, 800.0, -800.0]])
    x = x.astype(dtype)
    x64 = x.astype(np.float64)
    rtol = 8 * np.finfo(dtype).eps
    np.testing.assert_allclose(vsigmoid(x), expit(x64), rtol=rtol, atol=np.finfo(dtype).tiny)
    np.testing.assert_allclose(vsoftplus(x), np.logaddexp(0.0, x64), rtol=rtol,
                               atol=np.finfo(dtype).tiny)
    special = np.array([np.nan, np.inf, -np.inf], dtype=dtype)
    np.testing.assert_array_equal(vsigmoid(special), [np.nan, 1.0, 0.0])
    np.testing.assert_array_equal(vsoftplus(special), [np.nan, np.inf, 0.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_float64_sum_matches_an_exact_sum(dtype):
    values = np.random.default_rng(0).normal(size=1001).astype(dtype)
    exact = float(np.sum(values.astype(np.longdouble)))
    assert float64_sum(values) == pytest.approx(exact, rel=1e-13)
    assert np.isnan(float64_sum(np.array([1.0, np.nan, 2.0], dtype=dtype)))
    assert float64_sum(values[:0]) == 0.0


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="no LLVM code without the JIT")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("function", [vexp, vexp_bounded, vsoftplus, vexpm1, vlog, vtanh])
def test_loops_over_them_are_vectorized(dtype, function):
    """The point of the module: LLVM turns the loop into vector instructions."""
    function(np.zeros(4, dtype=dtype))
    name = "float" if dtype == np.float32 else "double"
    llvm = "".join(function.compiled.inspect_llvm().values())
    assert f"x {name}>" in llvm


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_called_from_python_they_are_numpy_s_functions_in_the_argument_s_precision(dtype):
    # What runs under NUMBA_DISABLE_JIT=1, so that coverage sees the kernels.
    x = dtype(-1.5)
    assert exp_nonpositive(x) == np.exp(x) and exp_nonpositive(x).dtype == dtype
    assert exp_nonpositive(dtype(-1000.0)) == 0
    assert log_positive(dtype(3.0)) == np.log(dtype(3.0))
    assert np.isnan(log_positive(dtype(0.0))) and np.isnan(log_positive(dtype(-1.0)))
    assert softplus(dtype(800.0)) == dtype(800.0)
    assert sigmoid(dtype(-800.0)) == 0 and sigmoid(dtype(0.0)) == dtype(0.5)
    assert sigmoid(x).dtype == dtype
    assert tanh(x) == np.tanh(x) and tanh(x).dtype == dtype


def _production_kernels(dtype):
    """The hot kernels the vectorizable math was written for, compiled afresh
    (a kernel loaded from numba's cache keeps no LLVM code) with skvae's
    flags and called once in ``dtype``; (dispatcher, name) pairs."""
    from skvae._config import JIT_OPTIONS
    from skvae._kernels import TANH, activate_columns
    from skvae._likelihoods.bernoulli import bernoulli_block
    from skvae._optimizers import adam_block

    def fresh(kernel):
        return numba.njit(**{**JIT_OPTIONS, "cache": False})(kernel.py_func)

    bernoulli, adam, activate = fresh(bernoulli_block), fresh(adam_block), fresh(activate_columns)
    rng = np.random.default_rng(0)
    x = (rng.random((4, 64)) < 0.5).astype(dtype)
    out, grad, scratch = (rng.normal(size=(4, 64)).astype(dtype) for _ in range(3))
    bernoulli(x, out, dtype(1.0), grad, np.empty(4, dtype), scratch, 0, 1)
    theta, g, m, v = (rng.random(64).astype(dtype) for _ in range(4))
    adam(theta, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0, 1)
    activate(out, np.zeros(64, dtype), TANH, 0, 64)
    return [(bernoulli, "bernoulli_block"), (adam, "adam_block"),
            (activate, "activate_columns")]


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="no LLVM code without the JIT")
@pytest.mark.parametrize("dtype", DTYPES)
def test_the_production_kernels_are_vectorized(dtype):
    name = "float" if dtype == np.float32 else "double"
    for kernel, label in _production_kernels(dtype):
        llvm = "".join(kernel.inspect_llvm().values())
        assert f"x {name}>" in llvm, label
