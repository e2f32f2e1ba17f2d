"""skvae on dask: streaming with Incremental, and a search on a local cluster."""

import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from skvae import VAETransformer

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
wrappers = pytest.importorskip("dask_ml.wrappers")
joblib = pytest.importorskip("joblib")

DOCS = Path(__file__).resolve().parent.parent / "docs" / "dask.rst"


def test_incremental_streams_chunks_through_partial_fit():
    X = np.random.default_rng(0).random((3000, 20))
    chunks = da.from_array(X, chunks=(500, 20))
    params = {"hidden_layer_sizes": (16,), "likelihood": "bernoulli", "random_state": 0}
    inc = wrappers.Incremental(VAETransformer(**params), shuffle_blocks=False).fit(chunks)
    vae = inc.estimator_
    assert vae.n_iter_ == 6  # one partial_fit per chunk

    by_hand = VAETransformer(**params)
    for start in range(0, 3000, 500):
        by_hand.partial_fit(X[start : start + 500])
    np.testing.assert_array_equal(vae.transform(X), by_hand.transform(X))

    np.testing.assert_array_equal(inc.transform(chunks).compute(), vae.transform(X))
    assert inc.score(chunks, None) == pytest.approx(vae.score(X), rel=1e-12)


def blocks_in_a_task():
    from skvae import _threads

    with _threads.kernel_threads(None) as auto, _threads.kernel_threads(-1) as every, \
            _threads.kernel_threads(2) as two:
        return auto, every, two


def test_grid_search_on_a_local_cluster_equals_the_default_backend():
    X = load_digits().data[:450] / 16
    grid = {"n_latent": [1, 3], "hidden_layer_sizes": [(16,), (24, 12)]}
    est = VAETransformer(likelihood="bernoulli", max_iter=4, learning_rate_init=0.01,
                         random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        local = GridSearchCV(est, grid, cv=3).fit(X)
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client, joblib.parallel_backend("dask"):
            remote = GridSearchCV(est, grid, cv=3, n_jobs=-1).fit(X)
            assert len(client.scheduler_info()["workers"]) == 2
            # a dask task runs in a worker's thread: serial kernels, whatever
            # n_jobs says, so two workers do not start 2 x cores threads
            assert client.submit(blocks_in_a_task, pure=False).result() == (1, 1, 1)
    np.testing.assert_allclose(remote.cv_results_["mean_test_score"],
                               local.cv_results_["mean_test_score"], rtol=1e-9)
    assert remote.best_params_ == local.best_params_


def test_the_documented_snippet_runs(tmp_path):
    text = DOCS.read_text()
    block = re.search(r":name: dask-snippet\n\n((?:   .*\n|\n)+)", text).group(1)
    script = tmp_path / "snippet.py"
    script.write_text("\n".join(line[3:] for line in block.splitlines()))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    assert re.search(r"best: \{'n_latent': \d\}", result.stdout)
    assert "latent: (1797, 2) mean ELBO: -" in result.stdout
