"""The compiled table steps (``_fused_epoch``) against the Python loop of ``run_epoch``.

The oracle is the Python loop itself, kernel call by kernel call: with the
same seed the compiled steps must give the same parameters, bit for bit,
and the same losses.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning

from skvae import VAETransformer, _fused_epoch


def mixed_table(n_rows=537, seed=0):
    """Numeric, count, categorical and boolean columns, with holes."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "income": rng.normal(size=n_rows) * 100 + 500,
        "plan": rng.choice(["basic", "plus", "pro"], n_rows),
        "calls": rng.poisson(2, n_rows).astype(float),
        "active": rng.choice([True, False], n_rows),
    })
    frame.loc[rng.random(n_rows) < 0.1, "income"] = np.nan
    frame.loc[rng.random(n_rows) < 0.1, "plan"] = None
    return frame


def fit(X, monkeypatch, fused, quiet=True, **params):
    """A fit, and how many epochs ran the compiled steps."""
    calls = []
    run_steps = _fused_epoch.run_steps

    def counted(*args, **kwargs):
        calls.append(1)
        return run_steps(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(_fused_epoch, "run_steps", counted)
        if not fused:
            patch.setattr(_fused_epoch, "applies", lambda *args: False)
        vae = VAETransformer(**{"n_latent": 3, "hidden_layer_sizes": (16, 8),
                                "random_state": 0, "max_iter": 6, **params})
        with warnings.catch_warnings():
            if quiet:
                warnings.simplefilter("ignore", ConvergenceWarning)
            vae.fit(X)
    return vae, len(calls)


SETTINGS = {
    "defaults": {},
    "two draws, weight decay, KL warm-up": {"n_mc_samples": 2, "alpha": 1e-3,
                                            "kl_warmup_epochs": 3},
    "early stopping": {"early_stopping": True},
    "a partial last minibatch of one row": {"batch_size": 64},
}


@pytest.mark.parametrize("steps_per_call", [_fused_epoch.STEPS_PER_CALL, 2])
@pytest.mark.parametrize("setting", SETTINGS)
def test_compiled_steps_give_the_python_loops_parameters_bit_for_bit(setting, steps_per_call,
                                                                     monkeypatch):
    # two steps per call: the noise is drawn a few steps at a time, and must
    # still be the numbers the loop draws one step at a time
    monkeypatch.setattr(_fused_epoch, "STEPS_PER_CALL", steps_per_call)
    X = mixed_table(n_rows=577 if setting.startswith("a partial") else 537)
    fused, n_fused = fit(X, monkeypatch, True, **SETTINGS[setting])
    loop, n_loop = fit(X, monkeypatch, False, **SETTINGS[setting])
    assert n_fused == fused.n_iter_ and n_loop == 0
    np.testing.assert_array_equal(fused._theta, loop._theta)
    assert fused.loss_curve_ == loop.loss_curve_
    assert fused.validation_scores_ == loop.validation_scores_


def test_compiled_steps_run_on_float64_tables_too(monkeypatch):
    # an array with holes is a table, in its own dtype
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 5))
    X[rng.random(X.shape) < 0.1] = np.nan
    fused, n_fused = fit(X, monkeypatch, True)
    loop, _ = fit(X, monkeypatch, False)
    assert n_fused == fused.n_iter_ and fused._theta.dtype == np.float64
    np.testing.assert_array_equal(fused._theta, loop._theta)


@pytest.mark.parametrize("params", [
    {"objective": "iwae", "n_mc_samples": 2}, {"kl_estimator": "mc"}, {"solver": "sgd"},
    {"solver": "adagrad"},
])
def test_other_objectives_and_solvers_run_the_python_loop(params, monkeypatch):
    _, n_fused = fit(mixed_table(), monkeypatch, True, max_iter=2, **params)
    assert n_fused == 0


def test_plain_arrays_and_large_products_run_the_python_loop(monkeypatch):
    X = np.random.default_rng(0).random((200, 8))
    _, n_fused = fit(X, monkeypatch, True, max_iter=2, likelihood="bernoulli")
    assert n_fused == 0
    # 100 rows x 1024 x 1024 multiply-adds is a product BLAS may split
    _, n_fused = fit(mixed_table(), monkeypatch, True, max_iter=1,
                     hidden_layer_sizes=(1024, 1024))
    assert n_fused == 0


def test_a_fit_that_diverges_in_the_compiled_steps_rolls_back_as_the_loop_does(monkeypatch):
    # a step of 1e30 overflows float32's products: the loss of the epoch's
    # second minibatch is not finite
    X = mixed_table()
    results = []
    for fused in (True, False):
        with pytest.warns(ConvergenceWarning, match="diverged in epoch"):
            vae, n_fused = fit(X, monkeypatch, fused, quiet=False, learning_rate_init=1e30,
                               max_iter=20)
        results.append((vae, n_fused))
    (fused, n_fused), (loop, _) = results
    assert n_fused == 1
    assert fused.n_iter_ == loop.n_iter_ == 0
    np.testing.assert_array_equal(fused._theta, loop._theta)
    assert np.isfinite(fused._theta).all()
