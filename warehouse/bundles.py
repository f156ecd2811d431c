"""Publishing signed L1 rules bundles into Postgres `rule_bundles`: the one primitive every publisher shares.

`publish_rules` validates the rules (`contracts.rules`), signs them (`contracts.bundles`) as version
max + 1 and inserts the envelope, all in one transaction under the same advisory lock serving's
publisher takes, so versions stay strictly increasing whoever publishes. When the rules equal the
current bundle's and that bundle is not near expiry it publishes nothing: a publisher re-run with
nothing new never bumps the version (appliances would re-download for no reason). `GET
/api/agent/sync` serves the newest row, so a published bundle is live at once.

The signing key is Central Command's: `$OSIRIS_HOME/keys/signing.key` (or `OSIRIS_SIGNING_KEY_PATH`),
made 0600 on first use, refused when others can read it.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import nacl.signing

from contracts.bundles import RulesBundle, parse_bundle_payload, sign_bundle
from contracts.envelope import (
    dump_signing_key,
    dump_verify_key,
    envelope_digest,
    generate_signing_key,
    key_id,
    load_signing_key,
)
from contracts.errors import ContractError, RuleSetError
from contracts.incidents import utcnow
from contracts.rules import load_rules
from warehouse.errors import RulesBundleError, SigningKeyError
from warehouse.settings import osiris_home
from warehouse.sql_files import sql

DEFAULT_EXPIRY = timedelta(days=30)
REFRESH_BEFORE = timedelta(days=7)
"""An unchanged bundle is re-signed (as a new version) once it has less than this left to live."""


@dataclass(frozen=True)
class Published:
    """The outcome of `publish_rules`: the current version, and whether this call signed it."""

    version: int
    digest: str
    published: bool
    rule_count: int
    reason: str


@dataclass(frozen=True)
class CurrentBundle:
    """The newest stored bundle: its identity, envelope bytes and the rules inside."""

    version: int
    digest: str
    envelope: bytes
    bundle: RulesBundle


def signing_key_file() -> Path:
    """Where Central Command's signing key lives (serving's `signing_key_path` default, same file)."""
    chosen = os.environ.get("OSIRIS_SIGNING_KEY_PATH")
    return Path(chosen).expanduser() if chosen else osiris_home() / "keys" / "signing.key"


def load_or_create_signing_key(path: Path | None = None) -> nacl.signing.SigningKey:
    """The signing key at `path` (default `signing_key_file()`), generated 0600 with its `.pub` if missing."""
    path = (path or signing_key_file()).expanduser()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = generate_signing_key()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: read theirs
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(dump_signing_key(key))
            path.with_suffix(".pub").write_text(dump_verify_key(key.verify_key))
            return key
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SigningKeyError(f"signing key {path} is readable by others (mode {oct(mode & 0o777)}); chmod 600 it")
    try:
        return load_signing_key(path.read_text())
    except (OSError, ContractError) as exc:
        raise SigningKeyError(f"signing key {path}: {exc}") from exc


@asynccontextmanager
async def _connection(target: asyncpg.Pool | asyncpg.Connection) -> AsyncIterator[asyncpg.Connection]:
    if isinstance(target, asyncpg.Pool):
        async with target.acquire() as conn:
            yield conn
    else:
        yield target


def _current(row: asyncpg.Record) -> CurrentBundle:
    envelope = bytes(row["envelope"])
    # Our own table: the payload is read without re-verifying (the `rules_bundle` check verifies).
    payload = base64.b64decode(json.loads(envelope)["payload"])
    return CurrentBundle(row["version"], row["digest"], envelope, parse_bundle_payload(payload))


async def current_bundle(target: asyncpg.Pool | asyncpg.Connection) -> CurrentBundle | None:
    """The newest bundle with its rules, or None before the first is published."""
    async with _connection(target) as conn:
        row = await conn.fetchrow(sql("serving/bundle_current"))
    return None if row is None else _current(row)


def _canonical(rules: list[dict[str, Any]]) -> str:
    return json.dumps(rules, sort_keys=True, separators=(",", ":"), default=str)


async def publish_rules(target: asyncpg.Pool | asyncpg.Connection, rules: list[dict[str, Any]],
                        signing_key: nacl.signing.SigningKey, *, expires_in: timedelta = DEFAULT_EXPIRY,
                        refresh_before: timedelta = REFRESH_BEFORE, force: bool = False,
                        now: datetime | None = None) -> Published:
    """Sign `rules` as the next bundle version unless the current bundle already holds exactly them.

    Raises RulesBundleError when the rules do not load (nothing is stored then).
    """
    try:
        load_rules(rules)
    except RuleSetError as exc:
        raise RulesBundleError(f"rules do not load: {exc}") from exc
    moment = now or utcnow()
    async with _connection(target) as conn, conn.transaction():
        # One publisher at a time (serving takes the same lock): versions strictly increase, no gaps.
        await conn.execute(sql("serving/bundle_lock"))
        row = await conn.fetchrow(sql("serving/bundle_current"))
        current = None if row is None else _current(row)
        if current is not None and not force and _canonical(current.bundle.rules) == _canonical(rules):
            if current.bundle.expires_at - moment > refresh_before:
                return Published(current.version, current.digest, False, len(rules), "unchanged")
        version = await conn.fetchval(sql("serving/bundle_next_version"))
        envelope = sign_bundle(rules, version=version, signing_key=signing_key, expires_in=expires_in, now=moment)
        await conn.execute(sql("serving/bundle_insert"), version, envelope_digest(envelope), envelope,
                           key_id(signing_key.verify_key), len(rules), moment, moment + expires_in)
    reason = "first bundle" if current is None else ("rules changed" if _canonical(current.bundle.rules)
                                                     != _canonical(rules) else "refreshed before expiry")
    return Published(version, envelope_digest(envelope), True, len(rules), reason)
