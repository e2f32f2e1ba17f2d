"""A table's columns: what each one is, and the float matrix the model sees.

:func:`fit_columns` decides each column's likelihood (the ``"auto"`` rule
below, or the user's), and records what is needed to give the column back
as it came: its dtype, categories, whether it holds whole numbers, its range
and, for a Gaussian column, the shift and scale it is standardized with.
The record is a list of plain dicts, so a fitted estimator pickles and
saves with skops without new types.

:func:`encode` turns a table (a DataFrame or a numeric array) into the
model's matrix, one row per row and one column per *model column*: a
numeric value (standardized for the Gaussian columns of a table), a
category's code, or NaN where the entry is missing. A numeric column whose
one value holds a large share of the rows (zero-inflated counts, say) is two
model columns: a two-level categorical "is it that value" and the other
values, missing where the row holds the common value. :func:`decode` maps
model values back: codes to categories, standardized values to the data's
units, whole numbers rounded, values kept within the training range.

The ``"auto"`` rule, per column:

- bool, category, string and object columns are categorical;
- numeric columns are Gaussian, standardized with its mean and
  standard deviation (1 when it is constant), generated rounded when it
  holds whole numbers only (its dtype is an integer dtype, or every value
  is whole);
- a numeric column whose most frequent value holds at least
  :data:`SPIKE_SHARE` of its observed entries gets that value as a point
  mass (see above): a column of two values, such as 0/1, is then a
  two-level categorical in effect, yet a third value at ``transform`` is
  still a number the model can read.
"""

from dataclasses import dataclass
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_array

from ._column_stats import observed_column_stats
from ._likelihoods import LIKELIHOODS
from ._likelihoods.columns import CATEGORICAL, GAUSSIAN, KINDS

#: Share of the observed entries at which a numeric column's most frequent
#: value becomes a point mass of its own (``"auto"`` only).
SPIKE_SHARE = 0.25
#: A string column with this many rows or more, all of them different, is
#: refused as an identifier rather than modelled as categories.
MIN_ROWS_FOR_IDENTIFIER = 20
#: Likelihoods whose columns "auto" and dicts standardize.
STANDARDIZED = {"gaussian", "gaussian_unit"}


@dataclass(frozen=True)
class KernelColumns:
    """The per-model-column arrays the kernels of ``_likelihoods.columns`` read."""

    kinds: np.ndarray
    first: np.ndarray
    second: np.ndarray
    n_levels: np.ndarray
    log_scale: np.ndarray
    input_at: np.ndarray
    indicator_at: np.ndarray
    fill: np.ndarray
    n_inputs: int
    n_outputs: int


# -- reading a table --------------------------------------------------------
def read_columns(X):
    """``(names, columns, X)``: X's columns as 1-D arrays or Series, and X as
    a DataFrame or a validated array.

    A DataFrame's columns are kept as Series, whatever their dtypes; anything
    else must be a numeric 2-D array (NaN allowed, inf not)."""
    if isinstance(X, pd.DataFrame):
        if X.shape[0] == 0:
            raise ValueError("Found array with 0 sample(s) (shape=(0, "
                             f"{X.shape[1]})) while a minimum of 1 is required.")
        if X.shape[1] == 0:
            raise ValueError(f"Found array with 0 feature(s) (shape=({X.shape[0]}, 0)) while "
                             "a minimum of 1 is required.")
        return list(X.columns), [X.iloc[:, j] for j in range(X.shape[1])], X
    X = check_array(X, dtype=[np.float64, np.float32], ensure_all_finite="allow-nan")
    return list(range(X.shape[1])), [X[:, j] for j in range(X.shape[1])], X


def _describe(name):
    return f"column {name!r}"


def _column_type(name, column):
    """"categorical" or "numeric" for one column, or a ValueError naming it."""
    if not isinstance(column, pd.Series):
        return "numeric"
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    for test, what in [(pd.api.types.is_datetime64_any_dtype, "datetimes"),
                       (pd.api.types.is_timedelta64_dtype, "time differences"),
                       (pd.api.types.is_complex_dtype, "complex numbers"),
                       (lambda d: isinstance(d, (pd.PeriodDtype, pd.IntervalDtype)),
                        "periods or intervals")]:
        if test(dtype):
            raise ValueError(
                f"{_describe(name)} holds {what} ({dtype}), which skvae cannot model. "
                "Convert it to numbers (for example days since a date) or drop it."
            )
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    values = column.dropna()
    kinds = {"string" if isinstance(v, str) else
             "bool" if isinstance(v, (bool, np.bool_)) else
             "number" if isinstance(v, (Integral, float, np.number)) and not isinstance(v, complex)
             else type(v).__name__ for v in values}
    if kinds <= {"number"} and kinds:
        return "numeric"
    if kinds <= {"string", "bool"}:
        return "categorical"
    examples = {}
    for v in values:
        examples.setdefault(type(v).__name__, v)
    shown = ", ".join(f"{k} {v!r}" for k, v in examples.items())
    raise ValueError(
        f"{_describe(name)} mixes values of different types ({shown}). A column must hold "
        "numbers only or categories (strings) only: convert it with astype(str) or "
        "pd.to_numeric."
    )


def _numeric_values(name, column):
    """A copy of a column's values as float64, NaN where missing; refuses inf."""
    # always a copy: encode standardizes it in place
    if isinstance(column, pd.Series):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    else:
        values = np.array(column, dtype=np.float64)
    if np.isinf(values).any():
        bad = values[np.isinf(values)][0]
        raise ValueError(f"{_describe(name)} holds {bad}; values must be finite (NaN, None "
                         "and pd.NA mark missing entries).")
    return values


def _missing(column):
    return pd.isna(column).to_numpy() if isinstance(column, pd.Series) else np.isnan(column)


def missing_mask(columns):
    """Which entries of the columns read by :func:`read_columns` are missing,
    shape (n_rows, n_columns)."""
    return np.column_stack([_missing(column) for column in columns])


# -- deciding each column ---------------------------------------------------
def fit_columns(names, columns, likelihood):
    """One record per column for ``likelihood`` ("auto", a name, or a dict)."""
    if isinstance(likelihood, dict):
        unknown = [key for key in likelihood if key not in names]
        if unknown:
            raise ValueError(f"likelihood names columns that X does not have: {unknown}; "
                             f"X's columns are {names}.")
        choice = {name: likelihood.get(name, "auto") for name in names}
    else:
        choice = dict.fromkeys(names, likelihood)
    single = isinstance(likelihood, str) and likelihood != "auto"
    return [_fit_column(name, column, choice[name], scaled=not single)
            for name, column in zip(names, columns)]


def _fit_column(name, column, likelihood, scaled):
    if likelihood not in KINDS and likelihood != "auto":
        raise ValueError(f"{_describe(name)}: unknown likelihood {likelihood!r}; choose "
                         f"one of {sorted(KINDS)} or 'auto'.")
    kind = _column_type(name, column)
    missing = _missing(column)
    record = {"name": name, "missing": bool(missing.any()),
              "dtype": str(column.dtype) if isinstance(column, pd.Series) else None}
    if missing.all():
        raise ValueError(f"{_describe(name)} is entirely missing; drop it before fitting.")
    if kind == "categorical":
        if likelihood not in ("auto", "categorical"):
            raise ValueError(
                f"{_describe(name)} holds categories ({column.dtype}), which "
                f"likelihood={likelihood!r} cannot model; use 'categorical' or 'auto' for it."
            )
        return {**record, **_categorical_record(name, column, missing)}
    values = _numeric_values(name, column)
    observed = values[~missing]
    distinct, counts = np.unique(observed, return_counts=True)
    whole = bool(np.all(observed == np.round(observed)))
    integer_dtype = isinstance(column, pd.Series) and pd.api.types.is_integer_dtype(column.dtype)
    if likelihood == "categorical":
        return {**record, **_categorical_record(name, column, missing, distinct)}
    name_of_kind = "gaussian" if likelihood == "auto" else likelihood
    if name_of_kind != "categorical":
        _check_support(name, name_of_kind, observed)
    record.update({
        "kind": name_of_kind, "integer": whole or integer_dtype,
        "low": float(observed.min()), "high": float(observed.max()),
        "spike": None, "shift": 0.0, "scale": 1.0,
        "fill": float(observed.mean()),
    })
    if likelihood == "auto" and len(distinct) > 1 and counts.max() >= SPIKE_SHARE * len(observed):
        spike = float(distinct[counts.argmax()])
        record["spike"] = spike
        observed = observed[observed != spike]
    if scaled and name_of_kind in STANDARDIZED:
        scale = float(observed.std())
        record["shift"] = float(observed.mean())
        record["scale"] = scale if scale > 0 else 1.0
        record["fill"] = 0.0
    return record


def plain_columns(names, dtypes, stats, likelihood):
    """The records of a plain model: every column ``likelihood``, in the data's
    units, complete at fit; ``dtypes`` are a DataFrame's (None for an array)."""
    return [{"name": name, "kind": likelihood, "dtype": dtype, "missing": False,
             "integer": dtype is not None and pd.api.types.is_integer_dtype(dtype),
             "low": float(low), "high": float(high), "spike": None, "shift": 0.0,
             "scale": 1.0, "fill": float(mean)}
            for name, dtype, mean, low, high in zip(names, dtypes, stats.mean, stats.low,
                                                     stats.high)]


def _categorical_record(name, column, missing, distinct=None):
    if distinct is None:
        observed = column[~missing]
        if isinstance(column.dtype, pd.CategoricalDtype):
            categories = list(column.cat.categories)
        elif pd.api.types.is_bool_dtype(column.dtype):
            categories = [False, True]
        else:
            categories = sorted(set(observed.tolist()), key=lambda v: (type(v).__name__, v))
        n_seen = observed.nunique()
        if n_seen < 2:
            raise ValueError(
                f"{_describe(name)} has a single category ({observed.iloc[0]!r}) in every "
                "observed row: there is nothing to model. Drop it."
            )
        if n_seen == len(observed) >= MIN_ROWS_FOR_IDENTIFIER:
            raise ValueError(
                f"{_describe(name)} has a different category in every row ({n_seen} "
                "categories): it looks like an identifier. Drop it, or convert it to "
                "numbers if it is a measurement."
            )
        ordered = bool(getattr(column.dtype, "ordered", False))
    else:
        categories, ordered = [float(v) for v in distinct], False
    categories = [v.item() if isinstance(v, np.generic) else v for v in categories]
    return {"kind": "categorical", "categories": categories, "ordered": ordered}


def _check_support(name, likelihood, observed):
    """The likelihood's own support check, on one column's observed values."""
    part = observed.reshape(-1, 1)
    stats = observed_column_stats(part)
    try:
        LIKELIHOODS[likelihood].check_data(part, stats)
    except ValueError as error:
        raise ValueError(f"{_describe(name)}: {error}") from None


# -- the model's matrix -----------------------------------------------------
def model_columns(columns):
    """``(kind, n_levels, has_indicator, fill, log_scale)`` of every model column."""
    result = []
    for c in columns:
        if c["kind"] == "categorical":
            result.append((CATEGORICAL, len(c["categories"]), c["missing"], 0.0, 0.0))
            continue
        if c["spike"] is not None:
            result.append((CATEGORICAL, 2, c["missing"], 0.0, 0.0))
        result.append((KINDS[c["kind"]], 1, c["missing"] and c["spike"] is None, c["fill"],
                       float(np.log(c["scale"]))))
    return result


def kernel_columns(columns, data_units=True):
    """The :class:`KernelColumns` of a table's records; with ``data_units`` False,
    standardized columns' densities are of the standardized values."""
    cols = model_columns(columns)
    kinds = np.array([k for k, *_ in cols], dtype=np.int64)
    n_levels = np.array([n for _, n, *_ in cols], dtype=np.int64)
    first = np.concatenate([[0], np.cumsum(n_levels)[:-1]]).astype(np.int64)
    n_first = int(n_levels.sum())
    gaussian = kinds == GAUSSIAN
    second = np.full(len(cols), -1, dtype=np.int64)
    second[gaussian] = n_first + np.arange(gaussian.sum())
    input_at = first.copy()
    has_indicator = np.array([h for _, _, h, *_ in cols], dtype=bool)
    indicator_at = np.full(len(cols), -1, dtype=np.int64)
    indicator_at[has_indicator] = n_first + np.arange(has_indicator.sum())
    return KernelColumns(
        kinds=kinds, first=first, second=second, n_levels=n_levels,
        log_scale=np.array([s if data_units else 0.0 for *_, s in cols]), input_at=input_at,
        indicator_at=indicator_at, fill=np.array([f for *_, f, _ in cols]),
        n_inputs=n_first + int(has_indicator.sum()), n_outputs=n_first + int(gaussian.sum()),
    )


def plain_kernel_columns(likelihood, fill):
    """The :class:`KernelColumns` of a plain model (every column ``likelihood``, in
    the data's units, no indicators) for inputs with missing entries: its
    Gaussian outputs are ``[means | s]``, as the plain kernels' are."""
    n = len(fill)
    kind = KINDS[likelihood]
    index = np.arange(n, dtype=np.int64)
    second = index + n if kind == GAUSSIAN else np.full(n, -1, dtype=np.int64)
    return KernelColumns(
        kinds=np.full(n, kind, dtype=np.int64), first=index, second=second,
        n_levels=np.ones(n, dtype=np.int64), log_scale=np.zeros(n), input_at=index,
        indicator_at=np.full(n, -1, dtype=np.int64), fill=np.asarray(fill, dtype=np.float64),
        n_inputs=n, n_outputs=n * LIKELIHOODS[likelihood].n_outputs,
    )


def _codes(name, column, categories, handle_unknown):
    """A categorical column's codes as floats, NaN where missing."""
    known = pd.Index(categories, dtype=object)
    if isinstance(column, pd.Series) and isinstance(column.dtype, pd.CategoricalDtype):
        # map the column's own categories, not its rows: one lookup per category
        own = column.cat.codes.to_numpy()
        missing = own < 0
        codes = np.append(known.get_indexer(pd.Index(column.cat.categories, dtype=object)),
                          -1)[own]
        values = None
    else:
        values = column.to_numpy() if isinstance(column, pd.Series) else np.asarray(column)
        missing = np.asarray(pd.isna(values), dtype=bool)
        codes = known.get_indexer(pd.Index(values, dtype=object))
    unknown = (codes < 0) & ~missing
    if unknown.any() and handle_unknown == "error":
        if values is None:
            values = np.asarray(column.cat.categories, dtype=object)[np.maximum(own, 0)]
        seen = pd.unique(pd.Series(values[unknown], dtype=object))
        shown = ", ".join(repr(v) for v in seen[:5]) + (" ..." if len(seen) > 5 else "")
        raise ValueError(
            f"{_describe(name)} holds categories that fit never saw: {shown} "
            f"({unknown.sum()} rows). Known categories: {list(categories)[:20]}. Pass "
            "handle_unknown='missing' to treat them as missing entries."
        )
    result = codes.astype(np.float64)
    result[codes < 0] = np.nan
    return result


def encode(names, data, columns, dtype, handle_unknown="error"):
    """The model's matrix of a table already read by :func:`read_columns`.

    Filled column by column, so that no more than one column's float64
    copy exists at a time besides the matrix."""
    T = np.empty((len(data[0]), len(model_columns(columns))), dtype=dtype)
    j = 0
    for name, column, c in zip(names, data, columns):
        kind = _column_type(name, column)
        if c["kind"] == "categorical":
            if kind == "numeric" and isinstance(column, pd.Series):
                column = pd.Series(_numeric_values(name, column))
            T[:, j] = _codes(name, column, c["categories"], handle_unknown)
            j += 1
            continue
        if kind != "numeric":
            raise ValueError(f"{_describe(name)} was numeric at fit but holds categories "
                             f"({column.dtype}) now.")
        values = _numeric_values(name, column)
        if c["kind"] not in STANDARDIZED or c["scale"] == 1.0 and c["shift"] == 0.0:
            observed = values[~np.isnan(values)]
            if len(observed):
                _check_support(name, c["kind"], observed)
        if c["spike"] is not None:
            at_spike = values == c["spike"]
            T[:, j] = np.where(at_spike, 0.0, 1.0)
            T[np.isnan(values), j] = np.nan
            values[at_spike] = np.nan
            j += 1
        values -= c["shift"]
        values /= c["scale"]
        T[:, j] = values
        j += 1
    return T


def table_dtype(columns, data):
    """The dtype a table is modelled in: float32 for a DataFrame (its values
    standardized first, so float32's seven digits are relative to each
    column's spread), half the memory of float64; an array's own dtype."""
    if all(isinstance(column, pd.Series) for column in data):
        return np.float32
    return data[0].dtype


def decode(values, columns, as_frame, enforce_range=True):
    """Model values (one column per model column) back to the table's columns.

    Returns a DataFrame with the fitted columns and dtypes when ``as_frame``,
    else an array of ``values``' dtype (categories of numeric columns)."""
    out, j = {}, 0
    for c in columns:
        if c["kind"] == "categorical":
            codes = np.clip(np.rint(values[:, j]), 0, len(c["categories"]) - 1).astype(np.int64)
            out[c["name"]] = np.asarray(c["categories"], dtype=object)[codes]
            j += 1
            continue
        flag = None
        if c["spike"] is not None:
            flag = np.rint(values[:, j])
            j += 1
        column = values[:, j].astype(np.float64) * c["scale"] + c["shift"]
        j += 1
        if enforce_range:
            column = np.clip(column, c["low"], c["high"])
        if c["integer"]:
            column = np.rint(column)
        if flag is not None:
            column = np.where(flag == 0, c["spike"], column)
        out[c["name"]] = column
    if not as_frame:
        result = np.empty((values.shape[0], len(columns)), dtype=values.dtype)
        for k, c in enumerate(columns):
            result[:, k] = out[c["name"]]
        return result
    return pd.DataFrame({c["name"]: _restore_dtype(out[c["name"]], c) for c in columns})


def _restore_dtype(values, c):
    if c["kind"] == "categorical" and c["dtype"] == "category":
        return pd.Categorical(values, categories=c["categories"], ordered=c["ordered"])
    if c["dtype"] in ("bool", "boolean"):
        return pd.array(values.astype(bool), dtype=c["dtype"])
    if c["kind"] == "categorical" and c["dtype"] is not None and pd.api.types.is_numeric_dtype(
            pd.api.types.pandas_dtype(c["dtype"])):
        values = values.astype(np.float64)
    return pd.array(values, dtype=c["dtype"]) if c["dtype"] else values
