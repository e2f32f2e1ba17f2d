"""
Filling holes in a table: VAEImputer against scikit-learn's imputers
====================================================================

The unscaled diabetes table of the previous example (442 patients, ten
numeric columns in their own units and sex as a category) with 30% of its
entries removed at random. ``VAEImputer`` fits a VAE to the incomplete rows
(MIWAE's bound over the observed entries) and fills each hole with the
model's conditional mean given the row's observed entries; observed entries
come back unchanged and the DataFrame keeps its dtypes. It is compared with
``SimpleImputer`` (column means) and ``IterativeImputer`` (chained
regressions) on the numeric columns, by the error on the removed entries
in units of each column's standard deviation (1 is what guessing the mean
gives), and on sex by the share of holes filled with the true category.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, SimpleImputer

from skvae import VAEImputer

table = load_diabetes(scaled=False, as_frame=True).frame
table["sex"] = pd.Categorical(table["sex"].map({1.0: "1", 2.0: "2"}))
holes = np.random.default_rng(0).random(table.shape) < 0.3
incomplete = table.mask(holes)
numeric = table.columns.drop("sex")

filled = {"VAEImputer": VAEImputer(random_state=0).fit_transform(incomplete)}
# scikit-learn's imputers take numbers: sex as its code 0/1, rounded back after
codes = incomplete.assign(sex=incomplete["sex"].cat.codes.replace(-1, np.nan))
for name, imputer in [("SimpleImputer", SimpleImputer()),
                      ("IterativeImputer", IterativeImputer(max_iter=100, random_state=0))]:
    frame = pd.DataFrame(imputer.fit_transform(codes), columns=table.columns)
    sex = frame["sex"].round().clip(0, 1).astype(int)
    frame["sex"] = pd.Categorical.from_codes(sex, table["sex"].cat.categories)
    filled[name] = frame
print("observed entries kept:", filled["VAEImputer"].mask(holes).equals(incomplete))
print("dtypes kept:", (filled["VAEImputer"].dtypes == table.dtypes).all())

errors = pd.DataFrame({
    name: [np.sqrt(np.mean((frame[c][holes[:, j]] - table[c][holes[:, j]]) ** 2))
           / table[c].std() for j, c in enumerate(table.columns) if c in numeric]
    for name, frame in filled.items()}, index=numeric)
sex_holes = holes[:, table.columns.get_loc("sex")]
accuracy = {name: float((frame["sex"][sex_holes] == table["sex"][sex_holes]).mean())
            for name, frame in filled.items()}
print("error on the removed entries (standard deviations):")
print(errors.round(3).to_string())
print("mean:", errors.mean().round(3).to_dict())
print("share of sex holes filled right:", {k: round(v, 3) for k, v in accuracy.items()})

ax = errors.plot.bar(figsize=(10, 3.8), rot=0)
ax.axhline(1.0, color="grey", lw=0.8)
ax.set_ylabel("error / standard deviation")
ax.set_title("imputation error per column, 30% of entries removed (lower is better)")
plt.tight_layout()
plt.show()
