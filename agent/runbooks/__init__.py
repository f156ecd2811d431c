"""The runbook catalog the agent ships (one YAML file per runbook here) and the builtin L1 rules.

Central Command's L2 guardrails read these same files as data (`CATALOG_DIR`, `catalog_texts()`)
through `contracts.runbooks.load_catalog`, so both sides judge a runbook id by one catalog.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from contracts.runbooks import RunbookCatalog, load_catalog

CATALOG_DIR = Path(__file__).resolve().parent
BUILTIN_RULES_FILE = CATALOG_DIR / "builtin_rules.yaml"


def catalog_files() -> list[Path]:
    """The runbook YAML files, sorted (every `*.yaml` here except the builtin rules)."""
    return sorted(p for p in CATALOG_DIR.glob("*.yaml") if p != BUILTIN_RULES_FILE)


def catalog_texts() -> list[str]:
    """The text of every runbook file, in file order."""
    return [p.read_text(encoding="utf-8") for p in catalog_files()]


@lru_cache(maxsize=1)
def catalog() -> RunbookCatalog:
    """The shipped catalog, parsed and validated once per process."""
    return load_catalog(catalog_texts())


@lru_cache(maxsize=1)
def builtin_rules():
    """The builtin L1 rules, validated against the shipped catalog (a `contracts.rules.RuleSet`)."""
    from contracts.rules import load_rules

    return load_rules(BUILTIN_RULES_FILE.read_text(encoding="utf-8"), runbook_ids=catalog().ids)


def unruled_pairs() -> list[tuple[str, str]]:
    """(check_type, platform) pairs no builtin rule heals: the drifts that go to L2."""
    rules = builtin_rules()
    out = []
    for rb in catalog():
        probe = {"check_type": rb.check_type, "platform": rb.platform, "details": {}}
        if rules.match(probe) is None:
            out.append((rb.check_type, rb.platform))
    return sorted(out)
