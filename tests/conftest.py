"""Hypothesis profiles. The default (CI) profile is Hypothesis' own (100 examples per test).

``HYPOTHESIS_PROFILE=fuzz python -m pytest tests/test_fuzz.py`` runs the fuzz tests with
10,000 examples each and a larger corpus of malformed files (docs/reliability.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "fuzz",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
if os.environ.get("HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])


@pytest.fixture
def live_engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """The remote engine (xlwings Lite's), and a home directory without a perfsheet.rules.toml:
    test modules of the live actions use it with ``pytestmark = usefixtures("live_engine")``."""
    from live_payload import register_remote_engine

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    return register_remote_engine(monkeypatch)


@pytest.fixture(scope="module")
def seed_result() -> Any:
    """The seed example (examples/广州市协作办公室…) through the real pipeline."""
    from perfsheet.core.pipeline import analyze
    from perfsheet.io.readers import read_workbook
    from summary_helpers import EXAMPLE

    return analyze(read_workbook(EXAMPLE))
