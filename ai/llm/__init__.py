"""The AI gateway: every call to an external LLM goes through :class:`LLMGateway` (DESIGN.md §5)."""

from ai.llm.breaker import BreakerState, CircuitBreaker
from ai.llm.cache import InMemoryLRUCache, ResponseCache, cache_key
from ai.llm.config import GatewayConfig, RetryPolicy
from ai.llm.engine import OFFLINE_ENGINE, AIResult, DualEngine, run_with_fallback
from ai.llm.errors import (
    BreakerOpen,
    CallStatus,
    CostCapReached,
    FallbackReason,
    GuardrailViolation,
    LLMError,
    LLMInvalidOutput,
    LLMTimeout,
    LLMUnavailable,
    NoAPIKey,
    ProviderError,
    RateLimited,
)
from ai.llm.gateway import GatewayResult, LLMGateway
from ai.llm.health import HealthReport
from ai.llm.ledger import InMemoryUsageLedger, LLMCallRecord, UsageLedger, UsageStats
from ai.llm.rate_limit import TokenBucket

__all__ = [
    "OFFLINE_ENGINE",
    "AIResult",
    "BreakerOpen",
    "BreakerState",
    "CallStatus",
    "CircuitBreaker",
    "CostCapReached",
    "DualEngine",
    "FallbackReason",
    "GatewayConfig",
    "GatewayResult",
    "GuardrailViolation",
    "HealthReport",
    "InMemoryLRUCache",
    "InMemoryUsageLedger",
    "LLMCallRecord",
    "LLMError",
    "LLMGateway",
    "LLMInvalidOutput",
    "LLMTimeout",
    "LLMUnavailable",
    "NoAPIKey",
    "ProviderError",
    "RateLimited",
    "ResponseCache",
    "RetryPolicy",
    "TokenBucket",
    "UsageLedger",
    "UsageStats",
    "cache_key",
    "run_with_fallback",
]
