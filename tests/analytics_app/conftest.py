"""Fixtures for the reports: an OSIRIS_HOME whose marts folder holds the fixture marts, or nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics_app.ui import PERIOD_KEY, SITES_KEY
from tests.analytics_app.fixtures import write_marts

APP = Path(__file__).resolve().parents[2] / "analytics_app" / "app.py"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty OSIRIS_HOME for this test: `warehouse.duck.marts_dir()` is `<home>/marts`."""
    monkeypatch.setenv("OSIRIS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def marts(home: Path) -> Path:
    """The fixture marts, published under this test's OSIRIS_HOME."""
    return write_marts(home / "marts")


@pytest.fixture
def open_page() -> Callable[..., AppTest]:
    """Run the app on one page (its path under analytics_app/) and return the finished AppTest."""

    def _open(page: str, *, sites: list[str] | None = None, period: tuple | None = None) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=30)
        # The filters go in through session state: after the first run AppTest's element tree holds
        # only the page's elements, not the entry script's sidebar (seen with Streamlit 1.67).
        if sites is not None:
            at.session_state[SITES_KEY] = sites
        if period is not None:
            at.session_state[PERIOD_KEY] = period
        at.run()
        if page != "pages/overview.py":
            at.switch_page(page)
            at.run()
        return at

    return _open
