"""Errors of every public method, and a failed call changes nothing.

The table of hostile inputs to ``fit`` is in test_hostile_input.py.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from skvae import VAETransformer

RNG = np.random.default_rng(0)
X_UNIT = RNG.random((60, 5))


def fitted(**params):
    vae = VAETransformer(**{"hidden_layer_sizes": (8,), "max_iter": 2, "random_state": 0,
                            **params})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return vae.fit(X_UNIT)


def with_value(value, row=3, col=2):
    X = X_UNIT.copy()
    X[row, col] = value
    return X


@pytest.mark.parametrize("method", ["transform", "score_samples", "score",
                                    "marginal_log_likelihood"])
def test_methods_taking_data_refuse_bad_input(method):
    vae = fitted(likelihood="bernoulli")
    call = getattr(vae, method)
    with pytest.raises(ValueError, match="has 4 features, but VAETransformer is expecting 5"):
        call(X_UNIT[:, :4])
    with pytest.raises(ValueError, match="infinity"):
        call(with_value(np.inf))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        call(with_value(2.0))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):  # also beside a missing entry
        call(with_value(2.0, row=4) + with_value(np.nan) - X_UNIT)


def test_inverse_transform_refuses_the_wrong_latent_width():
    vae = fitted(n_latent=3)
    with pytest.raises(ValueError, match="3 columns"):
        vae.inverse_transform(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="infinity"):
        vae.inverse_transform(np.full((4, 3), np.inf))


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3"])
def test_sample_counts_must_be_positive_integers(bad):
    vae = fitted()
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        vae.sample(bad)
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        vae.marginal_log_likelihood(X_UNIT, n_samples=bad)


@pytest.mark.parametrize("method, args", [
    ("transform", (X_UNIT,)), ("inverse_transform", (np.zeros((2, 2)),)), ("sample", ()),
    ("score_samples", (X_UNIT,)), ("score", (X_UNIT,)),
    ("marginal_log_likelihood", (X_UNIT,)), ("get_feature_names_out", ()),
])
def test_methods_before_fit_raise_not_fitted(method, args):
    with pytest.raises(NotFittedError):
        getattr(VAETransformer(), method)(*args)
    with pytest.raises(NotFittedError):
        _ = VAETransformer().encoder_coefs_


INVALID_PARAMS = [
    {"n_latent": 0}, {"n_latent": 1.5}, {"hidden_layer_sizes": 0},
    {"hidden_layer_sizes": ()}, {"hidden_layer_sizes": (4, 0)}, {"hidden_layer_sizes": (4.5,)},
    {"hidden_layer_sizes": "wide"}, {"activation": "sigmoid"}, {"likelihood": "laplace"},
    {"min_variance": 0.0}, {"n_mc_samples": 0}, {"batch_size": 0}, {"max_iter": 0},
    {"solver": "lbfgs"}, {"learning_rate_init": 0.0}, {"beta": -1.0}, {"alpha": -0.1},
    {"early_stopping": "yes"}, {"validation_fraction": 1.0}, {"n_iter_no_change": 0},
    {"tol": -1.0}, {"random_state": "seed"}, {"warm_start": 2}, {"objective": "vi"},
    {"kl_estimator": "exact"}, {"kl_warmup_epochs": -1}, {"kl_warmup_epochs": 2.5},
]


@pytest.mark.parametrize("params", INVALID_PARAMS, ids=[str(p) for p in INVALID_PARAMS])
def test_invalid_parameters_raise_invalid_parameter_error(params):
    name = next(iter(params))
    with pytest.raises(InvalidParameterError, match=name):
        VAETransformer(**params).fit(X_UNIT)


def test_early_stopping_needs_rows_to_hold_out():
    with pytest.raises(ValueError, match="validation_fraction"):
        VAETransformer(early_stopping=True).fit(X_UNIT[:3])


def test_a_failed_refit_leaves_the_fitted_model_unchanged():
    vae = fitted()
    before = vae.transform(X_UNIT), vae.n_iter_, vae.n_features_in_
    for bad in (with_value(np.inf), np.empty((0, 5)), X_UNIT[:, 0]):
        with pytest.raises(ValueError):
            vae.fit(bad)
    vae.set_params(likelihood="bernoulli")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        vae.fit(with_value(3.0))
    np.testing.assert_array_equal(vae.transform(X_UNIT), before[0])
    assert (vae.n_iter_, vae.n_features_in_) == before[1:]


def test_a_column_mixing_numbers_and_strings_is_refused_clearly():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": [0.1, 0.2, 0.3], "b": ["x", 2, "z"]})
    with pytest.raises(ValueError, match=r"column 'b' mixes values of different types "
                                         r"\(str 'x', int 2\)"):
        VAETransformer(max_iter=1).fit(frame)
