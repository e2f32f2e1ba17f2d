"""How the cost of an epoch grows with n_samples and with L, and fit's memory overhead.

Times one epoch of W's network (784-500-20, tanh, Bernoulli, batch 100,
Adam, float32) on the first n rows of W for several n (L = 1), and on a
fixed n for several L (Monte Carlo draws per row). Sizes run in turn,
round after round, and the medians are fitted with a straight line
(seconds = intercept + slope * size) and on log-log axes (an exponent of 1
is linear growth). Then measures the peak memory of fitting all of W above
the resident memory before the fit (the data already loaded), by resetting
Linux's high-water mark (``/proc/self/clear_refs``).

    python asv_bench/scaling.py --rounds 3
"""

import argparse
import time
import warnings

import numpy as np
from benchmarks.common import fit_memory_overhead

from skvae import VAETransformer

N, D = 60000, 784
W_PARAMS = {"n_latent": 20, "hidden_layer_sizes": (500,), "likelihood": "bernoulli",
            "batch_size": 100, "learning_rate_init": 1e-3, "max_iter": 1, "random_state": 0}


def epoch_seconds(X, n_draws):
    tic = time.perf_counter()
    VAETransformer(**W_PARAMS, n_mc_samples=n_draws).fit(X)
    return time.perf_counter() - tic


def fit_line(sizes, seconds):
    slope, intercept = np.polyfit(sizes, seconds, 1)
    exponent = np.polyfit(np.log(sizes), np.log(seconds), 1)[0]
    predicted = intercept + slope * np.asarray(sizes)
    r2 = 1 - np.sum((seconds - predicted) ** 2) / np.sum((seconds - np.mean(seconds)) ** 2)
    return slope, intercept, exponent, r2


def sweep(label, sizes, run, rounds):
    times = {s: [] for s in sizes}
    for _ in range(rounds):
        for s in sizes:
            times[s].append(run(s))
    medians = np.array([np.median(times[s]) for s in sizes])
    print(f"\n| {label} | s/epoch (median) | all rounds |\n|---|---|---|")
    for s, med in zip(sizes, medians):
        print(f"| {s} | {med:.3f} | {' '.join(f'{t:.3f}' for t in times[s])} |")
    return medians


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--draws-rows", type=int, default=15000, help="n for the sweep over L")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    X = (np.random.default_rng(0).random((N, D)) < 0.3).astype(np.float32)
    VAETransformer(**W_PARAMS, n_mc_samples=2).fit(X[:500])  # compile outside the timing

    rows = [7500, 15000, 30000, 60000]
    med = sweep("n_samples (L = 1)", rows, lambda n: epoch_seconds(X[:n], 1), args.rounds)
    slope, intercept, exponent, r2 = fit_line(rows, med)
    print(f"\nslope {slope * 1e4:.3f} s per 10,000 rows, intercept {intercept:.3f} s, "
          f"log-log exponent {exponent:.3f}, R^2 {r2:.4f}")

    draws = [1, 2, 4, 8]
    Xd = X[: args.draws_rows]
    med = sweep(f"L (n_samples = {args.draws_rows})", draws, lambda k: epoch_seconds(Xd, k),
                args.rounds)
    slope, intercept, exponent, r2 = fit_line(draws, med)
    print(f"\nslope {slope:.3f} s per extra draw, intercept {intercept:.3f} s, "
          f"log-log exponent {exponent:.3f}, R^2 {r2:.4f} (the encoder, the Adam "
          f"update and the data gathering do not grow with L)")

    overhead = fit_memory_overhead(X, W_PARAMS)
    print(f"\ndata {X.nbytes / 2**20:.0f} MiB; peak memory of fit above the resident memory "
          f"before it: {overhead:.1f} MB")


if __name__ == "__main__":
    main()
