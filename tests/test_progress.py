"""The progress display of a fit: one line in place on a terminal, a short log elsewhere."""

import io
import re
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skvae import VAETransformer, _progress
from skvae._progress import ProgressDisplay

X = np.random.default_rng(0).normal(size=(120, 4))


class Terminal(io.StringIO):
    def isatty(self):
        return True


def fit(capsys, **params):
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        vae = VAETransformer(hidden_layer_sizes=(8,), random_state=0, **params).fit(X)
    return vae, capsys.readouterr().out


def test_a_terminal_gets_one_line_rewritten_in_place():
    display = ProgressDisplay(10, stream=Terminal())
    display.update(1, -25.0, 3.0)  # the first epoch compiles: not counted in the speed
    display.update(2, -24.0, 0.5)
    display.update(3, -23.5, 1.5)
    display.close()
    text = display.stream.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")
    assert "\repoch 1/10  ELBO -25.000  3.00 s" in text  # no time left guessed from it
    assert "\repoch 3/10  ELBO -23.500  1.00 s/epoch  at most 7 s left" in text


def test_into_a_pipe_the_first_every_tenth_and_the_last_epoch_are_written(capsys):
    vae, out = fit(capsys, max_iter=40, verbose=1, tol=0.0, n_iter_no_change=1000)
    epochs = [int(e) for e in re.findall(r"^epoch (\d+)/40  ELBO", out, flags=re.MULTILINE)]
    assert epochs == [1, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40]
    # one sign convention: the ELBO shown is the negative of the loss
    shown = [float(v) for v in re.findall(r"ELBO (-?\d+\.\d+)", out)]
    np.testing.assert_allclose(shown, -np.asarray(vae.loss_curve_)[np.array(epochs) - 1],
                               atol=5e-4)


def test_a_fit_that_stops_early_writes_its_last_epoch(capsys):
    vae, out = fit(capsys, max_iter=200, verbose=1, early_stopping=True, n_iter_no_change=2)
    last = re.findall(r"^epoch (\d+)/200  ELBO \S+  validation (-?\d+\.\d+)", out, flags=re.MULTILINE)
    assert vae.n_iter_ < 200 and int(last[-1][0]) == vae.n_iter_
    assert float(last[-1][1]) == pytest.approx(vae.validation_scores_[-1], abs=5e-4)


def test_verbose_2_writes_every_epoch_and_0_nothing(capsys):
    _, out = fit(capsys, max_iter=7, verbose=2)
    assert len(re.findall(r"^epoch \d/7 ", out, flags=re.MULTILINE)) == 7
    _, out = fit(capsys, max_iter=7, verbose=0)
    assert out == ""


def test_iwae_shows_its_bound(capsys):
    _, out = fit(capsys, max_iter=2, verbose=2, objective="iwae", n_mc_samples=3)
    assert out.count("IWAE bound") == 2


def test_compiling_is_announced_once_when_no_kernel_is_cached(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(_progress, "PACKAGE", tmp_path)  # a package without cached kernels
    monkeypatch.setattr(_progress, "_announced", False)
    _, first = fit(capsys, max_iter=2, verbose=1)
    _, second = fit(capsys, max_iter=2, verbose=1)
    assert first.startswith("compiling skvae's kernels") and "compiling" not in second
    monkeypatch.setattr(_progress, "PACKAGE", _progress.Path(_progress.__file__).parent)
    monkeypatch.setattr(_progress, "_announced", False)
    _, cached = fit(capsys, max_iter=2, verbose=1)
    assert "compiling" not in cached
