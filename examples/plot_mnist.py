"""
MNIST: latent features for a classifier
=======================================

A VAE on 10,000 MNIST training images, its 10-dimensional latent space as
features for a logistic regression, scored on the test set. Training stops
when the ELBO of a held-out tenth of the training images stops improving
(``early_stopping``). Reads
``$SKVAE_DATA_DIR/mnist/`` and prints a message when the variable is not set.
"""

import os

import matplotlib.pyplot as plt
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skvae import VAETransformer
from skvae.datasets import load_mnist
from skvae.plotting import plot_samples

if "SKVAE_DATA_DIR" not in os.environ:
    print("Skipped: set SKVAE_DATA_DIR to the folder holding mnist/.")
else:
    train, test = load_mnist(subset="train"), load_mnist(subset="test")
    vae = VAETransformer(n_latent=10, hidden_layer_sizes=(500,), likelihood="bernoulli",
                         early_stopping=True, random_state=0)
    model = make_pipeline(vae, LogisticRegression(max_iter=2000))
    model.fit(train.data[:10000], train.target[:10000])
    print(f"test accuracy {model.score(test.data, test.target):.3f}")
    plot_samples(vae, n_samples=32, random_state=0)
    plt.show()
