"""The one error hierarchy of `contracts`: every failure a caller may handle has its own class."""

from __future__ import annotations


class ContractError(Exception):
    """Base of every error raised by `contracts`."""


# --- L1 rules -------------------------------------------------------------------------------------


class RuleSetError(ContractError):
    """A rule set could not be loaded or is invalid; the message names the rule and condition."""

    def __init__(self, message: str, *, rule_id: str | None = None, condition: str | None = None):
        self.rule_id = rule_id
        self.condition = condition
        where = ""
        if rule_id is not None:
            where = f"rule {rule_id}"
            if condition is not None:
                where += f", condition {condition}"
            where += ": "
        super().__init__(where + message)


class RuleSyntaxError(RuleSetError):
    """The document is not valid JSON or YAML, or not a list of rule objects."""


class UnknownOperatorError(RuleSetError):
    """A condition uses an operator outside the 15 the language defines."""


class BadRegexError(RuleSetError):
    """A `regex` condition's pattern does not compile."""


class UnknownActionError(RuleSetError):
    """A rule's action is not one of execute_runbook, escalate, suppress."""


class MissingRunbookError(RuleSetError):
    """An execute_runbook rule names no runbook."""


class UnknownRunbookError(RuleSetError):
    """A rule names a runbook that is not in the catalog it was validated against."""


class DuplicateRuleError(RuleSetError):
    """Two rules in one set share an id."""


# --- Signed envelopes ------------------------------------------------------------------------------


class EnvelopeError(ContractError):
    """A signed envelope was refused."""


class MalformedEnvelopeError(EnvelopeError):
    """The bytes are not a DSSE envelope (bad JSON, missing fields, bad base64, wrong payload type)."""


class UnknownKeyError(EnvelopeError):
    """No signature is by a key id the keyring trusts."""


class BadSignatureError(EnvelopeError):
    """A signature by a trusted key id does not verify over the exact payload bytes."""


class MalformedPayloadError(EnvelopeError):
    """The signed payload does not fit its schema."""


class ExpiredError(EnvelopeError):
    """The payload's `expires_at` has passed."""


class NotYetValidError(EnvelopeError):
    """The payload was issued in the future beyond the allowed clock skew."""


class VersionRollbackError(EnvelopeError):
    """A rules bundle's version is lower than the one already held (or required)."""


class WrongTargetError(EnvelopeError):
    """An order addressed to another appliance."""


class ReplayedNonceError(EnvelopeError):
    """An order whose nonce has been seen before."""


class OrderParamsError(EnvelopeError):
    """An order's type is unknown or its params fall outside that type's allowlist."""


# --- PHI ------------------------------------------------------------------------------------------


class PhiError(ContractError):
    """Base of PHI scrubbing errors."""


class PhiDetectedError(PhiError):
    """Text that must be PHI-free still holds PHI (the categories are in `.categories`)."""

    def __init__(self, categories: list[str]):
        self.categories = categories
        super().__init__("text still holds PHI: " + ", ".join(sorted(set(categories))))


# --- Evidence -------------------------------------------------------------------------------------


class EvidenceError(ContractError):
    """Base of evidence bundle, signature and Merkle errors (chain breaks are returned, not raised)."""


class MalformedEvidenceError(EvidenceError):
    """A bundle or signed bundle does not fit its schema, or a hash is not 32 hex-encoded bytes."""


class EvidenceSignatureError(EvidenceError):
    """An evidence signature does not verify over the bundle's canonical bytes (altered or forged)."""


class EvidenceKeyMismatchError(EvidenceError):
    """A signed bundle names a key id other than the key it is being verified with."""


class MerkleInputError(EvidenceError):
    """A Merkle tree or path was asked for with no leaves or a leaf index outside the tree."""


class MerklePathError(EvidenceError):
    """A Merkle path does not lead from its leaf to the expected root."""


# --- Runbook catalog ------------------------------------------------------------------------------


class RunbookError(ContractError):
    """Base of runbook catalog errors; the message names the runbook (and the param) at fault."""

    def __init__(self, message: str, *, runbook_id: str | None = None, param: str | None = None):
        self.runbook_id = runbook_id
        self.param = param
        where = f"runbook {runbook_id}: " if runbook_id else ""
        super().__init__(where + message)


class CatalogSyntaxError(RunbookError):
    """A catalog document is not valid YAML/JSON or a runbook does not fit the runbook schema."""


class DuplicateRunbookError(RunbookError):
    """Two runbooks in one catalog share an id."""


class UnknownRunbookIdError(RunbookError):
    """A runbook id that is not in the catalog."""


class PlatformNotAllowedError(RunbookError):
    """A runbook asked to run on a platform it was not written for."""


class RunbookParamsError(RunbookError):
    """Params outside the runbook's schema (unknown key, wrong type, not in the enum, no pattern match)."""
