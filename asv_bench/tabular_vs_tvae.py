"""skvae against ctgan's TVAE on the shared mixed-type tables.

For each table in ``$SKVAE_DATA_DIR/tabular`` (complete rows only, without
the columns they leave constant; a 70/30 split stratified on the target): the seconds each synthesizer takes to fit
the training rows; machine-learning efficacy, that is a
HistGradientBoosting model (native categorical support) trained on as many
synthetic rows as there are training rows and scored on the real held-out
rows (ROC AUC for a categorical target, one-vs-rest for more than two
classes; R^2 for a numeric one); the same model trained on the real
training rows as the ceiling; the worst column-shape distance of 3,000
synthetic rows (total variation for categorical columns, two-sample
Kolmogorov-Smirnov for numeric ones); and SDMetrics' QualityReport score
when ``sdmetrics`` is installed. TVAE runs at its defaults when ``ctgan`` is
installed (``pip install -c <(echo torch==2.13.0) ctgan sdmetrics``).

    python asv_bench/tabular_vs_tvae.py [--tables churn ...] [--no-tvae] [--seeds 3]
    python asv_bench/tabular_vs_tvae.py --marginals

skvae runs twice: ``VAETransformer(n_latent=8, max_iter=300)``, which stops
when its training loss stops improving, and the same with
``early_stopping=True``, which stops on a held-out tenth of the rows. Each
synthesizer fits ``--seeds`` times (kernels compiled beforehand); the table
gives the medians, and the range of the score, which varies from fit to
fit by more than the synthesizers differ on some tables.

Prints a markdown table (docs/performance.rst has one). ``--marginals``
instead fits skvae to every row of each table, missing cells included, and
prints each table's worst column shapes for 3,000 sampled rows.
"""

import argparse
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import train_test_split

from skvae import VAETransformer

TABLES = ["wa_churn", "credit_data", "penguins", "ames", "concrete", "attrition"]


def data_dir():
    return Path(os.environ.get("SKVAE_DATA_DIR", Path(__file__).parents[2] / "shared" / "data"))


def load(name):
    meta = json.loads((data_dir() / "tabular" / "columns.json").read_text())[name]
    frame = pd.read_csv(data_dir() / "tabular" / f"{name}.csv").dropna().reset_index(drop=True)
    categorical = [c for c, kind in meta["column_kinds"].items()
                   if kind == "categorical" and c in frame]
    frame[categorical] = frame[categorical].astype(str).astype("category")
    return frame, meta["target"], categorical


def efficacy(train, test, target, categorical):
    """The held-out score of a model trained on ``train``'s rows."""
    X, y = train.drop(columns=target), train[target]
    Xt, yt = test.drop(columns=target), test[target]
    if target in categorical:
        model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
        if y.nunique() < 2:
            # synthetic rows of one class: a model of them ranks nothing
            return 0.5
        model.fit(X, y.astype(str))
        proba = model.predict_proba(Xt)
        if len(model.classes_) == 2:
            return roc_auc_score(yt.astype(str) == model.classes_[1], proba[:, 1])
        known = yt.astype(str).isin(model.classes_)
        return roc_auc_score(yt.astype(str)[known], proba[known], multi_class="ovr",
                             labels=model.classes_)
    model = HistGradientBoostingRegressor(categorical_features="from_dtype", random_state=0)
    return r2_score(yt, model.fit(X, y).predict(Xt))


def worst_shape(real, synthetic, categorical):
    """The largest column-shape distance and its column."""
    worst = (0.0, "")
    for column in real.columns:
        if column in categorical:
            p = real[column].astype(str).value_counts(normalize=True)
            q = synthetic[column].astype(str).value_counts(normalize=True)
            distance = 0.5 * p.subtract(q, fill_value=0).abs().sum()
        else:
            distance = ks_2samp(real[column], synthetic[column]).statistic
        worst = max(worst, (float(distance), column))
    return worst


def quality(real, synthetic, categorical):
    try:
        from sdmetrics.reports.single_table import QualityReport
    except ImportError:
        return float("nan")
    metadata = {"columns": {c: {"sdtype": "categorical" if c in categorical else "numerical"}
                            for c in real.columns}}
    report = QualityReport()
    with warnings.catch_warnings():  # sdmetrics' own deprecations, one per column pair
        warnings.simplefilter("ignore", FutureWarning)
        report.generate(real, synthetic[real.columns], metadata, verbose=False)
    return report.get_score()


def skvae_fitter(**params):
    """A synthesizer: VAETransformer(n_latent=8, max_iter=300, **params)."""

    def fit(train, categorical, seed=0):
        vae = VAETransformer(n_latent=8, random_state=seed, max_iter=300, **params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            vae.fit(train)
        return lambda n: vae.sample(n, random_state=seed + 1)

    return fit


def warm_up(train):
    """Load (or compile) the table's kernels before any fit is timed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        VAETransformer(n_latent=8, max_iter=1, early_stopping=True).fit(train)


def fit_tvae(train, categorical, seed=0):
    from ctgan import TVAE

    model = TVAE()
    model.set_random_state(seed)
    model.fit(train.astype({c: str for c in categorical}), discrete_columns=categorical)

    def draw(n):
        rows = model.sample(n)
        return rows.astype({c: train[c].dtype for c in train.columns})

    return draw


def run(name, synthesizers, seeds):
    """The table's rows: medians over the seeds, and the range of the score."""
    frame, target, categorical = load(name)
    stratify = frame[target] if target in categorical else None
    train, test = train_test_split(frame, test_size=0.3, random_state=0, stratify=stratify)
    # Ames' complete rows leave some columns with one value: nothing to model
    keep = train.columns[train.nunique() > 1]
    train, test = train[keep], test[keep]
    categorical = [c for c in categorical if c in keep]
    rows = [{"table": name, "method": "real rows (ceiling)",
             "score": efficacy(train, test, target, categorical)}]
    warm_up(train)
    for label, fit in synthesizers.items():
        runs = []
        for seed in range(seeds):
            tic = time.perf_counter()
            draw = fit(train, categorical, seed)
            seconds = time.perf_counter() - tic
            synthetic = draw(len(train))
            runs.append((seconds, efficacy(synthetic, test, target, categorical),
                         worst_shape(train, draw(3000), categorical),
                         quality(train, synthetic, categorical)))
            print(name, label, seed, runs[-1], flush=True)
        seconds, scores, shapes, qualities = zip(*runs)
        shape = sorted(shapes)[(len(shapes) - 1) // 2]
        rows.append({"table": name, "method": label, "fit s": float(np.median(seconds)),
                     "score": float(np.median(scores)),
                     "score range": f"{min(scores):.3f}-{max(scores):.3f}",
                     "worst shape": f"{shape[0]:.3f} ({shape[1]})",
                     "quality": float(np.median(qualities))})
    return rows


def marginals(name):
    """The three worst column shapes of 3,000 rows sampled from a fit to every row."""
    frame = pd.read_csv(data_dir() / "tabular" / f"{name}.csv")
    categorical = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    warm_up(frame)
    tic = time.perf_counter()
    draw = skvae_fitter()(frame, categorical)
    seconds = time.perf_counter() - tic
    synthetic = draw(3000)
    shapes = []
    for column in frame.columns:
        observed = frame[[column]].dropna()
        shapes.append(worst_shape(observed, synthetic[[column]], categorical))
    shapes.sort(reverse=True)
    kinds = ["TV" if c in categorical else "KS" for _, c in shapes[:3]]
    print(f"| {name} | {frame.shape[0]} x {frame.shape[1]} | {seconds:.1f} | "
          + ", ".join(f"{c} {k} {d:.3f}" for (d, c), k in zip(shapes[:3], kinds)) + " |",
          flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", default=TABLES)
    parser.add_argument("--no-tvae", action="store_true")
    parser.add_argument("--marginals", action="store_true")
    parser.add_argument("--seeds", type=int, default=1,
                        help="fits per synthesizer and table, with seeds 0, 1, ...")
    args = parser.parse_args()
    if args.marginals:
        print("| table | rows x columns | fit s | worst column shapes |\n|---|---|---|---|")
        for name in args.tables:
            marginals(name)
        return
    synthesizers = {"skvae": skvae_fitter(),
                    "skvae, early_stopping=True": skvae_fitter(early_stopping=True)}
    if not args.no_tvae:
        try:
            import ctgan  # noqa: F401

            synthesizers["TVAE (ctgan, defaults)"] = fit_tvae
        except ImportError:
            print("ctgan is not installed: TVAE skipped.")
    rows = [row for name in args.tables for row in run(name, synthesizers, args.seeds)]
    columns = ["table", "method", "fit s", "score", "score range", "worst shape", "quality"]
    print("| " + " | ".join(columns) + " |\n|" + "---|" * len(columns))
    for row in rows:
        cells = [row.get(c, "") for c in columns]
        print("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v)
                                for v in cells) + " |")


if __name__ == "__main__":
    main()
