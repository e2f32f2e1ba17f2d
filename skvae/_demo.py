"""``python -m skvae demo``: a VAE's latent space against PCA's, on the bundled digits."""

import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_validate
from sklearn.pipeline import Pipeline

from ._estimator import VAETransformer


def run_demo(n_latent=5, n_folds=5, max_iter=200, random_state=0, verbose=1, out=print):
    """Train on the digits with progress, then compare features in a classifier.

    Returns the cross-validated accuracies as ``{name: array of fold scores}``.
    """
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    out(f"skvae demo: scikit-learn's digits, {X.shape[0]} images of {X.shape[1]} pixels "
        "scaled to [0, 1].")
    out(f"\nTraining VAETransformer(n_latent={n_latent}) on all of them:")
    tic = time.perf_counter()
    vae = VAETransformer(n_latent=n_latent, max_iter=max_iter, random_state=random_state,
                         verbose=verbose)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        vae.fit(X)
    out(f"{vae.n_iter_} epochs in {time.perf_counter() - tic:.1f} s; "
        f"mean ELBO {vae.score(X):.2f} nats per image.")

    out(f"\n{n_folds}-fold cross-validated accuracy of "
        f"Pipeline([reducer with {n_latent} components, LogisticRegression]):")
    reducers = {
        f"VAETransformer(n_latent={n_latent})": VAETransformer(
            n_latent=n_latent, max_iter=max_iter, random_state=random_state),
        f"PCA(n_components={n_latent})": PCA(n_components=n_latent),
    }
    results = {}
    for name, reducer in reducers.items():
        pipe = Pipeline([("reduce", reducer), ("clf", LogisticRegression(max_iter=1000))])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            cv = cross_validate(pipe, X, y, cv=n_folds)
        results[name] = cv["test_score"]
        out(f"  {name:<28} {cv['test_score'].mean():.3f} +- {cv['test_score'].std():.3f}"
            f"   (fit per fold: median {np.median(cv['fit_time']):.1f} s, "
            f"slowest {np.max(cv['fit_time']):.1f} s)")
    return results
