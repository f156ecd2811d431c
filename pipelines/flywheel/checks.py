"""Checks of the `flywheel` group; a failing check says what failed in its metadata.

- `rules_bundle`: the published bundle verifies with Central Command's public key (signature,
  validity window), its rules load with `contracts.rules`, and it holds exactly the rules the
  flywheel composes (no stage change left unsigned).
"""

import asyncio
from pathlib import Path

from dagster import AssetCheckResult, AssetCheckSeverity, asset_check

from contracts.bundles import verify_bundle
from contracts.envelope import Keyring, key_id, load_verify_key
from contracts.errors import ContractError
from contracts.rules import load_rules
from pipelines.flywheel.assets import BundleConfig, rules_bundle
from pipelines.resources import PostgresResource
from warehouse import flywheel as state
from warehouse.bundles import current_bundle, load_or_create_signing_key, signing_key_file
from warehouse.pg import connect


async def _bundle_and_rules(dsn: str):
    conn = await connect(dsn)
    try:
        return await current_bundle(conn), await state.bundle_rules(conn)
    finally:
        await conn.close()


@asset_check(asset=rules_bundle, name="bundle_verifies",
             description="The newest bundle in rule_bundles verifies with the signing key's public half, has not "
                         "expired, its rules load, and it carries every promoted rule at its current stage.")
def bundle_verifies(config: BundleConfig, postgres: PostgresResource) -> AssetCheckResult:
    """Verify the served bundle exactly as an appliance would, then compare it with the intended rules."""
    key_file = Path(config.key_path) if config.key_path else signing_key_file()
    pub = key_file.with_suffix(".pub")
    # The public file is what appliances are given; fall back to the key's own half when it is absent.
    verify_key = load_verify_key(pub.read_text()) if pub.is_file() else load_or_create_signing_key(key_file).verify_key
    current, intended = asyncio.run(_bundle_and_rules(postgres.dsn()))
    if current is None:
        return AssetCheckResult(passed=False, severity=AssetCheckSeverity.ERROR,
                                metadata={"problem": "no bundle has been published"})
    meta = {"version": current.version, "digest": current.digest, "key_id": key_id(verify_key)}
    try:
        bundle = verify_bundle(current.envelope, Keyring.of(verify_key))
        load_rules(bundle.rules)
    except ContractError as exc:
        return AssetCheckResult(passed=False, severity=AssetCheckSeverity.ERROR,
                                metadata={**meta, "problem": f"{type(exc).__name__}: {exc}"})
    stale = [r["id"] for r in intended if r not in bundle.rules]
    return AssetCheckResult(passed=not stale, severity=AssetCheckSeverity.ERROR, metadata={
        **meta, "rules": len(bundle.rules), "expires_at": bundle.expires_at.isoformat(),
        "rules_not_in_bundle": stale[:50],
    })


CHECKS = [bundle_verifies]
