"""Hypothesis fuzzing of the public methods over arbitrary finite data.

The only exceptions allowed are the documented ValueErrors, and every output
of a fitted model is finite.
"""

import re
import warnings

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.exceptions import ConvergenceWarning

from skvae import VAETransformer
from skvae._likelihoods import LIKELIHOODS

#: What a documented refusal of data says.
DOCUMENTED = re.compile(
    r"needs data in \[0, 1\]|magnitude|leaves no training or no validation rows"
    r"|needs counts|needs whole-number counts"
)


@st.composite
def cases(draw):
    n_rows = draw(st.integers(1, 25))
    n_cols = draw(st.integers(1, 5))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    width = 32 if dtype == np.float32 else 64
    elements = draw(st.sampled_from([  # one scale per array: most can be fitted
        st.floats(0, 1, width=width),
        st.integers(0, 30).map(float),
        st.floats(-100, 100, width=width),
        st.floats(-1e10, 1e10, width=width),
        st.floats(allow_nan=False, allow_infinity=False, width=width),
    ]))
    X = draw(hnp.arrays(dtype, (n_rows, n_cols), elements=elements))
    params = {
        "n_latent": draw(st.integers(1, 3)),
        "hidden_layer_sizes": tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=2))),
        "activation": draw(st.sampled_from(["tanh", "relu", "softplus", "leaky_relu"])),
        "likelihood": draw(st.sampled_from(sorted(LIKELIHOODS))),
        "objective": draw(st.sampled_from(["elbo", "iwae"])),
        "kl_estimator": draw(st.sampled_from(["analytic", "mc"])),
        "kl_warmup_epochs": draw(st.integers(0, 3)),
        "solver": draw(st.sampled_from(["adam", "adagrad", "sgd"])),
        "learning_rate_init": draw(st.sampled_from([1e-3, 0.1, 10.0])),
        "n_mc_samples": draw(st.integers(1, 2)),
        "batch_size": draw(st.integers(1, 30)),
        "early_stopping": draw(st.booleans()),
        "max_iter": 2,
        "random_state": 0,
    }
    return X, params


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_only_documented_errors_and_finite_outputs(case):
    X, params = case
    vae = VAETransformer(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            vae.fit(X)
        except ValueError as exc:
            assert DOCUMENTED.search(str(exc)), str(exc)
            event("refused: " + DOCUMENTED.search(str(exc)).group(0))
            return
    event("fitted")
    Z = vae.transform(X)
    outputs = {
        "transform": Z,
        "inverse_transform": vae.inverse_transform(Z),
        "score_samples": vae.score_samples(X),
        "sample": vae.sample(3, random_state=0),
    }
    for name, value in outputs.items():
        assert np.isfinite(value).all(), (name, value)
        assert value.dtype == X.dtype, name
