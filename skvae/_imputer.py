"""VAEImputer: missing values filled from a VAE fitted to the incomplete data, as MIWAE does."""

from numbers import Integral
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import (
    _check_feature_names,
    _check_feature_names_in,
    _check_n_features,
    check_is_fitted,
)

from ._estimator import VAETransformer, _generator, unfitted_copy
from ._table_schema import missing_mask, read_columns

#: The share of importance draws taken from the prior (see ``_conditional``).
PRIOR_SHARE = 0.0


def default_estimator():
    """The VAE that VAEImputer fits when given none (docs/performance.rst
    has the measurements behind these settings)."""
    return VAETransformer(n_latent=8, objective="iwae", n_mc_samples=5, max_iter=200)


class VAEImputer(TransformerMixin, BaseEstimator):
    """Imputation of missing values by a variational autoencoder.

    Fits a :class:`~skvae.VAETransformer` to the incomplete rows
    themselves (its objective sums over the observed entries only) and
    fills each missing entry from the model's distribution given the
    row's observed entries, by self-normalized importance sampling with
    ``n_importance_samples`` draws of z from the encoder (Mattei &
    Frellsen, 2019, MIWAE). Numeric and categorical columns, DataFrames
    and arrays: a DataFrame comes back with its columns and dtypes, an
    array as an array. Observed entries are returned unchanged.

    Parameters
    ----------
    estimator : VAETransformer or None, default=None
        The model to fit (cloned). None means ``VAETransformer(n_latent=8,
        objective="iwae", n_mc_samples=5)``, trained on MIWAE's bound.
    n_importance_samples : int, default=1000
        Draws of z per row behind each imputation.
    sample_posterior : bool, default=False
        False: the importance-weighted conditional mean of a numeric entry
        and the most probable category of a categorical one. True: one
        draw from p(x_missing | x_observed) by sampling importance
        resampling, for multiple imputation (fit several imputers with
        different ``random_state``, as with IterativeImputer).
    random_state : int, RandomState instance or None, default=None
        Seeds the model's training (when not None, it replaces the
        estimator's own) and the draws of ``transform``: with an int,
        ``transform`` gives the same result each time.
    add_indicator : bool, default=False
        Append a boolean missing indicator for each column that had
        missing entries at ``fit``, as SimpleImputer does.
    keep_empty_features : bool, default=False
        A column entirely missing at ``fit`` cannot be modelled: False
        drops it from the output, True keeps it, filled with 0 (numeric
        columns only).

    Attributes
    ----------
    estimator_ : VAETransformer
        The fitted model (on the columns not entirely missing).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during fit, when X had string column names.

    See Also
    --------
    sklearn.impute.IterativeImputer : Imputation by round-robin regressions.
    sklearn.impute.KNNImputer : Imputation from nearest neighbours.

    Examples
    --------
    >>> import numpy as np
    >>> from skvae import VAEImputer
    >>> rng = np.random.default_rng(0)
    >>> t = rng.normal(size=(400, 1))
    >>> X = np.hstack([t, 2 * t, -t]) + 0.1 * rng.normal(size=(400, 3))
    >>> X[::4, 1] = np.nan
    >>> X_filled = VAEImputer(random_state=0).fit_transform(X)
    >>> bool(np.isnan(X_filled).any())
    False
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": [None, VAETransformer],
        "n_importance_samples": [Interval(Integral, 1, None, closed="left")],
        "sample_posterior": ["boolean"],
        "random_state": ["random_state"],
        "add_indicator": ["boolean"],
        "keep_empty_features": ["boolean"],
    }

    def __init__(self, estimator=None, *, n_importance_samples=1000, sample_posterior=False,
                 random_state=None, add_indicator=False, keep_empty_features=False):
        self.estimator = estimator
        self.n_importance_samples = n_importance_samples
        self.sample_posterior = sample_posterior
        self.random_state = random_state
        self.add_indicator = add_indicator
        self.keep_empty_features = keep_empty_features

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit the model to the observed entries of X.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            NaN, None and pd.NA mark missing entries.
        y : Ignored

        Returns
        -------
        self : VAEImputer
        """
        _check_feature_names(self, X, reset=True)
        names, data, X = read_columns(X)
        _check_n_features(self, X, reset=True)
        missing = missing_mask(data)
        empty = missing.all(axis=0)
        if empty.all():
            raise ValueError("Every column of X is entirely missing: there is nothing to fit.")
        if self.keep_empty_features:
            for name, column, is_empty in zip(names, data, empty):
                if is_empty and not _is_numeric(column):
                    raise ValueError(
                        f"column {name!r} is entirely missing and not numeric ({column.dtype}); "
                        "keep_empty_features=True fills such columns with 0, which only "
                        "numeric columns can hold. Drop it, or set keep_empty_features=False.")
        estimator = unfitted_copy(self.estimator, default_estimator, self.random_state)
        estimator.fit(_columns_of(X, ~empty))
        self.estimator_ = estimator
        self._empty = empty
        self._indicated = missing.any(axis=0)
        return self

    def transform(self, X):
        """X with its missing entries filled.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        X_filled : ndarray or DataFrame of shape (n_samples, n_features_out)
            An array for an array, a DataFrame with X's dtypes for a
            DataFrame; missing indicators appended with ``add_indicator``,
            columns entirely missing at ``fit`` dropped unless
            ``keep_empty_features``.
        """
        check_is_fitted(self)
        _check_feature_names(self, X, reset=False)
        _, data, X = read_columns(X)
        _check_n_features(self, X, reset=False)
        missing = missing_mask(data)
        kept = ~self._empty
        filled = self.estimator_._complete(
            _columns_of(X, kept), self.n_importance_samples, self.sample_posterior,
            PRIOR_SHARE, _generator(self.random_state))
        as_frame = isinstance(X, pd.DataFrame)
        if as_frame and not isinstance(filled, pd.DataFrame):
            filled = pd.DataFrame(filled, columns=X.columns[kept], index=X.index)
        elif as_frame:
            filled.index = X.index
        elif isinstance(filled, pd.DataFrame):
            filled = filled.to_numpy(dtype=np.float64)
        result = self._merge(X, filled, missing, kept, as_frame)
        if not self.add_indicator:
            return result
        indicators = missing[:, self._indicated]
        if as_frame:
            names_out = [f"missingindicator_{name}" for name in X.columns[self._indicated]]
            flags = pd.DataFrame(indicators, columns=names_out, index=X.index)
            return pd.concat([result, flags], axis=1)
        return np.hstack([result, indicators.astype(result.dtype)])

    def _merge(self, X, filled, missing, kept, as_frame):
        """X's observed entries, ``filled``'s at the missing ones, the
        empty columns dropped or zero-filled."""
        if not as_frame:
            result = np.array(X, dtype=np.float64 if X.dtype != np.float32 else X.dtype)
            part = result[:, kept]
            part[missing[:, kept]] = filled[missing[:, kept]]
            result[:, kept] = part
            if self.keep_empty_features:
                result[:, ~kept] = np.where(missing[:, ~kept], 0.0, result[:, ~kept])
                return result
            return result[:, kept]
        result = {}
        for j, name in enumerate(X.columns):
            column = X[name]
            if not kept[j]:
                if self.keep_empty_features:
                    result[name] = column.astype(np.float64).fillna(0.0)
                continue
            result[name] = column.where(~missing[:, j], filled[name]) if missing[:, j].any() \
                else column
        return pd.DataFrame(result, index=X.index)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns.

        Parameters
        ----------
        input_features : array-like of str or None, default=None

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        kept = np.ones(len(names), dtype=bool) if self.keep_empty_features else ~self._empty
        out = list(names[kept])
        if self.add_indicator:
            out += [f"missingindicator_{name}" for name in names[self._indicated]]
        return np.asarray(out, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _columns_of(X, keep):
    """The columns of X (a DataFrame or an array) where ``keep``."""
    if keep.all():
        return X
    return X.loc[:, keep] if isinstance(X, pd.DataFrame) else X[:, keep]


def _is_numeric(column):
    return not isinstance(column, pd.Series) or pd.api.types.is_numeric_dtype(column.dtype)
