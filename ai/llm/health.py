"""What ``chronos ai status`` shows."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class HealthReport:
    engine: str
    """``offline`` without an API key, else the model name."""
    model: str
    enabled: bool
    breaker_state: str
    calls_today: int
    tokens_in_today: int
    tokens_out_today: int
    cost_today_usd: float
    daily_cost_cap_usd: float
    cache_hit_rate: float
    calls_by_status: dict[str, int] = field(default_factory=dict)

    def as_rows(self) -> list[tuple[str, str]]:
        """Label/value pairs for a two-column table."""
        statuses = ", ".join(f"{status}={count}" for status, count in sorted(self.calls_by_status.items()))
        return [
            ("engine", self.engine),
            ("model", self.model),
            ("breaker", self.breaker_state),
            ("calls today", str(self.calls_today) + (f" ({statuses})" if statuses else "")),
            ("tokens today (in/out)", f"{self.tokens_in_today}/{self.tokens_out_today}"),
            ("cost today", f"${self.cost_today_usd:.4f} of ${self.daily_cost_cap_usd:.2f}"),
            ("cache hit rate", f"{self.cache_hit_rate:.0%}"),
        ]
