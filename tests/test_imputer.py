"""Imputation and conditional sampling: VAEImputer, and sample(given=...).

Oracles: the closed-form conditional mean of a linear-Gaussian truth, and
the model's own conditional distribution estimated by rejection from its
unconditional samples; a two-cluster table whose label decides its numbers.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from skvae import VAEImputer, VAETransformer
from skvae._conditional import propose


def small_vae(**params):
    settings = {"n_latent": 2, "hidden_layer_sizes": (32,), "max_iter": 150, "objective": "iwae",
                    "n_mc_samples": 5, "random_state": 0}
    return VAETransformer(**{**settings, **params})


@pytest.fixture(autouse=True)
def quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def linear_gaussian(n_rows, seed=0):
    """Rows of x = W t + noise (zero mean) and their covariance."""
    rng = np.random.default_rng(seed)
    W = np.array([[1.0, 0.0], [0.8, 0.6], [-0.6, 0.8], [0.0, 1.0]])
    noise = 0.3
    X = rng.standard_normal((n_rows, 2)) @ W.T + noise * rng.standard_normal((n_rows, 4))
    return X, W @ W.T + noise**2 * np.eye(4)


def conditional_mean(x, cov):
    """E[x_missing | x_observed] of a zero-mean Gaussian, for one row with NaN."""
    m = np.isnan(x)
    result = x.copy()
    result[m] = cov[np.ix_(m, ~m)] @ np.linalg.solve(cov[np.ix_(~m, ~m)], x[~m])
    return result


def two_clusters(n_rows=1500, seed=0):
    """A label that decides where two numeric columns lie."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, n_rows)
    centre = np.where(label == 1, 3.0, -3.0)
    return pd.DataFrame({
        "label": pd.Categorical(np.where(label == 1, "b", "a")),
        "x": centre + rng.standard_normal(n_rows),
        "y": -centre + rng.standard_normal(n_rows),
        "n": rng.poisson(2.0, n_rows).astype(np.int64),
    })


def holes(frame, share, seed=1):
    rng = np.random.default_rng(seed)
    mask = rng.random(frame.shape) < share
    holed = frame.copy()
    for j, column in enumerate(frame.columns):
        values = holed[column].astype(object) if column == "label" else holed[column]
        holed[column] = values.where(~mask[:, j], None if column == "label" else np.nan)
    return holed.astype({"label": frame["label"].dtype}), mask


# -- the importance sampler -------------------------------------------------
def test_proposal_ratios_are_prior_over_mixture_density():
    rng = np.random.default_rng(0)
    head = np.array([[0.5, -1.0, np.log(0.25), np.log(4.0)]])
    z, log_ratio = propose(head, 6, 0.5, rng)
    mu, var = head[0, :2], np.exp(head[0, 2:])

    def log_normal(v, m, s2):
        return -0.5 * (((v - m) ** 2) / s2 + np.log(2 * np.pi * s2)).sum()

    for k in range(6):
        v = z[k, 0]
        mixture = 0.5 * np.exp(log_normal(v, mu, var)) + 0.5 * np.exp(log_normal(v, 0, 1))
        assert log_ratio[k, 0] == pytest.approx(log_normal(v, 0, 1) - np.log(mixture))
    # the first half comes from the prior: no trace of mu
    z_only_q, ratio_q = propose(head, 4, 0.0, np.random.default_rng(1))
    assert ratio_q[0, 0] == pytest.approx(
        log_normal(z_only_q[0, 0], 0, 1) - log_normal(z_only_q[0, 0], mu, var))


# -- VAEImputer ---------------------------------------------------------------
def test_imputations_approach_the_gaussian_conditional_mean():
    X, cov = linear_gaussian(1500)
    rng = np.random.default_rng(2)
    holed = X.copy()
    holed[rng.random(X.shape) < 0.3] = np.nan
    holed[np.isnan(holed).all(axis=1), 0] = X[np.isnan(holed).all(axis=1), 0]
    filled = VAEImputer(small_vae(), n_importance_samples=500, random_state=0).fit_transform(
        holed)
    oracle = np.array([conditional_mean(row, cov) for row in holed])
    missing = np.isnan(holed)
    vae_error = np.sqrt(np.mean((filled[missing] - oracle[missing]) ** 2))
    mean_error = np.sqrt(np.mean((np.nanmean(holed, axis=0)[np.nonzero(missing)[1]]
                                  - oracle[missing]) ** 2))
    # the oracle's own error against the truth, for scale: the model's
    # imputations lie far closer to the oracle than the column means do
    assert vae_error < 0.25 * mean_error
    assert np.sqrt(np.mean((filled[missing] - X[missing]) ** 2)) < 1.15 * np.sqrt(
        np.mean((oracle[missing] - X[missing]) ** 2))


def test_observed_entries_and_dtypes_come_back_unchanged():
    frame = two_clusters(600)
    frame["flag"] = frame["x"] > 0
    frame["name"] = pd.Series(np.where(frame["y"] > 0, "up", "down"), dtype=object)
    holed, _ = holes(frame, 0.2)
    holed["flag"] = holed["flag"].astype("boolean")
    holed.loc[::7, "flag"] = pd.NA
    holed.loc[::5, "name"] = None
    holed["n"] = holed["n"].astype("Int64")
    filled = VAEImputer(small_vae(max_iter=30), n_importance_samples=50,
                        random_state=0).fit_transform(holed)
    assert list(filled.columns) == list(holed.columns)
    assert (filled.dtypes == holed.dtypes).all()
    assert not filled.isna().any().any()
    for column in holed.columns:
        observed = holed[column].notna().to_numpy()
        pd.testing.assert_series_equal(filled[column][observed], holed[column][observed])
    assert set(filled["name"]) <= {"up", "down"}
    assert (filled["n"] == filled["n"].round()).all()


def test_array_observed_entries_are_bit_for_bit():
    X, _ = linear_gaussian(300)
    X = X.astype(np.float32)
    X[::3, 1] = np.nan
    filled = VAEImputer(small_vae(max_iter=20), n_importance_samples=20,
                        random_state=0).fit_transform(X)
    assert filled.dtype == np.float32
    observed = ~np.isnan(X)
    assert np.array_equal(filled[observed].view(np.int32), X[observed].view(np.int32))
    assert np.isfinite(filled).all()


def test_categorical_and_numeric_imputation_follow_the_clusters():
    frame = two_clusters()
    holed, mask = holes(frame, 0.3)
    imputer = VAEImputer(small_vae(), n_importance_samples=200, random_state=0)
    filled = imputer.fit_transform(holed)
    # a row's label follows from its numbers, and its numbers from its label
    label_missing = mask[:, 0] & ~(mask[:, 1] & mask[:, 2])
    assert np.mean(filled["label"][label_missing] == frame["label"][label_missing]) > 0.97
    x_missing = mask[:, 1] & ~mask[:, 0]
    centre = np.where(frame["label"][x_missing] == "b", 3.0, -3.0)
    assert np.sqrt(np.mean((filled["x"][x_missing] - centre) ** 2)) < 0.6


def test_multiple_imputations_vary_only_at_missing_entries():
    frame = two_clusters(500)
    holed, mask = holes(frame, 0.3)
    imputer = VAEImputer(small_vae(max_iter=40), sample_posterior=True,
                         n_importance_samples=100, random_state=0).fit(holed)
    first = imputer.transform(holed)
    again = imputer.transform(holed)
    pd.testing.assert_frame_equal(first, again)  # an int random_state: the same draws
    second = imputer.set_params(random_state=1).transform(holed)
    numeric_missing = mask[:, 1]
    assert np.mean(first["x"][numeric_missing] != second["x"][numeric_missing]) > 0.9
    for j, column in enumerate(frame.columns):
        observed = ~mask[:, j]
        assert first[column][observed].equals(second[column][observed])
    # draws, not means: their spread exceeds the conditional means'
    means = VAEImputer(small_vae(max_iter=40), n_importance_samples=100,
                       random_state=0).fit_transform(holed)
    assert first["y"][mask[:, 2]].std() > means["y"][mask[:, 2]].std()


def test_a_row_with_nothing_observed_gets_the_unconditional_mean():
    X, _ = linear_gaussian(800)
    X[::4, 2] = np.nan
    X[:3] = np.nan
    imputer = VAEImputer(small_vae(max_iter=60), n_importance_samples=2000, random_state=0)
    filled = imputer.fit_transform(X)
    # the model's unconditional mean, from its own samples
    unconditional = imputer.estimator_.sample(20000, random_state=0).mean(axis=0)
    assert np.allclose(filled[:3], unconditional, atol=0.1)


def test_empty_columns_are_dropped_or_kept_as_asked():
    X, _ = linear_gaussian(300)
    X[:, 1] = np.nan
    X[::5, 0] = np.nan
    dropped = VAEImputer(small_vae(max_iter=10), n_importance_samples=10, random_state=0)
    assert dropped.fit_transform(X).shape == (300, 3)
    assert list(dropped.get_feature_names_out()) == ["x0", "x2", "x3"]
    kept = VAEImputer(small_vae(max_iter=10), n_importance_samples=10, random_state=0,
                      keep_empty_features=True, add_indicator=True)
    out = kept.fit_transform(X)
    assert out.shape == (300, 6)
    assert np.all(out[:, 1] == 0.0)
    assert np.array_equal(out[:, 4], np.isnan(X[:, 0]))
    assert list(kept.get_feature_names_out()) == ["x0", "x1", "x2", "x3",
                                                  "missingindicator_x0", "missingindicator_x1"]
    frame = pd.DataFrame({"a": X[:, 0], "b": pd.Series([None] * 300, dtype=object),
                          "c": X[:, 2]})
    with pytest.raises(ValueError, match="column 'b' is entirely missing and not numeric"):
        VAEImputer(keep_empty_features=True).fit(frame)
    with pytest.raises(ValueError, match="Every column of X is entirely missing"):
        VAEImputer().fit(np.full((5, 2), np.nan))


def test_works_in_a_pipeline_and_cross_validation_with_set_output():
    rng = np.random.default_rng(0)
    X, _ = linear_gaussian(300)
    y = (X[:, 0] + X[:, 3] > 0).astype(int)
    X[rng.random(X.shape) < 0.2] = np.nan
    pipeline = make_pipeline(VAEImputer(small_vae(max_iter=20), n_importance_samples=20,
                                        random_state=0), LogisticRegression())
    scores = cross_val_score(pipeline, X, y, cv=3)
    assert scores.mean() > 0.8
    imputer = VAEImputer(small_vae(max_iter=10), n_importance_samples=10, random_state=0,
                         add_indicator=True).set_output(transform="pandas")
    out = imputer.fit_transform(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == [*[f"x{j}" for j in range(4)],
                                 *[f"missingindicator_x{j}" for j in range(4)]]


@parametrize_with_checks([VAEImputer(VAETransformer(max_iter=5, hidden_layer_sizes=(8,)),
                                     n_importance_samples=10, random_state=0)])
def test_sklearn_compatible_imputer(estimator, check):
    check(estimator)


# -- sample(given=...) --------------------------------------------------------
@pytest.fixture(scope="module")
def cluster_model():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return small_vae().fit(two_clusters())


def test_given_label_draws_numbers_of_its_cluster(cluster_model):
    rows = cluster_model.sample(1000, random_state=0, given={"label": "b"})
    assert (rows["label"] == "b").all()
    assert rows["label"].dtype == "category"
    assert abs(rows["x"].mean() - 3.0) < 0.3 and abs(rows["y"].mean() + 3.0) < 0.3
    # the model's own conditional, by rejection from its unconditional draws
    free = cluster_model.sample(20000, random_state=1)
    assert ks_2samp(rows["x"], free["x"][free["label"] == "b"]).statistic < 0.08


def test_given_number_draws_the_label_that_goes_with_it(cluster_model):
    rows = cluster_model.sample(500, random_state=0, given={"x": -3.0})
    assert (rows["x"] == -3.0).all()
    assert np.mean(rows["label"] == "a") > 0.97
    rows = cluster_model.sample(500, random_state=0, given={"x": 3.0, "n": 4})
    assert np.mean(rows["label"] == "b") > 0.97
    assert (rows["n"] == 4).all() and rows["n"].dtype == np.int64


def test_given_on_an_array_model_uses_column_indices():
    X, cov = linear_gaussian(1500)
    vae = small_vae().fit(X)
    rows = vae.sample(2000, random_state=0, given={0: 1.5})
    assert np.all(rows[:, 0] == 1.5)
    expected = conditional_mean(np.array([1.5, np.nan, np.nan, np.nan]), cov)
    assert np.allclose(rows[:, 1:].mean(axis=0), expected[1:], atol=0.25)


def test_bad_given_names_the_problem(cluster_model):
    with pytest.raises(ValueError, match=r"fit never saw: \['z'\]"):
        cluster_model.sample(5, given={"z": 1.0})
    with pytest.raises(ValueError, match=r"given\['label'\] = 'c' is a category fit never saw"):
        cluster_model.sample(5, given={"label": "c"})
    with pytest.raises(ValueError, match=r"given\['x'\] is missing"):
        cluster_model.sample(5, given={"x": np.nan})
    with pytest.raises(ValueError, match=r"given\['n'\] = 2.5 is not a whole number"):
        cluster_model.sample(5, given={"n": 2.5})
    with pytest.raises(ValueError, match="non-empty dict"):
        cluster_model.sample(5, given=[("x", 1.0)])
    with pytest.raises(ValueError, match=r"given\['x'\] must be one value"):
        cluster_model.sample(5, given={"x": [1.0, 2.0]})


def test_given_far_outside_the_data_warns_and_is_kept(cluster_model):
    with pytest.warns(UserWarning, match="effective proposals"):
        rows = cluster_model.sample(10, random_state=0, given={"x": 40.0, "y": 40.0})
    assert (rows["x"] == 40.0).all()

