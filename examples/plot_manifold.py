"""
The learned 2-D manifold
========================

With a two-dimensional latent space, the decoder can be drawn over a grid of
the prior's quantiles, as in Figure 4 of Kingma & Welling (2013): nearby
latent points decode to similar digits, and the digits morph into each other.
As in the paper, the decoder is Bernoulli; at the default ``max_iter`` the
fit converges (about 110 epochs).
The posterior means of the data, coloured by label, show how the classes
share that space.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits

from skvae import VAETransformer
from skvae.plotting import plot_latent_space, plot_manifold

X, y = load_digits(return_X_y=True)
X = X / 16
vae = VAETransformer(n_latent=2, likelihood="bernoulli", random_state=0).fit(X)

fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5.5))
plot_manifold(vae, n_per_side=12, ax=left)
plot_latent_space(vae, X, y, ax=right)
plt.show()
