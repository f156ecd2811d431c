"""The runbook catalog model: loading, validation errors, params guardrails and script rendering."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from contracts.errors import (
    CatalogSyntaxError,
    DuplicateRunbookError,
    PlatformNotAllowedError,
    RunbookError,
    RunbookParamsError,
    UnknownRunbookIdError,
)
from contracts.runbooks import RunbookCatalog, load_catalog, render_script

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "runbooks"


def _vector(name: str) -> str:
    return (VECTORS / name).read_text()


@pytest.fixture
def demo() -> RunbookCatalog:
    return load_catalog([_vector("valid_minimal_linux.yaml")])


def test_load_catalog_valid_vector_one_runbook(demo):
    rb = demo.get("RB-LNX-DEMO-001")
    assert rb.platform == "linux" and rb.check_type == "demo_check"
    assert demo.ids == ["RB-LNX-DEMO-001"] and len(demo) == 1


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in VECTORS.glob("invalid_*.yaml")),
)
def test_load_catalog_invalid_vector_raises_catalog_syntax_error(name):
    with pytest.raises(CatalogSyntaxError):
        load_catalog([_vector(name)])


def test_load_catalog_bytes_not_utf8_raises_catalog_syntax_error():
    with pytest.raises(CatalogSyntaxError, match="UTF-8"):
        load_catalog([b"\xff\xfe\x00bad"])


def test_load_catalog_duplicate_id_raises_duplicate_runbook_error():
    with pytest.raises(DuplicateRunbookError, match="RB-LNX-DEMO-001"):
        load_catalog([_vector("valid_minimal_linux.yaml")] * 2)


def test_load_catalog_error_names_runbook_and_field():
    with pytest.raises(CatalogSyntaxError) as info:
        load_catalog([_vector("invalid_bad_citation.yaml")])
    assert "RB-LNX-DEMO-001" in str(info.value) and "hipaa_citations" in str(info.value)


def test_check_params_empty_fills_defaults(demo):
    assert demo.check_params("RB-LNX-DEMO-001", {}) == {"level": 3, "mode": "strict"}


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"nope": 1}, "nope"),
        ({"level": "3"}, "level"),
        ({"level": True}, "level"),
        ({"level": 9}, "level"),
        ({"level": 0}, "level"),
        ({"mode": "chaos"}, "mode"),
        ({"label": "UPPER"}, "label"),
        ({"label": "ok;rm"}, "label"),
        ({"label": "ab\ncd"}, "label"),
        ({"force": "yes"}, "force"),
    ],
)
def test_check_params_outside_schema_raises_params_error(demo, params, param):
    with pytest.raises(RunbookParamsError) as info:
        demo.check_params("RB-LNX-DEMO-001", params)
    assert info.value.param == param and info.value.runbook_id == "RB-LNX-DEMO-001"


def test_check_params_unknown_runbook_raises_unknown_id(demo):
    with pytest.raises(UnknownRunbookIdError):
        demo.check_params("RB-LNX-NOPE-001", {})


def test_guard_wrong_platform_raises_platform_not_allowed(demo):
    with pytest.raises(PlatformNotAllowedError):
        demo.guard("RB-LNX-DEMO-001", "windows", {})
    assert demo.allowed("RB-LNX-DEMO-001", "linux") and not demo.allowed("RB-LNX-DEMO-001", "windows")
    assert not demo.allowed("RB-LNX-NOPE-001", "linux")


def test_runbook_errors_share_the_contracts_base():
    assert issubclass(RunbookParamsError, RunbookError) and issubclass(CatalogSyntaxError, RunbookError)


def test_render_script_shell_value_stays_literal(demo):
    rb = demo.get("RB-LNX-DEMO-001")
    script = render_script(rb, "remediate", {"label": "abc", "level": 2})
    out = subprocess.run(["sh", "-s"], input=script, text=True, capture_output=True, check=True).stdout
    assert out.strip() == "level=2 mode=strict label=abc"


def test_render_script_quote_in_string_never_becomes_code():
    # A pattern-free string param with quotes and $( ): the rendered variable holds it verbatim.
    text = _vector("valid_minimal_linux.yaml").replace('pattern: "^[a-z]{1,8}$"', "description: free text")
    rb = load_catalog([text]).get("RB-LNX-DEMO-001")
    evil = "x'; touch /tmp/osiris-pwned; echo '$(id)"
    script = render_script(rb, "remediate", {"label": evil})
    out = subprocess.run(["sh", "-s"], input=script, text=True, capture_output=True, check=True).stdout
    assert out.strip().endswith("label=" + evil)
    assert not Path("/tmp/osiris-pwned").exists()


def test_render_script_powershell_quotes_single_quotes():
    text = _vector("valid_minimal_linux.yaml").replace("RB-LNX-DEMO-001", "RB-WIN-DEMO-001")
    text = text.replace("platform: linux", "platform: windows").replace('pattern: "^[a-z]{1,8}$"', "description: t")
    rb = load_catalog([text]).get("RB-WIN-DEMO-001")
    script = render_script(rb, "check", {"label": "it's", "force": True})
    assert "$Param_label = 'it''s'" in script and "$Param_force = $true" in script and "$Param_level = 3" in script


def test_render_script_check_phase_skips_required_params():
    text = _vector("valid_minimal_linux.yaml").replace("force: {type: boolean}", "force: {type: boolean, required: true}")
    rb = load_catalog([text]).get("RB-LNX-DEMO-001")
    assert "# osiris:check demo_check" in render_script(rb, "check", {})
    with pytest.raises(RunbookParamsError, match="force is required"):
        render_script(rb, "remediate", {})
