"""Controls of the frameworks Osiris reports on (NIST SP 800-53 rev5, the HIPAA Security Rule), with
the evidence the caller's sites give for each, from the published marts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from serving.api.routes._marts import MartsDir, readable_site, visible_sites
from serving.deps import ReadUser
from serving.services import marts

router = APIRouter(prefix="/api/frameworks", tags=["frameworks"])

Status = Literal["pass", "fail", "error", "not_applicable", "no_data", "no_checks"]


class ControlPublic(BaseModel):
    """A control (800-53) or Security Rule element (HIPAA) and its evidence: device-check results."""

    framework: str
    control_id: str
    label: str
    title: str | None
    family: str | None
    kind: str | None
    withdrawn: bool
    baselines: list[str]
    related: list[str]
    check_types: list[str]
    devices: int
    passed: int
    failed: int
    not_applicable: int
    errors: int
    status: Status


class ControlsPublic(BaseModel):
    """A page of controls, the total matching, and when the mart was published."""

    data: list[ControlPublic]
    count: int
    as_of: datetime | None


@router.get("/{framework}/controls")
async def list_controls(
    framework: str,
    user: ReadUser,
    directory: MartsDir,
    site_id: Annotated[str | None, Query(description="Evidence from this site only.")] = None,
    baseline: Annotated[str | None, Query(description="800-53 baseline: LOW, MODERATE, HIGH, PRIVACY.")] = None,
    status: Annotated[Status | None, Query(description="Only controls in this state.")] = None,
    include_withdrawn: bool = False,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ControlsPublic:
    """`800-53` or `hipaa`: every control with what the checks say about it (404 for another framework)."""
    rows, count, as_of = marts.framework_controls(
        directory, visible_sites(user), framework, site_id=readable_site(user, site_id), baseline=baseline,
        status=status, include_withdrawn=include_withdrawn, limit=limit, offset=offset)
    return ControlsPublic(data=[ControlPublic(**r) for r in rows], count=count, as_of=as_of)
