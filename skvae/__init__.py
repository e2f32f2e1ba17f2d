"""skvae: variational autoencoders as scikit-learn estimators.

Auto-Encoding Variational Bayes (Kingma & Welling, 2013) on a numba-jitted
SGVB core with hand-derived gradients.
"""

from ._estimator import VAETransformer

__all__ = ["VAETransformer"]
__version__ = "0.1.0"
