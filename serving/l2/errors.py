"""Why a planner could not answer: each failure names the reason recorded as the decision's fallback.

These never reach HTTP: the planner catches them and asks the next planner in the chain.
"""

from __future__ import annotations

from dataclasses import dataclass

from serving.errors import ServingError


@dataclass(frozen=True)
class Usage:
    """What one LLM call consumed and cost."""

    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


class PlannerUnavailable(ServingError):
    """A planner could not give an answer; `reason` is a short stable word stored with the decision."""

    reason = "error"

    def __init__(self, message: str, *, reason: str | None = None, usage: Usage | None = None):
        if reason is not None:
            self.reason = reason
        self.usage = usage  # tokens spent before the failure still count against the budget
        super().__init__(message)


class NoApiKey(PlannerUnavailable):
    """No Anthropic API key is configured."""

    reason = "no_api_key"


class OverBudget(PlannerUnavailable):
    """The site has spent its daily LLM budget."""

    reason = "over_budget"


class ProviderTimeout(PlannerUnavailable):
    """The provider did not answer within `LLM_TIMEOUT` (retries included)."""

    reason = "timeout"


class ProviderRateLimited(PlannerUnavailable):
    """The provider answered 429 (after the allowed retries)."""

    reason = "rate_limited"


class ProviderOverloaded(PlannerUnavailable):
    """The provider answered 529 overloaded (after the allowed retries)."""

    reason = "overloaded"


class ProviderFailed(PlannerUnavailable):
    """Any other provider error: connection refused, 4xx, 5xx."""

    reason = "provider_error"


class MalformedAnswer(PlannerUnavailable):
    """The provider answered, but not with a well-formed `choose_runbook` call."""

    reason = "malformed_output"


class NoTrainingData(PlannerUnavailable):
    """The learned planner has no verified outcome to learn from for this kind of drift."""

    reason = "no_training_data"
