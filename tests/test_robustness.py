"""Interruption, memory use on memmaps, and concurrent inference.

The Ctrl-C and memmap tests run in child processes: one receives a real
SIGINT, the other measures its own anonymous memory from /proc.
"""

import signal
import subprocess
import sys
import textwrap
import threading
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skvae import VAETransformer

INTERRUPTED_CHILD = textwrap.dedent("""
    import sys, warnings
    import numpy as np
    import pandas as pd
    from skvae import VAETransformer

    X = np.random.default_rng(0).random((20000, 40))
    params = dict(hidden_layer_sizes=(32,), likelihood="bernoulli", random_state=0, tol=0.0,
                  n_iter_no_change=10**6)
    if sys.argv[1] == "table":  # trained by the compiled steps of _fused_epoch
        X = pd.DataFrame(X).assign(kind=np.where(X[:, 0] > 0.5, "high", "low"))
        X.columns = X.columns.astype(str)
        del params["likelihood"]
    vae = VAETransformer(max_iter=100000, verbose=2, **params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        vae.fit(X)
    messages = [str(w.message) for w in caught]
    print("WARNED", any("interrupted" in m for m in messages), flush=True)
    print("N_ITER", vae.n_iter_, len(vae.loss_curve_), flush=True)
    clean = VAETransformer(max_iter=vae.n_iter_, **params).fit(X)
    print("SAME_AS_CLEAN", np.array_equal(clean.transform(X), vae.transform(X)), flush=True)
    vae.set_params(warm_start=True, max_iter=1, verbose=0)
    vae.fit(X)
    print("AFTER_WARM_START", vae.n_iter_, flush=True)
""")


@pytest.mark.parametrize("data", ["array", "table"])
def test_ctrl_c_keeps_the_last_complete_epoch_and_warm_start_continues(tmp_path, data):
    script = tmp_path / "child.py"
    script.write_text(INTERRUPTED_CHILD)
    child = subprocess.Popen([sys.executable, str(script), data], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    epochs_seen = 0
    for line in child.stdout:
        if line.startswith("epoch "):
            epochs_seen += 1
            if epochs_seen == 3:
                child.send_signal(signal.SIGINT)
                break
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, err
    fields = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line}
    n_iter, n_losses = map(int, fields["N_ITER"])
    assert n_iter >= 3 and n_losses == n_iter
    assert fields["WARNED"] == ["True"]
    assert fields["SAME_AS_CLEAN"] == ["True"]
    assert fields["AFTER_WARM_START"] == [str(n_iter + 1)]


MEMMAP_CHILD = textwrap.dedent("""
    import sys, tracemalloc, warnings
    import numpy as np
    from skvae import VAETransformer

    path, n_rows, n_cols = sys.argv[1], 102_000, 784  # 305 MiB of float32
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n_rows, n_cols))
    rng = np.random.default_rng(0)
    for start in range(0, n_rows, 10_000):
        rows = min(10_000, n_rows - start)
        X[start:start + rows] = rng.random((rows, n_cols), dtype=np.float32) < 0.3
    X.flush()
    del X
    X = np.load(path, mmap_mode="r")

    params = dict(likelihood="bernoulli", hidden_layer_sizes=(128, 64), max_iter=1,
                  early_stopping=True, random_state=0)
    warnings.simplefilter("ignore")
    VAETransformer(**params).fit(np.asarray(X[:500]))  # compile and warm up first
    # tracemalloc's peak is a high-water mark of every numpy allocation, so
    # even a copy of X that lives a moment is seen.
    tracemalloc.start()
    vae = VAETransformer(**params).fit(X)
    scores = vae.score_samples(X[:2000])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print("GROWTH_MB", peak / 2**20, "MODEL_MB", 3 * vae._theta.nbytes / 2**20,
          "DATA_MB", X.nbytes / 2**20)
    print("FINITE", bool(np.isfinite(scores).all()))
""")


def test_fitting_a_memmap_makes_no_in_memory_copy(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(MEMMAP_CHILD)
    result = subprocess.run([sys.executable, str(script), str(tmp_path / "X.npy")],
                            check=False, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    fields = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()}
    growth = float(fields["GROWTH_MB"][0])
    model = float(fields["GROWTH_MB"][2])
    data = float(fields["GROWTH_MB"][4])
    assert data > 300
    assert growth < model + 100, result.stdout
    assert fields["FINITE"] == ["True"]


def test_inference_from_four_threads_matches_serial_calls():
    X = np.random.default_rng(0).normal(size=(3000, 12))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        vae = VAETransformer(hidden_layer_sizes=(16,), max_iter=3, random_state=0).fit(X)
    calls = {
        "transform": lambda: vae.transform(X),
        "score_samples": lambda: vae.score_samples(X),
        "sample": lambda: vae.sample(500, random_state=3),
        "inverse_transform": lambda: vae.inverse_transform(X[:, :2]),
    }
    serial = {name: call() for name, call in calls.items()}
    results, errors = {}, []

    def worker(k):
        try:
            for _ in range(3):
                for name, call in calls.items():
                    results[(k, name)] = call()
        except Exception as exc:  # noqa: BLE001 - any failure in a thread is reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for (_, name), value in results.items():
        np.testing.assert_array_equal(value, serial[name])
    assert len(results) == 16


@pytest.mark.parametrize("n_threads", [1, 2])
def test_same_random_state_same_fit_for_a_given_blas_thread_count(n_threads):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    X = np.random.default_rng(1).normal(size=(400, 30))
    fits = []
    with threadpoolctl.threadpool_limits(n_threads), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(2):
            fits.append(VAETransformer(hidden_layer_sizes=(64,), max_iter=3,
                                       random_state=5).fit(X).transform(X))
    np.testing.assert_array_equal(fits[0], fits[1])


# -- a loss that climbs is not convergence ---------------------------------------
def test_a_rising_loss_is_reported_with_what_to_change():
    from skvae._training import rising_loss_message

    rng = np.random.default_rng(0)
    settling = 20 + 30 * np.exp(-np.arange(60) / 8) + rng.normal(0, 0.2, 60)
    assert rising_loss_message(settling, 3e-3) is None
    exploding = np.r_[3.5e5, np.linspace(1e4, 1590, 9), np.linspace(6e3, 1.9e4, 11)]
    message = rising_loss_message(exploding, 0.3)
    assert message.startswith("The loss rose from 1590 (epoch 10) to 1.9e+04 (epoch 21)")
    assert "Lower learning_rate_init (now 0.3)" in message
    later = rising_loss_message(exploding, 0.3, first_epoch=11)  # after 10 warm-up epochs
    assert later.startswith("The loss rose from 1590 (epoch 20) to 1.9e+04 (epoch 31)")
    # a best loss near zero: noise alone must not count as a rise
    near_zero = 0.05 + 2 * np.exp(-np.arange(60) / 5) + rng.normal(0, 0.05, 60)
    assert rising_loss_message(near_zero, 3e-3) is None
    assert rising_loss_message([5.0, 9.0], 1.0) is None  # too short to judge
    # a spike after the best epoch, half recovered from (digits at learning_rate_init=0.05
    # on one machine): its erratic steps make the noise large, but the spike is larger
    spiking = [285.7, 112.7, 61.9, 45.8, 43.5, 36.9, 46.9, 85.9, 73.8, 76.1, 308.5, 286.9,
               89.2, 61.8, 67.0, 70.6, 75.1]
    assert rising_loss_message(spiking, 0.05).startswith(
        "The loss rose from 36.9 (epoch 6) to 308.5 (epoch 11) and ended at 75.1: training "
        "is unstable")
    blip = settling.copy()
    blip[50] += 1.0  # one epoch off by five times the noise's sd, after the run has settled
    assert rising_loss_message(blip, 3e-3) is None


def test_a_fit_whose_loss_explodes_warns_instead_of_claiming_convergence():
    from sklearn.datasets import load_digits

    X = load_digits().data / 16
    with pytest.warns(ConvergenceWarning, match=r"The loss rose from .* training is unstable"):
        # far too large a step: the loss climbs from about 1300 to 1e5 (a step of
        # 0.05 also climbs, but by less than twice its best, which the exact
        # arithmetic of the machine's BLAS decides)
        vae = VAETransformer(learning_rate_init=0.3, max_iter=60, random_state=0).fit(X)
    assert vae.n_iter_ < 60  # it stopped for "no improvement", which is not convergence


def test_the_loss_rising_during_kl_warm_up_is_not_reported():
    from sklearn.datasets import load_digits

    X = load_digits().data / 16
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # a weight of 4 on the KL term makes the loss climb while it ramps up
        VAETransformer(beta=4.0, kl_warmup_epochs=15, max_iter=25, hidden_layer_sizes=(16,),
                       random_state=0).fit(X)
    assert not [w for w in caught if "rose" in str(w.message)]
