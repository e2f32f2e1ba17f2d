"""VAEOutlierDetector: scikit-learn's outlier-detector API over the ELBO."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from skvae import VAEOutlierDetector, VAETransformer

SMALL = {"hidden_layer_sizes": (8,), "max_iter": 20, "random_state": 0}

# short fits: a 20-epoch VAE has not converged, and need not have
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    inliers = rng.normal(size=(400, 3))
    outliers = rng.uniform(-12, 12, size=(20, 3))
    return inliers, outliers[np.abs(outliers).max(axis=1) > 6]


def fit(X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return VAEOutlierDetector(VAETransformer(**SMALL), **params).fit(X)


@pytest.mark.parametrize("contamination", [0.02, 0.1, 0.25])
def test_the_share_of_training_rows_flagged_is_the_contamination(blobs, contamination):
    X, _ = blobs
    detector = fit(X, contamination=contamination)
    assert np.mean(detector.predict(X) == -1) == pytest.approx(contamination, abs=1 / len(X))
    np.testing.assert_array_equal(detector.predict(X) == -1, detector.decision_function(X) < 0)
    np.testing.assert_array_equal(detector.fit_predict(X), detector.predict(X))


def test_scores_are_the_vae_s_elbo_in_standardized_units_less_the_offset(blobs):
    X, _ = blobs
    detector = fit(X)
    # in the data's units each Gaussian density carries -log(scale) of its column
    np.testing.assert_allclose(detector.score_samples(X),
                               detector.estimator_.score_samples(X)
                               + np.log(X.std(axis=0)).sum(), rtol=1e-5)
    np.testing.assert_allclose(detector.decision_function(X),
                               detector.score_samples(X) - detector.offset_, rtol=1e-12)


def test_auto_flags_far_points_and_few_inliers(blobs):
    X, far = blobs
    detector = fit(X)
    scores = detector.score_samples(X)
    spread = 1.4826 * np.median(np.abs(scores - np.median(scores)))
    assert detector.offset_ == pytest.approx(np.median(scores) - 3 * spread)
    assert np.mean(detector.predict(X) == -1) < 0.05
    assert (detector.predict(far) == -1).all()


def test_random_state_reaches_the_estimator(blobs):
    X, _ = blobs
    a, b = fit(X, random_state=3), fit(X, random_state=3)
    assert a.estimator_.random_state == 3
    np.testing.assert_array_equal(a.score_samples(X), b.score_samples(X))
    assert not np.array_equal(a.score_samples(X), fit(X, random_state=4).score_samples(X))


def test_a_mixed_table_with_holes_flags_rows_that_break_its_pattern():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    group = rng.choice(["low", "high"], 400)
    frame = pd.DataFrame({"group": pd.Categorical(group),
                          "amount": np.where(group == "low", 1.0, 50.0) + rng.normal(size=400),
                          "count": rng.poisson(np.where(group == "low", 2, 20))})
    frame.loc[rng.choice(400, 40, replace=False), "amount"] = np.nan
    # each row is ordinary column by column; together, its columns contradict the pattern
    odd = pd.DataFrame({"group": pd.Categorical(["low", "high"] * 5, categories=["high", "low"]),
                        "amount": [50.0, 1.0] * 5, "count": [20, 2] * 5})
    detector = VAEOutlierDetector(VAETransformer(n_latent=2, hidden_layer_sizes=(16,),
                                                 max_iter=60, random_state=0),
                                  contamination=0.05).fit(frame)
    assert np.mean(detector.predict(frame) == -1) == pytest.approx(0.05, abs=1 / 400)
    assert list(detector.feature_names_in_) == ["group", "amount", "count"]
    assert np.isfinite(detector.score_samples(frame)).all()
    assert (detector.predict(odd) == -1).mean() >= 0.9


def test_scores_do_not_depend_on_a_column_s_units():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(1)
    amount = rng.lognormal(size=300)
    amount[rng.random(300) < 0.3] = 0.0  # a point mass: no density term there
    frame = pd.DataFrame({"amount": amount, "other": amount + rng.normal(size=300)})
    frame.loc[rng.choice(300, 30, replace=False), "amount"] = np.nan
    in_thousands = frame.assign(amount=frame["amount"] / 1000)
    detectors = [VAEOutlierDetector(VAETransformer(**SMALL), contamination=0.1).fit(f)
                 for f in (frame, in_thousands)]
    np.testing.assert_allclose(detectors[0].score_samples(frame),
                               detectors[1].score_samples(in_thousands), rtol=1e-3, atol=1e-3)
    np.testing.assert_array_equal(detectors[0].predict(frame), detectors[1].predict(in_thousands))
    # the data-unit ELBO ranks the rows differently in the two units
    data_units = [d.estimator_.score_samples(f) for d, f in zip(detectors, (frame, in_thousands))]
    assert not np.array_equal(np.argsort(data_units[0]), np.argsort(data_units[1]))


@parametrize_with_checks([VAEOutlierDetector(VAETransformer(**SMALL))])
def test_sklearn_compatible_outlier_detector(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)
