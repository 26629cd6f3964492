"""Gateway configuration: built by the composition root from ``LLMSettings``, field for field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GatewayConfig:
    """Mirrors ``chronos.settings.LLMSettings``; the composition root copies it over, e.g.::

    llm = settings.llm
    GatewayConfig(
        **llm.model_dump(exclude={"api_key"}),
        api_key=llm.api_key.get_secret_value() if llm.api_key else None,
    )
    """

    base_url: str
    api_key: str | None
    model: str
    timeout_s: float = 20.0
    max_retries: int = 3
    requests_per_minute: int = 60
    daily_cost_cap_usd: float = 5.0
    price_in_per_mtok_usd: float = 0.30
    price_out_per_mtok_usd: float = 0.50
    breaker_failures: int = 5
    breaker_reset_s: float = 60.0
    cache_ttl_s: int = 24 * 3600

    @property
    def enabled(self) -> bool:
        """False without an API key: every AI feature then runs offline and nothing touches the network."""
        return bool(self.api_key)

    @property
    def completions_url(self) -> str:
        return f"{self.base_url.rstrip('/')}/chat/completions"

    def cost_usd(self, tokens_in: int, tokens_out: int) -> float:
        return (tokens_in * self.price_in_per_mtok_usd + tokens_out * self.price_out_per_mtok_usd) / 1_000_000


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff tuning that is not a user setting: full-jitter exponential backoff between attempts.

    The sleep before retry ``n`` (1-based) is uniform in ``[0, min(cap_s, base_s * 2**(n-1))]``; a
    429's ``Retry-After`` replaces it. No sleep ever runs past the call's deadline: the call gives up
    instead, so callers fall back within ``timeout_s``.
    """

    base_s: float = 0.25
    cap_s: float = 4.0
    max_retry_after_s: float = 60.0
