"""``python -m skvae``: the command line (see ``skvae/_cli.py``)."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
