"""Saving fitted models: skops refuses untrusted types unless trusted."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skvae import VAETransformer

sio = pytest.importorskip("skops.io")

TRUSTED = ["skvae._estimator.VAETransformer"]  # the call documented in docs/persistence.rst


@pytest.fixture(scope="module")
def fitted():
    X = np.random.default_rng(0).random((200, 6))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        vae = VAETransformer(hidden_layer_sizes=(8,), max_iter=3, random_state=0).fit(X)
    return vae, X


def test_skops_refuses_the_estimator_until_it_is_trusted(fitted, tmp_path):
    vae, _ = fitted
    path = tmp_path / "vae.skops"
    sio.dump(vae, path)
    assert sio.get_untrusted_types(file=path) == TRUSTED
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException, match="VAETransformer"):
        sio.load(path)


def test_skops_round_trip_gives_identical_outputs_and_keeps_training(fitted, tmp_path):
    vae, X = fitted
    path = tmp_path / "vae.skops"
    sio.dump(vae, path)
    loaded = sio.load(path, trusted=TRUSTED)
    np.testing.assert_array_equal(loaded.transform(X), vae.transform(X))
    np.testing.assert_array_equal(loaded.score_samples(X), vae.score_samples(X))
    np.testing.assert_array_equal(loaded.sample(5, random_state=1), vae.sample(5, random_state=1))
    loaded.partial_fit(X)
    assert loaded.n_iter_ == vae.n_iter_ + 1


class Payload:
    """A type skops does not know: loading it would construct arbitrary objects."""


def test_a_file_with_an_unexpected_type_is_refused_even_with_the_estimator_trusted(
        fitted, tmp_path):
    path = tmp_path / "other.skops"
    sio.dump({"model": fitted[0], "extra": Payload()}, path)
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException, match="Payload"):
        sio.load(path, trusted=TRUSTED)
