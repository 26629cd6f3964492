"""Two engines behind one Protocol, and the fallback between them.

``prepare_briefing(inp, mode, gateway, language)`` runs the requested engine and writes the briefing in
``language`` (``fa`` or ``en``, the agent's). ``auto`` means the LLM when the gateway has an API key,
else offline. Any gateway failure (no key, open breaker, cost cap, timeout, provider error, invalid
JSON), an answer whose evidence is mostly invented, or one written in the other language falls back to
the offline engine, and the result records which engine answered and why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final, Literal, Protocol

from ai.call_prep import llm, offline
from ai.call_prep.inputs import PrepInput
from ai.call_prep.phrases import Language
from ai.call_prep.schema import Briefing
from ai.call_prep.validate import Validated, validate
from ai.llm import LLMError, LLMGateway

log = logging.getLogger(__name__)

Mode = Literal["auto", "offline", "llm"]
OFFLINE: Final = offline.ENGINE
COMPUTED: Final = ("at_a_glance", "cultural_notes", "best_time")
MAX_INVENTED_SHARE: Final = 0.5  # more invented evidence than this and the answer is not trusted
HALLUCINATED: Final = "hallucinated_evidence"
WRONG_LANGUAGE: Final = "wrong_language"


@dataclass(frozen=True)
class EngineAnswer:
    validated: Validated
    engine: str  # "offline" or the model name
    prompt_id: str | None = None
    prompt_version: int | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    cache_hit: bool = False


class BriefingEngine(Protocol):
    async def brief(self, inp: PrepInput, language: Language) -> EngineAnswer: ...


class OfflineEngine:
    async def brief(self, inp: PrepInput, language: Language) -> EngineAnswer:
        validated = validate(
            offline.brief(inp, language),
            inp.known_tokens(),
            profiling_opt_out=inp.rep.profiling_opt_out,
            engine=OFFLINE,
        )
        return EngineAnswer(validated, OFFLINE)


class HallucinatedOutput(Exception):
    """The model's answer leaned on records it was never shown; it is discarded."""


class WrongLanguage(Exception):
    """The model wrote in another language than the agent reads; it is discarded."""


class LLMEngine:
    def __init__(self, gateway: LLMGateway) -> None:
        self._gateway = gateway

    async def brief(self, inp: PrepInput, language: Language) -> EngineAnswer:
        result = await llm.ask(self._gateway, inp, language)
        if not llm.in_language(result.value, language):
            raise WrongLanguage(f"the answer is not in {language!r}")
        briefing, unparsable = llm.to_briefing(inp, result.value, language)
        opt_out = inp.rep.profiling_opt_out
        written = validate(
            briefing.model_copy(update={name: [] for name in COMPUTED}),
            result.evidence_ids,
            profiling_opt_out=opt_out,
            engine=result.model,
            unparsable=unparsable,
        )
        computed = validate(
            Briefing(**{name: briefing.section(name) for name in COMPUTED}),
            inp.known_tokens(),
            profiling_opt_out=opt_out,
            engine=OFFLINE,
        )
        merged = written.briefing.model_copy(
            update={name: computed.briefing.section(name) for name in COMPUTED}
        )
        if (
            written.invented_share > MAX_INVENTED_SHARE
            or len(merged.talking_points) < offline.MIN_TALKING_POINTS
            or not merged.summary
        ):
            raise HallucinatedOutput(
                f"{len(written.dropped_evidence)} of {written.cited} cited ids were not in the context; "
                f"{len(merged.talking_points)} talking point(s) and {len(merged.summary)} summary item(s) "
                "left"
            )
        validated = Validated(
            merged, written.dropped_evidence, written.dropped_items + computed.dropped_items, written.cited
        )
        return EngineAnswer(
            validated,
            result.model,
            result.template_id,
            result.template_version,
            result.tokens_in,
            result.tokens_out,
            result.cost_usd,
            result.cache_hit,
        )


@dataclass(frozen=True)
class PrepOutcome:
    answer: EngineAnswer
    fallback_reason: str | None = None

    @property
    def briefing(self) -> Briefing:
        return self.answer.validated.briefing


def wants_llm(mode: Mode, gateway: LLMGateway | None) -> bool:
    return mode == "llm" or (mode == "auto" and gateway is not None and gateway.config.enabled)


async def prepare_briefing(
    inp: PrepInput, mode: Mode, gateway: LLMGateway | None, language: Language = "fa"
) -> PrepOutcome:
    if not wants_llm(mode, gateway):
        return PrepOutcome(await OfflineEngine().brief(inp, language))
    reason: str
    if gateway is None or not gateway.config.enabled:
        reason = "no_api_key"
    else:
        try:
            return PrepOutcome(await LLMEngine(gateway).brief(inp, language))
        except LLMError as exc:
            reason = exc.fallback_reason
            log.info("call prep for %s: LLM unavailable (%s: %s); offline", inp.rep.code, reason, exc)
        except HallucinatedOutput as exc:
            reason = HALLUCINATED
            log.warning("call prep for %s: LLM answer rejected (%s); offline", inp.rep.code, exc)
        except WrongLanguage as exc:
            reason = WRONG_LANGUAGE
            log.warning("call prep for %s: LLM answer rejected (%s); offline", inp.rep.code, exc)
    return PrepOutcome(await OfflineEngine().brief(inp, language), reason)
