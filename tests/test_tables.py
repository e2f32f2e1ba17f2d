"""Tables: a likelihood per column, missing entries, DataFrames in and out.

The per-column kernel is checked against scipy.stats densities and against
central finite differences of a plain-numpy reference, with random masks of
missing entries; the estimator against round trips of every dtype and the
bad inputs a real table brings.
"""

import warnings
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import log_softmax, logsumexp
from sklearn.exceptions import ConvergenceWarning

from skvae import VAETransformer
from skvae._likelihoods.columns import KINDS, ColumnLikelihood
from skvae._table_schema import KernelColumns

from . import reference as ref

PLAIN_KINDS = ["gaussian", "gaussian_unit", "bernoulli", "continuous_bernoulli", "poisson",
               "categorical"]


def kernel_columns(kinds, n_levels, log_scale):
    """Columns laid out as a table's: first outputs in order, then the Gaussians' ``s``."""
    n_levels = np.array([n if k == "categorical" else 1 for k, n in zip(kinds, n_levels)])
    first = np.concatenate([[0], np.cumsum(n_levels)[:-1]])
    second = np.full(len(kinds), -1)
    gaussian = np.array([k == "gaussian" for k in kinds])
    second[gaussian] = n_levels.sum() + np.arange(gaussian.sum())
    return KernelColumns(
        kinds=np.array([KINDS[k] for k in kinds]), first=first, second=second,
        n_levels=n_levels, log_scale=np.asarray(log_scale, dtype=float), input_at=first,
        indicator_at=np.full(len(kinds), -1), fill=np.zeros(len(kinds)),
        n_inputs=int(n_levels.sum()), n_outputs=int(n_levels.sum() + gaussian.sum()),
    )


def reference_log_p(x, out, columns, kinds, min_variance):
    """log p(x|out) per row from scipy.stats, over the observed entries only."""
    total = np.zeros(out.shape[0])
    for j, kind in enumerate(kinds):
        a, observed = columns.first[j], ~np.isnan(x[:, j])
        v, o = np.nan_to_num(x[:, j]), out[:, a]
        if kind == "gaussian":
            var = np.exp(np.minimum(out[:, columns.second[j]], 50.0)) + min_variance
            term = stats.norm.logpdf(v, o, np.sqrt(var)) - columns.log_scale[j]
        elif kind == "gaussian_unit":
            term = stats.norm.logpdf(v, o, 1.0) - columns.log_scale[j]
        elif kind == "bernoulli":
            term = stats.bernoulli.logpmf(v, 1.0 / (1.0 + np.exp(-o)))
        elif kind == "continuous_bernoulli":
            term = ref.LIKELIHOODS[kind].log_density(v, o, 1, min_variance)
        elif kind == "poisson":
            term = stats.poisson.logpmf(v, np.exp(np.minimum(o, 30.0)))
        else:
            logits = out[:, a : a + columns.n_levels[j]]
            term = log_softmax(logits, axis=1)[np.arange(len(v)), v.astype(int)]
        total += np.where(observed, term, 0.0)
    return total


@st.composite
def tables(draw):
    n_columns = draw(st.integers(1, 5))
    kinds = draw(st.lists(st.sampled_from(PLAIN_KINDS), min_size=n_columns,
                          max_size=n_columns))
    n_levels = draw(st.lists(st.integers(2, 5), min_size=n_columns, max_size=n_columns))
    return kinds, n_levels, draw(st.integers(1, 6)), draw(st.integers(0, 2**31 - 1))


def make_table_case(kinds, n_levels, n_rows, seed):
    rng = np.random.default_rng(seed)
    columns = kernel_columns(kinds, n_levels, rng.normal(size=len(kinds)))
    x = np.empty((n_rows, len(kinds)))
    for j, kind in enumerate(kinds):
        x[:, j] = {"gaussian": rng.normal(size=n_rows), "gaussian_unit": rng.normal(size=n_rows),
                   "bernoulli": rng.integers(0, 2, n_rows),
                   "continuous_bernoulli": rng.random(n_rows),
                   "poisson": rng.poisson(3.0, n_rows),
                   "categorical": rng.integers(0, columns.n_levels[j], n_rows)}[kind]
    x[rng.random(x.shape) < 0.3] = np.nan  # a random mask of missing entries
    out = rng.normal(size=(n_rows, columns.n_outputs))
    return columns, x, out


@settings(max_examples=60, deadline=None)
@given(tables())
def test_column_log_density_matches_scipy_over_observed_entries(case):
    kinds, n_levels, n_rows, seed = case
    columns, x, out = make_table_case(kinds, n_levels, n_rows, seed)
    log_p = np.empty(n_rows)
    ColumnLikelihood(columns).log_density(x, out, 0.05, log_p)
    np.testing.assert_allclose(log_p, reference_log_p(x, out, columns, kinds, 0.05),
                               rtol=1e-10, atol=1e-10)


@settings(max_examples=60, deadline=None)
@given(tables())
def test_column_gradient_matches_central_differences(case):
    kinds, n_levels, n_rows, seed = case
    columns, x, out = make_table_case(kinds, n_levels, n_rows, seed)
    grad, row_nll = np.full_like(out, np.nan), np.empty(n_rows)
    ColumnLikelihood(columns).nll_gradient(x, out, 0.05, 0.5, grad, row_nll)
    step, numeric = 1e-5, np.empty_like(out)
    for index in np.ndindex(out.shape):
        up, down = out.copy(), out.copy()
        up[index] += step
        down[index] -= step
        numeric[index] = -0.5 * (reference_log_p(x, up, columns, kinds, 0.05)
                                 - reference_log_p(x, down, columns, kinds, 0.05)).sum() / (
                                     2 * step)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(-row_nll, reference_log_p(x, out, columns, kinds, 0.05),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kind", PLAIN_KINDS)
def test_column_means_samples_and_biases_follow_each_kind(kind):
    rng = np.random.default_rng(0)
    columns, _, out = make_table_case([kind, "categorical"], [4, 3], 4000, 1)
    out = np.tile(out[:1], (4000, 1))  # one decoder output, many draws
    likelihood = ColumnLikelihood(columns)
    mean = np.empty((4000, 2))
    likelihood.mean(out, 0.05, mean)
    o = out[:, 0]
    expected = {"gaussian": o, "gaussian_unit": o,
                "bernoulli": ref.LIKELIHOODS["bernoulli"].mean(o, 1),
                "continuous_bernoulli": ref.LIKELIHOODS["continuous_bernoulli"].mean(o, 1),
                "poisson": ref.LIKELIHOODS["poisson"].mean(o, 1),
                "categorical": out[:, :4].argmax(axis=1)}[kind]
    np.testing.assert_allclose(mean[:, 0], expected, rtol=1e-7, atol=1e-9)
    np.testing.assert_array_equal(mean[:, 1], out[:, columns.first[1]:][:, :3].argmax(axis=1))
    draws = likelihood.sample(mean, out, 0.05, rng)
    if kind == "categorical":
        shares = np.bincount(draws[:, 0].astype(int), minlength=4) / 4000
        np.testing.assert_allclose(shares, np.exp(log_softmax(out[0, :4])), atol=0.03)
    else:
        spread = draws[:, 0].std() / np.sqrt(4000)
        assert abs(draws[:, 0].mean() - expected[0]) < 5 * spread + 1e-12
    # the untrained decoder starts at each column's mean
    bias = likelihood.output_bias(draws, 0.05)
    if kind == "categorical":
        np.testing.assert_allclose(np.exp(bias[:4]), shares, atol=0.01)
    elif kind in ("gaussian", "gaussian_unit"):
        assert bias[0] == pytest.approx(draws[:, 0].mean())


def fit(X, **params):
    vae = VAETransformer(**{"hidden_layer_sizes": (16,), "n_latent": 2, "max_iter": 30,
                            "random_state": 0, **params})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return vae.fit(X)


def mixed_frame(n=300, seed=0):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    return pd.DataFrame({
        "income": 300.0 + 100.0 * group + 20.0 * rng.normal(size=n),  # hundreds
        "assets": 5000.0 + 2000.0 * rng.normal(size=n),  # thousands
        "children": rng.poisson(0.6, n).astype(np.int64),  # small counts, mostly 0
        "city": np.array(["Oslo", "Lima", "Pune"], dtype=object)[group],
        "plan": pd.Categorical(rng.choice(["basic", "plus"], n),
                               categories=["basic", "plus", "pro"], ordered=True),
        "member": rng.random(n) < 0.3,
        "visits": pd.array(rng.integers(0, 50, n), dtype="Int64"),
    })


def test_a_table_comes_back_with_its_columns_dtypes_and_categories():
    frame = mixed_frame()
    vae = fit(frame)
    for synthetic in (vae.sample(200, random_state=0),
                      vae.inverse_transform(vae.transform(frame))):
        assert list(synthetic.columns) == list(frame.columns)
        assert list(synthetic.dtypes) == list(frame.dtypes)
        assert synthetic["plan"].cat.categories.tolist() == ["basic", "plus", "pro"]
        assert synthetic["plan"].cat.ordered
        assert set(synthetic["city"]) <= {"Oslo", "Lima", "Pune"}
        assert synthetic["member"].dtype == bool
        for name in ("income", "assets", "children", "visits"):  # within the training range
            assert frame[name].min() <= synthetic[name].min()
            assert synthetic[name].max() <= frame[name].max()
    assert vae.transform(frame).shape == (300, 2)
    assert [c["kind"] for c in vae._columns] == ["gaussian", "gaussian", "gaussian",
                                                 "categorical", "categorical",
                                                 "categorical", "gaussian"]


def test_numeric_columns_are_modelled_and_generated_in_their_own_units():
    frame = mixed_frame(n=600)
    synthetic = fit(frame, max_iter=60).sample(2000, random_state=1)
    for name in ("income", "assets"):
        assert abs(synthetic[name].mean() - frame[name].mean()) < 0.2 * frame[name].std()
        assert 0.7 < synthetic[name].std() / frame[name].std() < 1.3
    # the point mass at 0 children keeps its share
    assert abs((synthetic["children"] == 0).mean() - (frame["children"] == 0).mean()) < 0.08


def test_score_samples_is_a_density_in_the_data_units():
    # Rescaling a Gaussian column by c shifts every row's log-density by -log c.
    frame = mixed_frame()
    scaled = frame.assign(assets=frame["assets"] * 1000.0)
    difference = fit(frame).score_samples(frame) - fit(scaled).score_samples(scaled)
    np.testing.assert_allclose(difference, np.log(1000.0), rtol=1e-6)


def test_missing_entries_of_every_kind_are_accepted_and_skipped():
    frame = mixed_frame().astype({"city": object})
    rng = np.random.default_rng(1)
    holes = frame.copy()
    holes.loc[rng.random(300) < 0.2, "income"] = np.nan
    holes.loc[rng.random(300) < 0.2, "city"] = None
    holes.loc[rng.random(300) < 0.2, "visits"] = pd.NA
    holes.loc[rng.random(300) < 0.2, "plan"] = np.nan
    vae = fit(holes)
    assert np.isfinite(vae.score_samples(holes)).all()
    assert not vae.sample(50, random_state=0).isna().any().any()
    # a missing entry contributes nothing: the bound of a row with a hole is
    # the bound of its observed entries, which is higher than with the entry
    row = frame.iloc[[5]].copy()
    hidden = row.copy()
    hidden["income"] = np.nan
    assert vae.score_samples(hidden)[0] > vae.score_samples(row)[0]


def test_a_row_with_nothing_observed_gets_the_prior():
    X = np.random.default_rng(0).normal(size=(100, 3))
    X[::10] = np.nan
    vae = fit(X)
    empty = np.full((2, 3), np.nan)
    np.testing.assert_array_equal(vae.transform(empty), 0.0)
    np.testing.assert_array_equal(vae.score_samples(empty), 0.0)


def test_a_single_likelihood_with_missing_entries_keeps_the_data_units():
    X = (np.random.default_rng(0).random((200, 4)) < 0.4).astype(float)
    X[::7, 1] = np.nan
    vae = fit(X, likelihood="bernoulli")
    assert [c["kind"] for c in vae._columns] == ["bernoulli"] * 4
    assert all(c["scale"] == 1.0 and c["shift"] == 0.0 for c in vae._columns)
    assert set(np.unique(vae.sample(100, random_state=0))) <= {0.0, 1.0}


def test_a_plain_model_reads_missing_entries_at_transform():
    X = np.random.default_rng(0).random((200, 4))
    vae = fit(X, likelihood="gaussian")
    assert vae._plain
    holes = X[:5].copy()
    holes[:, 0] = np.nan
    complete = vae.score_samples(X[:5])
    assert (vae.score_samples(holes) != complete).all()
    assert np.isfinite(vae.transform(holes)).all()


def test_a_dict_chooses_likelihoods_by_column():
    frame = mixed_frame()
    vae = fit(frame, likelihood={"children": "poisson", "income": "gaussian_unit"})
    kinds = {c["name"]: c["kind"] for c in vae._columns}
    assert kinds["children"] == "poisson" and kinds["income"] == "gaussian_unit"
    assert kinds["assets"] == "gaussian"  # unlisted columns follow "auto"
    assert (vae.sample(100, random_state=0)["children"] >= 0).all()
    X = np.random.default_rng(0).integers(0, 3, (100, 2)).astype(float)
    by_index = fit(X, likelihood={0: "categorical"})
    assert by_index._columns[0]["categories"] == [0.0, 1.0, 2.0]
    assert set(by_index.sample(50, random_state=0)[:, 0]) <= {0.0, 1.0, 2.0}


def test_an_unseen_category_is_an_error_naming_it_or_a_missing_entry():
    frame = mixed_frame()
    vae = fit(frame)
    new = frame.iloc[:3].copy()
    new["city"] = ["Oslo", "Quito", "Lima"]
    with pytest.raises(ValueError, match=r"column 'city' holds categories that fit never "
                                         r"saw: 'Quito'"):
        vae.transform(new)
    vae.set_params(handle_unknown="missing")
    hidden = new.copy()
    hidden["city"] = ["Oslo", None, "Lima"]
    np.testing.assert_array_equal(vae.score_samples(new), vae.score_samples(hidden))


BAD_COLUMNS = [
    ("entirely missing", [np.nan] * 30, "column 'bad' is entirely missing"),
    ("datetimes", pd.date_range("2020-01-01", periods=30), "column 'bad' holds datetimes"),
    ("time differences", pd.to_timedelta(np.arange(30), unit="D"),
     "column 'bad' holds time differences"),
    ("complex numbers", np.arange(30) + 1j, "column 'bad' holds complex numbers"),
    ("numbers and strings", ["a", 1] * 15, "column 'bad' mixes values of different types"),
    ("one category", ["same"] * 30, "column 'bad' has a single category"),
    ("a category per row", [f"id{i}" for i in range(30)],
     "column 'bad' has a different category in every row"),
    ("inf", [np.inf] + [1.0] * 29, "column 'bad' holds inf"),
]


@pytest.mark.parametrize("values, words", [row[1:] for row in BAD_COLUMNS],
                         ids=[row[0] for row in BAD_COLUMNS])
def test_a_bad_column_is_refused_by_name_and_nothing_is_fitted(values, words):
    frame = pd.DataFrame({"good": np.arange(30.0), "bad": values})
    vae = VAETransformer(max_iter=1)
    with pytest.raises(ValueError, match=words):
        vae.fit(frame)
    assert not hasattr(vae, "n_features_in_")


def test_columns_at_transform_must_be_the_fitted_ones_in_order():
    frame = mixed_frame()
    vae = fit(frame)
    with pytest.raises(ValueError, match="same order"):
        vae.transform(frame[frame.columns[::-1]])
    with pytest.raises(ValueError, match="Feature names seen at fit time, yet now missing"):
        vae.transform(frame.drop(columns="city"))
    with pytest.raises(ValueError, match="Feature names unseen at fit time"):
        vae.transform(frame.assign(extra=1.0))


def test_a_categorical_column_of_many_levels_is_never_one_hot_encoded_whole():
    rng = np.random.default_rng(0)
    n, levels = 20000, 2000
    frame = pd.DataFrame({"code": pd.Categorical(rng.integers(0, levels, n)),
                          "value": rng.normal(size=n)})
    vae = VAETransformer(hidden_layer_sizes=(8,), max_iter=1, random_state=0)
    import tracemalloc

    tracemalloc.start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        vae.fit(frame)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    dense_one_hot = n * levels * 8
    assert peak < dense_one_hot / 10
    assert len(vae._columns[0]["categories"]) == levels


def test_transform_keeps_set_output():
    frame = mixed_frame()
    vae = fit(frame).set_output(transform="pandas")
    Z = vae.transform(frame)
    assert isinstance(Z, pd.DataFrame)
    assert list(Z.columns) == ["vaetransformer0", "vaetransformer1"]


def test_partial_fit_continues_on_a_table_with_holes():
    frame = mixed_frame()
    vae = fit(frame.iloc[:150], max_iter=5)
    holes = frame.iloc[150:].copy()
    holes.loc[holes.index[::3], "assets"] = np.nan
    before = vae._theta.copy()
    vae.partial_fit(holes)
    assert vae.n_iter_ == 6 and not np.array_equal(before, vae._theta)


def test_fitted_categories_and_likelihoods_are_reported():
    vae = fit(mixed_frame())
    assert vae.likelihoods_["city"] == "categorical"
    assert vae.likelihoods_["income"] == "gaussian"
    cities, plans, members = vae.categories_
    assert cities.tolist() == ["Lima", "Oslo", "Pune"]
    assert plans.tolist() == ["basic", "plus", "pro"] and members.tolist() == [False, True]


def test_a_fitted_table_model_saves_and_loads_with_skops(tmp_path):
    sio = pytest.importorskip("skops.io")
    frame = mixed_frame()
    vae = fit(frame)
    path = tmp_path / "table.skops"
    sio.dump(vae, path)
    loaded = sio.load(path, trusted=["skvae._estimator.VAETransformer"])
    pd.testing.assert_frame_equal(loaded.sample(20, random_state=0),
                                  vae.sample(20, random_state=0))
    np.testing.assert_array_equal(loaded.score_samples(frame), vae.score_samples(frame))


def test_fitting_leaves_the_callers_data_untouched():
    X = np.random.default_rng(0).normal(5.0, 2.0, (100, 3))
    frame = mixed_frame()
    copies = X.copy(), frame.copy()
    fit(X)
    fit(frame)
    np.testing.assert_array_equal(X, copies[0])
    pd.testing.assert_frame_equal(frame, copies[1])


def reference_inputs(x, columns, kinds):
    """The encoder's input, built in numpy: values (0 where missing), one-hot
    codes (zeros where missing), and a 1 in each missing indicator."""
    inputs = np.zeros((x.shape[0], columns.n_inputs))
    for j, kind in enumerate(kinds):
        missing = np.isnan(x[:, j])
        if kind == "categorical":
            rows = np.flatnonzero(~missing)
            inputs[rows, columns.input_at[j] + x[rows, j].astype(int)] = 1.0
        else:
            inputs[:, columns.input_at[j]] = np.where(missing, 0.0, x[:, j])
        if columns.indicator_at[j] >= 0:
            inputs[:, columns.indicator_at[j]] = missing
    return inputs


def reference_table_objective(theta, x, eps, hidden, columns, kinds, objective):
    """-ELBO (analytic KL) or -IWAE bound per row, averaged: plain numpy."""
    n_draws, m, n_latent = eps.shape
    enc = [columns.n_inputs, *hidden, 2 * n_latent]
    dec = [n_latent, *hidden[::-1], columns.n_outputs]
    shapes = list(pairwise(enc)) + list(pairwise(dec))
    weights, biases = ref.unpack(theta, shapes)
    k = len(enc) - 1
    head, _ = ref.mlp(reference_inputs(x, columns, kinds), weights[:k], biases[:k], "tanh")
    mu, log_var = head[:, :n_latent], np.clip(head[:, n_latent:], -30.0, 20.0)
    z = mu[None] + np.exp(0.5 * log_var)[None] * eps
    out, _ = ref.mlp(z.reshape(-1, n_latent), weights[k:], biases[k:], "tanh")
    log_px = reference_log_p(np.tile(x, (n_draws, 1)), out, columns, kinds, 0.05)
    log_px = log_px.reshape(n_draws, m)
    if objective == "iwae":
        sd = np.exp(0.5 * log_var)[None]
        log_ratio = (stats.norm.logpdf(z, mu[None], sd) - stats.norm.logpdf(z)).sum(axis=2)
        return -np.mean(logsumexp(log_px - log_ratio, axis=0) - np.log(n_draws))
    kl = 0.5 * (np.exp(log_var) + mu**2 - 1.0 - log_var).sum(axis=1)
    return np.mean(-log_px.mean(axis=0) + kl)


@settings(max_examples=25, deadline=None)
@given(tables(), st.sampled_from(["elbo", "iwae"]), st.integers(1, 3))
def test_table_objective_gradient_matches_central_differences(case, objective, n_draws):
    # the whole chain: encoder input, network, per-column likelihood, masks
    from skvae._kernels import TANH
    from skvae._model import VAEModel
    from skvae._network import NetworkLayout
    from skvae._objective import sgvb_loss_gradient

    kinds, n_levels, n_rows, seed = case
    columns, x, _ = make_table_case(kinds, n_levels, n_rows, seed)
    with_indicators = columns.indicator_at.copy()
    with_indicators[::2] = columns.n_inputs + np.arange(len(kinds[::2]))
    columns = KernelColumns(**{**columns.__dict__, "indicator_at": with_indicators,
                               "n_inputs": columns.n_inputs + len(kinds[::2])})
    rng = np.random.default_rng(seed)
    hidden, n_latent = (5,), 2
    layout = NetworkLayout(columns.n_inputs, n_latent, hidden, columns.n_outputs)
    theta = rng.normal(0.0, 0.5, layout.n_params)
    eps = rng.standard_normal((n_draws, n_rows, n_latent))
    model = VAEModel(layout, TANH, ColumnLikelihood(columns), 0.05, theta.copy())
    ws = model.workspace(n_rows, n_draws)
    grad = np.full_like(theta, np.nan)
    loss, _ = sgvb_loss_gradient(model, x, eps, 1.0, 0.0, grad, ws, "analytic", objective)
    expected = reference_table_objective(theta, x, eps, hidden, columns, kinds, objective)
    assert loss == pytest.approx(expected, rel=1e-9, abs=1e-9)
    step, numeric = 1e-5, np.empty_like(theta)
    for i in range(theta.size):
        up, down = theta.copy(), theta.copy()
        up[i] += step
        down[i] -= step
        numeric[i] = (reference_table_objective(up, x, eps, hidden, columns, kinds, objective)
                      - reference_table_objective(down, x, eps, hidden, columns, kinds,
                                                  objective)) / (2 * step)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-6)


def test_continuing_after_changing_the_likelihood_is_refused_clearly():
    X = np.random.default_rng(0).random((100, 3))
    vae = fit(X, likelihood="gaussian")
    vae.set_params(likelihood="auto")
    with pytest.raises(ValueError, match="Cannot continue training after changing"):
        vae.partial_fit(X)
    table = fit(mixed_frame())
    table.set_params(likelihood="gaussian")
    with pytest.raises(ValueError, match="Cannot continue training after changing"):
        table.partial_fit(mixed_frame())
