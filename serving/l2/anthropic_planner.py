"""The first planner in the chain: Claude through the `anthropic` SDK, answering with one tool call.

SDK errors are translated here, in one place, into `PlannerUnavailable` subclasses whose `reason`
is recorded with the decision. The whole call, retries included, runs under one deadline: the SDK
honours any `retry-after` it is sent, and a provider asking for minutes must not hold an appliance's
request for minutes when the learned planner can answer now.
"""

from __future__ import annotations

import asyncio
from typing import Any

import anthropic
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contracts.incidents import Incident
from contracts.runbooks import Runbook
from serving.l2 import prompt
from serving.l2.errors import (
    MalformedAnswer,
    NoApiKey,
    PlannerUnavailable,
    ProviderFailed,
    ProviderOverloaded,
    ProviderRateLimited,
    ProviderTimeout,
    Usage,
)
from serving.l2.guardrails import Answer
from serving.l2.settings import L2Settings

PROVIDER = "anthropic"


class _ToolInput(BaseModel):
    # Extra keys are tolerated (a model may add one); the types of the known ones are not negotiable.
    model_config = ConfigDict(extra="ignore", strict=False)

    runbook_id: str | None
    reasoning: str = Field(max_length=8000)
    confidence: float = Field(ge=0.0, le=1.0)
    params: dict[str, Any] = Field(default_factory=dict)


class AnthropicPlanner:
    """Asks Claude to choose a runbook; one client (and connection pool) per planner."""

    def __init__(self, settings: L2Settings):
        self.settings = settings
        self._client: anthropic.AsyncAnthropic | None = None

    @property
    def configured(self) -> bool:
        """True when an API key is set."""
        key = self.settings.anthropic_api_key
        return key is not None and bool(key.get_secret_value())

    def _get_client(self) -> anthropic.AsyncAnthropic:
        if self._client is None:
            if not self.configured:
                raise NoApiKey("no ANTHROPIC_API_KEY is configured")
            s = self.settings
            self._client = anthropic.AsyncAnthropic(
                api_key=s.anthropic_api_key.get_secret_value(),  # type: ignore[union-attr]
                base_url=s.anthropic_base_url,
                timeout=s.llm_timeout,
                max_retries=s.llm_max_retries,
            )
        return self._client

    async def close(self) -> None:
        """Release the HTTP connections."""
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def plan(self, incident: Incident, platform: str, candidates: list[Runbook]) -> tuple[Answer, Usage]:
        """Claude's answer and what it cost; raises a `PlannerUnavailable` naming why not."""
        client = self._get_client()
        s = self.settings
        ids = [rb.id for rb in candidates]
        try:
            async with asyncio.timeout(s.deadline()):
                message = await client.messages.create(
                    model=s.llm_model,
                    max_tokens=s.llm_max_tokens,
                    system=prompt.SYSTEM,
                    messages=[{"role": "user", "content": prompt.user_message(incident, platform, candidates)}],
                    tools=[prompt.tool_schema(ids)],
                    tool_choice=s.tool_choice(),
                )
        except TimeoutError as exc:
            raise ProviderTimeout(f"no answer within {s.deadline():.1f} s") from exc
        except anthropic.AnthropicError as exc:
            raise _translate(exc) from exc
        return parse(message, s)


def _translate(exc: anthropic.AnthropicError) -> PlannerUnavailable:
    """The one place SDK errors become planner failures."""
    if isinstance(exc, anthropic.APITimeoutError):
        return ProviderTimeout("the request timed out")
    if isinstance(exc, anthropic.RateLimitError):
        return ProviderRateLimited("429 rate limited")
    if isinstance(exc, anthropic.APIStatusError):
        if exc.status_code == 529 or isinstance(exc, getattr(anthropic, "OverloadedError", ())):
            return ProviderOverloaded("529 overloaded")
        return ProviderFailed(f"HTTP {exc.status_code}: {type(exc).__name__}", reason=f"http_{exc.status_code}")
    if isinstance(exc, anthropic.APIConnectionError):
        return ProviderFailed("cannot reach the provider", reason="connection_error")
    if isinstance(exc, anthropic.APIResponseValidationError):
        return MalformedAnswer("the response does not fit the Messages API")
    return ProviderFailed(type(exc).__name__)


def _usage(message: Any, settings: L2Settings) -> Usage:
    usage = getattr(message, "usage", None)
    model = str(getattr(message, "model", None) or settings.llm_model)
    tin = int(getattr(usage, "input_tokens", 0) or 0)
    tout = int(getattr(usage, "output_tokens", 0) or 0)
    return Usage(model=model, input_tokens=tin, output_tokens=tout, cost_usd=settings.cost_usd(model, tin, tout))


def parse(message: Any, settings: L2Settings) -> tuple[Answer, Usage]:
    """The answer inside a Messages API response; MalformedAnswer (carrying the usage) when there is none."""
    usage = _usage(message, settings)
    calls = [
        b for b in (getattr(message, "content", None) or [])
        if getattr(b, "type", None) == "tool_use" and getattr(b, "name", None) == prompt.TOOL_NAME
    ]
    if not calls:
        kinds = sorted({str(getattr(b, "type", "?")) for b in getattr(message, "content", None) or []})
        raise MalformedAnswer(f"no {prompt.TOOL_NAME} call in the answer (blocks: {kinds})", usage=usage)
    if len(calls) > 1:
        raise MalformedAnswer(f"{len(calls)} {prompt.TOOL_NAME} calls in one answer", usage=usage)
    raw = calls[0].input
    try:
        tool = _ToolInput.model_validate(raw if isinstance(raw, dict) else {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "input"
        raise MalformedAnswer(f"tool input {where}: {first.get('msg')}", usage=usage) from None
    answer = Answer(runbook_id=tool.runbook_id, reasoning=tool.reasoning, confidence=tool.confidence,
                    params=tool.params)
    return answer, usage
