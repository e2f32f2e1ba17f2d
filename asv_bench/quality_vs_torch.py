"""Quality does not pay for speed: test ELBO after 20 epochs, skvae against PyTorch.

Both train the network of workload W (784-500-20, tanh, Bernoulli decoder
from logits, analytic KL, batch 100, L = 1, Adam at 1e-3, Glorot-uniform
weights) for the same number of epochs on the Larochelle-Murray binarized
MNIST (50,000 training images), then report the ELBO on the 10,000 test
images. Both test ELBOs are estimated the same way: the mean over rows of
log p(x|z) - KL with ``--draws`` standard-normal draws per row, computed by
numpy from each model's parameters (:func:`test_elbo`), so the comparison
does not depend on either library's scoring code.

    SKVAE_DATA_DIR=../shared/data python asv_bench/quality_vs_torch.py --epochs 20

PyTorch is optional (``pip install torch==2.13.0``); without it only skvae runs.
"""

import argparse
import time
import warnings

import numpy as np
from compare import H, J, M, init_params, skvae_params, torch_epoch  # asv_bench/compare.py
from scipy.special import log_expit

from skvae import VAETransformer
from skvae.datasets import load_binarized_mnist


def test_elbo(params, X, draws, seed=0):
    """Mean ELBO of X under (w1, b1, w2, b2, w3, b3, w4, b4), in float64 numpy."""
    w1, b1, w2, b2, w3, b3, w4, b4 = (np.asarray(p, dtype=np.float64) for p in params)
    rng = np.random.default_rng(seed)
    total = 0.0
    for start in range(0, len(X), 1000):
        x = X[start : start + 1000].astype(np.float64)
        head = np.tanh(x @ w1 + b1) @ w2 + b2
        mu, log_var = head[:, :J], head[:, J:]
        kl = 0.5 * np.sum(mu * mu + np.exp(log_var) - log_var - 1.0, axis=1)
        log_px = np.zeros(len(x))
        for _ in range(draws):
            z = mu + np.exp(0.5 * log_var) * rng.standard_normal(mu.shape)
            logits = np.tanh(z @ w3 + b3) @ w4 + b4
            log_px += np.sum(x * log_expit(logits) + (1 - x) * log_expit(-logits), axis=1)
        total += np.sum(log_px / draws - kl)
    return total / len(X)


def train_skvae(X, epochs, seed, n_jobs):
    vae = VAETransformer(n_latent=J, hidden_layer_sizes=(H,), likelihood="bernoulli",
                         batch_size=M, max_iter=epochs, learning_rate_init=1e-3, tol=0.0,
                         random_state=seed, n_jobs=n_jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached: the intended budget
        vae.fit(X)
    return skvae_params(vae)


def train_torch(X, epochs, seed, threads):
    import torch

    torch.set_num_threads(threads)
    params = [torch.tensor(p, requires_grad=True) for p in init_params(np.float32, seed)]
    opt = torch.optim.Adam(params, lr=1e-3)
    Xt, gen = torch.from_numpy(X), torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        torch_epoch(params, opt, Xt, gen)
    return [p.detach().numpy() for p in params]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=1, help="training runs per library")
    parser.add_argument("--draws", type=int, default=10, help="draws per test row")
    parser.add_argument("--torch-threads", type=int, default=2)
    parser.add_argument("--n-jobs", type=int, default=-1, help="skvae's n_jobs")
    parser.add_argument("--data", default=None, help="folder with binarized_mnist/")
    args = parser.parse_args()
    X = load_binarized_mnist(args.data, subset="train").data.astype(np.float32)
    X_test = load_binarized_mnist(args.data, subset="test").data.astype(np.float32)
    runs = {"skvae": lambda seed: train_skvae(X, args.epochs, seed, args.n_jobs)}
    try:
        import torch  # noqa: F401  (before numba's threads start: see compare.py)

        runs["PyTorch"] = lambda seed: train_torch(X, args.epochs, seed, args.torch_threads)
    except ImportError:
        print("PyTorch not installed: skipped")
    print(f"Test ELBO (nats per image) after {args.epochs} epochs on binarized MNIST, "
          f"{args.draws} draws per test row\n")
    print("| implementation | seed | test ELBO | training seconds |")
    print("|---|---|---|---|")
    for seed in range(args.seeds):
        for name, run in runs.items():
            tic = time.perf_counter()
            params = run(seed)
            seconds = time.perf_counter() - tic
            print(f"| {name} | {seed} | {test_elbo(params, X_test, args.draws):.2f} | "
                  f"{seconds:.0f} |", flush=True)


if __name__ == "__main__":
    main()
