"""Plots render with Agg, and draw what they say."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from skvae import VAETransformer

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt

from skvae import plotting


@pytest.fixture(scope="module")
def fitted():
    X, y = load_digits(return_X_y=True)
    X = X[:300] / 16
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        vae = VAETransformer(n_latent=3, likelihood="bernoulli", hidden_layer_sizes=(32,),
                             max_iter=4, early_stopping=True, random_state=0).fit(X)
    yield vae, X, y[:300]
    plt.close("all")


def test_tile_images_places_each_image_with_gaps():
    rows = np.arange(12.0).reshape(3, 4)
    grid = plotting.tile_images(rows, (2, 2), n_cols=2)
    assert grid.shape == (5, 5)
    np.testing.assert_array_equal(grid[:2, :2], [[0, 1], [2, 3]])
    np.testing.assert_array_equal(grid[3:, :2], [[8, 9], [10, 11]])
    assert np.isnan(grid[2]).all() and np.isnan(grid[3:, 3:]).all()


def test_reconstructions_show_data_above_reconstructions(fitted):
    vae, X, _ = fitted
    ax = plotting.plot_reconstructions(vae, X, n_images=5)
    shown = ax.images[0].get_array()
    assert shown.shape == (2 * 8 + 1, 5 * 8 + 4)
    np.testing.assert_allclose(shown[:8, :8], X[0].reshape(8, 8))
    recon = vae.inverse_transform(vae.transform(X[:1]))
    np.testing.assert_allclose(shown[9:, :8], recon.reshape(8, 8), rtol=1e-6)


def test_samples_are_decoder_means_of_prior_draws(fitted):
    vae, _, _ = fitted
    ax = plotting.plot_samples(vae, n_samples=6, n_cols=3, random_state=0)
    from skvae._estimator import _generator

    z = _generator(0).standard_normal((6, 3))  # the prior draws sample(random_state=0) makes
    expected = plotting.tile_images(vae.inverse_transform(z), (8, 8), 3)
    np.testing.assert_allclose(ax.images[0].get_array().filled(np.nan), expected, rtol=1e-6)
    drawn = plotting.plot_samples(vae, n_samples=4, means=False, random_state=0)
    values = drawn.images[0].get_array().compressed()
    assert set(np.unique(values)) <= {0.0, 1.0}


def test_manifold_follows_the_latent_quantile_grid(fitted):
    vae, _, _ = fitted
    _, ax = plt.subplots()
    assert plotting.plot_manifold(vae, n_per_side=4, dims=(0, 2), ax=ax) is ax
    shown = ax.images[0].get_array()
    assert shown.shape == (35, 35)
    q = np.array([-1.6448536, -0.5244005, 0.5244005, 1.6448536])
    top_left = vae.inverse_transform([[q[0], 0.0, q[-1]]]).reshape(8, 8)
    np.testing.assert_allclose(shown[:8, :8], top_left, rtol=1e-5)
    with pytest.raises(ValueError, match="two different latent dimensions"):
        plotting.plot_manifold(vae, dims=(0, 0))


def test_latent_space_scatters_the_posterior_means(fitted):
    vae, X, y = fitted
    ax = plotting.plot_latent_space(vae, X, y, dims=(1, 2))
    np.testing.assert_allclose(ax.collections[0].get_offsets(), vae.transform(X)[:, [1, 2]])
    assert ax.get_xlabel() == "z1"


def test_loss_curve_draws_training_and_validation(fitted):
    vae, _, _ = fitted
    ax = plotting.plot_loss_curve(vae)
    train, val = ax.get_lines()
    np.testing.assert_allclose(train.get_ydata(), vae.loss_curve_)
    np.testing.assert_allclose(val.get_ydata(), -np.asarray(vae.validation_scores_))


def test_non_square_images_need_their_shape(fitted):
    vae, X, _ = fitted
    with pytest.raises(ValueError, match="does not hold 64 features"):
        plotting.plot_reconstructions(vae, X, image_shape=(5, 5))
