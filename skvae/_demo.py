"""``python -m skvae demo``: a VAE's latent space against PCA's, on the bundled digits."""

import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_validate
from sklearn.pipeline import Pipeline

from ._estimator import VAETransformer


def run_demo(n_latent=5, n_folds=5, max_iter=200, random_state=0, verbose=1, output=None,
             out=print):
    """Train on the digits with progress, then compare features in a classifier.

    With ``output`` (a folder), also writes reconstructions.png, samples.png,
    manifold.png, latent.png and loss.png of the model trained on all digits.
    Returns the cross-validated accuracies as ``{name: array of fold scores}``.
    """
    if output is not None:
        _check_matplotlib()
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
    if output is not None:
        for path in write_plots(vae, X, y, output):
            out(f"wrote {path}")

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


def _check_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise SystemExit('--output needs matplotlib: pip install "skvae[plot]"') from exc


def write_plots(vae, X, y, folder):
    """The five demo plots as PNG files in ``folder``; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import plotting

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    plots = {
        "reconstructions.png": lambda ax: plotting.plot_reconstructions(vae, X, n_images=12,
                                                                        ax=ax),
        "samples.png": lambda ax: plotting.plot_samples(vae, n_samples=32, random_state=0, ax=ax),
        "manifold.png": lambda ax: plotting.plot_manifold(vae, n_per_side=12, ax=ax),
        "latent.png": lambda ax: plotting.plot_latent_space(vae, X, y, ax=ax),
        "loss.png": lambda ax: plotting.plot_loss_curve(vae, ax=ax),
    }
    paths = []
    for name, draw in plots.items():
        fig, ax = plt.subplots(figsize=(7, 6) if name != "reconstructions.png" else (10, 2.5))
        draw(ax)
        fig.savefig(folder / name, dpi=100, bbox_inches="tight")
        plt.close(fig)
        paths.append(folder / name)
    return paths
