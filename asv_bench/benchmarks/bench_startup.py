"""Start-up in a new process: import, and a one-epoch digits fit (warm and cold cache)."""

import os
import subprocess
import sys
import tempfile

FIT = ("import numpy as np, warnings; warnings.simplefilter('ignore');"
       "from sklearn.datasets import load_digits; from skvae import VAETransformer;"
       "VAETransformer(max_iter=1).fit(load_digits().data / 16)")


def run(code, **env):
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, **env})


class Startup:
    number, repeat, timeout = 1, 3, 300

    def setup(self):
        run(FIT)  # warm the numba cache beside the installed sources

    def time_import(self):
        run("import skvae")

    def time_fit_digits_one_epoch_warm_cache(self):
        run(FIT)

    def time_fit_digits_one_epoch_cold_cache(self):
        with tempfile.TemporaryDirectory() as cache:
            run(FIT, NUMBA_CACHE_DIR=cache, NUMBA_DISABLE_CACHE="0")
