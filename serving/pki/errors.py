"""Errors of the internal CA; each is a `serving` error, so HTTP and gRPC map it in their one place."""

from __future__ import annotations

from serving.errors import BadRequest, ServingError


class CAError(ServingError):
    """The CA's files are unreadable, malformed, mismatched or readable by others (a server fault)."""


class InvalidCSR(BadRequest):
    """A certificate signing request is not PEM, not self-signed correctly, or not an ECDSA P-256 key."""


class InvalidCertificate(BadRequest):
    """A presented certificate does not carry an Osiris appliance identity."""
