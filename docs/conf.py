"""Sphinx configuration: numpydoc, sphinx-gallery and the pydata theme."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # gallery_warnings
os.environ.setdefault("MPLBACKEND", "Agg")

import skvae

project = "skvae"
author = "the skvae developers"
copyright = "2026, the skvae developers"
release = version = skvae.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
numpydoc_show_class_members = False
autodoc_default_options = {"inherited-members": False}
intersphinx_mapping = {}  # offline builds: no inventories are fetched

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    # an example that does not converge at its settings fails the build
    "reset_modules": ("matplotlib", "gallery_warnings.convergence_warnings_are_errors"),
}

html_theme = "pydata_sphinx_theme"
html_title = "skvae"
html_theme_options = {"navigation_with_keys": False}
exclude_patterns = ["_build"]
