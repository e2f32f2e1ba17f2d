"""exp, expm1, log1p and log for numba loops that LLVM can vectorize.

numba compiles ``np.exp``, ``np.log1p`` and ``np.tanh`` on scalars to calls
of the C library, one element at a time: a loop that makes such a call is
never vectorized. The functions below are plain arithmetic, polynomials and
bit casts, so the loops that call them are; the likelihoods built on them
ran faster than numpy's SIMD ufuncs with numba loops around them
(docs/performance.rst has the figures).

- :func:`exp_nonpositive`: exp(x) for x <= 0, the only arguments that
  sigmoid, softplus and the Gaussian's variance need (as exp(-|x|));
  :func:`exp_bounded`, the same function for x up to 80 (the Poisson's
  rates: float32 overflows beyond 88.7);
- :func:`expm1_nonpositive`: exp(x) - 1 for x <= 0, without the
  cancellation of subtracting 1 near 0 (the continuous Bernoulli's
  1 - exp(-|eta|));
- :func:`log1p_unit`: log(1 + u) for u in [0, 1], the softplus of such an
  exponential; :func:`log_positive`, log(x) for any positive normal x, from
  log1p_unit of x's significand;
- :func:`softplus_and_sigmoid`, :func:`sigmoid` and :func:`softplus`, built
  on them, and :func:`tanh`: in float64 from expm1 of -2|x|, in float32 a
  rational function (multiply-adds and one division, no exp);
- :func:`float64_sum`, a sum that LLVM may reorder into one partial sum
  per vector lane (compiled with the ``reassoc`` flag only).

The elementwise functions work in the precision of their argument (float32
or float64) and give NaN for NaN; exp is within 1.5 units in the last place
of the exact result, log1p and log within 2.5, expm1 and float64's tanh
within 3, float32's tanh within 6 (5.4 at worst over every float32 up to
9.2: the rounding of its two polynomials), ``tests/test_vector_math.py``
checks them against numpy in float64. They are compiled with the
``contract`` fast-math flag only (fused multiply-adds, no assumption about
NaN or inf) and always inlined into their caller (see ``_config``). They
are numba overloads; called from Python (as under ``NUMBA_DISABLE_JIT=1``),
numpy computes them.
"""

import math
from decimal import Decimal
from types import SimpleNamespace

import numpy as np
from numba import types
from numba.extending import intrinsic, overload

from ._config import MATH_OPTIONS, jit_sum

#: The same-width type each bit cast of :func:`_same_bits` goes to.
_SAME_WIDTH = {types.int32: types.float32, types.float32: types.int32,
               types.int64: types.float64, types.float64: types.int64}


@intrinsic
def _same_bits(typingctx, value):
    """``value``'s bit pattern read as the other type of its width: an int32
    or int64 as a float32 or float64, and the reverse."""
    if value not in _SAME_WIDTH:
        return None
    target = _SAME_WIDTH[value]

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], context.get_value_type(target))

    return target(value), codegen


#: ln 2 to 45 digits, so that the low part of its split is exact in float64.
_LN2 = Decimal("0.693147180559945309417232121458176568075500134")


def _leading_bits(value, n_bits):
    """``value`` (positive) truncated to its ``n_bits`` leading significant bits."""
    scale = 2.0 ** (n_bits - math.frexp(value)[1])
    return math.floor(value * scale) / scale


def _constants(dtype, n_exp_terms, n_log_terms, ln2_high_bits):
    """Every constant of exp_nonpositive and log1p_unit in precision ``dtype``.

    exp(x) = 2**k * exp(r) with k = round(x / ln 2) and r = x - k ln 2 in
    [-ln 2 / 2, ln 2 / 2]. ln 2 is split in two (Cody and Waite): its high
    part has ``ln2_high_bits`` significant bits, so that k * ln2_high is
    exact for every k the range needs. exp(r) is its Taylor polynomial with
    ``n_exp_terms`` terms. log(1 + f) = 2 atanh(s) with s = f / (2 + f), a
    series in s**2 with ``n_log_terms`` terms after the first (|s| <= 1/5).
    The truncations are below 0.1 (exp) and 0.2 (log1p) unit in the last
    place.
    """
    info = np.finfo(dtype)
    cast = info.dtype.type
    ln2_high = _leading_bits(float(_LN2), ln2_high_bits)
    return SimpleNamespace(
        # Below this, exp(x) is under the smallest normal number: flushed to 0.
        lowest=cast(math.log(float(info.tiny))),
        log2_e=cast(float(1 / _LN2)),
        # Adding and subtracting 1.5 * 2**n_mantissa rounds to an integer.
        round_magic=cast(1.5 * 2.0**info.nmant),
        ln2_high=cast(ln2_high),
        ln2_low=cast(float(_LN2 - Decimal(ln2_high))),
        # 2**k is the float with exponent field k + bias and zero mantissa.
        exponent_unit=cast(2.0**info.nmant),
        exponent_bias=cast((info.maxexp - 1) * 2.0**info.nmant),
        to_bits=np.int32 if info.dtype == np.float32 else np.int64,
        exp_terms=tuple(cast(1.0 / math.factorial(n)) for n in range(n_exp_terms - 1, -1, -1)),
        log_terms=tuple(cast(2.0 / (2 * n + 1)) for n in range(n_log_terms, 0, -1)),
        # ln 2 as the nearest float and the rest.
        ln2=cast(float(_LN2)),
        ln2_rest=cast(float(_LN2 - Decimal(float(cast(float(_LN2)))))),
        cast=cast,
        # The significand's bits, and the exponent field of 1.0.
        n_mantissa=info.nmant,
        mantissa_mask=(1 << info.nmant) - 1,
        exponent_of_one=(info.maxexp - 1) << info.nmant,
        exponent_offset=info.maxexp - 1,
        tiny=cast(info.tiny), inf=cast(np.inf), nan=cast(np.nan),
        # |x| below this is reduced to k = 0 by exp: expm1 is its polynomial less 1.
        half_ln2=cast(float(_LN2) / 2),
        sqrt2=cast(math.sqrt(2.0)),
        one=cast(1.0), two=cast(2.0), half=cast(0.5), zero=cast(0.0),
    )


_CONSTANTS = {
    types.float32: _constants(np.float32, n_exp_terms=8, n_log_terms=4, ln2_high_bits=11),
    types.float64: _constants(np.float64, n_exp_terms=14, n_log_terms=10, ln2_high_bits=32),
}


# The Python faces of the functions: what runs under NUMBA_DISABLE_JIT=1
# (for coverage), built on numpy in the argument's precision. Compiled code
# calls the overloads below instead.
def _tiny(x):
    return np.finfo(np.asarray(x).dtype).tiny


def exp_nonpositive(x):
    """exp(x) for x <= 0 (results below the smallest normal number are 0)."""
    y = np.exp(x)
    return y if not y < _tiny(x) else y * 0


def exp_bounded(x):
    """exp(x) for x <= 80 (results below the smallest normal number are 0)."""
    return exp_nonpositive(x)


def expm1_nonpositive(x):
    """exp(x) - 1 for x <= 0."""
    return np.expm1(x)


def log1p_unit(u):
    """log(1 + u) for u in [0, 1] (and down to 1/sqrt(2) - 1, for log_positive)."""
    return np.log1p(u)


def log_positive(x):
    """log(x) for positive normal x and inf (NaN below the smallest normal)."""
    if x >= _tiny(x):
        return np.log(x)
    return x * np.nan


def softplus_and_sigmoid(x):
    """``(softplus(x), sigmoid(x))`` from one exponential."""
    e = np.exp(-np.abs(x))
    inverse = 1 / (1 + e)
    return np.maximum(x, 0) + np.log1p(e), (inverse if x >= 0 else e * inverse)


def sigmoid(x):
    """1 / (1 + exp(-x)), without overflow."""
    return softplus_and_sigmoid(x)[1]


def softplus(x):
    """log(1 + exp(x)), without overflow."""
    return softplus_and_sigmoid(x)[0]


def tanh(x):
    """tanh(x), from one exp(-2|x|) - 1."""
    return np.tanh(x)


def _exp(x):
    """exp by Cody-Waite reduction: valid while 2**k stays a normal number,
    k = round(x / ln 2), which holds up to x = 80 in float32."""
    if x not in _CONSTANTS:
        return None
    c = _CONSTANTS[x]
    lowest, log2_e, magic, zero = c.lowest, c.log2_e, c.round_magic, c.zero
    ln2_high, ln2_low, terms = c.ln2_high, c.ln2_low, c.exp_terms
    unit, bias, to_bits = c.exponent_unit, c.exponent_bias, c.to_bits

    def impl(x):
        xc = max(x, lowest)
        k = (xc * log2_e + magic) - magic
        r = (xc - k * ln2_high) - k * ln2_low
        p = zero
        for term in terms:
            p = p * r + term
        two_to_k = _same_bits(to_bits(k * unit + bias))
        y = p * two_to_k if x >= lowest else zero
        return x if np.isnan(x) else y

    return impl


overload(exp_nonpositive, jit_options=MATH_OPTIONS)(_exp)
overload(exp_bounded, jit_options=MATH_OPTIONS)(_exp)


@overload(log1p_unit, jit_options=MATH_OPTIONS)
def _log1p_unit(u):
    if u not in _CONSTANTS:
        return None
    c = _CONSTANTS[u]
    one, two, half, zero = c.one, c.two, c.half, c.zero
    ln2, ln2_rest, terms = c.ln2, c.ln2_rest, c.log_terms

    def impl(u):
        # 1 + u = 2**j (1 + f): j = 0 and f = u up to 1/2, else j = 1 and
        # f = (u - 1) / 2 (u - 1 is exact there), so f lies in [-1/4, 1/2].
        above = u > half
        f = (u - one) * half if above else u
        s = f / (two + f)
        z = s * s
        p = zero
        for term in terms:
            p = p * z + term
        y = s * (p * z) + two * s
        return (y + ln2_rest) + ln2 if above else y

    return impl


@overload(expm1_nonpositive, jit_options=MATH_OPTIONS)
def _expm1_nonpositive(x):
    if x not in _CONSTANTS:
        return None
    c = _CONSTANTS[x]
    one, half_ln2, terms = c.one, c.half_ln2, c.exp_terms[:-1]

    def impl(x):
        # Where exp reduces x to k = 0 its polynomial is 1 + x p(x): return
        # x p(x) rather than subtract 1. Below, exp(x) < 0.71 and exp(x) - 1
        # loses at most a bit or so.
        p = terms[0]
        for term in terms[1:]:
            p = p * x + term
        return x * p if x > -half_ln2 else exp_nonpositive(x) - one

    return impl


@overload(log_positive, jit_options=MATH_OPTIONS)
def _log_positive(x):
    if x not in _CONSTANTS:
        return None
    c = _CONSTANTS[x]
    one, half, sqrt2 = c.one, c.half, c.sqrt2
    ln2, ln2_rest, tiny, inf, nan = c.ln2, c.ln2_rest, c.tiny, c.inf, c.nan
    n_mantissa, mask, of_one, offset = c.n_mantissa, c.mantissa_mask, c.exponent_of_one, \
        c.exponent_offset
    to_bits, cast = c.to_bits, c.cast

    def impl(x):
        # x = 2**k m with m in [1/sqrt 2, sqrt 2): log x = k ln 2 + log1p(m - 1),
        # m - 1 exact; m near 1, not 2, for x just below a power of two, or
        # k ln 2 and log1p(m - 1) would cancel.
        bits = _same_bits(x)
        k = cast((bits >> n_mantissa) - offset)
        m = _same_bits(to_bits((bits & mask) | of_one))
        high = m > sqrt2
        m = m * half if high else m
        k = k + one if high else k
        y = (log1p_unit(m - one) + k * ln2_rest) + k * ln2
        if x >= tiny and x < inf:
            return y
        return x if x >= tiny else nan

    return impl


@overload(softplus_and_sigmoid, jit_options=MATH_OPTIONS)
def _softplus_and_sigmoid(x):
    if x not in _CONSTANTS:
        return None
    zero, one = _CONSTANTS[x].zero, _CONSTANTS[x].one

    def impl(x):
        e = exp_nonpositive(-abs(x))
        inverse = one / (one + e)
        return (max(x, zero) + log1p_unit(e)), (inverse if x >= zero else e * inverse)

    return impl


#: float32 tanh(x) = x P(x**2) / Q(x**2) for |x| < TANH_32_EDGE, where float32's
#: tanh is within half a unit of 1 beyond. P (degree 6) and Q (degree 3,
#: Q(0) = 1), lowest power first, were fitted to tanh(x) / x on [0, 9.02] by
#: linearized least squares reweighted towards the largest relative errors
#: (Lawson's iteration): their largest relative error there is 6.8e-9, a
#: ninth of float32's unit roundoff, so rounding sets the accuracy.
TANH_32_EDGE = 9.02
TANH_32_P = (0.9999999932434225, 0.13083151356960582, 0.0031029950517795423,
             1.1144186823496818e-05, -2.0183669210663286e-08, 5.257627079132652e-11,
             -8.435639614802453e-14)
TANH_32_Q = (1.0, 0.46416478324219523, 0.024491356318086684, 0.00025447418062061957)


@overload(tanh, jit_options=MATH_OPTIONS)
def _tanh(x):
    if x not in _CONSTANTS:
        return None
    if x == types.float32:
        return _rational_tanh_32()
    two = _CONSTANTS[x].two

    def impl(x):
        # tanh|x| = (1 - e) / (1 + e) with e = exp(-2|x|), written with
        # m = e - 1 so that small |x| keep their relative accuracy
        m = expm1_nonpositive(-two * abs(x))
        t = -m / (two + m)
        return t if x >= 0 else -t

    return impl


def _rational_tanh_32():
    f32 = np.float32
    edge, one = f32(TANH_32_EDGE), f32(1.0)
    p0, p1, p2, p3, p4, p5, p6 = (f32(c) for c in TANH_32_P)
    q0, q1, q2, q3 = (f32(c) for c in TANH_32_Q)

    def impl(x):
        # A rational function has no exp to vectorize, only multiply-adds
        # and one division.
        magnitude = abs(x)
        a = min(magnitude, edge)
        t = a * a
        p = (((((p6 * t + p5) * t + p4) * t + p3) * t + p2) * t + p1) * t + p0
        q = ((q3 * t + q2) * t + q1) * t + q0
        y = min(a * p / q, one) if magnitude < edge else one
        y = x if np.isnan(x) else y
        return y if x >= 0 else -y

    return impl


# Each of the two alone: LLVM drops the arithmetic of the other.
@overload(sigmoid, jit_options=MATH_OPTIONS)
def _sigmoid(x):
    if x in _CONSTANTS:
        return lambda x: softplus_and_sigmoid(x)[1]
    return None


@overload(softplus, jit_options=MATH_OPTIONS)
def _softplus(x):
    if x in _CONSTANTS:
        return lambda x: softplus_and_sigmoid(x)[0]
    return None


@jit_sum
def float64_sum(values):
    """Sum of a 1-D array in float64, in whatever order vectorizes best."""
    total = np.float64(0.0)  # not 0.0: as Python, numpy would add float32 in float32
    for i in range(values.shape[0]):
        total += values[i]
    return total
