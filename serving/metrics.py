"""Prometheus metrics on a registry owned by each app, so two apps in one process never collide."""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """The counters and histograms Central Command exports at `GET /metrics`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "osiris_http_requests_total", "HTTP requests by route template and status.",
            ["method", "route", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "osiris_http_request_duration_seconds", "HTTP request duration by route template.",
            ["method", "route"], registry=self.registry,
        )
        self.telemetry_events = Counter(
            "osiris_telemetry_events_total", "Telemetry events received, by result (accepted, duplicate).",
            ["result"], registry=self.registry,
        )
        self.checkins = Counter("osiris_checkins_total", "Appliance check-ins.", registry=self.registry)
        self.orders_delivered = Counter(
            "osiris_orders_delivered_total", "Orders handed to appliances at check-in.", registry=self.registry
        )
        self.orders_expired = Counter(
            "osiris_orders_expired_total", "Orders the sweep marked expired.", registry=self.registry
        )
        self.rate_limited = Counter(
            "osiris_rate_limited_total", "Requests refused with 429.", registry=self.registry
        )

    def render(self) -> bytes:
        """The registry in Prometheus text format."""
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts every HTTP request by its route template (never the raw path: ids would explode labels)."""

    def __init__(self, app: ASGIApp, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def _send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            route = scope.get("route")
            label = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            self.metrics.requests.labels(method, label, str(status)).inc()
            self.metrics.latency.labels(method, label).observe(time.perf_counter() - start)
