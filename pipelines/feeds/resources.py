"""Feed sources: NVD CVE records (the API, or NVD JSON files) and the reference documents.

Both default to the reference data shipped beside the code (`../shared/data`, or
`$OSIRIS_SHARED_DATA`), so the pipelines run offline; point `api_url` at the NVD API (or any server
speaking CVE API 2.0) to fetch live.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from warehouse.feeds.nvd_client import ApiSource, FileSource, Source
from warehouse.reference import CHECK_CONTROLS_FILE
from warehouse.settings import reference_data_dir

_REPO = Path(__file__).resolve().parents[2]


def shared_data_dir() -> Path:
    """The reference data beside the checkout (`$OSIRIS_SHARED_DATA`, else `../shared/data`)."""
    # When it cannot be found, name the conventional place so the error says where it was looked for.
    return reference_data_dir() or _REPO.parent / "shared" / "data"


class NvdFeed(ConfigurableResource):
    """NVD CVE API 2.0 records: from `api_url` when set, else from NVD JSON files (`files`)."""

    api_url: str | None = Field(default=None, description="CVE API 2.0 endpoint; unset reads `files`.")
    api_key: str | None = Field(default=None, description="NVD API key (raises the rate limit).")
    files: list[str] = Field(default_factory=list,
                             description="NVD JSON / JSONL / .gz files; empty means the shared data.")
    results_per_page: int = 2000
    page_delay: float | None = Field(default=None, description="Seconds between API pages (NVD asks 6 s).")

    @classmethod
    def from_env(cls) -> NvdFeed:
        """Configured from `NVD_API_URL` and `NVD_API_KEY` when set, else the offline files."""
        key = EnvVar("NVD_API_KEY") if os.environ.get("NVD_API_KEY") else None
        return cls(api_url=os.environ.get("NVD_API_URL") or None, api_key=key)

    def paths(self) -> list[Path]:
        """The files read when no API is configured."""
        return [Path(f) for f in self.files] or [shared_data_dir() / "nvd" / "cves.jsonl"]

    def source(self) -> Source:
        """The configured source; both kinds answer `fetch(since)` with CVE API 2.0 pages."""
        if self.api_url:
            return ApiSource(self.api_url, api_key=self.api_key, results_per_page=self.results_per_page,
                             page_delay=self.page_delay)
        return FileSource(self.paths())

    def describe(self) -> str:
        """Where records come from, for run metadata (never the key)."""
        return self.api_url or ", ".join(str(p) for p in self.paths())


class ReferenceData(ConfigurableResource):
    """Where the OSCAL SP 800-53 catalog and baselines and the HIPAA crosswalk are read from."""

    oscal_dir: str | None = Field(default=None, description="Folder with NIST's OSCAL JSON; default shared.")
    hipaa_dir: str | None = Field(default=None, description="Folder with the SP 800-66r2 crosswalk.")
    check_map: str | None = Field(default=None, description="Check type → 800-53 control map (YAML); "
                                                            "default warehouse/reference/check_controls.yaml.")
    catalog_file: str = "NIST_SP-800-53_rev5_catalog.json"
    baselines: dict[str, str] = Field(default_factory=lambda: {
        "LOW": "NIST_SP-800-53_rev5_LOW-baseline_profile.json",
        "MODERATE": "NIST_SP-800-53_rev5_MODERATE-baseline_profile.json",
        "HIGH": "NIST_SP-800-53_rev5_HIGH-baseline_profile.json",
        "PRIVACY": "NIST_SP-800-53_rev5_PRIVACY-baseline_profile.json",
    })

    def oscal_path(self, name: str | None = None) -> Path:
        """The OSCAL folder, or a file in it."""
        folder = Path(self.oscal_dir) if self.oscal_dir else shared_data_dir() / "oscal"
        return folder / name if name else folder

    def catalog_path(self) -> Path:
        """The SP 800-53 catalog file."""
        return self.oscal_path(self.catalog_file)

    def check_map_path(self) -> Path:
        """The check → control map."""
        return Path(self.check_map) if self.check_map else CHECK_CONTROLS_FILE

    def hipaa_path(self) -> Path:
        """The folder laid out like shared/data/hipaa."""
        return Path(self.hipaa_dir) if self.hipaa_dir else shared_data_dir() / "hipaa"
