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


def test_scores_are_the_vae_s_elbo_less_the_offset(blobs):
    X, _ = blobs
    detector = fit(X)
    np.testing.assert_array_equal(detector.score_samples(X),
                                  detector.estimator_.score_samples(X))
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


@parametrize_with_checks([VAEOutlierDetector(VAETransformer(**SMALL))])
def test_sklearn_compatible_outlier_detector(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)
