"""The runbook catalog as Central Command sees it: the agent's YAML files read as data, never imported.

Serving must not import `agent`, so the folder is found with `importlib.util.find_spec` (which reads
no module code) unless `OSIRIS_RUNBOOKS_DIR` names it. Both sides parse the files with
`contracts.runbooks.load_catalog`, so a runbook id means the same thing to the guardrails and to the
appliance that will run it.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from contracts.runbooks import RunbookCatalog, load_catalog
from serving.errors import ServingError

# The agent keeps its builtin L1 rules beside the runbooks; that file is rules, not runbooks.
_NOT_RUNBOOKS = frozenset({"builtin_rules.yaml"})


class CatalogUnavailable(ServingError):
    """The runbook folder is missing or holds no runbook files (HTTP 503: the server is misinstalled)."""

    status_code = 503


def default_runbooks_dir() -> Path:
    """The agent package's `runbooks/` folder, located without importing the agent."""
    spec = importlib.util.find_spec("agent")
    if spec is None or not spec.submodule_search_locations:
        raise CatalogUnavailable("the agent package (which ships the runbook files) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "runbooks"


def runbook_files(directory: Path) -> list[Path]:
    """The runbook YAML files in a folder, sorted."""
    return sorted(p for p in directory.glob("*.yaml") if p.name not in _NOT_RUNBOOKS)


@lru_cache(maxsize=4)
def _load(directory: Path, stamp: tuple[tuple[str, float], ...]) -> RunbookCatalog:
    # `stamp` (names and mtimes) is part of the cache key, so an edited catalog is read again.
    return load_catalog([(directory / name).read_bytes() for name, _ in stamp])


def load_runbooks(directory: Path | None = None) -> RunbookCatalog:
    """The catalog from a folder (default: the agent's), parsed once per change of its files."""
    directory = (directory or default_runbooks_dir()).resolve()
    files = runbook_files(directory) if directory.is_dir() else []
    if not files:
        raise CatalogUnavailable(f"no runbook files in {directory}")
    return _load(directory, tuple((p.name, p.stat().st_mtime) for p in files))


def hipaa_controls(catalog: RunbookCatalog, check_type: str) -> list[str]:
    """The HIPAA citations of every runbook for a check type, sorted (what an escalation shows)."""
    return sorted({c for rb in catalog if rb.check_type == check_type for c in rb.hipaa_citations})
