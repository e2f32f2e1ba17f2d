"""VAETransformer as a scikit-learn user meets it.

Outputs are checked against the plain-numpy reference forward pass, and
the fitted models are small so that the file runs in seconds.
"""

import gc
import pickle
import warnings

import numpy as np
import pytest
from scipy.special import logsumexp
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline

from skvae import VAETransformer

from . import reference as ref


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.fixture(scope="module")
def small_fit(digits):
    X, _ = digits
    vae = VAETransformer(n_latent=3, hidden_layer_sizes=(16, 8), likelihood="bernoulli",
                         max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return vae.fit(X[:300]), X[:300]


def quick(**params):
    """A small model that trains in a fraction of a second."""
    defaults = {"n_latent": 2, "hidden_layer_sizes": (32,), "max_iter": 3,
                "learning_rate_init": 0.01, "random_state": 0}
    return VAETransformer(**{**defaults, **params})


def fit_quietly(est, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X)


def theta_of(est):
    return est._theta


def arch_of(est):
    a = est._fitted_architecture
    return a["n_latent"], a["hidden_layer_sizes"], a["activation"], a["likelihood"]


# -- outputs against the numpy reference -------------------------------------
def test_transform_is_the_reference_posterior_mean(small_fit):
    vae, X = small_fit
    n_latent, hidden, act, lik = arch_of(vae)
    mu, _, _ = ref.encode(theta_of(vae), X, n_latent, hidden, act, lik)
    np.testing.assert_allclose(vae.transform(X), mu, rtol=1e-10, atol=1e-12)


def test_inverse_transform_is_the_reference_decoder_mean(small_fit):
    vae, X = small_fit
    n_latent, hidden, act, lik = arch_of(vae)
    Z = np.random.default_rng(0).normal(size=(10, n_latent))
    _, (dw, db) = ref.split(theta_of(vae), X.shape[1], n_latent, hidden, lik)
    out, _ = ref.mlp(Z, dw, db, act)
    np.testing.assert_allclose(vae.inverse_transform(Z), ref.decoder_mean(out, lik, X.shape[1]),
                               rtol=1e-10)


def test_score_samples_is_the_reference_elbo_with_the_documented_draws(small_fit):
    vae, X = small_fit
    n_latent, hidden, act, lik = arch_of(vae)
    theta = theta_of(vae)
    mu, log_var, _ = ref.encode(theta, X, n_latent, hidden, act, lik)
    noise = np.random.default_rng(0).standard_normal((16, n_latent))
    _, (dw, db) = ref.split(theta, X.shape[1], n_latent, hidden, lik)
    log_px = []
    for e in noise:
        out, _ = ref.mlp(mu + np.exp(0.5 * log_var) * e, dw, db, act)
        log_px.append(ref.log_likelihood(X, out, lik, 0.0))
    expected = np.mean(log_px, axis=0) - ref.kl_standard_normal(mu, log_var)
    np.testing.assert_allclose(vae.score_samples(X), expected, rtol=1e-10)
    assert vae.score(X) == pytest.approx(expected.mean())


def test_score_samples_is_deterministic_and_independent_of_the_batch(small_fit):
    vae, X = small_fit
    full = vae.score_samples(X)
    np.testing.assert_array_equal(vae.score_samples(X), full)
    np.testing.assert_array_equal(vae.score_samples(X[::-1])[::-1], full)
    np.testing.assert_array_equal(vae.score_samples(X[5:9]), full[5:9])


def test_marginal_log_likelihood_is_above_the_elbo_and_tightens(small_fit):
    vae, X = small_fit
    rows = X[:60]
    elbo = vae.score_samples(rows).mean()
    iw10 = vae.marginal_log_likelihood(rows, n_samples=10, random_state=0).mean()
    iw500 = vae.marginal_log_likelihood(rows, n_samples=500, random_state=0).mean()
    assert elbo < iw10 < iw500
    again = vae.marginal_log_likelihood(rows, n_samples=500, random_state=0)
    assert again.mean() == iw500


def test_marginal_log_likelihood_of_one_draw_estimates_the_elbo(small_fit):
    vae, X = small_fit
    one_draw = vae.marginal_log_likelihood(np.repeat(X[:1], 4000, axis=0), n_samples=1,
                                           random_state=1)
    elbo = vae.score_samples(X[:1])[0]
    assert abs(one_draw.mean() - elbo) < 4 * one_draw.std() / np.sqrt(4000) + 0.05


# -- training -----------------------------------------------------------------
def test_pipeline_with_logistic_regression_beats_pca(digits):
    X, y = digits
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0, stratify=y)
    scores = {}
    for name, step in [("vae", VAETransformer(n_latent=5, random_state=0)), ("pca", PCA(5))]:
        pipe = Pipeline([("reduce", step), ("clf", LogisticRegression(max_iter=1000))])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            scores[name] = pipe.fit(X_tr, y_tr).score(X_te, y_te)
    assert scores["vae"] > scores["pca"]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # 15 epochs
def test_grid_search_selects_by_held_out_elbo_in_parallel(digits):
    X, _ = digits
    grid = {"n_latent": [1, 4]}
    searches = [GridSearchCV(quick(max_iter=15, likelihood="bernoulli"), grid, cv=3,
                             n_jobs=n_jobs).fit(X[:600]) for n_jobs in (1, 2)]
    serial, parallel = (s.cv_results_["mean_test_score"] for s in searches)
    np.testing.assert_allclose(parallel, serial, rtol=1e-12)
    assert searches[1].best_params_ == {"n_latent": 4}
    assert np.isfinite(serial).all()


def test_training_raises_the_elbo(digits):
    X, _ = digits
    short = fit_quietly(quick(max_iter=1, likelihood="bernoulli"), X[:500])
    longer = fit_quietly(quick(max_iter=30, likelihood="bernoulli"), X[:500])
    assert longer.score(X[500:800]) > short.score(X[500:800]) + 1.0
    assert longer.loss_curve_[-1] < longer.loss_curve_[0]
    assert len(longer.loss_curve_) == longer.n_iter_


def test_partial_fit_runs_one_epoch_each_call_and_continues(digits):
    X, _ = digits
    vae = quick(likelihood="bernoulli")
    for k in range(1, 4):
        vae.partial_fit(X[:400])
        assert vae.n_iter_ == k and len(vae.loss_curve_) == k
    assert vae.loss_curve_[-1] < vae.loss_curve_[0]
    with pytest.raises(ValueError, match="features"):
        vae.partial_fit(X[:10, :20])


def test_warm_start_continues_from_the_fitted_parameters(digits):
    X, _ = digits
    vae = fit_quietly(quick(max_iter=2, warm_start=True, likelihood="bernoulli"), X[:300])
    first = theta_of(vae).copy()
    fit_quietly(vae, X[:300])
    assert vae.n_iter_ == 4 and len(vae.loss_curve_) == 4
    assert not np.array_equal(theta_of(vae), first)
    vae.set_params(n_latent=3)
    with pytest.raises(ValueError, match="n_latent"):
        vae.fit(X[:300])


def test_early_stopping_records_and_restores_the_best_validation_elbo(digits):
    X, _ = digits
    vae = fit_quietly(quick(early_stopping=True, max_iter=40, n_iter_no_change=2,
                            likelihood="bernoulli"), X[:400])
    assert len(vae.validation_scores_) == vae.n_iter_ < 40
    assert vae.best_validation_score_ == max(vae.validation_scores_)
    assert vae.best_validation_score_ != vae.validation_scores_[-1]
    plain = fit_quietly(quick(), X[:100])
    assert plain.validation_scores_ is None and plain.best_validation_score_ is None


def test_every_solver_activation_and_likelihood_trains(digits):
    X, _ = digits
    step_sizes = {"adam": 0.01, "adagrad": 0.05, "sgd": 0.005}
    for solver, step in step_sizes.items():
        for activation in ("tanh", "relu", "softplus", "leaky_relu"):
            for likelihood in ("bernoulli", "gaussian"):
                vae = fit_quietly(quick(solver=solver, activation=activation, n_mc_samples=2,
                                        likelihood=likelihood, learning_rate_init=step, max_iter=5,
                                        min_variance=0.1, alpha=1.0, beta=0.5), X[:200])
                assert vae.loss_curve_[-1] < vae.loss_curve_[0], (solver, activation, likelihood)
                assert np.isfinite(vae.transform(X[:5])).all()


def test_a_diverging_fit_rolls_back_to_the_last_finite_epoch_and_warns():
    X = (np.random.default_rng(0).normal(size=(200, 4)) * 1e3).astype(np.float32)
    params = {"hidden_layer_sizes": (32,), "solver": "sgd", "learning_rate_init": 1e6,
              "random_state": 0}
    vae = VAETransformer(max_iter=5, **params)
    with pytest.warns(ConvergenceWarning, match="diverged in epoch 2"):
        vae.fit(X)
    assert vae.n_iter_ == 1
    clean = fit_quietly(VAETransformer(max_iter=1, **params), X)
    np.testing.assert_array_equal(theta_of(vae), theta_of(clean))
    assert np.isfinite(vae.transform(X)).all() and np.isfinite(vae.score_samples(X)).all()



def test_an_epoch_whose_last_update_breaks_the_model_returns_nan(digits):
    # Its minibatch losses were all computed before their updates; the check
    # after the last one must see the encoder's variances overflow.
    from skvae._training import InterruptFlag, TrainingOptions, run_epoch

    X = digits[0][:150]
    vae = fit_quietly(quick(max_iter=1, likelihood="bernoulli"), X)
    options = TrainingOptions(n_epochs=1, batch_size=100, n_draws=1, beta=1.0, l2=0.0,
                              kl_estimator="analytic", objective="elbo", kl_warmup_epochs=0,
                              tol=0.0, n_iter_no_change=10, verbose=0,
                              stop_when_converged=False)

    class Breaks:
        """An update that leaves every parameter finite but the encoder's means at 1e300."""

        def __init__(self, model, at_step):
            self.model, self.at_step, self.steps = model, at_step, 0

        def step(self, theta, grad, n_blocks):
            self.steps += 1
            if self.steps == self.at_step:
                self.model.encoder[1][-1][: self.model.n_latent] = 1e300

    for at_step, finite in [(2, False), (3, True)]:  # two minibatches: step 3 never comes
        model = vae._model(vae._theta.copy())
        ws = model.workspace(options.batch_size, 1)
        loss = run_epoch(model, Breaks(model, at_step), X, np.arange(len(X)), options,
                         np.random.default_rng(0), ws, np.empty_like(model.theta),
                         InterruptFlag())
        assert np.isfinite(model.theta).all()
        assert np.isfinite(loss) == finite



# -- determinism, persistence, dtypes ------------------------------------------
def test_same_random_state_same_results(digits):
    X, _ = digits
    a, b = (fit_quietly(quick(random_state=7), X[:200]) for _ in range(2))
    c = fit_quietly(quick(random_state=8), X[:200])
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    np.testing.assert_array_equal(a.sample(5, random_state=1), b.sample(5, random_state=1))
    assert not np.allclose(a.transform(X), c.transform(X))


def test_pickle_round_trip_gives_identical_outputs(small_fit):
    vae, X = small_fit
    clone = pickle.loads(pickle.dumps(vae))
    np.testing.assert_array_equal(clone.transform(X), vae.transform(X))
    np.testing.assert_array_equal(clone.score_samples(X), vae.score_samples(X))
    np.testing.assert_array_equal(clone.sample(4, random_state=3), vae.sample(4, random_state=3))
    clone.partial_fit(X)  # and it can keep training
    assert clone.n_iter_ == vae.n_iter_ + 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(digits, dtype):
    X = digits[0][:200].astype(dtype)
    vae = fit_quietly(quick(), X)
    assert theta_of(vae).dtype == dtype
    Z = vae.transform(X)
    assert Z.dtype == dtype
    assert vae.inverse_transform(Z).dtype == dtype
    assert vae.score_samples(X).dtype == dtype
    assert vae.sample(3).dtype == dtype
    assert vae.marginal_log_likelihood(X[:3], n_samples=5).dtype == dtype


def test_outputs_are_ordinary_arrays_that_outlive_the_estimator(digits):
    """2-D results come from numba's allocator (see ``empty_rows``)."""
    X = digits[0][:120]
    vae = fit_quietly(quick(), X)
    Z = vae.transform(X)
    outputs = [Z, vae.inverse_transform(Z), vae.sample(7, random_state=0)]
    expected = [out.copy() for out in outputs]
    del vae
    gc.collect()
    for out, copy, n_rows in zip(outputs, expected, (120, 120, 7)):
        assert out.shape[0] == n_rows and out.flags.c_contiguous and out.flags.writeable
        np.testing.assert_array_equal(pickle.loads(pickle.dumps(out)), copy)
        out += 1.0
        np.testing.assert_array_equal(out, copy + 1.0)


def test_sample_draws_binary_rows_from_a_bernoulli_model(small_fit):
    vae, X = small_fit
    draws = vae.sample(50, random_state=0)
    assert draws.shape == (50, X.shape[1])
    assert set(np.unique(draws)) <= {0.0, 1.0}


def test_sample_means_are_the_decoder_means_at_the_same_latent_draws(small_fit):
    from skvae._estimator import _generator

    vae, _ = small_fit
    means = vae.sample(20, random_state=3, means=True)
    Z = _generator(3).standard_normal((20, 3))  # the draws of z that sample makes
    np.testing.assert_allclose(means, vae.inverse_transform(Z), rtol=1e-6)
    assert ((means > 0) & (means < 1)).all() and len(np.unique(means)) > 100
    held = vae.sample(5, random_state=0, given={0: 1.0, 10: 0.0}, means=True)
    assert (held[:, 0] == 1.0).all() and (held[:, 10] == 0.0).all()
    assert ((held[:, 20:] > 0) & (held[:, 20:] < 1)).all()
    with pytest.raises(TypeError, match="means must be True or False, got 'yes'"):
        vae.sample(5, means="yes")


def test_feature_names_and_pandas_output(digits):
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(digits[0][:100], columns=[f"px{i}" for i in range(64)])
    vae = fit_quietly(quick(n_latent=3), X)
    np.testing.assert_array_equal(vae.feature_names_in_, X.columns)
    names = ["vaetransformer0", "vaetransformer1", "vaetransformer2"]
    assert list(vae.get_feature_names_out()) == names
    out = vae.set_output(transform="pandas").transform(X)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == names


def test_network_weights_are_exposed_read_only(small_fit):
    vae, _ = small_fit
    assert [w.shape for w in vae.encoder_coefs_] == [(64, 16), (16, 8), (8, 6)]
    assert [w.shape for w in vae.decoder_coefs_] == [(3, 8), (8, 16), (16, 64)]
    assert [b.shape for b in vae.decoder_intercepts_] == [(8,), (16,), (64,)]
    with pytest.raises(ValueError, match="read-only"):
        vae.encoder_coefs_[0][0, 0] = 1.0
    np.testing.assert_array_equal(vae.encoder_intercepts_[0], theta_of(vae)[
        sum(w.size for w in vae.encoder_coefs_ + vae.decoder_coefs_):][:16])


def test_a_fit_stopped_by_max_iter_warns_and_a_converged_one_does_not(digits):
    X, _ = digits
    params = {"hidden_layer_sizes": (8,), "random_state": 0}
    with pytest.warns(ConvergenceWarning, match=r"Stopped at max_iter=2 epochs"):
        VAETransformer(max_iter=2, **params).fit(X[:200])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        vae = VAETransformer(max_iter=500, tol=10.0, n_iter_no_change=1, **params).fit(X[:200])
    assert vae.n_iter_ < 500


def test_the_validation_elbo_of_early_stopping_is_the_reference_elbo_with_its_draws(small_fit):
    # one draw per row, row i's from noise[i]; rows out of order and beyond one chunk
    from skvae._inference import ROW_BUDGET, validation_elbo

    vae, X = small_fit
    rows = np.tile(np.arange(X.shape[0])[::-1], ROW_BUDGET // X.shape[0] + 1)
    noise = np.random.default_rng(1).standard_normal((len(rows), 3))
    got = validation_elbo(vae._model(vae._theta), X, rows, noise)
    loss, _ = ref.objective(vae._theta, X[rows], noise[None], (16, 8), "tanh", "bernoulli",
                            1.0, 0.0, 0.0)
    assert len(rows) > ROW_BUDGET
    np.testing.assert_allclose(got, -loss, rtol=1e-9)


def test_marginal_log_likelihood_beyond_one_chunk_of_draws_is_the_reference(small_fit):
    # More draws than one workspace holds (ROW_BUDGET = 4096): a row at a
    # time, its draws in two chunks from one generator, log-weights pooled.
    vae, X = small_fit
    x, n_samples = X[:2], 5000
    got = vae.marginal_log_likelihood(x, n_samples=n_samples, random_state=0)
    theta, hidden = vae._theta, (16, 8)
    seed = np.random.RandomState(0).randint(np.iinfo(np.int32).max)
    rng = np.random.default_rng(seed)
    eps = np.concatenate(
        [np.concatenate([rng.standard_normal((4096, 1, 3)),
                         rng.standard_normal((n_samples - 4096, 1, 3))]) for _ in x], axis=1)
    mu, log_var, _ = ref.encode(theta, x, 3, hidden, "tanh", "bernoulli")
    _, (dw, db) = ref.split(theta, x.shape[1], 3, hidden, "bernoulli")
    z = mu[None] + np.exp(0.5 * log_var)[None] * eps
    out, _ = ref.mlp(z.reshape(-1, 3), dw, db, "tanh")
    log_px = ref.log_likelihood(x, out, "bernoulli", 0.0).reshape(n_samples, 2)
    sd = np.exp(0.5 * log_var)[None]
    log_q = (-0.5 * ((z - mu[None]) / sd) ** 2 - np.log(sd) - 0.5 * np.log(2 * np.pi)).sum(2)
    log_prior = (-0.5 * z**2 - 0.5 * np.log(2 * np.pi)).sum(2)
    expected = logsumexp(log_px + log_prior - log_q, axis=0) - np.log(n_samples)
    np.testing.assert_allclose(got, expected, rtol=1e-9)
