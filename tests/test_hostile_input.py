"""Hostile input, one table: what each bad input gets.

Each row names an input, the call it goes to, and either the error type with
the words its message must contain, or ACCEPTED: the call succeeds and every
output is finite. Fitting calls start from an unfitted estimator; the others
use a model fitted on clean data.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError

from skvae import VAETransformer

pd = pytest.importorskip("pandas")

RNG = np.random.default_rng(0)
CLEAN = RNG.random((40, 4))
COLUMNS = ["a", "b", "c", "d"]
ACCEPTED = None
SMALL = {"hidden_layer_sizes": (8,), "max_iter": 2, "random_state": 0}


def with_value(value):
    X = CLEAN.copy()
    X[3, 2] = value
    return X


def constant_columns():
    X = CLEAN.copy()
    X[:, [0, 2]] = 0.5
    return X


def object_with_dict():
    X = CLEAN.astype(object)
    X[0, 0] = {"a": 1}
    return X


# (name, call, input, params, expected): expected is ACCEPTED or (type, words)
TABLE = [
    ("NaN", "fit", with_value(np.nan), {}, ACCEPTED),
    ("NaN, one likelihood", "fit", with_value(np.nan), {"likelihood": "gaussian"}, ACCEPTED),
    ("+inf", "fit", with_value(np.inf), {}, (ValueError, "infinity")),
    ("-inf", "fit", with_value(-np.inf), {}, (ValueError, "infinity")),
    ("no rows", "fit", np.empty((0, 4)), {}, (ValueError, "0 sample")),
    ("no columns", "fit", np.empty((5, 0)), {}, (ValueError, "0 feature")),
    ("one sample", "fit", CLEAN[:1], {}, ACCEPTED),
    ("one feature", "fit", CLEAN[:, :1], {}, ACCEPTED),
    ("1-d array", "fit", CLEAN[:, 0], {}, (ValueError, "Expected 2D array, got 1D array")),
    ("3-d array", "fit", CLEAN.reshape(40, 2, 2), {}, (ValueError, "dim 3")),
    ("strings", "fit", np.array([["a", "b"], ["c", "d"]]), {}, (ValueError, "convert")),
    ("object array of numbers", "fit", CLEAN.astype(object), {}, ACCEPTED),
    ("object array holding a dict", "fit", object_with_dict(), {},
     (TypeError, "must be a string or a")),
    ("complex numbers", "fit", CLEAN + 1j, {}, (ValueError, "Complex data not supported")),
    ("booleans", "fit", CLEAN > 0.5, {"likelihood": "bernoulli"}, ACCEPTED),
    ("integers", "fit", (CLEAN * 10).astype(int), {}, ACCEPTED),
    ("float16", "fit", CLEAN.astype(np.float16), {}, ACCEPTED),
    ("nested lists", "fit", CLEAN.tolist(), {}, ACCEPTED),
    ("sparse matrix", "fit", sp.csr_matrix(CLEAN), {},
     (TypeError, "Sparse data was passed.*dense data is required")),
    ("pandas, string column", "fit",
     pd.DataFrame({"a": [0.1, 0.2], "b": ["x", "y"]}), {}, ACCEPTED),
    ("pandas, string column with likelihood='gaussian'", "fit",
     pd.DataFrame({"a": [0.1, 0.2], "b": ["x", "y"]}), {"likelihood": "gaussian"},
     (ValueError, "column 'b' holds categories.*cannot model")),
    ("pandas, numeric", "fit", pd.DataFrame(CLEAN, columns=COLUMNS), {}, ACCEPTED),
    ("Bernoulli data above 1", "fit", with_value(1.5), {"likelihood": "bernoulli"},
     (ValueError, r"needs data in \[0, 1\], but X has values in \[0.0027385, 1.5\]")),
    ("Bernoulli data below 0", "fit", with_value(-0.25), {"likelihood": "bernoulli"},
     (ValueError, r"needs data in \[0, 1\]")),
    ("Gaussian data of magnitude 1e30", "fit", with_value(1e30), {},
     (ValueError, "magnitude up to 1e\\+30.*Standardize")),
    ("constant columns", "fit", constant_columns(), {}, ACCEPTED),
    ("every column constant", "fit", np.full((30, 3), 2.0), {}, ACCEPTED),
    ("n_latent larger than n_features", "fit", CLEAN, {"n_latent": 7}, ACCEPTED),
    ("batch_size larger than n_samples", "fit", CLEAN, {"batch_size": 1000}, ACCEPTED),
    ("early stopping on 3 rows", "fit", CLEAN[:3], {"early_stopping": True},
     (ValueError, "validation_fraction")),
    ("transform: wrong number of columns", "transform", CLEAN[:, :3], {},
     (ValueError, "X has 3 features, but VAETransformer is expecting 4")),
    ("transform: other feature names", "transform",
     pd.DataFrame(CLEAN, columns=["a", "b", "c", "z"]), {},
     (ValueError, "feature names should match")),
    ("transform: NaN", "transform", with_value(np.nan), {}, ACCEPTED),
    ("transform: inf", "transform", with_value(np.inf), {}, (ValueError, "infinity")),
    ("score_samples: Bernoulli data above 1", "score_samples", with_value(2.0),
     {"likelihood": "bernoulli"}, (ValueError, r"\[0, 1\]")),
    ("inverse_transform: wrong latent width", "inverse_transform", np.zeros((5, 3)), {},
     (ValueError, "latent points with 2 columns")),
    ("inverse_transform: inf", "inverse_transform", np.full((5, 2), np.inf), {},
     (ValueError, "infinity")),
    ("sample: n_samples=0", "sample", 0, {}, (ValueError, "positive integer")),
    ("invalid parameter: n_latent=0", "fit", CLEAN, {"n_latent": 0},
     (InvalidParameterError, "n_latent")),
    ("invalid parameter: hidden_layer_sizes=(4, 0)", "fit", CLEAN,
     {"hidden_layer_sizes": (4, 0)}, (InvalidParameterError, "hidden_layer_sizes")),
    ("invalid parameter: likelihood='laplace'", "fit", CLEAN, {"likelihood": "laplace"},
     (InvalidParameterError, "likelihood")),
]


def fitted_on_clean(params, as_frame):
    """Fitted on the clean rows, as a DataFrame when the hostile data is one:
    an array after a DataFrame fit earns scikit-learn's feature-name warning."""
    vae = VAETransformer(**{**SMALL, **params})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return vae.fit(pd.DataFrame(CLEAN, columns=COLUMNS) if as_frame else CLEAN)


def call(name, method, data, params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if method == "fit":
            vae = VAETransformer(**{**SMALL, **params}).fit(data)
            return [vae.transform(data), vae.score_samples(data), vae.sample(3, random_state=0)]
        vae = fitted_on_clean(params, as_frame=isinstance(data, pd.DataFrame))
        return [getattr(vae, method)(data)]


@pytest.mark.parametrize("name, method, data, params, expected", TABLE,
                         ids=[row[0] for row in TABLE])
def test_hostile_input(name, method, data, params, expected):
    if expected is ACCEPTED:
        for output in call(name, method, data, params):
            if isinstance(output, pd.DataFrame):  # a table's sample: no missing entries
                assert not output.isna().any().any()
                output = output.select_dtypes("number")
            assert np.isfinite(np.asarray(output, dtype=float)).all()
    else:
        error, words = expected
        with pytest.raises(error, match=words):
            call(name, method, data, params)


def test_the_table_has_at_least_25_cases():
    assert len(TABLE) >= 25
