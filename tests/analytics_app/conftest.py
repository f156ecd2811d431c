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


@pytest.fixture(autouse=True)
def _navigation_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the app as `osiris ui` serves it (`analytics_app.serve`): pages come from `st.navigation` only.

    AppTest resets Streamlit's "pages/ folder" switch before every run, and with a `pages/` folder beside
    the entry script a rerun would then execute the page alone, without app.py and its sidebar.
    """
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def _init(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", _init)


@pytest.fixture
def open_page() -> Callable[..., AppTest]:
    """Run the app on one page (its path under analytics_app/), set the sidebar filters if given."""

    def _open(page: str, *, sites: list[str] | None = None, period: tuple | None = None) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=30)
        at.run()
        if page != "pages/overview.py":
            at.switch_page(page)
            at.run()
        if sites is not None:
            at.multiselect(key=SITES_KEY).set_value(sites)
        if period is not None:
            at.date_input(key=PERIOD_KEY).set_value(period)
        if sites is not None or period is not None:
            at.run()
        return at

    return _open
