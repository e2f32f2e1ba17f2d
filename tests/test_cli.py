"""The command line: demo, fit, transform, sample, and the progress display."""

import io
import re
import subprocess
import sys

import numpy as np
import pytest

from skvae._cli import main
from skvae._progress import progress_display, report


def test_demo_shows_progress_and_compares_with_pca(capsys):
    assert main(["demo", "--n-latent", "3", "--folds", "2", "--max-iter", "4"]) == 0
    out = capsys.readouterr().out
    assert len(re.findall(r"^Epoch \d+, loss = -?\d+\.\d+", out, flags=re.MULTILINE)) == 4
    scores = dict(re.findall(r"^  (\S+)\s+(\d\.\d{3}) \+- ", out, flags=re.MULTILINE))
    assert set(scores) == {"VAETransformer(n_latent=3)", "PCA(n_components=3)"}
    assert all(0.1 < float(s) <= 1.0 for s in scores.values())


def test_demo_writes_the_five_plots(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    main(["demo", "--quiet", "--folds", "2", "--max-iter", "3", "--output", str(tmp_path)])
    names = ["reconstructions.png", "samples.png", "manifold.png", "latent.png", "loss.png"]
    for name in names:
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert capsys.readouterr().out.count("wrote ") == 5


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".csv"])
def test_fit_transform_sample_round_trip(tmp_path, suffix, capsys):
    pytest.importorskip("skops")
    X = np.random.default_rng(0).random((120, 5))
    data = tmp_path / f"X{suffix}"
    if suffix == ".npy":
        np.save(data, X)
    elif suffix == ".npz":
        np.savez(data, X=X)
    else:
        np.savetxt(data, X, delimiter=",", header="a,b,c,d,e", comments="")
    model = tmp_path / "vae.skops"
    main(["fit", str(data), "--output", str(model), "--n-latent", "2", "--hidden", "16",
          "--max-iter", "3", "--likelihood", "bernoulli", "--random-state", "0"])
    assert "fitted on 120 x 5 in 3 epochs" in capsys.readouterr().out

    from skvae import VAETransformer

    expected = VAETransformer(n_latent=2, hidden_layer_sizes=(16,), likelihood="bernoulli",
                              max_iter=3, random_state=0).fit(X).transform(X)
    main(["transform", str(model), str(data), "--output", str(tmp_path / "Z.npy")])
    np.testing.assert_allclose(np.load(tmp_path / "Z.npy"), expected, rtol=1e-6)
    main(["sample", str(model), "--n-samples", "7", "--random-state", "1",
          "--output", str(tmp_path / "S.csv")])
    # a .csv with a header is a table: its samples come back under that header
    samples = np.loadtxt(tmp_path / "S.csv", delimiter=",", skiprows=int(suffix == ".csv"))
    assert samples.shape == (7, 5) and set(np.unique(samples)) <= {0.0, 1.0}


class Foreign:
    """A type that no skvae model file contains."""


def test_a_model_file_with_foreign_types_is_refused(tmp_path):
    sio = pytest.importorskip("skops.io")
    path = tmp_path / "evil.skops"
    sio.dump({"payload": Foreign()}, path)
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        main(["sample", str(path), "--output", str(tmp_path / "S.npy")])


def test_unsupported_files_are_refused_with_a_message(tmp_path):
    (tmp_path / "X.txt").write_text("1,2\n")
    with pytest.raises(SystemExit, match=r"expected a \.npy, \.npz or \.csv"):
        main(["fit", str(tmp_path / "X.txt"), "--output", str(tmp_path / "m.skops")])


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_shows_epoch_elbo_speed_and_time_left_on_a_terminal():
    stream = Terminal()
    with progress_display(10, stream):
        report(1, 25.0, 0.5)
        report(2, 24.0, 1.5)
    text = stream.getvalue()
    assert "\repoch 2/10  ELBO -24.000  1.00 s/epoch  at most 8 s left" in text
    assert text.endswith("\n")


def test_progress_turns_itself_off_when_output_is_not_a_terminal():
    stream = io.StringIO()
    with progress_display(10, stream):
        report(1, 25.0, 0.5)
    assert stream.getvalue() == ""
    report(1, 25.0, 0.5)  # outside a display: nothing happens


def test_console_entry_points_print_help():
    for command in ([sys.executable, "-m", "skvae", "fit", "--help"], ["skvae", "sample", "--help"]):
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        assert "--output" in result.stdout


def test_unknown_command_is_refused():
    with pytest.raises(SystemExit) as exc:
        main(["train"])
    assert exc.value.code == 2


def test_sample_with_a_random_state_repeats_and_another_differs(tmp_path, capsys):
    pytest.importorskip("skops")
    data, model = tmp_path / "X.npy", tmp_path / "vae.skops"
    np.save(data, np.random.default_rng(0).normal(size=(80, 3)))
    main(["fit", str(data), "--output", str(model), "--hidden", "8", "--max-iter", "2",
          "--random-state", "0"])
    drawn = []
    for seed in ("1", "1", "2"):
        main(["sample", str(model), "--n-samples", "5", "--random-state", seed,
              "--output", str(tmp_path / "S.npy")])
        drawn.append(np.load(tmp_path / "S.npy"))
    np.testing.assert_array_equal(drawn[0], drawn[1])
    assert not np.array_equal(drawn[0], drawn[2])


def test_npz_with_several_arrays_needs_key_and_key_chooses(tmp_path, capsys):
    pytest.importorskip("skops")
    X = np.random.default_rng(0).normal(size=(60, 3))
    data, model = tmp_path / "both.npz", tmp_path / "vae.skops"
    np.savez(data, train=X, other=np.zeros((2, 9)))
    with pytest.raises(SystemExit, match=r"holds arrays .*choose one with --key"):
        main(["fit", str(data), "--output", str(model)])
    main(["fit", str(data), "--key", "train", "--output", str(model), "--hidden", "8",
          "--max-iter", "2"])
    assert "fitted on 60 x 3" in capsys.readouterr().out
    main(["transform", str(model), str(data), "--key", "train",
          "--output", str(tmp_path / "Z.csv")])
    assert np.loadtxt(tmp_path / "Z.csv", delimiter=",").shape == (60, 2)
    with pytest.raises(SystemExit, match=r"must be a \.npy or \.csv file"):
        main(["transform", str(model), str(data), "--key", "train",
              "--output", str(tmp_path / "Z.txt")])


def test_every_likelihood_is_offered():
    from skvae._cli import build_parser
    from skvae._likelihoods import LIKELIHOODS

    fit = build_parser()._subparsers._group_actions[0].choices["fit"]
    choices = next(a.choices for a in fit._actions if a.dest == "likelihood")
    assert sorted(choices) == sorted(["auto", "categorical", *LIKELIHOODS])


def test_a_mixed_csv_is_fitted_and_sampled_under_its_header(tmp_path, capsys):
    pytest.importorskip("skops")
    import pandas as pd

    rng = np.random.default_rng(0)
    table = pd.DataFrame({"income": rng.normal(300, 50, 80).round(1),
                          "city": rng.choice(["Oslo", "Lima"], 80),
                          "age": rng.integers(20, 60, 80)})
    table.loc[3, "income"] = np.nan  # an empty cell
    data = tmp_path / "table.csv"
    table.to_csv(data, index=False)
    model = tmp_path / "vae.skops"
    main(["fit", str(data), "--output", str(model), "--hidden", "8", "--max-iter", "3",
          "--random-state", "0"])
    main(["sample", str(model), "--n-samples", "5", "--output", str(tmp_path / "S.csv")])
    samples = pd.read_csv(tmp_path / "S.csv")
    assert list(samples.columns) == ["income", "city", "age"]
    assert set(samples["city"]) <= {"Oslo", "Lima"}
    assert samples["age"].dtype == np.int64 and not samples.isna().any().any()
