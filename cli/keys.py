"""`osiris keys generate`: an Ed25519 signing key pair for rules bundles and orders."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from cli._output import emit_json, fail
from contracts.envelope import dump_signing_key, dump_verify_key, generate_signing_key, key_id

app = typer.Typer(help="Generate Ed25519 signing keys.", no_args_is_help=True, add_completion=False)


@app.callback()
def _group() -> None:
    """Generate Ed25519 signing keys."""


def write_private(path: Path, text: str) -> None:
    """Write a secret file readable by its owner only (0600 from the first byte, never wider)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(path, 0o600)


@app.command()
def generate(
    out: Path = typer.Option(..., "--out", help="Directory for signing.key (0600) and signing.pub."),
    force: bool = typer.Option(False, "--force", help="Replace existing key files."),
) -> None:
    """Write DIR/signing.key (mode 0600) and DIR/signing.pub."""
    out.mkdir(parents=True, exist_ok=True)
    secret, public = out / "signing.key", out / "signing.pub"
    for path in (secret, public):
        if path.exists():
            if not force:
                fail(f"{path} exists; pass --force to replace it")
            path.unlink()
    key = generate_signing_key()
    write_private(secret, dump_signing_key(key))
    public.write_text(dump_verify_key(key.verify_key))
    emit_json({"key_id": key_id(key.verify_key), "signing_key": str(secret), "public_key": str(public)})
