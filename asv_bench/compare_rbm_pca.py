"""Reconstructions of MNIST by a VAE, scikit-learn's BernoulliRBM and PCA.

The founding report's Table 6.1: each model is fitted to the 60,000 MNIST
training images (grey levels in [0, 1]) and reconstructs the 10,000 test
images; the error is the binary cross-entropy per image, summed over the 784
pixels, in nats:

- VAE (``VAETransformer``): one hidden layer of 500 tanh units, a
  20-dimensional latent space, Bernoulli decoder, Adam at the defaults for
  ``--epochs`` epochs; the reconstruction is the decoder mean at the posterior
  mean, ``inverse_transform(transform(X))``.
- RBM (``BernoulliRBM``): one Gibbs half-step each way from the visible data,
  with probabilities instead of draws: ``p(h = 1 | v)`` and then
  ``p(v = 1 | h)`` at those probabilities. Its learning rate is chosen from
  ``RBM_RATES`` by the test-free error on a validation split (the last 10,000
  training images, with the model fitted to the first 10,000), then the model is
  refitted to all training images.
- PCA: ``inverse_transform(transform(X))`` clipped to [1e-4, 1 - 1e-4] so
  that the cross-entropy is finite (the same clip is applied to all three).

Two code sizes: 500 (the RBM's hidden units and PCA's components, as in the
report, against the VAE's 500 hidden units and 20-dimensional code) and 20
(every model squeezes each image through 20 numbers). Each model's own score
of the test images is also given, though the three are different things: the
VAE's ELBO (a lower bound on the log-probability of binary images under the
Bernoulli decoder), the RBM's pseudo-log-likelihood (``score_samples``) and
the log-density of probabilistic PCA (``PCA.score``). Grey-level images have
a floor: their own entropy, the cross-entropy of an image with itself, is
printed too. ``--threshold`` instead fits and scores binary images (pixels
above 0.5), where the floor is 0.

All fits run on one thread. Usage::

    SKVAE_DATA_DIR=../shared/data python asv_bench/compare_rbm_pca.py \\
        --output rbm_pca.json --figure docs/images/rbm_pca_reconstructions.png
    SKVAE_DATA_DIR=../shared/data python asv_bench/compare_rbm_pca.py --threshold
"""

import argparse
import json
import time
import warnings

import numpy as np
from scipy.special import expit
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import BernoulliRBM
from threadpoolctl import threadpool_limits

from skvae import VAETransformer
from skvae.datasets import load_mnist

CLIP = 1e-4
RBM_RATES = (0.01, 0.05, 0.2, 0.5)
RBM_EPOCHS, RBM_BATCH = 20, 100
SELECTION_ROWS = 10000
FIGURE_IMAGES = 10


def cross_entropy(X, reconstruction):
    """Binary cross-entropy of each image against its reconstruction, summed over pixels."""
    r = np.clip(reconstruction, CLIP, 1 - CLIP)
    return -(X * np.log(r) + (1 - X) * np.log1p(-r)).sum(axis=1)


def rbm_reconstruct(rbm, X):
    return expit(rbm.transform(X) @ rbm.components_ + rbm.intercept_visible_)


def pca_reconstruct(pca, X):
    return pca.inverse_transform(pca.transform(X))


def vae_reconstruct(vae, X):
    return vae.inverse_transform(vae.transform(X))


def rbm(n_components, rate, seed):
    return BernoulliRBM(n_components=n_components, learning_rate=rate, batch_size=RBM_BATCH,
                        n_iter=RBM_EPOCHS, random_state=seed)


def choose_rbm_rate(n_components, train, seed):
    """The rate with the lowest validation error, fitted on a slice of the training images."""
    n = min(SELECTION_ROWS, len(train) // 2)
    fit_rows, valid = train[:n], train[-n:]
    errors = {rate: float(cross_entropy(valid, rbm_reconstruct(
        rbm(n_components, rate, seed).fit(fit_rows), valid)).mean()) for rate in RBM_RATES}
    return min(errors, key=errors.get), errors


def timed_fit(model, X):
    start = time.perf_counter()
    model.fit(X)
    return model, time.perf_counter() - start


def run(train, test, epochs, seed):
    def row(model, code, recon, seconds, own_score, score, **extra):
        return {"model": model, "code": code, "bce": float(cross_entropy(test, recon).mean()),
                "fit_s": seconds, "own_score": own_score, "score": float(score), **extra}

    vae, seconds = timed_fit(VAETransformer(n_latent=20, hidden_layer_sizes=(500,),
                                            likelihood="bernoulli", max_iter=epochs,
                                            random_state=seed), train)
    reconstructions = {"VAE (code 20)": vae_reconstruct(vae, test)}
    # the one VAE stands in both blocks: its code is 20 whatever the others' size
    vae_row = row("VAE, 500 hidden, 20 latent", None, reconstructions["VAE (code 20)"], seconds,
                  "ELBO", vae.score(test))
    results = []
    for code in (500, 20):
        results.append({**vae_row, "code": code})
        rate, errors = choose_rbm_rate(code, train, seed)
        model, seconds = timed_fit(rbm(code, rate, seed), train)
        reconstructions[f"RBM (code {code})"] = rbm_reconstruct(model, test)
        results.append(row(f"RBM, {code} hidden (rate {rate})", code,
                           reconstructions[f"RBM (code {code})"], seconds,
                           "pseudo-log-likelihood", model.score_samples(test).mean(),
                           rate_errors=errors))
        model, seconds = timed_fit(PCA(n_components=code, random_state=seed), train)
        reconstructions[f"PCA (code {code})"] = pca_reconstruct(model, test)
        results.append(row(f"PCA, {code} components", code, reconstructions[f"PCA (code {code})"],
                           seconds, "PPCA log-density", model.score(test)))
    return results, reconstructions


def table(results, floor):
    lines = [f"Floor (entropy of the test images themselves): {floor:.1f} nats", "",
             "| code | model | test BCE (nats/image) | fit s | own score of the test images |",
             "|---|---|---|---|---|"]
    lines += [f"| {r['code']} | {r['model']} | {r['bce']:.1f} | {r['fit_s']:.1f} | "
              f"{r['own_score']} {r['score']:.1f} |" for r in results]
    return "\n".join(lines)


def figure(test, reconstructions, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skvae.plotting import tile_images

    order = ["VAE (code 20)", "PCA (code 20)", "RBM (code 20)", "PCA (code 500)",
             "RBM (code 500)"]
    rows = [("data", test)] + [(name, reconstructions[name]) for name in order]
    fig, axes = plt.subplots(len(rows), 1, figsize=(FIGURE_IMAGES * 0.8, len(rows) * 1.0))
    for ax, (name, images) in zip(axes, rows):
        ax.imshow(tile_images(images[:FIGURE_IMAGES], (28, 28), FIGURE_IMAGES), cmap="gray",
                  vmin=0, vmax=1, interpolation="nearest")
        ax.set_axis_off()
        ax.set_title(name, fontsize=9, loc="left")
    fig.tight_layout()
    fig.savefig(path, dpi=80)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=None, help="data folder (default $SKVAE_DATA_DIR)")
    parser.add_argument("--epochs", type=int, default=30, help="VAE epochs (default 30)")
    parser.add_argument("--n-train", type=int, default=None, help="use the first N images")
    parser.add_argument("--threshold", action="store_true", help="binary images (> 0.5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", help="write the results as JSON here")
    parser.add_argument("--figure", help="write the reconstructions side by side here")
    args = parser.parse_args()

    train = load_mnist(args.data, subset="train").data[:args.n_train]
    test = load_mnist(args.data, subset="test").data
    if args.threshold:
        train, test = (train > 0.5).astype(np.float32), (test > 0.5).astype(np.float32)
    warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed epoch budget, by design
    with threadpool_limits(1):
        results, reconstructions = run(train, test, args.epochs, args.seed)
    floor = float(cross_entropy(test, test).mean())
    print(table(results, floor))
    if args.output:
        with open(args.output, "w") as f:
            json.dump({"floor": floor, "threshold": args.threshold, "epochs": args.epochs,
                       "n_train": len(train), "results": results}, f, indent=1)
    if args.figure:
        figure(test, reconstructions, args.figure)


if __name__ == "__main__":
    main()
