"""
Reconstructions and samples
===========================

A VAE with a Bernoulli likelihood on the digits scaled to [0, 1]: each image
is encoded to its posterior mean and decoded again, and new images are
decoded from draws of the prior N(0, I).
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits

from skvae import VAETransformer
from skvae.plotting import plot_reconstructions, plot_samples

X = load_digits().data / 16
vae = VAETransformer(n_latent=8, likelihood="bernoulli", random_state=0).fit(X)
print(f"{vae.n_iter_} epochs, mean ELBO {vae.score(X):.1f} nats per image")

fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5))
plot_reconstructions(vae, X[100:], n_images=12, ax=top)
plot_samples(vae, n_samples=24, n_cols=12, random_state=0, ax=bottom)
plt.show()
