"""
CalTech 101 Silhouettes with a Bernoulli likelihood
===================================================

8,641 binary 16 x 16 silhouettes of objects from 101 classes (Marlin et al.,
2010), the founding report's second image set. As there, the VAE has one
hidden layer of 128 units and a 3-dimensional latent space; the Bernoulli
likelihood suits pixels that are exactly 0 or 1. A fifth of the images is held
out: ``early_stopping`` stops training when the ELBO of a validation tenth of
the training images stops improving, since this small model overfits 7,000
images within a few hundred epochs. The test ELBO is a lower bound on the log
probability of a test image; the importance-sampled estimate
(``marginal_log_likelihood``, Burda et al. 2016) is tighter. Reads
``$SKVAE_DATA_DIR/caltech101_silhouettes/`` and prints a message when the
variable is not set.
"""

import os

import matplotlib.pyplot as plt
from sklearn.model_selection import train_test_split

from skvae import VAETransformer
from skvae.datasets import load_caltech101_silhouettes
from skvae.plotting import plot_reconstructions, plot_samples

if "SKVAE_DATA_DIR" not in os.environ:
    print("Skipped: set SKVAE_DATA_DIR to the folder holding caltech101_silhouettes/.")
else:
    silhouettes = load_caltech101_silhouettes()
    train, test = train_test_split(silhouettes.data, test_size=0.2, random_state=0)
    vae = VAETransformer(n_latent=3, hidden_layer_sizes=(128,), likelihood="bernoulli",
                         early_stopping=True, max_iter=500, random_state=0).fit(train)
    log_p = vae.marginal_log_likelihood(test, n_samples=1000, random_state=0).mean()
    print(f"stopped after {vae.n_iter_} epochs; test ELBO {vae.score(test):.2f} nats per "
          f"image, importance-sampled log p(x) {log_p:.2f}")

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 4))
    plot_reconstructions(vae, test[::173], n_images=12, ax=top)
    plot_samples(vae, n_samples=24, n_cols=12, random_state=0, ax=bottom)
    plt.show()
