"""VAEImputer against scikit-learn's imputers, side by side in one run.

Data: scikit-learn's breast cancer, wine and diabetes tables, and
``concrete.csv`` and (mixed types) ``credit_data.csv`` from
``$SKVAE_DATA_DIR/tabular`` (complete rows), numeric columns standardized.
Missingness, seeded: 20% and 50% of the entries removed completely at
random (MCAR), and missing not at random as in not-MIWAE (Ipsen et al.,
2021): in half of the numeric columns, every value above the column's mean
removed (MNAR).

Metrics: RMSE over the removed numeric entries; accuracy over the removed
categorical entries; fit and transform seconds (together: every imputer
here fits and transforms the same rows).

Against: SimpleImputer (mean; most frequent for categories), KNNImputer,
IterativeImputer (BayesianRidge, its default) and IterativeImputer with
ExtraTreesRegressor (the missForest stand-in). These see categorical columns
as integer codes, and their imputed codes are rounded to the nearest code.

    python asv_bench/impute_benchmark.py [--data wine ...] [--variants]

Prints a markdown table (docs/performance.rst has one). ``--variants``
instead compares VAEImputer settings (the measurements behind its defaults).
"""

import argparse
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer

from skvae import VAEImputer, VAETransformer

DATA = ["breast_cancer", "wine", "diabetes", "concrete", "credit_data"]
SCENARIOS = ["MCAR 20%", "MCAR 50%", "MNAR"]


def data_dir():
    return Path(os.environ.get("SKVAE_DATA_DIR", Path(__file__).parents[2] / "shared" / "data"))


def load(name):
    """A complete table, numeric columns standardized, and its categorical columns."""
    if name in ("breast_cancer", "wine", "diabetes"):
        loader = {"breast_cancer": load_breast_cancer, "wine": load_wine,
                  "diabetes": load_diabetes}[name]
        frame = loader(as_frame=True).data
        categorical = []
    else:
        frame = pd.read_csv(data_dir() / "tabular" / f"{name}.csv").dropna()
        frame = frame.reset_index(drop=True)
        kinds = json.loads((data_dir() / "tabular" / "columns.json").read_text())[name]
        categorical = [c for c, k in kinds["column_kinds"].items() if k == "categorical"]
        frame[categorical] = frame[categorical].astype(str).astype("category")
    numeric = [c for c in frame.columns if c not in categorical]
    frame[numeric] = (frame[numeric] - frame[numeric].mean()) / frame[numeric].std()
    return frame.astype({c: np.float64 for c in numeric}), categorical


def remove(frame, categorical, scenario, seed=0):
    """``frame`` with entries removed, and the mask of the removed ones."""
    rng = np.random.default_rng(seed)
    if scenario.startswith("MCAR"):
        share = float(scenario.split()[1].rstrip("%")) / 100
        mask = rng.random(frame.shape) < share
    else:
        numeric = [j for j, c in enumerate(frame.columns) if c not in categorical]
        chosen = rng.choice(numeric, size=len(numeric) // 2, replace=False)
        mask = np.zeros(frame.shape, dtype=bool)
        for j in chosen:
            column = frame.iloc[:, j].to_numpy()
            mask[:, j] = column > column.mean()
    # a row keeps at least one entry, as each imputer needs
    full = mask.all(axis=1)
    mask[full, rng.integers(0, frame.shape[1], full.sum())] = False
    holed = frame.copy()
    for j, column in enumerate(frame.columns):
        values = holed[column].astype(object) if column in categorical else holed[column]
        holed[column] = values.where(~mask[:, j], np.nan)
        if column in categorical:
            holed[column] = holed[column].astype(frame[column].dtype)
    return holed, mask


def as_codes(frame, categorical):
    """A float matrix of ``frame``: categories as their codes, NaN where missing."""
    columns = []
    for column in frame.columns:
        if column in categorical:
            codes = frame[column].cat.codes.to_numpy().astype(np.float64)
            codes[codes < 0] = np.nan
            columns.append(codes)
        else:
            columns.append(frame[column].to_numpy(dtype=np.float64))
    return np.column_stack(columns)


def sklearn_imputer(make):
    """An imputing function for a scikit-learn imputer on the codes' matrix."""

    def impute(holed, categorical, reference):
        X = as_codes(holed, categorical)
        cat = np.array([c in categorical for c in holed.columns])
        imputer = make(cat)
        filled = imputer.fit_transform(X)
        n_levels = np.array([len(reference[c].cat.categories) if c in categorical else 0
                             for c in holed.columns])
        filled[:, cat] = np.clip(np.rint(filled[:, cat]), 0, n_levels[cat] - 1)
        return filled

    return impute


def simple(cat):
    if not cat.any():
        return SimpleImputer()
    from sklearn.compose import ColumnTransformer

    # keeps the column order: numeric and categorical interleaved as in X
    parts = [(f"c{j}", SimpleImputer(strategy="most_frequent" if c else "mean"), [j])
             for j, c in enumerate(cat)]
    return ColumnTransformer(parts)


def vae_imputer(**params):
    def impute(holed, categorical, reference):
        filled = VAEImputer(random_state=0, **params).fit_transform(holed)
        return as_codes(filled, categorical)

    return impute


IMPUTERS = {
    "SimpleImputer": sklearn_imputer(simple),
    "KNNImputer": sklearn_imputer(lambda cat: KNNImputer()),
    "IterativeImputer": sklearn_imputer(lambda cat: IterativeImputer(random_state=0,
                                                                     max_iter=25)),
    "IterativeImputer (ExtraTrees)": sklearn_imputer(lambda cat: IterativeImputer(
        ExtraTreesRegressor(n_estimators=100, random_state=0, n_jobs=-1), random_state=0,
        max_iter=10)),
    "VAEImputer": vae_imputer(),
}


def errors(reference, filled, mask, categorical):
    """RMSE over the removed numeric entries, accuracy over the removed categorical ones."""
    truth = as_codes(reference, categorical)
    cat = np.array([c in categorical for c in reference.columns])
    numeric_mask = mask & ~cat
    rmse = float(np.sqrt(np.mean((filled[numeric_mask] - truth[numeric_mask]) ** 2)))
    categorical_mask = mask & cat
    accuracy = (float(np.mean(filled[categorical_mask] == truth[categorical_mask]))
                if categorical_mask.any() else float("nan"))
    return rmse, accuracy


def run(names, imputers):
    rows = []
    for name in names:
        reference, categorical = load(name)
        for scenario in SCENARIOS:
            holed, mask = remove(reference, categorical, scenario)
            for label, impute in imputers.items():
                tic = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    filled = impute(holed, categorical, reference)
                seconds = time.perf_counter() - tic
                rmse, accuracy = errors(reference, filled, mask, categorical)
                rows.append({"data": name, "missing": scenario, "imputer": label,
                             "RMSE": rmse, "accuracy": accuracy, "seconds": seconds})
                print(rows[-1], flush=True)
    return rows


VARIANTS = {
    "elbo": {"estimator": VAETransformer(n_latent=8, max_iter=200)},
    "iwae K=5 (default)": {},
    "iwae K=20": {"estimator": VAETransformer(n_latent=8, objective="iwae", n_mc_samples=20,
                                               max_iter=200)},
    "iwae K=5, 100 importance draws": {"n_importance_samples": 100},
    "iwae K=5, 10000 importance draws": {"n_importance_samples": 10000},
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=DATA)
    parser.add_argument("--variants", action="store_true")
    args = parser.parse_args()
    imputers = ({k: vae_imputer(**v) for k, v in VARIANTS.items()} if args.variants
                else IMPUTERS)
    # compile the kernels before any timing
    VAEImputer(VAETransformer(max_iter=1), n_importance_samples=2).fit_transform(
        np.array([[0.0, np.nan], [1.0, 2.0], [np.nan, 1.0]]))
    rows = run(args.data, imputers)
    columns = ["data", "missing", "imputer", "RMSE", "accuracy", "seconds"]
    print("| " + " | ".join(columns) + " |\n|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c])
                                for c in columns) + " |")


if __name__ == "__main__":
    main()
