"""Plots of a fitted VAETransformer (matplotlib, an optional extra).

``pip install "skvae[plot]"``. Every function draws on ``ax`` (a new figure's
axes by default) and returns that Axes. Image plots tile their images into
one array shown with ``imshow``, with a one-pixel gap between tiles.
"""

import numpy as np
from scipy.stats import norm
from sklearn.utils.validation import check_is_fitted

__all__ = ["plot_latent_space", "plot_loss_curve", "plot_manifold", "plot_reconstructions",
           "plot_samples", "tile_images"]


def _axes(ax, figsize):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def _image_shape(n_features, image_shape):
    if image_shape is None:
        side = round(float(np.sqrt(n_features)))
        if side * side != n_features:
            raise ValueError(f"{n_features} features are not a square image; pass "
                             "image_shape=(height, width).")
        image_shape = (side, side)
    if int(np.prod(image_shape)) != n_features:
        raise ValueError(f"image_shape={tuple(image_shape)} does not hold {n_features} features.")
    return tuple(image_shape)


def tile_images(rows, image_shape, n_cols, gap=1):
    """Tile flat images (one per row) into a 2-D array, ``n_cols`` per line, NaN between."""
    height, width = image_shape
    n_lines = -(-len(rows) // n_cols)
    grid = np.full((n_lines * (height + gap) - gap, n_cols * (width + gap) - gap), np.nan)
    for k, row in enumerate(np.asarray(rows, dtype=float)):
        top, left = (k // n_cols) * (height + gap), (k % n_cols) * (width + gap)
        grid[top : top + height, left : left + width] = row.reshape(height, width)
    return grid


def _show(ax, grid, title):
    ax.imshow(grid, cmap="gray", interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(title)
    return ax


def plot_reconstructions(vae, X, n_images=10, image_shape=None, ax=None):
    """Rows of X (top line) above their reconstructions E[x | z = E[z|x]] (bottom line)."""
    check_is_fitted(vae)
    X = np.asarray(X)[:n_images]
    shape = _image_shape(X.shape[1], image_shape)
    recon = vae.inverse_transform(vae.transform(X))
    ax = _axes(ax, (1.0 * len(X), 2.4))
    return _show(ax, tile_images(np.vstack([X, recon]), shape, len(X)),
                 "data (top) and reconstructions (bottom)")


def plot_samples(vae, n_samples=16, image_shape=None, n_cols=8, means=True, random_state=None,
                 ax=None):
    """Generated images: decoder means E[x|z] for z ~ N(0, I), or draws of x with means=False."""
    check_is_fitted(vae)
    images = vae.sample(n_samples, random_state=random_state, means=means)
    shape = _image_shape(images.shape[1], image_shape)
    ax = _axes(ax, (n_cols, 1.0 * -(-n_samples // n_cols)))
    return _show(ax, tile_images(images, shape, n_cols),
                 "decoder means of z ~ N(0, I)" if means else "samples x ~ p(x|z)")


def plot_manifold(vae, image_shape=None, n_per_side=15, dims=(0, 1), ax=None):
    """The decoder over a grid of latent quantiles (Kingma & Welling, Figure 4).

    Latent coordinates ``dims`` run over the standard normal quantiles of
    ``linspace(0.05, 0.95, n_per_side)``; other coordinates are held at 0.
    """
    check_is_fitted(vae)
    if len(set(dims)) != 2 or not all(0 <= d < vae._n_features_out for d in dims):
        raise ValueError(f"dims must be two different latent dimensions below "
                         f"{vae._n_features_out}, got {dims}.")
    q = norm.ppf(np.linspace(0.05, 0.95, n_per_side))
    Z = np.zeros((n_per_side * n_per_side, vae._n_features_out))
    Z[:, dims[0]] = np.tile(q, n_per_side)
    Z[:, dims[1]] = np.repeat(q[::-1], n_per_side)  # up the page, as in the paper
    images = vae.inverse_transform(Z)
    shape = _image_shape(images.shape[1], image_shape)
    ax = _axes(ax, (7, 7))
    return _show(ax, tile_images(images, shape, n_per_side),
                 f"decoder over latent dimensions {dims[0]} and {dims[1]}")


def plot_latent_space(vae, X, y=None, dims=(0, 1), ax=None, **scatter_kwargs):
    """Posterior means of X in two latent dimensions, coloured by ``y`` if given."""
    check_is_fitted(vae)
    Z = vae.transform(X)
    ax = _axes(ax, (6, 5))
    kwargs = {"s": 6, "cmap": "tab10" if y is not None else None, **scatter_kwargs}
    points = ax.scatter(Z[:, dims[0]], Z[:, dims[1]], c=y, **kwargs)
    if y is not None:
        ax.figure.colorbar(points, ax=ax, label="label")
    ax.set_xlabel(f"z{dims[0]}")
    ax.set_ylabel(f"z{dims[1]}")
    ax.set_title("latent space (posterior means)")
    return ax


def plot_loss_curve(vae, ax=None):
    """Training loss (negative ELBO per row) by epoch, and the validation ELBO's negative."""
    check_is_fitted(vae)
    ax = _axes(ax, (6, 4))
    epochs = np.arange(1, len(vae.loss_curve_) + 1)
    ax.plot(epochs, vae.loss_curve_, label="training loss (-ELBO)")
    if vae.validation_scores_:
        ax.plot(epochs[-len(vae.validation_scores_):], -np.asarray(vae.validation_scores_),
                label="validation -ELBO")
    ax.set_xlabel("epoch")
    ax.set_ylabel("nats per data point")
    ax.legend()
    return ax
