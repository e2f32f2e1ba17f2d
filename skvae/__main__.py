"""Command line: ``python -m skvae demo``."""

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m skvae", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="train on the bundled digits and compare the VAE's latent space with PCA's")
    demo.add_argument("--n-latent", type=int, default=5, help="latent dimensions (default 5)")
    demo.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    demo.add_argument("--max-iter", type=int, default=200, help="maximum epochs (default 200)")
    demo.add_argument("--quiet", action="store_true", help="no per-epoch progress")
    args = parser.parse_args(argv)

    if args.command == "demo":
        from ._demo import run_demo

        run_demo(n_latent=args.n_latent, n_folds=args.folds, max_iter=args.max_iter,
                 verbose=0 if args.quiet else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
