"""Typed gateway failures. Each carries its ledger status and the fallback reason it maps to."""

from __future__ import annotations

from typing import ClassVar, Literal

CallStatus = Literal[
    "ok", "error", "invalid", "timeout", "rate_limited", "breaker_open", "cost_cap", "cache_hit", "reserved"
]
"""``reserved``: a call in flight, holding its estimated cost against today's cap until it settles."""
FallbackReason = Literal[
    "no_api_key", "breaker_open", "cost_cap", "timeout", "invalid_output", "provider_error"
]


class LLMError(Exception):
    status: ClassVar[CallStatus] = "error"
    fallback_reason: ClassVar[FallbackReason] = "provider_error"


class LLMUnavailable(LLMError):
    """No usable answer could be obtained from the provider."""


class NoAPIKey(LLMUnavailable):
    fallback_reason = "no_api_key"


class BreakerOpen(LLMUnavailable):
    status = "breaker_open"
    fallback_reason = "breaker_open"


class CostCapReached(LLMUnavailable):
    status = "cost_cap"
    fallback_reason = "cost_cap"


class LLMTimeout(LLMUnavailable):
    status = "timeout"
    fallback_reason = "timeout"


class ProviderError(LLMUnavailable):
    """5xx, connection failures, malformed HTTP bodies, and 4xx other than 429."""


class RateLimited(LLMUnavailable):
    """429s outlasted the retries, or the local per-minute limit could not be met before the deadline."""

    status = "rate_limited"


class LLMInvalidOutput(LLMError):
    """The answer was not valid JSON of the requested shape, even after the repair attempt."""

    status = "invalid"
    fallback_reason = "invalid_output"


class GuardrailViolation(LLMInvalidOutput):
    """The answer leaked the system prompt, carried personal data or invented placeholders."""
