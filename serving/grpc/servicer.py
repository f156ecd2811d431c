"""`ComplianceAgent`: each method converts at the edge and calls the same service layer as HTTP.

Drift events become incidents, healing results become outcomes, RMM statuses become check results
(all through `services.telemetry.ingest`, idempotent by event id), and heartbeats are check-ins.
ReportDrift stores events in batches while the stream keeps flowing, and acknowledges each event, in
arrival order, only after its batch is committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import grpc
from pydantic import ValidationError

from contracts.incidents import Incident
from contracts.telemetry import TelemetryAck, TelemetryEvent
from protos.compliance.v1 import compliance_pb2 as pb
from protos.compliance.v1 import compliance_pb2_grpc as pb_grpc
from serving.errors import BadRequest, ServingError
from serving.grpc import convert
from serving.grpc.errors import to_status
from serving.grpc.gate import current_caller
from serving.grpc.heal import HealPlanner
from serving.metrics import Metrics
from serving.pki.ca import CertificateAuthority, cert_pem
from serving.services import checkin, enrollment, telemetry
from serving.services.auth import ApplianceIdentity

log = logging.getLogger("osiris.serving.grpc")
_END = object()


@dataclass
class _Pending:
    """One received drift event on its way to an acknowledgement."""

    sequence: int
    message: pb.DriftEvent
    event: TelemetryEvent | None = None
    incident: Incident | None = None
    error: str = ""


class ComplianceAgentServicer(pb_grpc.ComplianceAgentServicer):
    """The gRPC methods; the gate has identified the caller before any method but Register runs."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        ca: CertificateAuthority,
        heal: HealPlanner,
        *,
        agent_cert_days: int,
        drift_batch_max: int = 500,
        report_max_events: int = 10_000,
        metrics: Metrics | None = None,
    ):
        self.pool = pool
        self.ca = ca
        self.heal = heal
        self.agent_cert_days = agent_cert_days
        self.drift_batch_max = drift_batch_max
        self.report_max_events = report_max_events
        self.metrics = metrics

    async def Register(self, request: pb.RegisterRequest, context: grpc.aio.ServicerContext) -> pb.RegisterResponse:
        """Spend the enrollment token, sign the CSR, answer the certificate and the CA certificate."""
        issued = await enrollment.enroll(
            self.pool, self.ca, request.enrollment_token, request.csr_pem,
            hostname=request.hostname, days=self.agent_cert_days,
        )
        return pb.RegisterResponse(
            appliance_id=str(issued.appliance_id),
            site_id=str(issued.site_id),
            certificate_pem=cert_pem(issued.certificate),
            ca_certificate_pem=self.ca.pem,
            not_after=convert.timestamp(issued.certificate.not_valid_after_utc),
            api_key=issued.api_key or "",
        )

    async def RenewCertificate(
        self, request: pb.RenewCertificateRequest, context: grpc.aio.ServicerContext
    ) -> pb.RenewCertificateResponse:
        """A new certificate for the caller; the one it called with keeps working for the grace period."""
        caller = current_caller()
        issued = await enrollment.renew(
            self.pool, self.ca, caller.appliance, caller.fingerprint, request.csr_pem, days=self.agent_cert_days
        )
        return pb.RenewCertificateResponse(
            certificate_pem=cert_pem(issued.certificate),
            ca_certificate_pem=self.ca.pem,
            not_after=convert.timestamp(issued.certificate.not_valid_after_utc),
        )

    async def Heartbeat(self, request: pb.HeartbeatRequest, context: grpc.aio.ServicerContext) -> pb.HeartbeatResponse:
        """A check-in: last seen updated, pending signed orders handed out (and marked delivered)."""
        caller = current_caller()
        answer = await checkin.checkin(self.pool, caller.appliance, convert.checkin_request(request))
        if self.metrics is not None:
            self.metrics.checkins.inc()
            self.metrics.orders_delivered.inc(len(answer.orders))
        return convert.heartbeat_response(answer, caller.not_after)

    async def ReportHealing(self, request: pb.HealingReport, context: grpc.aio.ServicerContext) -> pb.ReportAck:
        """Healing results stored as outcomes; how many were new."""
        appliance = current_caller().appliance
        self._check_size(len(request.results))
        events = [convert.healing_outcome(r, appliance) for r in request.results]
        return self._ack(await telemetry.ingest(self.pool, appliance, events))

    async def ReportRMMStatus(self, request: pb.RMMStatusReport, context: grpc.aio.ServicerContext) -> pb.ReportAck:
        """RMM agent statuses stored as `rmm_agent` check results; how many were new."""
        appliance = current_caller().appliance
        self._check_size(len(request.devices))
        events = [convert.rmm_check(d, appliance) for d in request.devices]
        return self._ack(await telemetry.ingest(self.pool, appliance, events))

    def _check_size(self, n: int) -> None:
        if n > self.report_max_events:
            raise BadRequest(f"{n} events in one report; at most {self.report_max_events}")

    def _ack(self, ack: TelemetryAck) -> pb.ReportAck:
        if self.metrics is not None:
            self.metrics.telemetry_events.labels("accepted").inc(ack.accepted)
            self.metrics.telemetry_events.labels("duplicate").inc(ack.duplicates)
        return pb.ReportAck(accepted=ack.accepted, duplicates=ack.duplicates)

    async def ReportDrift(
        self, request_iterator: AsyncIterator[pb.DriftEvent], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.DriftAck]:
        """One ack per event, in arrival order, each sent only after its event is committed."""
        appliance = current_caller().appliance
        inbox = _Inbox(self.drift_batch_max * 4)
        reader = asyncio.create_task(inbox.fill(request_iterator))
        sequence = 0
        try:
            while True:
                batch, ended = await inbox.take(self.drift_batch_max)
                pending = []
                for message in batch:
                    sequence += 1
                    pending.append(self._prepare(sequence, message, appliance))
                if pending:
                    await self._store(appliance, pending)
                    for item in pending:
                        yield await self._acknowledge(appliance, item)
                if ended:
                    break
            await asyncio.wait([reader])
            if not reader.cancelled() and reader.exception() is not None:
                raise reader.exception()
        finally:
            reader.cancel()

    def _prepare(self, sequence: int, message: pb.DriftEvent, appliance: ApplianceIdentity) -> _Pending:
        item = _Pending(sequence, message)
        try:
            item.event, item.incident = convert.drift_incident(message, appliance)
        except (ServingError, ValidationError) as exc:
            item.error = to_status(exc)[1]
        return item

    async def _store(self, appliance: ApplianceIdentity, pending: list[_Pending]) -> None:
        valid = [p for p in pending if p.event is not None]
        if not valid:
            return
        try:
            ack = await telemetry.ingest(self.pool, appliance, [p.event for p in valid])
        except (ServingError, asyncpg.DataError) as exc:
            # One poisoned event must not sink the batch: store the rest one by one.
            log.info("drift batch refused (%s); storing its %d events one by one", exc, len(valid))
            for item in valid:
                try:
                    self._ack(await telemetry.ingest(self.pool, appliance, [item.event]))
                except (ServingError, asyncpg.DataError) as single:
                    item.event, item.error = None, to_status(single)[1]
            return
        self._ack(ack)

    async def _acknowledge(self, appliance: ApplianceIdentity, item: _Pending) -> pb.DriftAck:
        ack = pb.DriftAck(event_id=item.message.event_id, sequence=item.sequence)
        if item.event is None:
            ack.status, ack.error = pb.ACK_STATUS_REJECTED, item.error
            return ack
        ack.status = pb.ACK_STATUS_STORED
        if item.message.request_heal and item.incident is not None:
            command = await self.heal.plan(self.pool, appliance, item.incident)
            if command is not None:
                ack.heal.CopyFrom(command)
        return ack


class _Inbox:
    """Events read off the stream, waiting for storage; the reader stops `capacity` events ahead."""

    def __init__(self, capacity: int):
        self._queue: asyncio.Queue = asyncio.Queue()  # unbounded, so the end marker always fits
        self._room = asyncio.Semaphore(capacity)

    async def fill(self, requests: AsyncIterator[pb.DriftEvent]) -> None:
        """Read the client's stream to its end."""
        try:
            async for message in requests:
                await self._room.acquire()
                self._queue.put_nowait(message)
        finally:
            # Always wake the writer, also when the client's stream broke: what arrived is still stored.
            self._queue.put_nowait(_END)

    async def take(self, limit: int) -> tuple[list[pb.DriftEvent], bool]:
        """Wait for one event, then take whatever else has already arrived, up to `limit`; True at the end."""
        batch: list[pb.DriftEvent] = []
        item = await self._queue.get()
        while item is not _END:
            self._room.release()
            batch.append(item)
            if len(batch) >= limit or self._queue.empty():
                return batch, False
            item = self._queue.get_nowait()
        return batch, True
