"""Tables: one epoch on a mixed table, and the memory of fitting large ones.

The tables are generated: numeric columns in their own units with 5% of
their entries missing, categorical columns of strings.
"""

from typing import ClassVar

import numpy as np
import pandas as pd

from skvae import VAETransformer

from .common import fit_memory_overhead, quiet

TABLE_PARAMS = {"n_latent": 8, "hidden_layer_sizes": (128, 64), "max_iter": 1,
                "random_state": 0}


def mixed_table(n_rows, n_numeric=10, n_categorical=10, n_levels=50, seed=0):
    """``n_numeric`` float columns (5% missing) and ``n_categorical`` category columns."""
    rng = np.random.default_rng(seed)
    columns = {}
    for j in range(n_numeric):
        values = rng.normal(100.0 * (j + 1), 10.0 * (j + 1), n_rows)
        values[rng.random(n_rows) < 0.05] = np.nan
        columns[f"x{j}"] = values
    levels = np.array([f"level{k}" for k in range(n_levels)], dtype=object)
    for j in range(n_categorical):
        columns[f"c{j}"] = pd.Categorical.from_codes(rng.integers(0, n_levels, n_rows),
                                                     categories=levels)
    return pd.DataFrame(columns)


class EpochMixedTable:
    """Seconds per epoch of a 20000-row table, 10 numeric and 10 categorical columns."""

    number, repeat, timeout = 1, 3, 300

    def setup(self):
        quiet()
        self.X = mixed_table(20000)
        VAETransformer(**TABLE_PARAMS).fit(self.X[:500])  # compile outside the timing

    def time_epoch(self):
        VAETransformer(**TABLE_PARAMS).fit(self.X)


class TableMemory:
    """Peak memory above the data (MB) of one epoch on large tables.

    ``many_levels``: one categorical column of 5000 levels on 200000 rows
    (its dense one-hot would take 8 GB); ``million_rows``: 1,000,000 rows,
    10 numeric and 10 categorical columns of 50 levels.
    """

    params: ClassVar[list] = ["many_levels", "million_rows"]
    param_names: ClassVar[list] = ["table"]
    number, repeat, timeout = 1, 1, 900

    def setup(self, table):
        quiet()
        if table == "many_levels":
            rng = np.random.default_rng(0)
            self.X = pd.DataFrame({
                "code": pd.Categorical.from_codes(rng.integers(0, 5000, 200000),
                                                  categories=[f"c{k}" for k in range(5000)]),
                "value": rng.normal(size=200000)})
        else:
            self.X = mixed_table(1_000_000)
        VAETransformer(**TABLE_PARAMS).fit(self.X[:500])

    def track_fit_memory_overhead(self, table):
        return fit_memory_overhead(self.X, TABLE_PARAMS)

    track_fit_memory_overhead.unit = "MB"


class EpochMillionRows:
    """Seconds per epoch of 1,000,000 rows, 10 numeric and 10 categorical columns."""

    number, repeat, timeout = 1, 1, 900

    def setup(self):
        quiet()
        self.X = mixed_table(1_000_000)
        VAETransformer(**TABLE_PARAMS).fit(self.X[:500])

    def time_epoch(self):
        VAETransformer(**TABLE_PARAMS).fit(self.X)
