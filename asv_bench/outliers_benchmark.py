"""Outlier detection: VAEOutlierDetector against IsolationForest and LocalOutlierFactor.

Each detector is fitted, without labels, to every row of a data set, and
scored by the ROC AUC of its outlier score against the known anomalies:

- digits (scikit-learn's, / 16): one class at a time is the anomaly, kept at
  5% of the rows (a seeded subsample), the other nine classes are inliers;
  the VAE has a Gaussian likelihood;
- the tables of ``$SKVAE_DATA_DIR/tabular`` with a yes/no or class target
  (credit_data, wa_churn, attrition, penguins): the target's minority class
  is the anomaly, once at its natural share and once kept at 5% of the rows
  (a seeded subsample, as for digits); the target is left out. Rows
  with a missing value are dropped, since LocalOutlierFactor refuses them.
  The VAE takes the table as it is (a DataFrame with string columns, its
  likelihoods chosen by ``"auto"``); IsolationForest and LocalOutlierFactor
  take it with numeric columns standardized and categorical ones one-hot
  encoded.

    SKVAE_DATA_DIR=/path/to/data python asv_bench/outliers_benchmark.py

Prints a markdown table: ROC AUC per data set (the digits row is the mean,
and the range, over the ten classes) and fit seconds.
"""

import argparse
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_digits
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import LocalOutlierFactor
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skvae import VAEOutlierDetector, VAETransformer

TABLES = ["credit_data", "wa_churn", "attrition", "penguins"]


def detectors(seed):
    """name -> function(table, matrix) returning an outlier score, higher is more abnormal.

    ``table`` is the data as the user holds it, ``matrix`` all-numeric and scaled.
    """

    def vae(table, matrix):
        # images: one Gaussian in the pixels' own scale, which separates the
        # digits better than "auto"'s standardized pixels (docs/user_guide.rst)
        likelihood = "gaussian" if isinstance(table, np.ndarray) else "auto"
        model = VAETransformer(n_latent=4, hidden_layer_sizes=(64, 32), likelihood=likelihood,
                               random_state=seed)
        return -VAEOutlierDetector(model).fit(table).score_samples(table)

    def forest(table, matrix):
        return -IsolationForest(random_state=seed).fit(matrix).score_samples(matrix)

    def lof(table, matrix):
        return -LocalOutlierFactor().fit(matrix).negative_outlier_factor_

    return {"VAEOutlierDetector": vae, "IsolationForest": forest, "LocalOutlierFactor": lof}


def digits_cases(seed):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    rng = np.random.default_rng(seed)
    for k in range(10):
        inliers = np.flatnonzero(y != k)
        n_anomalies = round(0.05 * len(inliers) / 0.95)
        anomalies = rng.choice(np.flatnonzero(y == k), n_anomalies, replace=False)
        rows = np.concatenate([inliers, anomalies])
        yield f"digits, class {k}", X[rows], X[rows], np.isin(rows, anomalies)


def table_cases(folder, seed):
    import pandas as pd

    kinds = json.loads((folder / "columns.json").read_text())
    rng = np.random.default_rng(seed)
    for name in TABLES:
        frame = pd.read_csv(folder / f"{name}.csv").dropna()
        target = kinds[name]["target"]
        minority = frame[target].value_counts().index[-1]
        categorical = [c for c in frame if c != target
                       and kinds[name]["column_kinds"][c] == "categorical"]
        numeric = [c for c in frame if c != target and c not in categorical]
        encode = make_column_transformer((StandardScaler(), numeric),
                                         (OneHotEncoder(sparse_output=False), categorical))
        anomalous = np.flatnonzero(frame[target] == minority)
        inliers = np.flatnonzero(frame[target] != minority)
        rare = rng.choice(anomalous, round(0.05 * len(inliers) / 0.95), replace=False)
        for rows, share in [(np.arange(len(frame)), "natural share"),
                            (np.sort(np.concatenate([inliers, rare])), "kept at 5%")]:
            features = frame.iloc[rows].drop(columns=target)
            labels = (frame[target].iloc[rows] == minority).to_numpy()
            yield (f"{name} ({minority}, {share}: {labels.mean():.0%})", features,
                   encode.fit_transform(features), labels)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    cases = list(digits_cases(args.seed))
    data_dir = os.environ.get("SKVAE_DATA_DIR")
    if data_dir and (Path(data_dir) / "tabular").exists():
        cases += list(table_cases(Path(data_dir) / "tabular", args.seed))
    else:
        print("SKVAE_DATA_DIR/tabular not found: the tables are skipped")
    for _, table, matrix, _ in (cases[0], cases[-1]):  # compile the kernels before timing
        for score in detectors(args.seed).values():
            score(table, matrix)
    results = {}
    for name, table, matrix, labels in cases:
        for detector, score in detectors(args.seed).items():
            tic = time.perf_counter()
            outlier_score = score(table, matrix)
            seconds = time.perf_counter() - tic
            results[name, detector] = roc_auc_score(labels, outlier_score), seconds

    names = list(detectors(args.seed))
    print("| data | " + " | ".join(f"{n} ROC AUC (fit s)" for n in names) + " |")
    print("|---" * (1 + len(names)) + "|")
    digits = [c[0] for c in cases if c[0].startswith("digits")]
    cells = []
    for n in names:
        aucs = [results[d, n][0] for d in digits]
        secs = np.median([results[d, n][1] for d in digits])
        cells.append(f"{np.mean(aucs):.3f} ({min(aucs):.2f}-{max(aucs):.2f}; {secs:.1f} s)")
    print("| digits, one class at 5%, mean (range) | " + " | ".join(cells) + " |")
    for name, *_ in cases:
        if name in digits:
            continue
        print(f"| {name} | " + " | ".join(
            f"{results[name, n][0]:.3f} ({results[name, n][1]:.1f} s)" for n in names) + " |")


if __name__ == "__main__":
    main()
