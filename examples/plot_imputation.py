"""
Imputation and conditional sampling on a real table
===================================================

The consumer-credit table (``$SKVAE_DATA_DIR/tabular/credit_data.csv``):
of its complete rows, 30% of the numeric entries are removed at random and
filled again by ``VAEImputer`` and by scikit-learn's imputers, which see
the categorical columns as integer codes. ``VAEImputer`` takes the table as
it is, strings included. The left panel gives each imputer's error on the
removed entries, per column, in units of the column's standard deviation.

The right panel draws applicants conditioned on one column,
``sample(given={"Home": ...})``: owners and renters, whose assets the model
keeps apart. Prints a message when ``SKVAE_DATA_DIR`` is not set.
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer

from skvae import VAEImputer

if "SKVAE_DATA_DIR" not in os.environ:
    print("Skipped: set SKVAE_DATA_DIR to the folder holding tabular/credit_data.csv.")
else:
    path = Path(os.environ["SKVAE_DATA_DIR"]) / "tabular" / "credit_data.csv"
    table = pd.read_csv(path).dropna().reset_index(drop=True)
    numeric = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
    rng = np.random.default_rng(0)
    removed = pd.DataFrame(rng.random((len(table), len(numeric))) < 0.3, columns=numeric)
    holed = table.copy()
    for column in numeric:
        holed[column] = table[column].astype(np.float64).where(~removed[column])

    vae = VAEImputer(random_state=0).fit(holed)
    filled = {"VAEImputer": vae.transform(holed)}
    codes = holed.apply(lambda c: c if c.name in numeric else
                        c.astype("category").cat.codes.replace(-1, np.nan))
    for name, imputer in [("SimpleImputer", SimpleImputer()), ("KNNImputer", KNNImputer()),
                          ("IterativeImputer", IterativeImputer(max_iter=50, random_state=0))]:
        filled[name] = pd.DataFrame(imputer.fit_transform(codes), columns=table.columns)

    errors = pd.DataFrame({
        name: [np.sqrt(np.mean((frame[c][removed[c]] - table[c][removed[c]]) ** 2))
               / table[c].std() for c in numeric]
        for name, frame in filled.items()}, index=numeric)
    print(errors.round(3))
    print("mean over columns:", errors.mean().round(3).to_dict())

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.2))
    errors.plot.bar(ax=left, rot=45, title="imputation error on the removed entries")
    left.legend(fontsize=8, loc="lower left")
    left.set_ylabel("RMSE / column std")
    model = vae.estimator_
    bins = np.linspace(0, np.percentile(table["Assets"], 97), 30)
    for home in ["owner", "rent"]:
        drawn = model.sample(2000, random_state=0, given={"Home": home})
        right.hist(drawn["Assets"], bins=bins, alpha=0.5, density=True,
                   label=f"sample(given={{'Home': '{home}'}})")
        right.hist(table["Assets"][table["Home"] == home], bins=bins, density=True,
                   histtype="step", linewidth=2, label=f"real rows, Home = {home}")
    right.set(xlabel="Assets", title="conditional sampling")
    right.legend(fontsize=8)
    fig.tight_layout()
    plt.show()
