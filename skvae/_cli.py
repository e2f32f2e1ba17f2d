"""The command line: ``python -m skvae`` or ``skvae``.

Commands: ``demo`` (the README's main job), ``fit`` (train on a data file,
save the model), and ``transform``, ``sample`` and ``score`` (use a saved
model). Model files are skops files, so loading one cannot run code from it.
A mistake in the input (a missing file, a model file that is not one, data
the model refuses) is reported in one line on standard error with exit
status 2; ``--debug`` shows the traceback instead.
"""

import argparse
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._likelihoods.columns import KINDS

#: The only type a skvae model file may contain beyond what skops trusts.
TRUSTED_TYPES = ["skvae._estimator.VAETransformer"]
#: ``--output`` meaning standard output (CSV).
STDOUT = "-"
#: Exit status for a mistake in the command or its input, as argparse uses.
USAGE_ERROR = 2

DESCRIPTION = "skvae: variational autoencoders for scikit-learn, from the command line."
EPILOG = """examples:
  skvae demo
  skvae fit table.csv --output model.skops --n-latent 4
  skvae transform model.skops table.csv --output latent.csv
  skvae sample model.skops --n-samples 100 --output -
  skvae score model.skops table.csv --output scores.csv

A .csv file with a header or with text cells is read as a table (text
columns become categorical, empty cells are missing); one of numbers only as
an array. Output CSVs keep the input's convention: a header when the data
had one. '--output -' writes CSV to standard output.
"""


class UsageError(Exception):
    """A mistake in the command or its input: reported in one line, exit status 2."""


def read_data(path, key=None):
    """A 2-D float array from .npy, .npz (``key`` or its only array) or .csv.

    A .csv file of numbers only is read as an array; one with a header or
    with text cells as a DataFrame, its text columns as categories (an empty
    cell is a missing entry)."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file.")
    if path.suffix == ".npy":
        return np.load(path, allow_pickle=False)
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            if key is None and len(archive.files) != 1:
                raise UsageError(f"{path} holds arrays {archive.files}: choose one with --key.")
            if key is not None and key not in archive.files:
                raise UsageError(f"{path} has no array {key!r}; it holds {archive.files}.")
            return archive[key or archive.files[0]]
    if path.suffix == ".csv":
        try:
            return np.loadtxt(path, delimiter=",", ndmin=2)
        except ValueError:  # a header line, text cells or empty cells
            import pandas as pd

            return pd.read_csv(path)
    raise UsageError(f"{path}: expected a .npy, .npz or .csv file.")


def check_output(path):
    """Refuses an output that write_data cannot write, before any work is done."""
    if str(path) != STDOUT and Path(path).suffix not in (".npy", ".csv"):
        raise UsageError(f"{path}: the output must be a .npy or .csv file (or - for "
                         "standard output).")


def write_data(path, data, header=None):
    """Writes an array (with ``header``, a list of column names, in a .csv) or a
    DataFrame (as a .csv with its header); ``-`` is standard output, as CSV."""
    to_stdout = str(path) == STDOUT
    path = Path(path)
    if to_stdout or path.suffix == ".csv":
        if hasattr(data, "to_csv"):
            data.to_csv(sys.stdout if to_stdout else path, index=False)
        else:
            np.savetxt(sys.stdout if to_stdout else path, data, delimiter=",", fmt="%.9g",
                       header=",".join(header) if header is not None else "", comments="")
    elif hasattr(data, "to_csv"):
        raise UsageError(f"{path}: a table is written as a .csv file.")
    else:
        np.save(path, data)
    if not to_stdout:
        say(f"wrote {path} ({data.shape[0]} x {data.shape[1]})")


def say(message):
    """A status line: on standard error, so that standard output holds only data."""
    print(message, file=sys.stderr)


def load_model(path, n_jobs=None):
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file.")
    try:
        model = sio.load(path, trusted=TRUSTED_TYPES)
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UsageError(f"{path} is not a model file saved by 'skvae fit' ({exc}).") from exc
    except UntrustedTypesFoundException as exc:
        raise UsageError(f"{path} holds types that a skvae model never holds, so it is not "
                         f"loaded: {exc}") from exc
    if type(model).__name__ != "VAETransformer":
        raise UsageError(f"{path} holds a {type(model).__name__}, not a model saved by "
                         "'skvae fit'.")
    if n_jobs is not None:
        model.set_params(n_jobs=n_jobs)
    return model


def has_header(data):
    return hasattr(data, "columns")


def cmd_demo(args):
    from ._demo import run_demo

    run_demo(n_latent=args.n_latent, n_folds=args.folds, max_iter=args.max_iter,
             verbose=0 if args.quiet else 1, output=args.output)


def cmd_fit(args):
    import skops.io as sio

    from ._estimator import VAETransformer

    if args.output == STDOUT:
        raise UsageError("--output - is for data; a model needs a file (.skops).")
    X = read_data(args.data, args.key)
    try:
        hidden = tuple(int(h) for h in args.hidden.split(","))
    except ValueError:
        raise UsageError(f"--hidden takes widths separated by commas, such as 128,64; "
                         f"got {args.hidden!r}.") from None
    verbose = 0 if args.quiet else 2 if args.verbose else 1
    vae = VAETransformer(n_latent=args.n_latent, hidden_layer_sizes=hidden,
                         likelihood=args.likelihood, max_iter=args.max_iter,
                         early_stopping=args.early_stopping, random_state=args.random_state,
                         verbose=verbose, n_jobs=args.n_jobs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        vae.fit(X)
    for warning in caught:  # one line each, as the other messages
        say(f"skvae: warning: {warning.message}")
    sio.dump(vae, args.output)
    say(f"fitted on {X.shape[0]} x {X.shape[1]} in {vae.n_iter_} epochs, mean ELBO "
        f"{vae.score(X):.3f} nats; saved {args.output}")


def cmd_transform(args):
    check_output(args.output)
    model = load_model(args.model, args.n_jobs)
    X = read_data(args.data, args.key)
    Z = model.transform(X)
    write_data(args.output, Z, list(model.get_feature_names_out()) if has_header(X) else None)


def cmd_sample(args):
    check_output(args.output)
    model = load_model(args.model, args.n_jobs)
    write_data(args.output, model.sample(args.n_samples, random_state=args.random_state,
                                         means=args.means))


def cmd_score(args):
    check_output(args.output)
    model = load_model(args.model, args.n_jobs)
    X = read_data(args.data, args.key)
    scores = model.score_samples(X)[:, None]
    write_data(args.output, scores, ["elbo"] if has_header(X) else None)


def build_parser():
    parser = argparse.ArgumentParser(prog="skvae", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an error instead of one line")
    # the same flag after the command; SUPPRESS keeps a subcommand's default from
    # overriding "skvae --debug fit ..."
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the traceback of an error instead of one line")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name, help, run):
        sub = commands.add_parser(name, help=help, description=help, parents=[common])
        sub.set_defaults(run=run)
        return sub

    def data_arguments(sub):
        sub.add_argument("data", help="a .npy, .npz or .csv file, one row per sample")
        sub.add_argument("--key", help="the array to use from a .npz file")

    def n_jobs_argument(sub):
        sub.add_argument("--n-jobs", type=int, help="threads per matrix product (default: "
                         "as VAETransformer chooses)")

    def model_command(name, help, run, reads_data=True):
        """A command that uses a saved model (on a data file) and writes an output."""
        sub = command(name, help, run)
        sub.add_argument("model", help="a model saved by 'skvae fit'")
        if reads_data:
            data_arguments(sub)
        sub.add_argument("--output", required=True,
                         help="a .npy or .csv file, or - for standard output (CSV)")
        n_jobs_argument(sub)
        return sub

    demo = command("demo", "train on the bundled digits and compare with PCA", cmd_demo)
    demo.add_argument("--n-latent", type=int, default=5, help="latent dimensions (default 5)")
    demo.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    demo.add_argument("--max-iter", type=int, default=200, help="maximum epochs (default 200)")
    demo.add_argument("--output", type=Path, help="folder for the five plots (PNG)")
    demo.add_argument("--quiet", action="store_true", help="no progress display")

    fit = command("fit", "fit a VAE to a data file and save it (a skops file)", cmd_fit)
    data_arguments(fit)
    fit.add_argument("--output", required=True, help="where to save the model (.skops)")
    fit.add_argument("--n-latent", type=int, default=2, help="latent dimensions (default 2)")
    fit.add_argument("--hidden", default="128,64", help="hidden widths (default 128,64)")
    fit.add_argument("--likelihood", choices=["auto", *sorted(KINDS)], default="auto",
                     help="one for every column; 'auto' (the default) makes text columns "
                          "categorical and numeric ones Gaussian, standardized")
    fit.add_argument("--max-iter", type=int, default=200, help="maximum epochs (default 200)")
    fit.add_argument("--early-stopping", action="store_true",
                     help="stop when the ELBO of a validation tenth stops improving")
    fit.add_argument("--random-state", type=int, help="seed, for a repeatable fit")
    fit.add_argument("--verbose", action="store_true", help="a progress line every epoch")
    fit.add_argument("--quiet", action="store_true", help="no progress display")
    n_jobs_argument(fit)

    model_command("transform", "write the latent means of a data file's rows", cmd_transform)
    sample = model_command("sample", "generate rows from a saved model", cmd_sample,
                           reads_data=False)
    sample.add_argument("--n-samples", type=int, default=10, help="rows (default 10)")
    sample.add_argument("--means", action="store_true",
                        help="the decoder's means E[x|z] instead of draws from p(x|z)")
    sample.add_argument("--random-state", type=int, help="seed, for repeatable rows")
    model_command("score", "write each row's ELBO (low: unusual) for a data file", cmd_score)
    return parser


def main(argv=None):
    """Run one command; returns the exit status (2 for a mistake in the input)."""
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except (UsageError, OSError, ValueError) as exc:
        if args.debug:
            raise
        print(f"skvae {args.command}: error: {one_line(exc)}", file=sys.stderr)
        return USAGE_ERROR
    return 0


def one_line(exc):
    """An exception's message on one line (the estimator's messages can be long)."""
    return " ".join(str(exc).split()) or type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
