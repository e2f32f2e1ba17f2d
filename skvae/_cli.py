"""The command line: ``python -m skvae`` or ``skvae``.

Commands: ``demo`` (the README's main job), ``fit`` (train on a data file,
save the model), ``transform`` and ``sample`` (use a saved model). Model files
are skops files, so loading one cannot run code from it.
"""

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._likelihoods.columns import KINDS

#: The only type a skvae model file may contain beyond what skops trusts.
TRUSTED_TYPES = ["skvae._estimator.VAETransformer"]


def read_data(path, key=None):
    """A 2-D float array from .npy, .npz (``key`` or its only array) or .csv.

    A .csv file of numbers only is read as an array; one with a header or
    with text cells as a DataFrame, its text columns as categories (an empty
    cell is a missing entry)."""
    path = Path(path)
    if path.suffix == ".npy":
        return np.load(path, allow_pickle=False)
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            if key is None and len(archive.files) != 1:
                raise SystemExit(f"{path} holds arrays {archive.files}: choose one with --key.")
            return archive[key or archive.files[0]]
    if path.suffix == ".csv":
        try:
            return np.loadtxt(path, delimiter=",", ndmin=2)
        except ValueError:  # a header line, text cells or empty cells
            import pandas as pd

            return pd.read_csv(path)
    raise SystemExit(f"{path}: expected a .npy, .npz or .csv file.")


def write_data(path, array):
    """Writes an array, or a DataFrame as a .csv with its header."""
    path = Path(path)
    if hasattr(array, "to_csv"):
        if path.suffix != ".csv":
            raise SystemExit(f"{path}: a table is written as a .csv file.")
        array.to_csv(path, index=False)
    elif path.suffix == ".npy":
        np.save(path, array)
    elif path.suffix == ".csv":
        np.savetxt(path, array, delimiter=",", fmt="%.9g")
    else:
        raise SystemExit(f"{path}: the output must be a .npy or .csv file.")
    print(f"wrote {path} ({array.shape[0]} x {array.shape[1]})")


def load_model(path):
    import skops.io as sio

    return sio.load(path, trusted=TRUSTED_TYPES)


def cmd_demo(args):
    from ._demo import run_demo

    run_demo(n_latent=args.n_latent, n_folds=args.folds, max_iter=args.max_iter,
             verbose=0 if args.quiet else 1, output=args.output)


def cmd_fit(args):
    import skops.io as sio

    from ._estimator import VAETransformer
    from ._progress import progress_display

    X = read_data(args.data, args.key)
    hidden = tuple(int(h) for h in args.hidden.split(","))
    vae = VAETransformer(n_latent=args.n_latent, hidden_layer_sizes=hidden,
                         likelihood=args.likelihood, max_iter=args.max_iter,
                         early_stopping=args.early_stopping, random_state=args.random_state)
    with progress_display(args.max_iter), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        vae.fit(X)
    sio.dump(vae, args.output)
    print(f"fitted on {X.shape[0]} x {X.shape[1]} in {vae.n_iter_} epochs, mean ELBO "
          f"{vae.score(X):.3f} nats; saved {args.output}")


def cmd_transform(args):
    write_data(args.output, load_model(args.model).transform(read_data(args.data, args.key)))


def cmd_sample(args):
    model = load_model(args.model)
    write_data(args.output, model.sample(args.n_samples, random_state=args.random_state))


def build_parser():
    parser = argparse.ArgumentParser(prog="skvae", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="train on the bundled digits, compare with PCA")
    demo.add_argument("--n-latent", type=int, default=5, help="latent dimensions (default 5)")
    demo.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    demo.add_argument("--max-iter", type=int, default=200, help="maximum epochs (default 200)")
    demo.add_argument("--output", type=Path, help="folder for the five plots (PNG)")
    demo.add_argument("--quiet", action="store_true", help="no per-epoch progress")
    demo.set_defaults(run=cmd_demo)

    fit = commands.add_parser("fit", help="fit a VAE to a data file and save it (skops)")
    fit.add_argument("data", help="a .npy, .npz or .csv file, one row per sample")
    fit.add_argument("--output", required=True, help="where to save the model (.skops)")
    fit.add_argument("--key", help="the array to use from a .npz file")
    fit.add_argument("--n-latent", type=int, default=2)
    fit.add_argument("--hidden", default="128,64", help="hidden widths (default 128,64)")
    fit.add_argument("--likelihood", choices=["auto", *sorted(KINDS)], default="auto",
                     help="'auto': text columns categorical, numeric columns Gaussian "
                          "(standardized)")
    fit.add_argument("--max-iter", type=int, default=200)
    fit.add_argument("--early-stopping", action="store_true")
    fit.add_argument("--random-state", type=int)
    fit.set_defaults(run=cmd_fit)

    transform = commands.add_parser("transform", help="latent means of a data file")
    transform.add_argument("model", help="a model saved by 'skvae fit'")
    transform.add_argument("data", help="a .npy, .npz or .csv file")
    transform.add_argument("--output", required=True, help="a .npy or .csv file to write")
    transform.add_argument("--key", help="the array to use from a .npz file")
    transform.set_defaults(run=cmd_transform)

    sample = commands.add_parser("sample", help="generate rows from a saved model")
    sample.add_argument("model", help="a model saved by 'skvae fit'")
    sample.add_argument("--n-samples", type=int, default=10)
    sample.add_argument("--output", required=True, help="a .npy or .csv file to write")
    sample.add_argument("--random-state", type=int)
    sample.set_defaults(run=cmd_sample)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    args.run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
