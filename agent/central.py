"""The client for Central Command: check-in, bundle sync, telemetry, order acknowledgements, L2 plans.

HTTPS with certificate verification on by default (a CA bundle can be pinned), timeouts on every
call, the appliance's API key as `Authorization: Bearer`. httpx errors and HTTP statuses become
`agent.errors.CentralError` subclasses in one place, `_request`; the API key never reaches a log.
"""

from __future__ import annotations

import json
import ssl
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from agent.errors import (
    CentralAuthError,
    CentralProtocolError,
    CentralRejectedError,
    CentralUnavailableError,
    NotOfferedError,
)
from contracts.api import CheckinRequest, CheckinResponse, L2PlanRequest, OrderAck
from contracts.envelope import MAX_ENVELOPE_BYTES
from contracts.telemetry import TelemetryAck


class CentralClient:
    """One appliance's session with Central Command."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        verify: bool = True,
        ca_bundle: Path | str | None = None,
        agent_version: str = "",
        transport: httpx.BaseTransport | None = None,
    ):
        if not base_url.startswith(("https://", "http://")):
            raise ValueError(f"Central Command URL must be http(s)://..., got {base_url!r}")
        tls: Any = ssl.create_default_context(cafile=str(ca_bundle)) if ca_bundle else verify
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": f"osiris-agent/{agent_version}"},
            timeout=httpx.Timeout(timeout),
            verify=tls,
            transport=transport,
            follow_redirects=False,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> CentralClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the one place transport errors and statuses are translated ---------------------------------

    def _request(self, method: str, path: str, *, optional: bool = False, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise CentralUnavailableError(f"{method} {path}: timed out") from exc
        except httpx.TransportError as exc:
            raise CentralUnavailableError(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        code = response.status_code
        if code < 300 or code == 304:
            return response
        detail = _detail(response)
        if code in (401, 403):
            raise CentralAuthError(f"{method} {path}: {code} {detail}")
        if optional and code in (404, 405, 501):
            raise NotOfferedError(f"{method} {path}: {code} (not offered by this Central Command)")
        if code == 429 or code >= 500:
            raise CentralUnavailableError(f"{method} {path}: {code} {detail}")
        raise CentralRejectedError(f"{method} {path}: {code} {detail}", status_code=code)

    @staticmethod
    def _model(response: httpx.Response, model: type[BaseModel]) -> Any:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "body"
            raise CentralProtocolError(f"{model.__name__} answer: {where}: {first.get('msg')}") from None

    # --- endpoints ----------------------------------------------------------------------------------

    def checkin(self, request: CheckinRequest) -> CheckinResponse:
        """`POST /api/appliances/checkin`."""
        response = self._request("POST", "/api/appliances/checkin", content=request.model_dump_json(),
                                 headers={"Content-Type": "application/json"})
        return self._model(response, CheckinResponse)

    def fetch_bundle(self, etag: str | None) -> tuple[bytes, str | None] | None:
        """`GET /api/agent/sync`: the bundle envelope and its ETag, or None when unchanged (304)."""
        headers = {"If-None-Match": f'"{etag}"'} if etag else {}
        try:
            response = self._request("GET", "/api/agent/sync", headers=headers, optional=True)
        except NotOfferedError:
            return None  # 404: no bundle published yet
        if response.status_code == 304:
            return None
        if response.status_code == 204 or not response.content:
            return None  # no bundle published yet
        if len(response.content) > MAX_ENVELOPE_BYTES:
            raise CentralProtocolError("bundle envelope larger than the envelope limit")
        tag = response.headers.get("ETag")
        if tag and tag.startswith("W/"):
            tag = tag[2:]
        return response.content, tag.strip('"') if tag else None

    def send_telemetry(self, events: list[dict[str, Any]]) -> TelemetryAck:
        """`POST /api/agent/telemetry` with one batch."""
        body = json.dumps({"events": events}, separators=(",", ":"))
        response = self._request("POST", "/api/agent/telemetry", content=body,
                                 headers={"Content-Type": "application/json"})
        return self._model(response, TelemetryAck)

    def order_status(self, order_id: str, step: str, ack: OrderAck) -> None:
        """`POST /api/orders/{id}/acknowledge` or `/complete`."""
        if step not in ("acknowledge", "complete"):
            raise ValueError(f"unknown order step {step!r}")
        self._request("POST", f"/api/orders/{order_id}/{step}", content=ack.model_dump_json(),
                      headers={"Content-Type": "application/json"})

    def l2_plan(self, request: L2PlanRequest) -> dict[str, Any]:
        """`POST /api/agent/l2/plan`; raises NotOfferedError while Central Command has no L2."""
        response = self._request("POST", "/api/agent/l2/plan", optional=True,
                                 content=request.model_dump_json(), headers={"Content-Type": "application/json"})
        try:
            body = response.json()
        except ValueError:
            raise CentralProtocolError("L2 plan answer is not JSON") from None
        if not isinstance(body, dict):
            raise CentralProtocolError("L2 plan answer is not a JSON object")
        return body

    def put_keys(self, body: dict[str, str]) -> None:
        """`PUT /api/appliances/me/keys`; raises NotOfferedError where Central Command lacks it."""
        self._request("PUT", "/api/appliances/me/keys", optional=True, json=body)


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
        text = body.get("detail", body) if isinstance(body, dict) else body
    except ValueError:
        text = response.text
    return str(text)[:300]
