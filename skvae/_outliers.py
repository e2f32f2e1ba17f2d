"""VAEOutlierDetector: a VAE's ELBO behind scikit-learn's outlier-detector API."""

from numbers import Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin, _fit_context
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

#: With ``contamination="auto"``, rows whose ELBO lies more than this many
#: robust standard deviations (1.4826 median absolute deviations) below the
#: training rows' median are outliers.
AUTO_DEVIATIONS = 3.0


class VAEOutlierDetector(OutlierMixin, BaseEstimator):
    """Outlier detection by the evidence lower bound of a variational autoencoder.

    Fits a :class:`~skvae.VAETransformer` to the training rows and scores
    each row by its ELBO (``score_samples``, in nats): a row the model
    finds improbable is an outlier. The API is scikit-learn's for outlier
    detectors, as :class:`~sklearn.ensemble.IsolationForest` has it.

    The columns a VAETransformer standardizes (those of ``likelihood="auto"``)
    are scored in standardized units, as the model sees them, rather than in
    the data's units as ``VAETransformer.score_samples`` does: otherwise a
    row's score would depend on the units of its columns, since a missing
    entry or one at a point mass (the zeros of a zero-inflated column)
    carries no density term. The two scores differ by a constant for
    complete rows without point masses.

    Parameters
    ----------
    estimator : VAETransformer or None, default=None
        The model to fit (cloned); None means ``VAETransformer()``. Its
        likelihood should suit the data (see its documentation).
    contamination : "auto" or float in (0, 0.5], default="auto"
        The share of outliers expected among the training rows, which sets
        ``offset_`` to that quantile of the training scores. "auto" marks
        rows whose ELBO lies more than three robust standard deviations
        (1.4826 times the median absolute deviation) below the median.
    random_state : int, RandomState instance or None, default=None
        Passed to the estimator when not None (otherwise the estimator's own
        ``random_state`` is used).

    Attributes
    ----------
    estimator_ : VAETransformer
        The fitted model.
    offset_ : float
        ``decision_function = score_samples - offset_``: negative for
        outliers.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during fit, when X had string column names.

    See Also
    --------
    sklearn.ensemble.IsolationForest : Outlier detection by random partitions.
    sklearn.neighbors.LocalOutlierFactor : Outlier detection by local density.

    Examples
    --------
    >>> import numpy as np
    >>> from skvae import VAEOutlierDetector, VAETransformer
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 4))
    >>> vae = VAETransformer(hidden_layer_sizes=(16,), max_iter=100, random_state=0)
    >>> detector = VAEOutlierDetector(vae, contamination=0.05).fit(X)
    >>> float(np.mean(detector.predict(X) == -1))
    0.05
    >>> detector.predict(np.array([[8.0, 8.0, 8.0, 8.0]]))
    array([-1])
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": [None, HasMethods(["fit", "score_samples"])],
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator=None, *, contamination="auto", random_state=None):
        self.estimator = estimator
        self.contamination = contamination
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit the model to X and set ``offset_`` from its training scores.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        self : VAEOutlierDetector
        """
        from ._estimator import VAETransformer, unfitted_copy

        estimator = unfitted_copy(self.estimator, VAETransformer, self.random_state)
        estimator.fit(X)
        scores = _scores(estimator, X)
        if self.contamination == "auto":
            median = np.median(scores)
            spread = 1.4826 * np.median(np.abs(scores - median))
            offset = median - AUTO_DEVIATIONS * spread
        else:
            offset = np.percentile(scores, 100.0 * self.contamination)
        self.estimator_ = estimator
        self.offset_ = float(offset)
        self.n_features_in_ = estimator.n_features_in_
        if hasattr(estimator, "feature_names_in_"):
            self.feature_names_in_ = estimator.feature_names_in_
        return self

    def score_samples(self, X):
        """The ELBO of each row, in nats (standardized columns in standardized
        units): higher is more normal.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return _scores(self.estimator_, X)

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """+1 for inliers, -1 for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        return np.where(self.decision_function(X) < 0, -1, 1)

    def __sklearn_tags__(self):
        from ._estimator import VAETransformer

        tags = super().__sklearn_tags__()
        estimator = self.estimator if self.estimator is not None else VAETransformer()
        tags.input_tags.allow_nan = get_tags(estimator).input_tags.allow_nan
        return tags


def _scores(estimator, X):
    """A VAETransformer's ELBO with standardized columns in standardized units
    (a score must not rank rows by the units of their columns); any other
    estimator's own ``score_samples``."""
    from ._estimator import VAETransformer

    if isinstance(estimator, VAETransformer):
        return estimator._score_rows(X, data_units=False)
    return estimator.score_samples(X)
