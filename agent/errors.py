"""The agent's error hierarchy: one base class, one documented subclass per failure a caller handles.

Lower-level exceptions (sqlite3, httpx, paramiko, winrm, OSError) are translated into these in
exactly one place per component, so the cycle never has to know which library failed.
"""

from __future__ import annotations


class AgentError(Exception):
    """Base of every error raised by `agent`."""


class SettingsError(AgentError):
    """The agent's settings (environment or TOML file) are missing a value or hold a bad one."""


class StoreError(AgentError):
    """The appliance's SQLite store could not be opened, migrated or written."""


class OutboxFullError(StoreError):
    """The telemetry outbox holds its maximum number of events; nothing more is queued."""


class KeyFileError(AgentError):
    """An appliance key file is unreadable, malformed or too widely readable."""


# --- executors ------------------------------------------------------------------------------------


class ExecutorError(AgentError):
    """A command could not be run on a target (any cause)."""


class ExecutorTimeout(ExecutorError):
    """The command ran past its timeout and was abandoned."""


class ExecutorAuthError(ExecutorError):
    """The target refused the credentials (or the credentials could not be opened)."""


class ExecutorConnectionError(ExecutorError):
    """The target could not be reached or the session broke."""


class UnsupportedScriptError(ExecutorError):
    """The target does not understand the script (wrong platform or an unknown check)."""


# --- checks and healing ---------------------------------------------------------------------------


class CheckOutputError(AgentError):
    """A check or verify script's output is not the `{"status", "details"}` JSON line it must end with."""


# --- Central Command ------------------------------------------------------------------------------


class CentralError(AgentError):
    """A call to Central Command failed."""


class CentralUnavailableError(CentralError):
    """Central Command could not be reached, timed out, or answered 5xx: try again later."""


class CentralAuthError(CentralError):
    """Central Command refused the appliance's API key (401/403)."""


class CentralRejectedError(CentralError):
    """Central Command refused a request as invalid (4xx other than auth); retrying will not help."""

    def __init__(self, message: str, *, status_code: int):
        self.status_code = status_code
        super().__init__(message)


class CentralProtocolError(CentralError):
    """Central Command's answer does not fit the contract (bad JSON, wrong fields)."""


class NotOfferedError(CentralError):
    """Central Command does not offer this endpoint yet (404/405): the feature is unavailable."""


# --- remote execution and network scanning --------------------------------------------------------


class HostKeyMismatchError(ExecutorError):
    """The host offered an SSH key other than the one pinned for it; no credentials were sent."""


class ScanError(AgentError):
    """A network scan could not run (nmap missing, failed, timed out) or its output is unreadable."""


class ScanScopeError(ScanError):
    """A scan target is not an address inside the configured ranges; refused before nmap runs."""


class InventoryError(AgentError):
    """The device inventory file is unreadable or malformed."""


class DeployError(AgentError):
    """A domain deployment step was given bad parameters, failed on the domain controller, or answered badly."""
