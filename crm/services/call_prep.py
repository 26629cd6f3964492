"""Call prep use-cases: prepare (or reuse) a briefing, read one back, log how the call went.

A briefing is stored as an ``ai_suggestion`` of kind ``call_prep`` with a fingerprint of the data it
was built from and the language it is written in (see :mod:`crm.services.call_prep_cache`). ``prepare``
first looks for a briefing with the same fingerprint and reuses it: no engine runs and no LLM is
called. The language is the agent's (``crt_agent.locale``): Persian, or English for agents who chose
it with /lang. Every view is audited
(``call_prep.view``), so who looked at a representative's profile, and when, is on record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from sqlalchemy import select

from ai.call_prep.engine import Mode, prepare_briefing, wants_llm
from ai.call_prep.phrases import Language
from ai.call_prep.schema import Briefing
from ai.llm import LLMGateway
from ai.text.persian import normalize
from crm import audit
from crm.db import UnitOfWork
from crm.enums import Channel, Direction, Locale, Outcome, SuggestionKind
from crm.errors import NotFound, ValidationFailed
from crm.models import AISuggestion, Representative
from crm.schemas.activity import InteractionCreate, InteractionDTO
from crm.schemas.call_prep import CallPrepDTO, RepRef
from crm.schemas.people import RepSearchHit
from crm.schemas.types import Actor
from crm.services import call_prep_data, interactions, representatives
from crm.services.call_prep_cache import fingerprint

KIND: Final = SuggestionKind.CALL_PREP.value
OUTCOME_SOURCE: Final = "call_prep"
MAX_NOTE_CHARS: Final = 2000
# Fallbacks that would happen again right now: reusing their offline briefing is honest.
CLEAR_SCORE: Final = 0.9
CLEAR_GAP: Final = 0.25
STABLE_FALLBACKS: Final = frozenset({None, "no_api_key"})
LANGUAGES: Final[dict[Locale, Language]] = {Locale.FA: "fa", Locale.EN: "en"}


class AmbiguousRepresentative(ValidationFailed):
    """A query matched several representatives; ``choices`` lists them for the user to pick."""

    code = "ambiguous"

    def __init__(self, query: str, choices: list[RepSearchHit]) -> None:
        super().__init__(f"{len(choices)} representatives match {query!r}", query=query)
        self.choices = choices


async def find_rep(uow: UnitOfWork, query: str) -> RepRef:
    """Exactly one representative for a code, phone or name; else NotFound or AmbiguousRepresentative."""
    hits = await representatives.find(uow, query, limit=8)
    if not hits:
        raise NotFound(f"no representative matches {query!r}", query=query)
    if len(hits) > 1 and hits[0].matched_on != "phone" and not _clear_winner(hits):
        raise AmbiguousRepresentative(query, hits)  # an exact code returns a single hit
    rep = hits[0].representative
    return RepRef(id=rep.id, code=rep.code, full_name=rep.full_name, profiling_opt_out=rep.profiling_opt_out)


def _clear_winner(hits: list[RepSearchHit]) -> bool:
    """A name match far ahead of the rest (an exact full name among partial ones)."""
    first, second = hits[0], hits[1]
    return (
        first.matched_on == "name" and first.score >= CLEAR_SCORE and first.score - second.score >= CLEAR_GAP
    )


def _dto(row: AISuggestion, rep: RepRef, *, cached: bool, briefing: Briefing | None = None) -> CallPrepDTO:
    """``briefing``: the object just built (skips re-validating what ``content`` stores)."""
    content: dict[str, Any] = row.content
    return CallPrepDTO(
        suggestion_id=row.id,
        representative=rep,
        briefing=briefing or Briefing.model_validate(content["briefing"]),
        locale=Locale(content.get("locale", Locale.FA.value)),
        engine=row.engine,
        fallback_reason=row.fallback_reason,
        prompt_id=row.prompt_id,
        prompt_version=row.prompt_version,
        fingerprint=row.fingerprint or "",
        cached=cached,
        created_at=row.created_at,
        dropped_evidence=tuple(content.get("dropped_evidence", ())),
        tokens_in=int(content.get("tokens_in", 0)),
        tokens_out=int(content.get("tokens_out", 0)),
    )


async def _rep(uow: UnitOfWork, rep_id: int) -> RepRef:
    rep = await uow.session.get(Representative, rep_id)
    if rep is None:
        raise NotFound(f"representative {rep_id} not found", rep_id=rep_id)
    return RepRef(id=rep.id, code=rep.code, full_name=rep.full_name, profiling_opt_out=rep.profiling_opt_out)


async def prepare(
    uow: UnitOfWork,
    rep_id: int,
    agent_id: int | None,
    *,
    engine: Mode = "auto",
    gateway: LLMGateway | None = None,
    locale: Locale = Locale.FA,
    now: dt.datetime | None = None,
) -> CallPrepDTO:
    """The briefing for a call with ``rep_id`` now, in ``locale`` (the agent's): reused when its data
    and language are unchanged, else built."""
    now = now or dt.datetime.now(dt.UTC)
    rep = await _rep(uow, rep_id)
    actor = Actor.agent(agent_id) if agent_id is not None else Actor.cli()
    llm = wants_llm(engine, gateway)
    mode: Mode = "llm" if llm else "offline"
    language = LANGUAGES[locale]
    key = await fingerprint(uow, rep_id, mode=mode, language=language, now=now)
    reusable = await uow.session.scalar(
        select(AISuggestion)
        .where(
            AISuggestion.representative_id == rep_id,
            AISuggestion.kind == KIND,
            AISuggestion.fingerprint == key,
        )
        .order_by(AISuggestion.id.desc())
        .limit(1)
    )
    if reusable is not None and reusable.fallback_reason in STABLE_FALLBACKS:
        dto = _dto(reusable, rep, cached=True)
    else:
        data = await call_prep_data.load(uow, rep_id, now, actor)
        outcome = await prepare_briefing(data, mode, gateway, language)
        answer = outcome.answer
        briefing = answer.validated.briefing
        row = AISuggestion(
            kind=KIND,
            representative_id=rep_id,
            agent_id=agent_id,
            engine=answer.engine[:64],
            prompt_id=answer.prompt_id,
            prompt_version=None if answer.prompt_version is None else str(answer.prompt_version),
            fallback_reason=outcome.fallback_reason,
            fingerprint=key,
            content={
                "briefing": briefing.model_dump(mode="json"),
                "dropped_evidence": list(answer.validated.dropped_evidence),
                "tokens_in": answer.tokens_in,
                "tokens_out": answer.tokens_out,
                "requested_engine": engine,
                "locale": language,
            },
            evidence=[e.model_dump(mode="json") for e in briefing.evidence()],
            created_at=dt.datetime.now(dt.UTC),  # set here, so the flush needs no refresh round trip
        )
        uow.session.add(row)
        await uow.session.flush()
        dto = _dto(row, rep, cached=False, briefing=briefing)
    audit.record(
        uow.session,
        actor,
        "call_prep.view",
        "ai_suggestion",
        dto.suggestion_id,
        after={"representative_id": rep_id, "engine": dto.engine, "cached": dto.cached},
    )
    await uow.commit()
    return dto


async def get(uow: UnitOfWork, suggestion_id: int) -> CallPrepDTO:
    row = await uow.session.get(AISuggestion, suggestion_id)
    if row is None or row.kind != KIND or row.representative_id is None:
        raise NotFound(f"call prep {suggestion_id} not found", suggestion_id=suggestion_id)
    return _dto(row, await _rep(uow, row.representative_id), cached=True)


async def record_outcome(
    uow: UnitOfWork,
    suggestion_id: int,
    agent_id: int,
    outcome: Outcome,
    note: str | None,
    *,
    idempotency_key: str,
    occurred_at: dt.datetime | None = None,
) -> InteractionDTO:
    """«How did it go?»: the call is logged as an interaction linked to the briefing it followed."""
    row = await uow.session.get(AISuggestion, suggestion_id)
    if row is None or row.kind != KIND or row.representative_id is None:
        raise NotFound(f"call prep {suggestion_id} not found", suggestion_id=suggestion_id)
    text = normalize(note or "") or None
    if text is not None and len(text) > MAX_NOTE_CHARS:
        raise ValidationFailed(f"the note is longer than {MAX_NOTE_CHARS} characters")
    item, _ = await interactions.log(
        uow,
        InteractionCreate(
            representative_id=row.representative_id,
            agent_id=agent_id,
            channel=Channel.CALL,
            direction=Direction.OUTBOUND,
            occurred_at=occurred_at or dt.datetime.now(dt.UTC),
            summary=text,
            outcome=outcome,
            ai_suggestion_id=suggestion_id,
            source=OUTCOME_SOURCE,
            idempotency_key=idempotency_key,
        ),
        Actor.agent(agent_id),
    )
    return item
