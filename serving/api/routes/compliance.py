"""A site's compliance from the published marts: devices, checks, the daily trend, HIPAA, CVEs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from serving.api.routes._marts import MartsDir
from serving.deps import PoolDep, ReadableSite
from serving.services import marts, sites

router = APIRouter(prefix="/api/sites", tags=["compliance"])


class FailingDevice(BaseModel):
    """A device whose latest results include failures or errors."""

    host: str
    failing_checks: list[str]
    last_checked_at: datetime | None


class CheckStatus(BaseModel):
    """One check type across the site's devices (latest result per device)."""

    check_type: str
    devices: int
    passed: int
    failed: int
    not_applicable: int
    errors: int
    last_observed_at: datetime | None


class Day(BaseModel):
    """One UTC day of check results."""

    day: date
    checks: int
    passed: int
    failed: int
    not_applicable: int
    errors: int
    compliance_rate: float | None


class Safeguard(BaseModel):
    """A HIPAA Security Rule element: its worst evidence, and the controls and checks behind it."""

    hipaa_element: str
    element_title: str | None
    safeguard: str | None
    status: str
    check_types: list[str]
    controls: list[str]


class CveSummary(BaseModel):
    """How exposed the site's devices are."""

    affected_devices: int
    cves: int
    exposed: int
    critical: int
    kev: int


class SiteCompliance(BaseModel):
    """A site's compliance as of the marts' last publication."""

    site_id: str
    as_of: datetime | None
    devices: int
    checked_devices: int
    compliant_devices: int
    compliance_rate: float | None
    failing_devices: list[FailingDevice]
    checks: list[CheckStatus]
    daily: list[Day]
    hipaa: list[Safeguard]
    cves: CveSummary


@router.get("/{site_id}/compliance")
async def site_compliance(
    site_id: ReadableSite, directory: MartsDir, pool: PoolDep,
    days: Annotated[int, Query(ge=1, le=366, description="How many days of trend.")] = 30,
) -> SiteCompliance:
    """The site's compliance: rate over its devices' latest results, per check, per day, per safeguard."""
    await sites.get_site(pool, site_id)  # 404 naming the id for a site that does not exist (or was retired)
    return SiteCompliance(**marts.site_compliance(directory, str(site_id), days))
