"""Products and kernels split between threads, and when the split is used."""

import os
import subprocess
import sys
import threading

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_info, threadpool_limits

from skvae import VAETransformer, _threads
from skvae import _kernels as kernels
from skvae._blas import matmul
from skvae._kernels import (
    ACTIVATIONS,
    IDENTITY,
    dense_backward,
    dense_backward_threads,
    dense_forward,
    dense_forward_threads,
)
from skvae._optimizers import adam_update, adam_update_threads
from skvae._threads import BLOCK_ALIGN, block_range

from . import reference as ref

TOL = {np.float32: 1e-5, np.float64: 1e-12}


@settings(deadline=None)  # the first example compiles
@given(st.integers(0, 3000), st.integers(1, 9))
def test_block_ranges_cover_every_column_once_on_aligned_starts(n_cols, n_blocks):
    blocks = [block_range(n_cols, b, n_blocks) for b in range(n_blocks)]
    covered = np.concatenate([np.arange(start, stop) for start, stop in blocks])
    np.testing.assert_array_equal(covered, np.arange(n_cols))
    assert all(start % BLOCK_ALIGN == 0 for start, stop in blocks if stop > start)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_matmul_by_block_ranges_matches_numpy(dtype, trans_a, trans_b):
    rng = np.random.default_rng(0)
    m, k, n = 9, 7, 41
    a = rng.normal(size=(k, m) if trans_a else (m, k)).astype(dtype)
    b = rng.normal(size=(n, k) if trans_b else (k, n)).astype(dtype)
    # The output is a view with a longer row stride than its width.
    wide = rng.normal(size=(m, n + 5)).astype(dtype)
    out = wide[:, 2 : n + 2]
    before = out.copy()
    for block in range(3):
        start, stop = block_range(n, block, 3)
        matmul(a, b, out, trans_a, trans_b, 0.5, start, stop)
    expected = (a.T if trans_a else a) @ (b.T if trans_b else b) + 0.5 * before
    np.testing.assert_allclose(out, expected, rtol=TOL[dtype], atol=TOL[dtype])
    np.testing.assert_array_equal(wide[:, :2], wide[:, :2].copy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", [n for n in sorted(ACTIVATIONS) if n != "tanh"] + ["identity"])
@pytest.mark.parametrize("by_rows", [False, True])
def test_dense_forward_split_between_threads_matches_numpy(name, dtype, by_rows):
    rng = np.random.default_rng(1)
    a, w, b = rng.normal(size=(7, 11)), rng.normal(size=(11, 50)), rng.normal(size=50)
    code = ACTIVATIONS.get(name, IDENTITY)
    out = np.full((7, 50), np.nan, dtype=dtype)  # a block left out stays NaN
    dense_forward_threads(a.astype(dtype), w.astype(dtype), b.astype(dtype), code, out, 3,
                          by_rows)
    expected = ref.ACTIVATIONS[name](a @ w + b)
    np.testing.assert_allclose(out, expected, rtol=TOL[dtype], atol=TOL[dtype])
    serial = np.empty_like(out)
    dense_forward(a.astype(dtype), w.astype(dtype), b.astype(dtype), code, serial)
    np.testing.assert_allclose(out, serial, rtol=TOL[dtype], atol=TOL[dtype])
    if not by_rows:  # column blocks make the very same products
        np.testing.assert_array_equal(out, serial)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_dense_backward_split_between_threads_matches_numpy(name):
    rng = np.random.default_rng(2)
    code = ACTIVATIONS[name]
    z = rng.normal(size=(6, 37)) + 0.013  # keeps clear of the kinks at 0
    a = ref.ACTIVATIONS[name](z)
    w, g = rng.normal(size=(37, 45)), rng.normal(size=(6, 45))
    gw, gb, ga = np.empty((37, 45)), np.empty(45), np.empty((6, 37))
    dense_backward_threads(a, w, g, gw, gb, ga, code, 3, 2)
    np.testing.assert_allclose(gw, a.T @ g, rtol=1e-12)
    np.testing.assert_allclose(gb, g.sum(axis=0), rtol=1e-12)
    # The input gradient carries the derivative of the activation that made a.
    h = 1e-6
    slope = (ref.ACTIVATIONS[name](z + h) - ref.ACTIVATIONS[name](z - h)) / (2 * h)
    np.testing.assert_allclose(ga, (g @ w.T) * slope, rtol=1e-7, atol=1e-9)
    serial = [np.empty_like(gw), np.empty_like(gb), np.empty_like(ga)]
    dense_backward(a, w, g, *serial, code)
    for got, want in zip((gw, gb, ga), serial):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_split_between_threads_equals_the_serial_update(dtype):
    rng = np.random.default_rng(3)
    n = 1001  # not a multiple of the block alignment
    arrays = [rng.normal(size=n).astype(dtype) for _ in range(3)] + [
        rng.random(n).astype(dtype)]
    serial = [x.copy() for x in arrays]
    adam_update_threads(*arrays, 1e-3, 0.9, 0.999, 1e-8, 3)
    adam_update(*serial, 1e-3, 0.9, 0.999, 1e-8)
    for got, want in zip(arrays, serial):
        np.testing.assert_array_equal(got, want)


def blas_threads():
    return {lib["filepath"]: lib["num_threads"] for lib in threadpool_info()
            if lib["user_api"] == "blas"}


def test_kernel_threads_hold_blas_to_one_thread_and_restore_it():
    before = blas_threads()
    with _threads.kernel_threads(2) as n_blocks:
        inside = blas_threads()
    assert blas_threads() == before
    assert n_blocks == 2
    assert set(inside.values()) == {1}


def test_kernel_threads_hold_the_blas_of_the_kernels_gemm_without_scikit_learn():
    # numba's gemm calls scipy's BLAS; in a process that has not imported
    # scikit-learn (which loads it), that BLAS must still be loaded before
    # threadpoolctl first looks, or it keeps its own threads and fights
    # numba's (25x slower products, measured here).
    code = """
import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits
from skvae import _threads
from skvae._kernels import IDENTITY, dense_forward_threads
a, w, b = np.ones((4, 64)), np.ones((64, 64)), np.zeros(64)
with _threads.kernel_threads(2) as n_blocks:
    dense_forward_threads(a, w, b, IDENTITY, np.empty((4, 64)), n_blocks)
    inside = {lib["filepath"]: lib["num_threads"] for lib in threadpool_info()
              if lib["user_api"] == "blas"}
import sys
assert "sklearn" not in sys.modules
assert len(inside) >= 2 and set(inside.values()) == {1}, inside
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)


@pytest.mark.parametrize(("n_jobs", "expected"), [(None, "auto"), (1, 1), (3, 3), (-1, "all"),
                                                  (-2, "all but one")])
def test_n_jobs_resolves_like_scikit_learn(n_jobs, expected):
    n = numba.get_num_threads()
    auto = n if numba.threading_layer() == "tbb" else 1
    expected = {"all": n, "all but one": max(1, n - 1), "auto": auto}.get(expected, expected)
    before = blas_threads()
    with _threads.kernel_threads(n_jobs) as n_blocks:
        assert n_blocks == expected
        if n_blocks == 1:  # serial kernels leave BLAS's threads alone
            assert blas_threads() == before


def test_n_jobs_zero_is_refused():
    with pytest.raises(ValueError, match="n_jobs == 0"), _threads.kernel_threads(0):
        pass


def test_kernel_threads_stay_serial_off_the_main_thread():
    seen = []

    def run():
        with _threads.kernel_threads(2) as n_blocks:
            seen.append((n_blocks, blas_threads()))

    before = blas_threads()
    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    assert seen == [(1, before)]


def test_kernel_threads_stay_serial_in_a_child_forked_after_openmp_started(monkeypatch):
    # The omp layer terminates a forked child at its first parallel launch;
    # a process other than the one that imported skvae must not launch one.
    dense_forward_threads(*[np.ones((2, 2))] * 2, np.ones(2), IDENTITY, np.empty((2, 2)), 2)
    monkeypatch.setattr(_threads, "_IMPORT_PID", os.getpid() + 1)
    expected = 1 if numba.threading_layer() == "omp" else 2
    with _threads.kernel_threads(2) as n_blocks:
        assert n_blocks == expected


def test_kernel_threads_stay_serial_on_the_slow_workqueue_layer(monkeypatch):
    monkeypatch.setattr(numba, "threading_layer", lambda: "workqueue")
    with _threads.kernel_threads(2) as n_blocks:
        assert n_blocks == 1


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fits_with_and_without_threads_agree(monkeypatch):
    monkeypatch.setattr(_threads, "MIN_WORK_PER_THREAD", 1)  # split even these small products
    monkeypatch.setattr(_threads, "MIN_SPLIT_INNER", 1)
    monkeypatch.setattr(_threads, "ROW_SPLIT_ROWS", 64)  # inference by rows, training not
    monkeypatch.setattr(_threads, "MIN_ELEMENTS_PER_THREAD", 1)
    X = (np.random.default_rng(4).random((300, 64)) < 0.3).astype(float)
    kw = {"n_latent": 3, "hidden_layer_sizes": (80,), "likelihood": "bernoulli",
          "batch_size": 50, "max_iter": 3, "random_state": 0}
    threaded = VAETransformer(**kw, n_jobs=3).fit(X)
    serial = VAETransformer(**kw).fit(X)
    np.testing.assert_allclose(threaded.loss_curve_, serial.loss_curve_, rtol=1e-9)
    for method in ("transform", "score_samples", "inverse_transform"):
        data = X if method != "inverse_transform" else serial.transform(X)
        np.testing.assert_allclose(getattr(threaded, method)(data),
                                   getattr(serial, method)(data), rtol=1e-7, atol=1e-9)


def recorded_blas_threads(monkeypatch):
    """BLAS's thread count at each serial product of the dense layers, in order."""
    seen = []
    for name in ("dense_forward", "dense_backward"):
        kernel = getattr(kernels, name)

        def spy(*args, kernel=kernel):
            seen.append(min(blas_threads().values()))
            return kernel(*args)

        monkeypatch.setattr(kernels, name, spy)
    return seen


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_small_products_run_on_one_blas_thread_large_ones_on_blas_s_own(monkeypatch, n_jobs):
    # Below MIN_WORK_PER_THREAD multiply-adds per thread a second thread
    # gains nothing, and waiting BLAS threads spin against any other busy
    # process: whatever BLAS was set to, such products run on one thread.
    seen = recorded_blas_threads(monkeypatch)
    rng = np.random.default_rng(5)
    before = blas_threads()
    with threadpool_limits(2, user_api="blas"), _threads.kernel_threads(n_jobs) as n_blocks:
        for n_in, n_out in [(64, 128), (800, 800)]:  # 0.8M and 64M multiply-adds
            a, w = rng.normal(size=(100, n_in)), rng.normal(size=(n_in, n_out))
            kernels.dense_layer(a, w, np.zeros(n_out), IDENTITY, np.empty((100, n_out)),
                                n_blocks)
    assert blas_threads() == before
    if n_blocks == 1:  # the large product too ran serially, on BLAS's two threads
        assert seen == [1, 2]
    else:  # the large product ran in numba's blocks, each a one-thread gemm
        assert seen == [1]
        assert set(blas_threads_inside_blocks(n_blocks).values()) == {1}


def blas_threads_inside_blocks(n_blocks):
    with _threads.kernel_threads(n_blocks):
        return blas_threads()


def test_the_cut_offs_keep_small_networks_serial_and_split_w():
    # digits (100 x 64 -> 128) and a 50-column table stay on one thread;
    # W's 784 x 500 layers are split between two.
    for n_in, n_out in [(64, 128), (50, 128), (128, 64), (128, 128), (20, 500), (500, 40)]:
        assert _threads.forward_blocks(100, n_in, n_out, 2) == (1, False)
        assert _threads.backward_blocks(100, n_in, n_out, True, 2) is None
    assert _threads.forward_blocks(100, 784, 500, 2) == (2, False)
    assert _threads.backward_blocks(100, 784, 500, True, 2) == (1, 1)
    assert _threads.backward_blocks(100, 784, 500, False, 2) == (2, 0)
    assert _threads.forward_blocks(4096, 64, 128, 2) == (2, True)  # inference chunks
    assert _threads.parameter_blocks(50_000, 2) == 1
    assert _threads.parameter_blocks(815_824, 2) == 2
    assert _threads.row_blocks(np.empty((100, 128)), 2) == 1
    assert _threads.row_blocks(np.empty((100, 784)), 2) == 2


def _threads_in_a_joblib_worker():
    from skvae import _threads

    with _threads.kernel_threads(None) as auto, _threads.kernel_threads(-1) as every:
        return auto, every, numba.get_num_threads()


def test_a_joblib_worker_gets_its_share_of_the_cores():
    # joblib's workers get NUMBA_NUM_THREADS = cores // n_jobs, so a search
    # with n_jobs=2 does not run 2 x cores threads.
    from joblib import Parallel, cpu_count, delayed

    share = max(1, cpu_count() // 2)
    results = Parallel(n_jobs=2)(delayed(_threads_in_a_joblib_worker)() for _ in range(2))
    for auto, every, numba_threads in results:
        assert numba_threads == share
        assert every == share
        assert auto in (1, share)


def _fit_in_child(queue):
    X = np.random.default_rng(0).random((300, 1024))
    vae = VAETransformer(n_latent=2, hidden_layer_sizes=(1024,), batch_size=100, max_iter=1,
                         random_state=0, n_jobs=2, likelihood="bernoulli").fit(X)
    queue.put(vae.n_iter_)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_process_forked_after_threads_ran_can_fit():
    import multiprocessing

    dense_forward_threads(*[np.ones((2, 2))] * 2, np.ones(2), IDENTITY, np.empty((2, 2)), 2)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_fit_in_child, args=(queue,))
    child.start()
    child.join(300)
    assert child.exitcode == 0
    assert queue.get(timeout=5) == 1


@pytest.mark.parametrize("layer", ["omp", "tbb"])
def test_the_default_uses_threads_on_tbb_only(layer):
    code = f"""
import numba
from skvae import _threads
assert _threads.threading_layer() == {layer!r}, _threads.threading_layer()
with _threads.kernel_threads(None) as n_blocks:
    pass
expected = numba.get_num_threads() if {layer!r} == "tbb" else 1
assert n_blocks == expected, (n_blocks, expected)
"""
    env = {**os.environ, "NUMBA_THREADING_LAYER": layer}
    probe = "from skvae import _threads; assert _threads._layer_loads('tbb')"
    if layer == "tbb" and subprocess.run([sys.executable, "-c", probe], env=env,
                                         check=False).returncode != 0:
        pytest.skip("numba's TBB layer is not installed (pip install tbb)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300, env=env)
