"""L2 planner configuration: the model, its timeout and prices, the per-site daily budget, the catalog.

`LLM_MODEL`, `LLM_TIMEOUT` and `ANTHROPIC_API_KEY` keep their bare names (DESIGN.md "Configuration");
the rest are `OSIRIS_`-prefixed. The API key is a `SecretStr`, so no repr or log line ever shows it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "claude-sonnet-5-5"
"""The current Claude Sonnet when this was written."""

# USD per million tokens (input, output), from Anthropic's published price list.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "claude-sonnet-5-5": (2.0, 10.0),
    "claude-sonnet-5": (2.0, 10.0),
    "claude-sonnet-4-6": (3.0, 15.0),
    "claude-sonnet-4-5": (3.0, 15.0),
    "claude-haiku-4-5": (1.0, 5.0),
    "claude-opus-5": (5.0, 25.0),
}

# Models that answer a forced `tool_choice` with a 400: they get `auto` and a prompt that demands the tool.
NO_FORCED_TOOL_MODELS = ("claude-sonnet-5-5",)


class L2Settings(BaseSettings):
    """Everything the L2 planner reads from the environment."""

    model_config = SettingsConfigDict(env_prefix="OSIRIS_", extra="ignore")

    anthropic_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("ANTHROPIC_API_KEY", "anthropic_api_key")
    )
    anthropic_base_url: str | None = None
    """None: the SDK's default (or `ANTHROPIC_BASE_URL`); tests point it at a local server."""
    llm_model: str = Field(default=DEFAULT_MODEL, validation_alias=AliasChoices("LLM_MODEL", "llm_model"))
    llm_timeout: float = Field(default=20.0, gt=0, validation_alias=AliasChoices("LLM_TIMEOUT", "llm_timeout"))
    llm_max_retries: int = Field(default=1, ge=0, le=5)
    l2_deadline: float = Field(default=7.0, gt=0)
    """The most one plan request waits for the LLM, retries included. An appliance waits 10 s for the
    answer (its default MSP_HTTP_TIMEOUT), and the learned planner must still answer inside that."""
    llm_max_tokens: int = Field(default=2048, ge=64, le=64_000)
    llm_tool_choice: Literal["tool", "auto"] | None = None
    """None picks per model: forced (`tool`) unless the model refuses forced tool use."""
    llm_prices: dict[str, tuple[float, float]] = Field(default_factory=lambda: dict(DEFAULT_PRICES))
    llm_default_price: tuple[float, float] = (5.0, 25.0)
    """Price of a model missing from `llm_prices`: deliberately high, so the budget errs on the safe side."""

    l2_daily_budget_usd: float = Field(default=1.0, ge=0)
    """What one site may spend on the LLM per day (the site's own time zone); over it, the learned planner."""

    runbooks_dir: Path | None = None
    """Where the runbook YAML files are; default: the agent package's `runbooks/` folder, read as data."""

    learned_min_leaf: int = Field(default=1, ge=1)

    def deadline(self) -> float:
        """The most one LLM call may take, retries included, before the learned planner answers."""
        return min(self.llm_timeout * (self.llm_max_retries + 1) + 1.0, self.l2_deadline)

    def tool_choice(self) -> dict[str, str]:
        """The `tool_choice` to send for the configured model."""
        kind = self.llm_tool_choice or (
            "auto" if self.llm_model.startswith(NO_FORCED_TOOL_MODELS) else "tool"
        )
        return {"type": "tool", "name": "choose_runbook"} if kind == "tool" else {"type": "auto"}

    def price(self, model: str) -> tuple[float, float]:
        """USD per million (input, output) tokens for a model."""
        if model in self.llm_prices:
            return self.llm_prices[model]
        # Dated ids ("claude-sonnet-5-5-20260928") take the price of their alias; the longest prefix wins.
        for alias in sorted(self.llm_prices, key=len, reverse=True):
            if model.startswith(alias + "-"):
                return self.llm_prices[alias]
        return self.llm_default_price

    def cost_usd(self, model: str, input_tokens: int, output_tokens: int) -> float:
        """What a call cost, from its token usage."""
        pin, pout = self.price(model)
        return (input_tokens * pin + output_tokens * pout) / 1_000_000
