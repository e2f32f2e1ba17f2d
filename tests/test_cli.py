"""The command line's main job, ``python -m skvae demo``."""

import re
import subprocess
import sys

import pytest

from skvae.__main__ import main


def test_demo_shows_progress_and_compares_with_pca(capsys):
    assert main(["demo", "--n-latent", "3", "--folds", "2", "--max-iter", "4"]) == 0
    out = capsys.readouterr().out
    assert len(re.findall(r"^Epoch \d+, loss = -?\d+\.\d+", out, flags=re.MULTILINE)) == 4
    scores = dict(re.findall(r"^  (\S+)\s+(\d\.\d{3}) \+- ", out, flags=re.MULTILINE))
    assert set(scores) == {"VAETransformer(n_latent=3)", "PCA(n_components=3)"}
    assert all(0.1 < float(s) <= 1.0 for s in scores.values())


def test_module_entry_point_prints_help():
    result = subprocess.run([sys.executable, "-m", "skvae", "demo", "--help"],
                            capture_output=True, text=True, check=True)
    assert "--n-latent" in result.stdout


def test_unknown_command_is_refused():
    with pytest.raises(SystemExit) as exc:
        main(["train"])
    assert exc.value.code == 2
