"""The command line: demo, fit, transform, sample and score, and its errors."""

import io
import re
import subprocess
import sys

import numpy as np
import pytest

from skvae._cli import main


def test_demo_shows_progress_and_compares_with_pca(capsys):
    assert main(["demo", "--n-latent", "3", "--folds", "2", "--max-iter", "4"]) == 0
    out = capsys.readouterr().out
    assert len(re.findall(r"^epoch \d/4  ELBO -?\d+\.\d+", out, flags=re.MULTILINE)) == 4
    scores = dict(re.findall(r"^  (\S+)\s+(\d\.\d{3}) \+- ", out, flags=re.MULTILINE))
    assert set(scores) == {"VAETransformer(n_latent=3)", "PCA(n_components=3)"}
    assert all(0.1 < float(s) <= 1.0 for s in scores.values())


def test_the_demo_prints_a_screenful_into_a_pipe(capsys):
    assert main(["demo", "--folds", "2", "--max-iter", "80"]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) <= 40
    assert re.search(r"^epoch 80/80  ELBO", out, flags=re.MULTILINE)


def test_demo_writes_the_five_plots(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    main(["demo", "--quiet", "--folds", "2", "--max-iter", "3", "--output", str(tmp_path)])
    names = ["reconstructions.png", "samples.png", "manifold.png", "latent.png", "loss.png"]
    for name in names:
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert capsys.readouterr().out.count("wrote ") == 5


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # 3 epochs
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
    assert "fitted on 120 x 5 in 3 epochs" in capsys.readouterr().err

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


def refused(capsys, argv, message):
    """The command exits with status 2 and one line on standard error naming the problem."""
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert re.search(message, err), err
    return err


def test_a_model_file_with_foreign_types_is_refused(tmp_path, capsys):
    sio = pytest.importorskip("skops.io")
    path = tmp_path / "evil.skops"
    sio.dump({"payload": Foreign()}, path)
    refused(capsys, ["sample", str(path), "--output", str(tmp_path / "S.npy")],
            r"evil\.skops holds types that a skvae model never holds.*Foreign")
    assert not (tmp_path / "S.npy").exists()


def test_ordinary_mistakes_get_one_line_and_exit_status_2(tmp_path, capsys):
    pytest.importorskip("skops")
    (tmp_path / "X.txt").write_text("1,2\n")
    model = str(tmp_path / "m.skops")
    refused(capsys, ["fit", str(tmp_path / "X.txt"), "--output", model],
            r"X\.txt: expected a \.npy, \.npz or \.csv file")
    refused(capsys, ["fit", str(tmp_path / "missing.csv"), "--output", model],
            r"^skvae fit: error: .*missing\.csv: no such file")
    (tmp_path / "not_a_model.skops").write_text("plain text")
    np.save(tmp_path / "X.npy", np.random.default_rng(0).random((30, 3)))
    refused(capsys, ["transform", str(tmp_path / "not_a_model.skops"), str(tmp_path / "X.npy"),
                     "--output", "-"], r"not_a_model\.skops is not a model file saved by")
    refused(capsys, ["fit", str(tmp_path / "X.npy"), "--output", model, "--hidden", "8,x"],
            r"--hidden takes widths separated by commas")
    np.save(tmp_path / "bad.npy", np.array([[0.5, 2.0], [0.1, 0.2]]))
    refused(capsys, ["fit", str(tmp_path / "bad.npy"), "--output", model,
                     "--likelihood", "bernoulli"], r"needs data in \[0, 1\]")
    refused(capsys, ["fit", str(tmp_path / "X.npy"), "--output", "-"],
            r"--output - is for data; a model needs a file")
    assert not (tmp_path / "m.skops").exists()


@pytest.mark.parametrize("where", ["before the command", "after it"])
def test_debug_shows_the_traceback_instead(tmp_path, where):
    argv = ["fit", str(tmp_path / "missing.csv"), "--output", "m.skops"]
    argv = ["--debug", *argv] if where == "before the command" else [*argv, "--debug"]
    with pytest.raises(Exception, match="no such file"):
        main(argv)


def test_console_entry_points_print_plain_help():
    for command in ([sys.executable, "-m", "skvae", "fit", "--help"], ["skvae", "sample", "--help"]):
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        assert "--output" in result.stdout
    overview = subprocess.run(["skvae", "--help"], capture_output=True, text=True, check=True)
    for command in ("demo", "fit", "transform", "sample", "score"):
        assert command in overview.stdout
    assert "``" not in overview.stdout and "skvae fit table.csv" in overview.stdout


def test_a_missing_file_from_the_console_is_one_line_with_status_2(tmp_path):
    result = subprocess.run(["skvae", "fit", str(tmp_path / "nothing.csv"), "--output", "m.skops"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"skvae fit: error: {tmp_path / 'nothing.csv'}: no such file."]


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
    refused(capsys, ["fit", str(data), "--output", str(model)],
            r"holds arrays .*choose one with --key")
    refused(capsys, ["fit", str(data), "--output", str(model), "--key", "test"],
            r"has no array 'test'")
    main(["fit", str(data), "--key", "train", "--output", str(model), "--hidden", "8",
          "--max-iter", "2"])
    assert "fitted on 60 x 3" in capsys.readouterr().err
    main(["transform", str(model), str(data), "--key", "train",
          "--output", str(tmp_path / "Z.csv")])
    assert np.loadtxt(tmp_path / "Z.csv", delimiter=",").shape == (60, 2)
    refused(capsys, ["transform", str(model), str(data), "--key", "train",
                     "--output", str(tmp_path / "Z.txt")], r"must be a \.npy or \.csv file")


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


def test_csv_outputs_keep_the_header_convention_and_dash_is_standard_output(tmp_path,
                                                                           capsys):
    pytest.importorskip("skops")
    import pandas as pd

    rng = np.random.default_rng(0)
    table = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    data, model = tmp_path / "t.csv", tmp_path / "vae.skops"
    table.to_csv(data, index=False)
    main(["fit", str(data), "--output", str(model), "--hidden", "8", "--max-iter", "2",
          "--random-state", "0", "--n-jobs", "1", "--quiet"])
    assert capsys.readouterr().out == ""  # --quiet: no progress, and status goes to stderr

    from skops.io import load

    vae = load(model, trusted=["skvae._estimator.VAETransformer"])
    assert vae.n_jobs == 1
    main(["transform", str(model), str(data), "--output", str(tmp_path / "Z.csv")])
    latent = pd.read_csv(tmp_path / "Z.csv")
    assert list(latent.columns) == list(vae.get_feature_names_out())
    np.testing.assert_allclose(latent.to_numpy(), vae.transform(table), rtol=1e-6)

    capsys.readouterr()
    assert main(["score", str(model), str(data), "--output", "-"]) == 0
    captured = capsys.readouterr()
    scores = pd.read_csv(io.StringIO(captured.out))
    assert list(scores.columns) == ["elbo"] and captured.err == ""
    np.testing.assert_allclose(scores["elbo"], vae.score_samples(table), rtol=1e-6)

    assert main(["sample", str(model), "--n-samples", "4", "--output", "-",
                 "--random-state", "3"]) == 0
    drawn = pd.read_csv(io.StringIO(capsys.readouterr().out))
    pd.testing.assert_frame_equal(drawn, vae.sample(4, random_state=3), check_exact=False,
                                  rtol=1e-6)
    assert main(["sample", str(model), "--n-samples", "4", "--output", "-", "--means",
                 "--random-state", "3"]) == 0
    means = pd.read_csv(io.StringIO(capsys.readouterr().out))
    pd.testing.assert_frame_equal(means, vae.sample(4, random_state=3, means=True),
                                  check_exact=False, rtol=1e-6)


def test_a_headerless_csv_gives_headerless_csvs(tmp_path, capsys):
    pytest.importorskip("skops")
    X = np.random.default_rng(0).normal(size=(50, 3))
    data, model = tmp_path / "X.csv", tmp_path / "vae.skops"
    np.savetxt(data, X, delimiter=",")
    main(["fit", str(data), "--output", str(model), "--hidden", "8", "--max-iter", "2"])
    main(["score", str(model), str(data), "--output", str(tmp_path / "s.csv")])
    assert np.loadtxt(tmp_path / "s.csv", delimiter=",").shape == (50,)
    main(["transform", str(model), str(data), "--output", str(tmp_path / "Z.csv")])
    assert np.loadtxt(tmp_path / "Z.csv", delimiter=",").shape == (50, 2)


def test_fit_verbose_writes_every_epoch_and_the_default_a_short_log(tmp_path, capsys):
    pytest.importorskip("skops")
    data, model = tmp_path / "X.npy", tmp_path / "vae.skops"
    rng = np.random.default_rng(0)
    np.save(data, rng.normal(size=(400, 1)) @ [[1.0, -2.0, 0.5]] + rng.normal(size=(400, 3)))
    args = ["fit", str(data), "--output", str(model), "--hidden", "8", "--max-iter", "30",
            "--random-state", "0"]

    def lines_and_epochs():
        # the fit may converge before its budget: the summary says after how many epochs
        captured = capsys.readouterr()
        return captured.out, int(re.search(r"in (\d+) epochs", captured.err).group(1))

    main([*args, "--verbose"])
    out, n = lines_and_epochs()
    assert n > 10
    assert re.findall(r"^epoch (\d+)/30  ELBO", out, re.MULTILINE) == [str(e) for e in
                                                                       range(1, n + 1)]
    main(args)
    out, n = lines_and_epochs()
    # into a pipe: epoch 1, then every tenth of the budget, and the last one
    expected = sorted({1, *range(3, n + 1, 3), n})
    assert re.findall(r"^epoch (\d+)/30", out, re.MULTILINE) == [str(e) for e in expected]
