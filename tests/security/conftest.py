"""Hypothesis keeps its example database and constants cache outside the work tree."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "chronos-hypothesis")
settings.register_profile("chronos", database=None, deadline=None)
settings.load_profile("chronos")
