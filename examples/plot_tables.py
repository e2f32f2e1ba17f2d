"""
A real table: synthetic credit applicants
=========================================

A consumer-credit table (``$SKVAE_DATA_DIR/tabular/credit_data.csv``, 4,454
applicants) as it is: strings, integers, amounts in their own units and 455
missing cells. ``VAETransformer`` fits it with its default
``likelihood="auto"`` and ``sample`` gives back a DataFrame with the same
columns and dtypes. The figure sets real against synthetic marginals of four
columns and one pairwise relation (income against the amount asked for).
Prints a message when ``SKVAE_DATA_DIR`` is not set.
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from skvae import VAETransformer

if "SKVAE_DATA_DIR" not in os.environ:
    print("Skipped: set SKVAE_DATA_DIR to the folder holding tabular/credit_data.csv.")
else:
    table = pd.read_csv(Path(os.environ["SKVAE_DATA_DIR"]) / "tabular" / "credit_data.csv")
    vae = VAETransformer(n_latent=8, max_iter=300, random_state=0).fit(table)
    synthetic = vae.sample(len(table), random_state=0)
    print("likelihood of each column:", vae.likelihoods_)
    print("same dtypes:", (synthetic.dtypes == table.dtypes).all())
    print(synthetic.head())

    fig, axes = plt.subplots(1, 5, figsize=(17, 3.4))
    for ax, column in zip(axes[:2], ["Home", "Job"]):
        shares = pd.DataFrame({"real": table[column].value_counts(normalize=True),
                               "synthetic": synthetic[column].value_counts(normalize=True)})
        shares.plot.bar(ax=ax, rot=45, title=column)
    for ax, column in zip(axes[2:4], ["Age", "Income"]):
        real = table[column].dropna()
        bins = np.linspace(real.min(), real.max(), 30)
        ax.hist(real, bins=bins, alpha=0.5, density=True, label="real")
        ax.hist(synthetic[column], bins=bins, alpha=0.5, density=True, label="synthetic")
        ax.set_title(column)
        ax.legend()
    axes[4].scatter(table["Income"], table["Amount"], s=3, alpha=0.3, label="real")
    axes[4].scatter(synthetic["Income"], synthetic["Amount"], s=3, alpha=0.3,
                    label="synthetic")
    axes[4].set(xlabel="Income", ylabel="Amount", title="a pairwise relation")
    axes[4].legend()
    fig.tight_layout()
    plt.show()
