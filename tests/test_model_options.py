"""The model options beyond the paper's recipe, through the estimator.

Likelihoods for other kinds of data, estimator A of the KL term, the IWAE
objective and KL warm-up. Their gradients are checked in test_gradients.py;
here each option is fitted and its outputs checked against the numpy
reference, or against another path through the code that must agree.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from skvae import VAETransformer

from . import reference as ref

RAW_DIGITS = load_digits().data[:300]  # whole numbers 0..16


def data_for(likelihood):
    if likelihood == "poisson":
        return RAW_DIGITS
    if likelihood in ("gaussian", "gaussian_unit"):
        return (RAW_DIGITS - RAW_DIGITS.mean(axis=0)) / 4.0
    return RAW_DIGITS / 16.0


def fit(X, **params):
    settings = {"n_latent": 2, "hidden_layer_sizes": (24,), "max_iter": 6,
                "learning_rate_init": 0.01, "random_state": 0, **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return VAETransformer(**settings).fit(X)


@pytest.mark.parametrize("likelihood", ["gaussian_unit", "continuous_bernoulli", "poisson"])
def test_new_likelihoods_train_and_match_the_reference(likelihood):
    X = data_for(likelihood)
    vae = fit(X, likelihood=likelihood)
    assert vae.loss_curve_[-1] < vae.loss_curve_[0]
    hidden = vae._fitted_architecture["hidden_layer_sizes"]
    theta = vae._theta

    Z = np.random.default_rng(0).normal(size=(10, 2))
    _, (dw, db) = ref.split(theta, X.shape[1], 2, hidden, likelihood)
    out, _ = ref.mlp(Z, dw, db, "tanh")
    np.testing.assert_allclose(vae.inverse_transform(Z),
                               ref.decoder_mean(out, likelihood, X.shape[1]), rtol=1e-9)

    mu, log_var, _ = ref.encode(theta, X[:40], 2, hidden, "tanh", likelihood)
    noise = np.random.default_rng(0).standard_normal((16, 2))
    log_px = [ref.log_likelihood(X[:40], ref.mlp(mu + np.exp(0.5 * log_var) * e, dw, db,
                                                 "tanh")[0], likelihood, 0.0)
              for e in noise]
    expected = np.mean(log_px, axis=0) - ref.kl_standard_normal(mu, log_var)
    np.testing.assert_allclose(vae.score_samples(X[:40]), expected, rtol=1e-9)

    draws = vae.sample(50, random_state=0)
    assert draws.shape == (50, X.shape[1]) and np.isfinite(draws).all()
    if likelihood == "poisson":
        assert draws.min() >= 0 and np.array_equal(draws, np.floor(draws))
    if likelihood == "continuous_bernoulli":
        assert draws.min() >= 0 and draws.max() <= 1
        assert len(np.unique(draws)) > 1000  # continuous, not binary


def test_continuous_bernoulli_is_a_better_density_for_grey_levels_than_bernoulli():
    # On grey levels the Bernoulli "likelihood" is not normalized (it is not a
    # density on [0, 1]), so its score is not comparable; the continuous
    # Bernoulli's is, and must be a proper log-density: above the uniform's 0.
    X = data_for("continuous_bernoulli")
    vae = fit(X, likelihood="continuous_bernoulli", max_iter=30)
    assert vae.score(X) > 0.0


def test_iwae_with_one_draw_is_the_elbo_with_estimator_a():
    X = data_for("bernoulli")
    iwae = fit(X, likelihood="bernoulli", objective="iwae", n_mc_samples=1, max_iter=3)
    elbo_a = fit(X, likelihood="bernoulli", kl_estimator="mc", n_mc_samples=1, max_iter=3)
    np.testing.assert_allclose(iwae.loss_curve_, elbo_a.loss_curve_, rtol=1e-9)
    np.testing.assert_allclose(iwae._theta, elbo_a._theta, rtol=1e-7, atol=1e-10)


def test_iwae_training_loss_is_the_importance_weighted_bound_it_reports():
    # The epoch's loss is the negative IWAE(k=5) bound measured while
    # training; marginal_log_likelihood(n_samples=5) estimates the same bound
    # by a separate code path, after the last epoch's updates.
    X = data_for("bernoulli")
    vae = fit(X, likelihood="bernoulli", objective="iwae", n_mc_samples=5, max_iter=20,
              learning_rate_init=3e-3)
    bound = vae.marginal_log_likelihood(X, n_samples=5, random_state=0).mean()
    assert bound == pytest.approx(-vae.loss_curve_[-1], rel=0.02)


def test_estimator_a_and_b_train_to_similar_elbos():
    X = data_for("bernoulli")
    b = fit(X, likelihood="bernoulli", max_iter=15)
    a = fit(X, likelihood="bernoulli", kl_estimator="mc", max_iter=15)
    assert not np.allclose(a._theta, b._theta)
    assert a.score(X) == pytest.approx(b.score(X), rel=0.05)


def test_kl_warmup_is_beta_rising_linearly_per_step():
    # With one minibatch per epoch, step e (from 0) of a 3-epoch warm-up has
    # KL weight e / 3; partial_fit with those betas must take the same steps.
    X = data_for("bernoulli")[:64]
    params = {"batch_size": 64, "likelihood": "bernoulli"}
    warm = fit(X, kl_warmup_epochs=3, max_iter=5, **params)
    by_hand = VAETransformer(n_latent=2, hidden_layer_sizes=(24,), learning_rate_init=0.01,
                             random_state=0, **params)
    for beta in [0.0, 1 / 3, 2 / 3, 1.0, 1.0]:
        by_hand.set_params(beta=beta).partial_fit(X)
    np.testing.assert_array_equal(warm._theta, by_hand._theta)
    np.testing.assert_array_equal(warm.loss_curve_, by_hand.loss_curve_)


def test_kl_warmup_continues_over_partial_fit_calls():
    X = data_for("bernoulli")[:64]
    params = {"n_latent": 2, "hidden_layer_sizes": (24,), "batch_size": 64,
              "likelihood": "bernoulli", "random_state": 0}
    ramp = VAETransformer(kl_warmup_epochs=2, **params)
    by_hand = VAETransformer(**params)
    for beta in [0.0, 0.5, 1.0]:
        ramp.partial_fit(X)
        by_hand.set_params(beta=beta).partial_fit(X)
    np.testing.assert_array_equal(ramp._theta, by_hand._theta)


def test_convergence_is_not_checked_during_kl_warmup():
    # tol so large that no epoch counts as an improvement: without warm-up
    # training stops after n_iter_no_change + 2 epochs; with it, that many
    # epochs after the warm-up. The validation ELBO is the true bound at every
    # KL weight, so it is recorded during warm-up (and the first epoch after
    # it already counts as one without improvement), but stops no run.
    X = data_for("bernoulli")
    params = {"likelihood": "bernoulli", "tol": 1e9, "n_iter_no_change": 1, "max_iter": 20}
    assert fit(X, **params).n_iter_ == 3
    assert fit(X, kl_warmup_epochs=4, **params).n_iter_ == 7
    early = fit(X, kl_warmup_epochs=4, early_stopping=True, **params)
    assert early.n_iter_ == 6 and len(early.validation_scores_) == 6
    assert early.best_validation_score_ == max(early.validation_scores_)


def test_poisson_refuses_fractional_data_at_fit_and_score():
    with pytest.raises(ValueError, match="whole-number counts"):
        VAETransformer(likelihood="poisson").fit(RAW_DIGITS + 0.5)
    vae = fit(RAW_DIGITS, likelihood="poisson", max_iter=1)
    with pytest.raises(ValueError, match="whole-number counts"):
        vae.score_samples(RAW_DIGITS / 16.0)


def test_alpha_penalizes_the_weights_per_training_row():
    # alpha / n_train / 2 * ||W||^2 joins the per-row objective: a strong
    # alpha keeps the weights far smaller.
    X = data_for("bernoulli")

    def weight_norm(vae):
        return np.sqrt(sum((w**2).sum() for w in vae.encoder_coefs_ + vae.decoder_coefs_))

    free = fit(X, likelihood="bernoulli")
    penalized = fit(X, likelihood="bernoulli", alpha=3000.0)
    assert weight_norm(penalized) < 0.5 * weight_norm(free)


@pytest.mark.parametrize("min_variance", [0.3, 1e-3])
def test_gaussian_with_a_chosen_variance_floor_matches_the_reference(min_variance):
    X = data_for("gaussian")
    vae = fit(X, likelihood="gaussian", min_variance=min_variance)
    hidden, theta = vae._fitted_architecture["hidden_layer_sizes"], vae._theta
    mu, log_var, _ = ref.encode(theta, X[:40], 2, hidden, "tanh", "gaussian")
    _, (dw, db) = ref.split(theta, X.shape[1], 2, hidden, "gaussian")
    noise = np.random.default_rng(0).standard_normal((16, 2))
    log_px = [ref.log_likelihood(X[:40], ref.mlp(mu + np.exp(0.5 * log_var) * e, dw, db,
                                                 "tanh")[0], "gaussian", min_variance)
              for e in noise]
    expected = np.mean(log_px, axis=0) - ref.kl_standard_normal(mu, log_var)
    np.testing.assert_allclose(vae.score_samples(X[:40]), expected, rtol=1e-9)
