"""The README's Python snippets run as written, without a ConvergenceWarning."""

import re
import warnings
from pathlib import Path

import pytest
from sklearn.exceptions import ConvergenceWarning

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.skipif(not README.is_file(), reason="README.md is not beside the tests")
def test_the_usage_and_outlier_snippets_run_without_convergence_warnings():
    usage, outliers = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)[:2]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        namespace = {}
        exec(usage + outliers, namespace)  # noqa: S102 - the README's own code
    assert namespace["search"].best_params_["n_latent"] in (2, 5, 10)
    assert (namespace["labels"] == -1).mean() == pytest.approx(0.05, abs=0.01)
