"""Run by sphinx-gallery before each example: a ConvergenceWarning is an error.

The gallery's examples should converge at their settings rather than hide
the warning, so a build with ``-W`` fails on an example that does not.
"""

import warnings

from sklearn.exceptions import ConvergenceWarning


def convergence_warnings_are_errors(gallery_conf, fname, when):
    warnings.filterwarnings("error", category=ConvergenceWarning)
