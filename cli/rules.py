"""`osiris rules eval | sign | verify`: try L1 rules on incidents, and sign or check rules bundles."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import typer

from cli._output import emit_json, fail
from contracts.errors import (
    BadSignatureError,
    EnvelopeError,
    ExpiredError,
    MalformedEnvelopeError,
    MalformedPayloadError,
    NotYetValidError,
    RuleSetError,
    UnknownKeyError,
    VersionRollbackError,
)
from contracts.rules import RuleSet, load_rules

app = typer.Typer(help="Evaluate, sign and verify L1 rule sets.", no_args_is_help=True, add_completion=False)

# Exit codes scripts rely on (DESIGN.md "The command line").
EXIT_REFUSED = 1  # a bad incident line, or a bundle that does not verify
EXIT_INVALID_RULES = 2  # the rule set itself is invalid or unreadable

_REASONS: dict[type[EnvelopeError], str] = {
    BadSignatureError: "bad signature",
    UnknownKeyError: "unknown key",
    ExpiredError: "expired",
    NotYetValidError: "not yet valid",
    VersionRollbackError: "version below minimum",
    MalformedEnvelopeError: "malformed envelope",
    MalformedPayloadError: "malformed payload",
}


@app.callback()
def _group() -> None:
    """Evaluate, sign and verify L1 rule sets."""


def _read(path: Path, what: str, code: int) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {what} {path}: {exc.strerror or exc}", code)


def _ruleset(path: Path) -> RuleSet:
    try:
        return load_rules(_read(path, "rules", EXIT_INVALID_RULES))
    except RuleSetError as exc:
        fail(f"invalid rule set {path}: {exc}", EXIT_INVALID_RULES)


def _incidents(path: Path) -> list[dict[str, Any]]:
    """One JSON object, or JSONL with one object per non-blank line; a bad line names its number."""
    try:
        text = _read(path, "incidents", EXIT_REFUSED).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        fail(f"incident file {path} is not UTF-8: {exc.reason}", EXIT_REFUSED)
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
    if isinstance(whole, dict):
        return [whole]
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            fail(f"incident line {number}: invalid JSON: {exc.msg} at column {exc.colno}", EXIT_REFUSED)
        if not isinstance(obj, dict):
            fail(f"incident line {number}: expected a JSON object, got {type(obj).__name__}", EXIT_REFUSED)
        out.append(obj)
    if not out:
        fail(f"incident file {path} holds no incidents", EXIT_REFUSED)
    return out


@app.command("eval")
def eval_(
    rules: Path = typer.Option(..., "--rules", help="Rule set, JSON or YAML."),
    incident: Path = typer.Option(..., "--incident", help="One JSON incident object, or JSONL."),
) -> None:
    """Print one JSON line per incident: the winning rule, or {"matched": false}."""
    ruleset = _ruleset(rules)
    # Parse every incident before printing, so a bad line never leaves half an answer behind.
    for facts in _incidents(incident):
        rule = ruleset.match(facts)
        if rule is None:
            emit_json({"matched": False})
        else:
            emit_json(
                {"matched": True, "rule_id": rule.id, "action": rule.action, "runbook_id": rule.runbook_id}
            )


@app.command()
def sign(
    rules: Path = typer.Option(..., "--rules", help="Rule set, JSON or YAML (validated before signing)."),
    key: Path = typer.Option(..., "--key", help="Signing key file (osiris keys generate)."),
    version: int = typer.Option(..., "--version", min=1, help="Bundle version; must grow with each bundle."),
    expires_in_days: float = typer.Option(30.0, "--expires-in-days", help="Validity; negative = expired."),
    out: Path = typer.Option(..., "--out", help="Where to write the signed envelope."),
) -> None:
    """Validate a rule set and write it as a signed rules bundle envelope."""
    from contracts.bundles import sign_bundle
    from contracts.envelope import key_id, load_signing_key

    ruleset = _ruleset(rules)
    try:
        signing_key = load_signing_key(_read(key, "signing key", EXIT_REFUSED))
    except EnvelopeError as exc:
        fail(f"signing key {key}: {exc}", EXIT_REFUSED)
    data = sign_bundle(
        ruleset.to_dicts(),
        version=version,
        signing_key=signing_key,
        expires_in=timedelta(days=expires_in_days),
    )
    # Write beside the target and rename, so a reader never sees half a bundle.
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, out)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}", EXIT_REFUSED)
    emit_json(
        {"out": str(out), "version": version, "rules": len(ruleset), "key_id": key_id(signing_key.verify_key)}
    )


@app.command()
def verify(
    file: Path = typer.Argument(..., help="Signed rules bundle envelope."),
    pubkey: Path = typer.Option(..., "--pubkey", help="Trusted public key file."),
    min_version: int | None = typer.Option(None, "--min-version", help="Refuse bundles below this version."),
) -> None:
    """Check a bundle's signature, expiry, version and rules; exit 1 with the reason if refused."""
    from contracts.bundles import verify_bundle
    from contracts.envelope import Keyring, load_verify_key

    try:
        keyring = Keyring.of(load_verify_key(_read(pubkey, "public key", EXIT_REFUSED)))
    except EnvelopeError as exc:
        fail(f"public key {pubkey}: {exc}", EXIT_REFUSED)
    try:
        bundle = verify_bundle(_read(file, "bundle", EXIT_REFUSED), keyring, min_version=min_version)
    except EnvelopeError as exc:
        reason = next((r for cls, r in _REASONS.items() if isinstance(exc, cls)), "refused")
        fail(f"bundle refused ({reason}): {exc}", EXIT_REFUSED)
    try:
        ruleset = load_rules(bundle.rules)
    except RuleSetError as exc:
        # Signed by a trusted key yet unusable: refuse it all rather than run part of a rule set.
        fail(f"bundle refused (invalid rules) v{bundle.version}: {exc}", EXIT_REFUSED)
    emit_json({"valid": True, "version": bundle.version, "rules": len(ruleset)})
