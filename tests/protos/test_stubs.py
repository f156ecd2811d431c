"""The committed stubs are exactly what grpcio-tools makes from the proto, with the one import fix-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from protos import _generate


def test_stubs_regenerated_equal_committed(tmp_path: Path) -> None:
    written = _generate.generate(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == list(_generate.GENERATED)
    for name in _generate.GENERATED:
        fresh = (tmp_path / name).read_text()
        committed = (_generate.PROTOS_DIR / name).read_text()
        assert fresh == committed, f"{name} is stale: run `python -m protos._generate` and commit"


def test_fix_imports_messages_import_rooted_at_protos() -> None:
    text = "import grpc\nfrom compliance.v1 import compliance_pb2 as compliance_dot_v1_dot_compliance__pb2\n"
    fixed = _generate.fix_imports(text)
    assert "from protos.compliance.v1 import compliance_pb2 as" in fixed
    assert "\nfrom compliance.v1" not in fixed
    assert _generate.fix_imports(fixed) == fixed  # applying it twice changes nothing


def test_generate_broken_proto_raises_generate_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    (src / "compliance" / "v1").mkdir(parents=True)
    (src / _generate.PROTO).write_text('syntax = "proto3";\nmessage Broken { string x = ; }\n')
    monkeypatch.setattr(_generate, "PROTOS_DIR", src)
    with pytest.raises(_generate.GenerateError):
        _generate.generate(tmp_path / "out")


def test_stubs_import_service_methods_present() -> None:
    from protos.compliance.v1 import compliance_pb2

    service = compliance_pb2.DESCRIPTOR.services_by_name["ComplianceAgent"]
    methods = {m.name: (m.client_streaming, m.server_streaming) for m in service.methods}
    assert methods == {
        "Register": (False, False),
        "RenewCertificate": (False, False),
        "ReportDrift": (True, True),
        "ReportHealing": (False, False),
        "Heartbeat": (False, False),
        "ReportRMMStatus": (False, False),
    }
    assert service.full_name == "osiris.compliance.v1.ComplianceAgent"
