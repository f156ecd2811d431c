"""Errors of `warehouse.evidence`: proof parsing, block headers, offline verification, calendars.

One base, `EvidenceVerifyError`; every message says what was wrong in words an auditor can act on.
"""

from __future__ import annotations

from warehouse.errors import WarehouseError


class EvidenceVerifyError(WarehouseError):
    """Base of every error raised by `warehouse.evidence`."""


# --- .ots proofs ----------------------------------------------------------------------------------


class OtsParseError(EvidenceVerifyError):
    """The bytes are not a well-formed OpenTimestamps proof."""


class TruncatedProofError(OtsParseError):
    """The proof ends before a field it started (cut off in transfer or storage)."""


class BadMagicError(OtsParseError):
    """The file does not start with the OpenTimestamps proof header magic."""


class UnsupportedVersionError(OtsParseError):
    """The proof's major version is not 1, the only one defined."""


class UnknownOpError(OtsParseError):
    """An operation tag is unknown, or not allowed where it stands (e.g. hexlify as the file hash)."""


class CorruptProofError(OtsParseError):
    """The proof is structurally wrong: bad lengths, a bad URI, trailing bytes, an op that cannot apply."""


class ProofLimitError(CorruptProofError):
    """The proof exceeds a safety limit (message length, nesting depth, varuint size)."""


# --- block headers --------------------------------------------------------------------------------


class HeaderError(EvidenceVerifyError):
    """Block headers could not be used."""


class HeadersFileError(HeaderError):
    """The headers file is unreadable or not the expected JSON layout."""


class BadHeaderError(HeaderError):
    """A header is malformed, does not hash to the block hash it claims, or lacks its proof of work."""


class MissingHeaderError(HeaderError):
    """No header is available for a height an attestation needs."""

    def __init__(self, message: str, *, height: int):
        self.height = height
        super().__init__(message)


class HeaderSourceError(HeaderError):
    """A bitcoind RPC header source could not be reached or answered with an error."""


# --- verification ---------------------------------------------------------------------------------


class DigestMismatchError(EvidenceVerifyError):
    """The file (or Merkle root) does not hash to the digest the proof timestamps."""


class AttestationMismatchError(EvidenceVerifyError):
    """An attestation's commitment is not the merkle root of the block it names."""


class PackageError(EvidenceVerifyError):
    """An export package is malformed: no manifest, missing files, or files that do not parse."""


# --- calendars ------------------------------------------------------------------------------------


class CalendarError(EvidenceVerifyError):
    """An OpenTimestamps calendar could not stamp or upgrade; the caller records it and retries later."""

    def __init__(self, message: str, *, url: str):
        self.url = url
        super().__init__(message)


class CalendarUnreachableError(CalendarError):
    """The calendar did not answer in time (refused, timed out, DNS, TLS); retry later."""


class CalendarResponseError(CalendarError):
    """The calendar answered with an error status or bytes that are not a timestamp."""
