"""What the warehouse read routes share: where the published marts are, and which sites a caller sees."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import Depends

from serving.deps import SettingsDep
from serving.services.auth import User
from warehouse.rows import _uid


def _marts_dir(settings: SettingsDep) -> Path:
    return settings.home.expanduser() / "marts"


MartsDir = Annotated[Path, Depends(_marts_dir)]
"""`$OSIRIS_HOME/marts`, where the pipelines publish the marts as Parquet."""


def visible_sites(user: User) -> list[str] | None:
    """The site ids (text, as the marts hold them) a caller may read; None for every site."""
    sites = user.sites_filter()
    return None if sites is None else [str(s) for s in sites]


def readable_site(user: User, site_id: str | None) -> str | None:
    """A `site_id` query value checked like a path one: 400 on garbage, 403 on another partner's site."""
    if site_id is None:
        return None
    sid = _uid(site_id, "site_id")
    user.check_read(sid)
    return str(sid)
