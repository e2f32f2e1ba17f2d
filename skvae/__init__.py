"""skvae: variational autoencoders as scikit-learn estimators.

Auto-Encoding Variational Bayes (Kingma & Welling, 2013) on a numba-jitted
SGVB core with hand-derived gradients.

``VAETransformer``, ``VAEImputer`` and ``VAEOutlierDetector`` are imported on first use: scikit-learn and numba take
most of a second to import, which ``import skvae`` alone (for the version,
or the command line's ``--help``) should not pay.
"""

__all__ = ["VAEImputer", "VAEOutlierDetector", "VAETransformer"]
__version__ = "0.1.0"


def __getattr__(name):
    if name == "VAETransformer":
        from ._estimator import VAETransformer

        return VAETransformer
    if name == "VAEImputer":
        from ._imputer import VAEImputer

        return VAEImputer
    if name == "VAEOutlierDetector":
        from ._outliers import VAEOutlierDetector

        return VAEOutlierDetector
    raise AttributeError(f"module 'skvae' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *__all__])
