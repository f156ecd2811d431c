"""The runbook catalog model: what a runbook is, where it may run, and which params it accepts.

Appliances and Central Command's L2 guardrails load the same YAML catalog (shipped as data files in
`agent/runbooks/`) through `load_catalog`, so "runbook exists, allowed on this platform, params fit"
means the same thing on both sides. Scripts are real PowerShell (windows) or POSIX shell (linux);
each carries a marker comment `# osiris:<phase> <check_type>` that names what it does, so logs,
evidence and the simulated hosts can tell scripts apart without parsing them.

Check and verify scripts print, as their last stdout line, a JSON object
`{"status": "pass"|"fail"|"not_applicable", "details": {...}}`; remediate scripts exit 0 on success.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from contracts.errors import (
    CatalogSyntaxError,
    DuplicateRunbookError,
    PlatformNotAllowedError,
    RunbookParamsError,
    UnknownRunbookIdError,
)
from contracts.incidents import Severity

__all__ = ["PHASES", "PLATFORMS", "ParamSpec", "Runbook", "RunbookCatalog", "load_catalog", "render_script"]

PLATFORMS = ("windows", "linux")
PHASES = ("check", "remediate", "verify")
RUNBOOK_ID = r"^RB-(WIN|LNX)-[A-Z0-9]{2,30}-\d{3}$"
_CHECK_TYPE = r"^[a-z][a-z0-9_]{1,63}$"
_PARAM_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# 45 CFR 164.3xx paragraph citations: 164.312(a)(2)(iv), 164.308(a)(5)(ii)(B), 164.312(b).
_CITATION = r"^164\.3(06|08|10|12|14|16)\([a-z]\)(\(\d+\))?(\((i|ii|iii|iv|v|vi|vii|viii)\))?(\([A-Z]\))?$"
_MARKER = re.compile(r"^\s*#\s*osiris:(check|remediate|verify)\s+([a-z0-9_]+)\s*$", re.MULTILINE)
MAX_STRING_PARAM = 256


class ParamSpec(BaseModel):
    """One parameter a runbook accepts: its type and the values it may take."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["string", "integer", "boolean"]
    description: str = ""
    enum: list[str | int] | None = None
    pattern: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    default: str | int | bool | None = None
    required: bool = False

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern does not compile: {exc}") from None
        return value


class Runbook(BaseModel):
    """One catalog runbook: check, remediate and verify scripts for one check type on one platform."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=RUNBOOK_ID)
    name: str = Field(min_length=3, max_length=200)
    description: str = ""
    platform: Literal["windows", "linux"]
    check_type: str = Field(pattern=_CHECK_TYPE)
    hipaa_citations: list[str] = Field(min_length=1)
    severity: Severity = Severity.MEDIUM
    params_schema: dict[str, ParamSpec] = Field(default_factory=dict)
    check: str = Field(min_length=10)
    remediate: str = Field(min_length=10)
    verify: str = Field(min_length=10)
    timeout_seconds: int = Field(default=120, ge=1, le=3600)
    disruptive: bool = False
    requires_admin: bool = True
    examples: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("hipaa_citations")
    @classmethod
    def _citations(cls, value: list[str]) -> list[str]:
        for citation in value:
            if not re.match(_CITATION, citation):
                raise ValueError(f"{citation!r} is not a 45 CFR 164.3xx citation like 164.312(a)(2)(iv)")
        return value

    @field_validator("params_schema")
    @classmethod
    def _param_names(cls, value: dict[str, ParamSpec]) -> dict[str, ParamSpec]:
        for name in value:
            if not _PARAM_NAME.match(name):
                raise ValueError(f"param name {name!r} must match {_PARAM_NAME.pattern}")
        return value

    @model_validator(mode="after")
    def _markers(self) -> Runbook:
        # The marker is how evidence, logs and simulated hosts know what a script is: it must be right.
        for phase in PHASES:
            found = _MARKER.findall(getattr(self, phase))
            if found != [(phase, self.check_type)]:
                raise ValueError(
                    f"{phase} script needs exactly one marker '# osiris:{phase} {self.check_type}'"
                )
        return self

    def script(self, phase: str) -> str:
        """The raw script text of one phase."""
        if phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}")
        return getattr(self, phase)

    def check_params(self, params: Mapping[str, Any] | None, *, partial: bool = False) -> dict[str, Any]:
        """Params validated against the schema, with defaults filled in; raises RunbookParamsError.

        `partial` skips the required check: check and verify scripts run before anyone chose the
        params a remediation needs (a device to encrypt), and must still render.
        """
        params = dict(params or {})
        unknown = sorted(set(params) - set(self.params_schema))
        if unknown:
            raise RunbookParamsError(f"unknown params {unknown}", runbook_id=self.id, param=unknown[0])
        out: dict[str, Any] = {}
        for name, spec in self.params_schema.items():
            if name not in params or params[name] is None:
                if spec.required and not partial:
                    raise RunbookParamsError(f"param {name} is required", runbook_id=self.id, param=name)
                if spec.default is not None:
                    out[name] = spec.default
                continue
            out[name] = _check_value(self.id, name, spec, params[name])
        return out


def _check_value(runbook_id: str, name: str, spec: ParamSpec, value: Any) -> Any:
    def bad(why: str) -> RunbookParamsError:
        return RunbookParamsError(f"param {name}: {why}", runbook_id=runbook_id, param=name)

    if spec.type == "boolean":
        if not isinstance(value, bool):
            raise bad(f"expected true or false, got {value!r}")
    elif spec.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad(f"expected an integer, got {value!r}")
        if spec.minimum is not None and value < spec.minimum:
            raise bad(f"{value} is below the minimum {spec.minimum}")
        if spec.maximum is not None and value > spec.maximum:
            raise bad(f"{value} is above the maximum {spec.maximum}")
    else:
        if not isinstance(value, str):
            raise bad(f"expected text, got {value!r}")
        # Values end up inside scripts: control characters have no business there, whatever the pattern.
        if len(value) > MAX_STRING_PARAM or any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise bad("text is too long or holds control characters")
        if spec.pattern is not None and not re.fullmatch(spec.pattern, value):
            raise bad(f"{value!r} does not match {spec.pattern}")
    if spec.enum is not None and value not in spec.enum:
        raise bad(f"{value!r} is not one of {spec.enum}")
    return value


class RunbookCatalog:
    """The runbooks an appliance may run, by id, with the guardrail checks both sides share."""

    def __init__(self, runbooks: Iterable[Runbook]):
        self._by_id: dict[str, Runbook] = {}
        for rb in runbooks:
            if rb.id in self._by_id:
                raise DuplicateRunbookError("two runbooks share this id", runbook_id=rb.id)
            self._by_id[rb.id] = rb

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Runbook]:
        return iter(self._by_id.values())

    def __contains__(self, runbook_id: object) -> bool:
        return runbook_id in self._by_id

    @property
    def ids(self) -> list[str]:
        """Every runbook id, sorted."""
        return sorted(self._by_id)

    def get(self, runbook_id: str) -> Runbook:
        """The runbook with this id; raises UnknownRunbookIdError."""
        try:
            return self._by_id[runbook_id]
        except (KeyError, TypeError):
            raise UnknownRunbookIdError("not in the catalog", runbook_id=str(runbook_id)) from None

    def for_platform(self, platform: str) -> list[Runbook]:
        """The runbooks written for this platform, sorted by id."""
        return [rb for rb in sorted(self._by_id.values(), key=lambda r: r.id) if rb.platform == platform]

    def for_check(self, check_type: str, platform: str) -> Runbook | None:
        """The runbook whose check script finds this drift on this platform, if any."""
        for rb in self.for_platform(platform):
            if rb.check_type == check_type:
                return rb
        return None

    def check_types(self, platform: str | None = None) -> list[str]:
        """The distinct check types, for one platform or all, sorted."""
        return sorted({rb.check_type for rb in self if platform is None or rb.platform == platform})

    def allowed(self, runbook_id: str, platform: str) -> bool:
        """True when the runbook exists and was written for this platform."""
        rb = self._by_id.get(runbook_id) if isinstance(runbook_id, str) else None
        return rb is not None and rb.platform == platform

    def check_params(self, runbook_id: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """The runbook's params validated with defaults filled in; raises a RunbookError."""
        return self.get(runbook_id).check_params(params)

    def guard(self, runbook_id: str, platform: str, params: Mapping[str, Any] | None) -> tuple[Runbook, dict]:
        """Every catalog guardrail at once: exists, allowed on the platform, params fit."""
        rb = self.get(runbook_id)
        if rb.platform != platform:
            raise PlatformNotAllowedError(f"written for {rb.platform}, not {platform}", runbook_id=rb.id)
        return rb, rb.check_params(params)


def _parse(text: str | bytes, index: int) -> Any:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CatalogSyntaxError(f"catalog document {index} is not UTF-8: {exc}") from None
    try:
        return json.loads(text)
    except ValueError:
        pass
    import yaml  # imported here: only hand-written catalog files need it

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        reason = " ".join(line.strip() for line in str(exc).splitlines())
        raise CatalogSyntaxError(f"catalog document {index} is neither JSON nor YAML: {reason}") from None


def _items(doc: Any, index: int) -> list[Any]:
    if isinstance(doc, Mapping) and "runbooks" in doc:
        doc = doc["runbooks"]
    elif isinstance(doc, Mapping):
        doc = [doc]
    if not isinstance(doc, list):
        raise CatalogSyntaxError(f"catalog document {index} must be a runbook, a list or {{runbooks: [...]}}")
    return doc


def runbook_from_dict(data: Any) -> Runbook:
    """Validate one runbook object; errors name the runbook and the field."""
    rid = data.get("id") if isinstance(data, Mapping) else None
    if not isinstance(data, Mapping):
        raise CatalogSyntaxError(f"a runbook must be an object, got {type(data).__name__}")
    try:
        return Runbook.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "runbook"
        raise CatalogSyntaxError(f"{where}: {first.get('msg')}", runbook_id=str(rid)) from None


def load_catalog(texts: Iterable[str | bytes | Mapping | list]) -> RunbookCatalog:
    """A catalog from YAML/JSON documents (each one runbook, a list, or `{runbooks: [...]}`)."""
    runbooks: list[Runbook] = []
    for index, text in enumerate(texts):
        doc = _parse(text, index) if isinstance(text, str | bytes) else text
        runbooks.extend(runbook_from_dict(item) for item in _items(doc, index))
    return RunbookCatalog(runbooks)


def _ps_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "$true" if value else "$false"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"  # single-quoted: PowerShell expands nothing inside


def _sh_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "'\"'\"'") + "'"


def render_script(runbook: Runbook, phase: str, params: Mapping[str, Any] | None = None) -> str:
    """The script to run: params (validated, defaults filled) bound as variables, then the script.

    PowerShell sees `$Param_<name>`, shell sees `PARAM_<NAME>`; values are quoted literals, so a
    param can never become code even before the schema's patterns are applied.
    """
    checked = runbook.check_params(params, partial=phase != "remediate")
    body = runbook.script(phase)
    if runbook.platform == "windows":
        lines = [f"$Param_{k} = {_ps_literal(v)}" for k, v in sorted(checked.items())]
    else:
        lines = [f"PARAM_{k.upper()}={_sh_literal(v)}" for k, v in sorted(checked.items())]
    return "\n".join([*lines, body]) if lines else body
