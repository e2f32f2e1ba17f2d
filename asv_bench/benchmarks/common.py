"""Data for the benchmarks: the workload W of the performance issue, and digits.

W is MNIST-shaped: 60000 x 784 values in {0, 1}. Real MNIST (binarized at 0.5)
is used when $SKVAE_DATA_DIR holds it; random binary data of the same shape
otherwise, which costs the same time.
"""

import os
import warnings

import numpy as np
from sklearn.datasets import load_digits

W_PARAMS = {"n_latent": 20, "hidden_layer_sizes": (500,), "activation": "tanh",
            "likelihood": "bernoulli", "batch_size": 100, "n_mc_samples": 1,
            "solver": "adam", "learning_rate_init": 1e-3, "random_state": 0}


def workload_w(dtype=np.float32, n_rows=60000):
    if os.environ.get("SKVAE_DATA_DIR"):
        from skvae.datasets import load_mnist

        return (load_mnist().data[:n_rows] > 0.5).astype(dtype)
    return (np.random.default_rng(0).random((n_rows, 784)) < 0.3).astype(dtype)


def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float64), y


def quiet():
    warnings.simplefilter("ignore")


def _status_mb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def fit_memory_overhead(X, params):
    """Peak resident memory of ``VAETransformer(**params).fit(X)`` above the memory before, MB.

    Linux only: writing 5 to /proc/self/clear_refs resets the high-water
    mark (VmHWM) to the current resident size.
    """
    from skvae import VAETransformer

    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    before = _status_mb("VmRSS")
    VAETransformer(**params).fit(X)
    return _status_mb("VmHWM") - before
