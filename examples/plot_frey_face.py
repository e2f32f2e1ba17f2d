"""
Frey Face with a Gaussian likelihood
====================================

The continuous data set of the AEVB paper: 1,965 28 x 20 images of one face.
The Gaussian decoder outputs a mean and a log-variance per pixel; a small
``min_variance`` lets it model the fine grey levels. Reads
``$SKVAE_DATA_DIR/frey_face/frey_rawface.mat`` and prints a message when the
variable is not set.
"""

import os

import matplotlib.pyplot as plt

from skvae import VAETransformer
from skvae.datasets import load_frey_faces
from skvae.plotting import plot_manifold, plot_reconstructions

if "SKVAE_DATA_DIR" not in os.environ:
    print("Skipped: set SKVAE_DATA_DIR to the folder holding frey_face/frey_rawface.mat.")
else:
    X = load_frey_faces().data
    vae = VAETransformer(n_latent=2, hidden_layer_sizes=(200,), min_variance=1e-4,
                         max_iter=300, random_state=0).fit(X)
    print(f"mean ELBO {vae.score(X):.1f} nats per image")
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 10))
    plot_reconstructions(vae, X[::150], n_images=12, image_shape=(28, 20), ax=top)
    plot_manifold(vae, image_shape=(28, 20), n_per_side=10, ax=bottom)
    plt.show()
