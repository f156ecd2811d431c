import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Severity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEVERITY_UNSPECIFIED: _ClassVar[Severity]
    SEVERITY_LOW: _ClassVar[Severity]
    SEVERITY_MEDIUM: _ClassVar[Severity]
    SEVERITY_HIGH: _ClassVar[Severity]
    SEVERITY_CRITICAL: _ClassVar[Severity]

class AckStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACK_STATUS_UNSPECIFIED: _ClassVar[AckStatus]
    ACK_STATUS_STORED: _ClassVar[AckStatus]
    ACK_STATUS_REJECTED: _ClassVar[AckStatus]

class Tier(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIER_UNSPECIFIED: _ClassVar[Tier]
    TIER_L1: _ClassVar[Tier]
    TIER_L2: _ClassVar[Tier]
    TIER_L3: _ClassVar[Tier]

class OutcomeStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OUTCOME_STATUS_UNSPECIFIED: _ClassVar[OutcomeStatus]
    OUTCOME_STATUS_HEALED: _ClassVar[OutcomeStatus]
    OUTCOME_STATUS_FAILED: _ClassVar[OutcomeStatus]
    OUTCOME_STATUS_ESCALATED: _ClassVar[OutcomeStatus]
    OUTCOME_STATUS_SUPPRESSED: _ClassVar[OutcomeStatus]
    OUTCOME_STATUS_PLANNED: _ClassVar[OutcomeStatus]
SEVERITY_UNSPECIFIED: Severity
SEVERITY_LOW: Severity
SEVERITY_MEDIUM: Severity
SEVERITY_HIGH: Severity
SEVERITY_CRITICAL: Severity
ACK_STATUS_UNSPECIFIED: AckStatus
ACK_STATUS_STORED: AckStatus
ACK_STATUS_REJECTED: AckStatus
TIER_UNSPECIFIED: Tier
TIER_L1: Tier
TIER_L2: Tier
TIER_L3: Tier
OUTCOME_STATUS_UNSPECIFIED: OutcomeStatus
OUTCOME_STATUS_HEALED: OutcomeStatus
OUTCOME_STATUS_FAILED: OutcomeStatus
OUTCOME_STATUS_ESCALATED: OutcomeStatus
OUTCOME_STATUS_SUPPRESSED: OutcomeStatus
OUTCOME_STATUS_PLANNED: OutcomeStatus

class RegisterRequest(_message.Message):
    __slots__ = ("enrollment_token", "csr_pem", "hostname")
    ENROLLMENT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CSR_PEM_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    enrollment_token: str
    csr_pem: bytes
    hostname: str
    def __init__(self, enrollment_token: _Optional[str] = ..., csr_pem: _Optional[bytes] = ..., hostname: _Optional[str] = ...) -> None: ...

class RegisterResponse(_message.Message):
    __slots__ = ("appliance_id", "site_id", "certificate_pem", "ca_certificate_pem", "not_after", "api_key")
    APPLIANCE_ID_FIELD_NUMBER: _ClassVar[int]
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_PEM_FIELD_NUMBER: _ClassVar[int]
    CA_CERTIFICATE_PEM_FIELD_NUMBER: _ClassVar[int]
    NOT_AFTER_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    appliance_id: str
    site_id: str
    certificate_pem: bytes
    ca_certificate_pem: bytes
    not_after: _timestamp_pb2.Timestamp
    api_key: str
    def __init__(self, appliance_id: _Optional[str] = ..., site_id: _Optional[str] = ..., certificate_pem: _Optional[bytes] = ..., ca_certificate_pem: _Optional[bytes] = ..., not_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., api_key: _Optional[str] = ...) -> None: ...

class RenewCertificateRequest(_message.Message):
    __slots__ = ("csr_pem",)
    CSR_PEM_FIELD_NUMBER: _ClassVar[int]
    csr_pem: bytes
    def __init__(self, csr_pem: _Optional[bytes] = ...) -> None: ...

class RenewCertificateResponse(_message.Message):
    __slots__ = ("certificate_pem", "ca_certificate_pem", "not_after")
    CERTIFICATE_PEM_FIELD_NUMBER: _ClassVar[int]
    CA_CERTIFICATE_PEM_FIELD_NUMBER: _ClassVar[int]
    NOT_AFTER_FIELD_NUMBER: _ClassVar[int]
    certificate_pem: bytes
    ca_certificate_pem: bytes
    not_after: _timestamp_pb2.Timestamp
    def __init__(self, certificate_pem: _Optional[bytes] = ..., ca_certificate_pem: _Optional[bytes] = ..., not_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DriftEvent(_message.Message):
    __slots__ = ("event_id", "incident_id", "host", "check_type", "platform", "severity", "details_json", "hipaa_controls", "observed_at", "pattern_signature", "request_heal")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    CHECK_TYPE_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    DETAILS_JSON_FIELD_NUMBER: _ClassVar[int]
    HIPAA_CONTROLS_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_AT_FIELD_NUMBER: _ClassVar[int]
    PATTERN_SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_HEAL_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    incident_id: str
    host: str
    check_type: str
    platform: str
    severity: Severity
    details_json: str
    hipaa_controls: _containers.RepeatedScalarFieldContainer[str]
    observed_at: _timestamp_pb2.Timestamp
    pattern_signature: str
    request_heal: bool
    def __init__(self, event_id: _Optional[str] = ..., incident_id: _Optional[str] = ..., host: _Optional[str] = ..., check_type: _Optional[str] = ..., platform: _Optional[str] = ..., severity: _Optional[_Union[Severity, str]] = ..., details_json: _Optional[str] = ..., hipaa_controls: _Optional[_Iterable[str]] = ..., observed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., pattern_signature: _Optional[str] = ..., request_heal: _Optional[bool] = ...) -> None: ...

class DriftAck(_message.Message):
    __slots__ = ("event_id", "sequence", "status", "error", "heal")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    HEAL_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    sequence: int
    status: AckStatus
    error: str
    heal: HealCommand
    def __init__(self, event_id: _Optional[str] = ..., sequence: _Optional[int] = ..., status: _Optional[_Union[AckStatus, str]] = ..., error: _Optional[str] = ..., heal: _Optional[_Union[HealCommand, _Mapping]] = ...) -> None: ...

class HealCommand(_message.Message):
    __slots__ = ("rule_id", "runbook_id", "bundle_version", "order")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    RUNBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    BUNDLE_VERSION_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    runbook_id: str
    bundle_version: int
    order: SignedEnvelope
    def __init__(self, rule_id: _Optional[str] = ..., runbook_id: _Optional[str] = ..., bundle_version: _Optional[int] = ..., order: _Optional[_Union[SignedEnvelope, _Mapping]] = ...) -> None: ...

class HealingResult(_message.Message):
    __slots__ = ("event_id", "incident_id", "host", "tier", "status", "runbook_id", "rule_id", "decision_id", "pattern_signature", "duration_ms", "before_json", "after_json", "error", "finished_at")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RUNBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    PATTERN_SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    BEFORE_JSON_FIELD_NUMBER: _ClassVar[int]
    AFTER_JSON_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    incident_id: str
    host: str
    tier: Tier
    status: OutcomeStatus
    runbook_id: str
    rule_id: str
    decision_id: str
    pattern_signature: str
    duration_ms: float
    before_json: str
    after_json: str
    error: str
    finished_at: _timestamp_pb2.Timestamp
    def __init__(self, event_id: _Optional[str] = ..., incident_id: _Optional[str] = ..., host: _Optional[str] = ..., tier: _Optional[_Union[Tier, str]] = ..., status: _Optional[_Union[OutcomeStatus, str]] = ..., runbook_id: _Optional[str] = ..., rule_id: _Optional[str] = ..., decision_id: _Optional[str] = ..., pattern_signature: _Optional[str] = ..., duration_ms: _Optional[float] = ..., before_json: _Optional[str] = ..., after_json: _Optional[str] = ..., error: _Optional[str] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class HealingReport(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[HealingResult]
    def __init__(self, results: _Optional[_Iterable[_Union[HealingResult, _Mapping]]] = ...) -> None: ...

class RMMDeviceStatus(_message.Message):
    __slots__ = ("event_id", "host", "platform", "vendor", "agent_version", "installed", "online", "last_contact", "observed_at")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    AGENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    INSTALLED_FIELD_NUMBER: _ClassVar[int]
    ONLINE_FIELD_NUMBER: _ClassVar[int]
    LAST_CONTACT_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_AT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    host: str
    platform: str
    vendor: str
    agent_version: str
    installed: bool
    online: bool
    last_contact: _timestamp_pb2.Timestamp
    observed_at: _timestamp_pb2.Timestamp
    def __init__(self, event_id: _Optional[str] = ..., host: _Optional[str] = ..., platform: _Optional[str] = ..., vendor: _Optional[str] = ..., agent_version: _Optional[str] = ..., installed: _Optional[bool] = ..., online: _Optional[bool] = ..., last_contact: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., observed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RMMStatusReport(_message.Message):
    __slots__ = ("devices",)
    DEVICES_FIELD_NUMBER: _ClassVar[int]
    devices: _containers.RepeatedCompositeFieldContainer[RMMDeviceStatus]
    def __init__(self, devices: _Optional[_Iterable[_Union[RMMDeviceStatus, _Mapping]]] = ...) -> None: ...

class ReportAck(_message.Message):
    __slots__ = ("accepted", "duplicates")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    accepted: int
    duplicates: int
    def __init__(self, accepted: _Optional[int] = ..., duplicates: _Optional[int] = ...) -> None: ...

class HeartbeatRequest(_message.Message):
    __slots__ = ("hostname", "agent_version", "platform", "bundle_version", "uptime_seconds", "outbox_depth")
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    AGENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    BUNDLE_VERSION_FIELD_NUMBER: _ClassVar[int]
    UPTIME_SECONDS_FIELD_NUMBER: _ClassVar[int]
    OUTBOX_DEPTH_FIELD_NUMBER: _ClassVar[int]
    hostname: str
    agent_version: str
    platform: str
    bundle_version: int
    uptime_seconds: float
    outbox_depth: int
    def __init__(self, hostname: _Optional[str] = ..., agent_version: _Optional[str] = ..., platform: _Optional[str] = ..., bundle_version: _Optional[int] = ..., uptime_seconds: _Optional[float] = ..., outbox_depth: _Optional[int] = ...) -> None: ...

class SignedEnvelope(_message.Message):
    __slots__ = ("payload_type", "payload", "signatures")
    PAYLOAD_TYPE_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    SIGNATURES_FIELD_NUMBER: _ClassVar[int]
    payload_type: str
    payload: bytes
    signatures: _containers.RepeatedCompositeFieldContainer[Signature]
    def __init__(self, payload_type: _Optional[str] = ..., payload: _Optional[bytes] = ..., signatures: _Optional[_Iterable[_Union[Signature, _Mapping]]] = ...) -> None: ...

class Signature(_message.Message):
    __slots__ = ("keyid", "sig")
    KEYID_FIELD_NUMBER: _ClassVar[int]
    SIG_FIELD_NUMBER: _ClassVar[int]
    keyid: str
    sig: bytes
    def __init__(self, keyid: _Optional[str] = ..., sig: _Optional[bytes] = ...) -> None: ...

class SealedTarget(_message.Message):
    __slots__ = ("credential_id", "host", "port", "distro", "sealed")
    CREDENTIAL_ID_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    DISTRO_FIELD_NUMBER: _ClassVar[int]
    SEALED_FIELD_NUMBER: _ClassVar[int]
    credential_id: str
    host: str
    port: int
    distro: str
    sealed: bytes
    def __init__(self, credential_id: _Optional[str] = ..., host: _Optional[str] = ..., port: _Optional[int] = ..., distro: _Optional[str] = ..., sealed: _Optional[bytes] = ...) -> None: ...

class HeartbeatResponse(_message.Message):
    __slots__ = ("appliance_id", "site_id", "server_time", "bundle_version", "bundle_digest", "orders", "targets", "certificate_not_after")
    APPLIANCE_ID_FIELD_NUMBER: _ClassVar[int]
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    SERVER_TIME_FIELD_NUMBER: _ClassVar[int]
    BUNDLE_VERSION_FIELD_NUMBER: _ClassVar[int]
    BUNDLE_DIGEST_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_NOT_AFTER_FIELD_NUMBER: _ClassVar[int]
    appliance_id: str
    site_id: str
    server_time: _timestamp_pb2.Timestamp
    bundle_version: int
    bundle_digest: str
    orders: _containers.RepeatedCompositeFieldContainer[SignedEnvelope]
    targets: _containers.RepeatedCompositeFieldContainer[SealedTarget]
    certificate_not_after: _timestamp_pb2.Timestamp
    def __init__(self, appliance_id: _Optional[str] = ..., site_id: _Optional[str] = ..., server_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., bundle_version: _Optional[int] = ..., bundle_digest: _Optional[str] = ..., orders: _Optional[_Iterable[_Union[SignedEnvelope, _Mapping]]] = ..., targets: _Optional[_Iterable[_Union[SealedTarget, _Mapping]]] = ..., certificate_not_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
