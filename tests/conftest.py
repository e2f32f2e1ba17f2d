"""Test settings shared by every file.

Hypothesis runs derandomized: the same examples every run, so the suite is
deterministic, as the rest of it is seeded. Set HYPOTHESIS_PROFILE=explore
to search with fresh random examples.
"""

import os

from hypothesis import settings

settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))
