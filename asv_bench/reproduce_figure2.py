"""The AEVB paper's Figure 2: lower bound per data point against samples seen.

Kingma & Welling (2014), Figure 2, trains one hidden layer of tanh units
(500 for MNIST, 200 for Frey Face) with Adagrad, minibatches of 100, one
draw per data point and a N(0, I) prior on the weights, and plots the
ELBO per data point on training and test data against the number of
training samples evaluated, one panel per latent size. This script does the
same with Adagrad (step 0.02, the paper's range was 0.01-0.02) and with
Adam (step 1e-3) beside it, and writes the curves as JSON and a figure.

- MNIST: the 60,000 training images (grey levels in [0, 1], Bernoulli
  decoder, as in the paper) and the 10,000 test images; bounds measured on
  fixed subsets of 2000 images each.
- Frey Face: 1965 images of 20 x 28 grey levels in [0, 1], Gaussian
  decoder with a variance floor of 1e-4; a seeded 90/10 split into training
  and test images.

The bound is ``VAETransformer.score``: the ELBO with the analytic KL and 16
draws per image. The weight prior's term is not included, as in the paper's
plot of the bound per data point.

Usage::

    SKVAE_DATA_DIR=../shared/data python asv_bench/reproduce_figure2.py --dataset mnist \\
        --samples 1e6 --threads 1 --output figure2_mnist.json --figure figure2_mnist.png
    SKVAE_DATA_DIR=../shared/data python asv_bench/reproduce_figure2.py --dataset frey \\
        --samples 3e6 --threads 1 --output figure2_frey.json --figure figure2_frey.png
"""

import argparse
import json
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skvae import VAETransformer
from skvae.datasets import load_frey_faces, load_mnist

SETTINGS = {
    "mnist": {"hidden": 500, "latents": [3, 5, 10, 20, 200], "likelihood": "bernoulli",
              "chunk": 10000},
    "frey": {"hidden": 200, "latents": [2, 5, 10, 20], "likelihood": "gaussian",
             "chunk": None},
}
SOLVERS = {"adagrad": 0.02, "adam": 1e-3}
EVAL_ROWS = 2000


def load(dataset, data, rng):
    if dataset == "mnist":
        train = load_mnist(data, subset="train").data
        test = load_mnist(data, subset="test").data
        return train, train[rng.choice(len(train), EVAL_ROWS, replace=False)], test[:EVAL_ROWS]
    X = load_frey_faces(data).data
    order = rng.permutation(len(X))
    n_test = len(X) // 10
    train, test = X[order[n_test:]], X[order[:n_test]]
    return train, train, test


def checkpoints(total):
    """Samples seen at which to measure: 1, 2 and 5 times each power of ten."""
    points = [m * 10**e for e in range(3, 10) for m in (1, 2, 5)]
    return [p for p in points if p < total] + [total]


def run(dataset, n_latent, solver, train, train_eval, test, total, seed):
    setting = SETTINGS[dataset]
    vae = VAETransformer(n_latent=n_latent, hidden_layer_sizes=(setting["hidden"],),
                         activation="tanh", likelihood=setting["likelihood"],
                         min_variance=1e-4, batch_size=100, solver=solver,
                         learning_rate_init=SOLVERS[solver], alpha=1.0, random_state=seed)
    chunk = setting["chunk"] or len(train)
    rng = np.random.default_rng(seed)
    order, position, seen = rng.permutation(len(train)), 0, 0
    curve = []
    tic = time.perf_counter()
    for target in checkpoints(total):
        while seen < target:
            if position >= len(order):
                order, position = rng.permutation(len(train)), 0
            rows = np.sort(order[position : position + min(chunk, target - seen)])
            position += len(rows)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                vae.partial_fit(train[rows])
            seen += len(rows)
        curve.append({"samples": seen, "train": float(vae.score(train_eval)),
                      "test": float(vae.score(test)),
                      "seconds": round(time.perf_counter() - tic, 1)})
    return curve


def plot(results, dataset, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    latents = SETTINGS[dataset]["latents"]
    fig, axes = plt.subplots(1, len(latents), figsize=(3.2 * len(latents), 3.2), sharey=True)
    colors = {"adagrad": "tab:blue", "adam": "tab:orange"}
    for ax, n_latent in zip(axes, latents):
        for solver in SOLVERS:
            curve = results[f"{n_latent}/{solver}"]
            samples = [p["samples"] for p in curve]
            ax.plot(samples, [p["train"] for p in curve], color=colors[solver],
                    label=f"{solver}, train")
            ax.plot(samples, [p["test"] for p in curve], color=colors[solver], linestyle="--",
                    label=f"{solver}, test")
        ax.set_xscale("log")
        ax.set_title(f"{'MNIST' if dataset == 'mnist' else 'Frey Face'}, $N_z$ = {n_latent}")
        ax.set_xlabel("training samples evaluated")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("ELBO per data point (nats)")
    low = min(p["test"] for curve in results.values() for p in curve[len(curve) // 3 :])
    high = max(p["train"] for curve in results.values() for p in curve)
    axes[0].set_ylim(low - 0.15 * (high - low), high + 0.05 * (high - low))
    axes[-1].legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", choices=sorted(SETTINGS), default="mnist")
    parser.add_argument("--samples", type=float, default=1e6, help="training samples per run")
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default=None, help="data folder (default $SKVAE_DATA_DIR)")
    parser.add_argument("--output", default=None, help="JSON file for the curves")
    parser.add_argument("--figure", default=None, help="PNG file for the figure")
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    train, train_eval, test = load(args.dataset, args.data, rng)
    results = {}
    with threadpool_limits(args.threads):
        for n_latent in SETTINGS[args.dataset]["latents"]:
            for solver in SOLVERS:
                curve = run(args.dataset, n_latent, solver, train, train_eval, test,
                            int(args.samples), args.seed)
                results[f"{n_latent}/{solver}"] = curve
                last = curve[-1]
                print(f"{args.dataset} n_latent={n_latent:3d} {solver:8s} "
                      f"{last['samples']:.1e} samples in {last['seconds']:6.0f} s: "
                      f"train {last['train']:8.2f}  test {last['test']:8.2f}", flush=True)
    if args.output:
        with open(args.output, "w") as f:
            json.dump({"dataset": args.dataset, "samples": int(args.samples),
                       "threads": args.threads, "curves": results}, f, indent=1)
    if args.figure:
        plot(results, args.dataset, args.figure)


if __name__ == "__main__":
    main()
