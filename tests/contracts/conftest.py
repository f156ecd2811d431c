"""Fixtures for contract tests, and the PHI scrubber's corpus figures in the terminal summary.

The recall table is printed whatever the capture mode (no `-s` needed): tests put their figures in
`phi_report`, and `pytest_terminal_summary` writes them after the run.
"""

from __future__ import annotations

from typing import Any

import pytest

_PHI_REPORT = pytest.StashKey[dict[str, Any]]()


@pytest.fixture(scope="session")
def phi_report(pytestconfig: pytest.Config) -> dict[str, Any]:
    """Where the PHI corpus tests leave their figures for the terminal summary."""
    return pytestconfig.stash.setdefault(_PHI_REPORT, {})


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    report = config.stash.get(_PHI_REPORT, None)
    if not report:
        return
    terminalreporter.write_sep("-", "PHI scrubber: labelled corpus (tests/vectors/phi)")
    recall = report.get("recall")
    if recall:
        terminalreporter.write_line(f"{'category':<16} {'found':>5} / {'total':<5} recall")
        for category, (found, total) in recall.items():
            terminalreporter.write_line(f"{category:<16} {found:>5} / {total:<5} {found / total:7.1%}")
    near = report.get("near_misses")
    if near:
        kept, total = near
        terminalreporter.write_line(f"near-misses kept untouched: {kept} / {total} ({kept / total:.1%})")
    later = report.get("it_text_kept")
    if later:
        kept, total = later
        terminalreporter.write_line(f"IT-text regressions kept (written later): {kept} / {total}")
    found = report.get("found_later")
    if found:
        hits, total = found
        terminalreporter.write_line(f"PHI shapes found later, covered: {hits} / {total}")
