"""Decoder likelihoods p(x|z): one module each, and the table that names them.

Each module holds one likelihood's kernels, mean, sampler, output bias and
support check, and ends with its :class:`~._rows.Likelihood` entry;
``_rows`` holds what they share. Adding a likelihood means one new module,
one line in :data:`LIKELIHOODS` and one reference density in
``tests/reference.py``; everything that lists likelihoods (the estimator's
parameter check, the command line, the tests) reads this table.
"""

from . import bernoulli, continuous_bernoulli, gaussian, gaussian_unit, poisson
from ._rows import Likelihood

#: Every likelihood by its public name.
LIKELIHOODS = {
    "bernoulli": bernoulli.LIKELIHOOD,
    "continuous_bernoulli": continuous_bernoulli.LIKELIHOOD,
    "gaussian": gaussian.LIKELIHOOD,
    "gaussian_unit": gaussian_unit.LIKELIHOOD,
    "poisson": poisson.LIKELIHOOD,
}

__all__ = ["LIKELIHOODS", "Likelihood"]
