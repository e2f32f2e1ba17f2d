"""Training speed: one epoch of W, and a small fit of the bundled digits."""

from typing import ClassVar

import numpy as np

from skvae import VAETransformer

from .common import W_PARAMS, digits, fit_memory_overhead, quiet, workload_w


class EpochW:
    """Seconds per epoch of W (784-500-20, tanh, Bernoulli, batch 100, L=1, Adam).

    ``n_jobs=1``: serial kernels, BLAS's own threads; ``-1``: the kernels
    split between numba's threads.
    """

    params: ClassVar[list] = [["float32", "float64"], [1, -1]]
    param_names: ClassVar[list] = ["dtype", "n_jobs"]
    number, repeat, timeout = 1, 3, 300

    def setup(self, dtype, n_jobs):
        quiet()
        self.X = workload_w(np.dtype(dtype).type)
        self.params = {**W_PARAMS, "max_iter": 1, "n_jobs": n_jobs}
        VAETransformer(**self.params).fit(self.X[:500])  # compile outside the timing

    def time_epoch(self, dtype, n_jobs):
        VAETransformer(**self.params).fit(self.X)


class EpochLikelihood:
    """Seconds per epoch of W's network on 10000 rows, for each likelihood (float32).

    Data suited to each: binary for the Bernoulli, grey levels in [0, 1] for
    the continuous Bernoulli and the Gaussians, counts for the Poisson.
    """

    params: ClassVar[list] = ["bernoulli", "continuous_bernoulli", "gaussian", "gaussian_unit",
                              "poisson"]
    param_names: ClassVar[list] = ["likelihood"]
    number, repeat, timeout = 1, 3, 300

    def setup(self, likelihood):
        quiet()
        rng = np.random.default_rng(0)
        if likelihood == "bernoulli":
            X = rng.random((10000, 784)) < 0.3
        elif likelihood == "poisson":
            X = rng.poisson(2.0, (10000, 784))
        else:
            X = rng.random((10000, 784))
        self.X = X.astype(np.float32)
        self.params = {**W_PARAMS, "likelihood": likelihood, "max_iter": 1}
        VAETransformer(**self.params).fit(self.X[:500])

    def time_epoch(self, likelihood):
        VAETransformer(**self.params).fit(self.X)


class FitDigits:
    """A small fit: 20 epochs of the default model on the bundled digits."""

    number, repeat = 1, 3

    def setup(self):
        quiet()
        self.X, _ = digits()
        VAETransformer(max_iter=1).fit(self.X[:200])

    def time_fit(self):
        VAETransformer(n_latent=5, max_iter=20, random_state=0).fit(self.X)


class PeakMemoryW:
    """Peak resident memory of fitting one epoch of W in float32 (data included)."""

    timeout = 300

    def setup(self):
        quiet()
        self.X = workload_w(np.float32)

    def peakmem_fit(self):
        VAETransformer(**W_PARAMS, max_iter=1).fit(self.X)


class EpochScaling:
    """Seconds per epoch of W's network as n_samples and L grow (should be linear).

    ``asv_bench/scaling.py`` fits the slopes over a wider range.
    """

    params: ClassVar[list] = [[5000, 20000], [1, 4]]
    param_names: ClassVar[list] = ["n_samples", "n_mc_samples"]
    number, repeat, timeout = 1, 3, 300

    def setup(self, n_samples, n_mc_samples):
        quiet()
        self.X = workload_w(np.float32, n_rows=n_samples)
        VAETransformer(**{**W_PARAMS, "n_mc_samples": n_mc_samples}, max_iter=1).fit(self.X[:500])

    def time_epoch(self, n_samples, n_mc_samples):
        VAETransformer(**{**W_PARAMS, "n_mc_samples": n_mc_samples}, max_iter=1).fit(self.X)


class FitMemoryOverheadW:
    """Peak resident memory of fitting one epoch of W above the memory before the fit.

    The data is loaded before; the goal is at most 100 MB (no copy of X, no
    allocation per minibatch). Linux only: it resets the kernel's high-water
    mark through /proc/self/clear_refs.
    """

    unit = "MB"
    timeout = 300

    def setup(self):
        quiet()
        self.X = workload_w(np.float32)
        VAETransformer(**W_PARAMS, max_iter=1).fit(self.X[:500])

    def track_fit_memory_overhead(self):
        return fit_memory_overhead(self.X, {**W_PARAMS, "max_iter": 1})
