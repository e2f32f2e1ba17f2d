"""Inference on 60000 rows with the network of W."""

import numpy as np

from skvae import VAETransformer

from .common import W_PARAMS, quiet, workload_w


class InferenceW:
    number, repeat, timeout = 1, 3, 300

    def setup(self):
        quiet()
        self.X = workload_w(np.float32)
        self.vae = VAETransformer(**W_PARAMS, max_iter=1).fit(self.X[:5000])
        self.Z = self.vae.transform(self.X)
        # Compile (or load from the cache) the inference-only kernels here,
        # not in the timed call: quick mode (``.ci/run``) times each
        # benchmark once, with no warm-up.
        self.vae.inverse_transform(self.Z[:10])
        self.vae.sample(10, random_state=0)
        self.vae.score_samples(self.X[:10])

    def time_transform(self):
        self.vae.transform(self.X)

    def time_inverse_transform(self):
        self.vae.inverse_transform(self.Z)

    def time_sample(self):
        self.vae.sample(60000, random_state=0)

    def time_score_samples(self):
        self.vae.score_samples(self.X[:10000])
