"""Call prep on the seeded demo CRM: grounding in real rows, opt-out, cache, outcome, bad input.

The demo world is seeded once for the module in an outer transaction; each test runs inside its own
savepoint, rolled back afterwards, so tests do not see each other's briefings.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from ai.call_prep.schema import PROFILING_SECTIONS, EvidenceRef
from crm import demo
from crm.db import UnitOfWork
from crm.demo import Cohort
from crm.enums import Channel, Direction, Locale, Outcome
from crm.errors import NotFound
from crm.models import (
    AISuggestion,
    AuditLog,
    Interaction,
    Invoice,
    Payment,
    Representative,
    Ticket,
    UsageSnapshot,
)
from crm.schemas.activity import InteractionCreate
from crm.schemas.people import RepresentativeUpdate
from crm.schemas.types import Actor
from crm.services import (
    call_prep,
    call_prep_data,
    call_prep_records,
    interactions,
    representatives,
    sentiment,
)
from crm.services.call_prep import AmbiguousRepresentative

SEED = 7
NOW = dt.datetime(2026, 3, 10, 9, 41, 7, tzinfo=dt.UTC)
TABLES = {
    "interaction": Interaction,
    "ticket": Ticket,
    "payment": Payment,
    "invoice": Invoice,
    "usage": UsageSnapshot,
}

World = tuple[AsyncConnection, async_sessionmaker[AsyncSession]]


@pytest.fixture(scope="module")
async def world(engine: AsyncEngine) -> AsyncIterator[World]:
    async with engine.connect() as conn:
        outer = await conn.begin()
        factory = async_sessionmaker(
            bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        async with UnitOfWork(factory) as uow:
            await demo.seed(uow, seed=SEED, now=NOW)
        async with UnitOfWork(factory) as uow:
            await sentiment.backfill(uow)  # the demo is written without analyses; the arc needs them
        yield conn, factory
        await outer.rollback()


@pytest.fixture
async def factory(world: World) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    conn, session_factory = world
    nested = await conn.begin_nested()
    yield session_factory
    await nested.rollback()


async def rep_id(factory: async_sessionmaker[AsyncSession], code: str) -> int:
    async with UnitOfWork(factory) as uow:
        return (await representatives.get_by_code(uow, code)).id


def codes(cohort: Cohort) -> list[str]:
    return sorted(code for code, c in demo.cohorts(SEED).items() if c is cohort)


async def assert_grounded(
    factory: async_sessionmaker[AsyncSession], rep: int, evidence: list[EvidenceRef]
) -> None:
    """Every cited row exists and belongs to this representative."""
    async with UnitOfWork(factory) as uow:
        for ref in evidence:
            model = TABLES[ref.type]
            owner = await uow.session.scalar(select(model.representative_id).where(model.id == ref.id))
            assert owner == rep, ref.token


@pytest.mark.parametrize("cohort", [Cohort.CHURN, Cohort.UPSELL, Cohort.STEADY])
async def test_every_section_is_grounded_in_rows_that_exist(
    factory: async_sessionmaker[AsyncSession], cohort: Cohort
) -> None:
    for code in codes(cohort)[:4]:
        rid = await rep_id(factory, code)
        async with UnitOfWork(factory) as uow:
            dto = await call_prep.prepare(uow, rid, None, engine="offline", now=NOW)
        briefing = dto.briefing
        assert dto.engine == "offline"
        assert dto.dropped_evidence == ()
        await assert_grounded(factory, rid, briefing.evidence())
        for name in ("at_a_glance", "summary", "talking_points", "cultural_notes", "best_time", "questions"):
            assert briefing.section(name), (code, name)
        for name in ("summary", "talking_points", "best_time"):
            assert any(item.evidence for item in briefing.section(name)), (code, name)
        assert 3 <= len(briefing.talking_points) <= 5
        if not dto.representative.profiling_opt_out:
            assert briefing.emotional_state[0].evidence, code  # from the arc the chart shows too


async def test_churn_reps_get_risks_and_upsell_reps_get_opportunities(
    factory: async_sessionmaker[AsyncSession],
) -> None:
    churn_with_risks = upsell_with_offers = 0
    for code in codes(Cohort.CHURN)[:6]:
        async with UnitOfWork(factory) as uow:
            dto = await call_prep.prepare(uow, await rep_id(factory, code), None, engine="offline", now=NOW)
        churn_with_risks += bool(dto.briefing.risks)
    for code in codes(Cohort.UPSELL)[:6]:
        async with UnitOfWork(factory) as uow:
            dto = await call_prep.prepare(uow, await rep_id(factory, code), None, engine="offline", now=NOW)
        upsell_with_offers += bool(dto.briefing.opportunities)
        assert all(o.pitch for o in dto.briefing.opportunities)
    assert churn_with_risks >= 5
    assert upsell_with_offers >= 4


async def test_opted_out_rep_gets_no_profiling(factory: async_sessionmaker[AsyncSession]) -> None:
    async with UnitOfWork(factory) as uow:
        opted = await uow.session.scalar(
            select(Representative.id)
            .where(Representative.profiling_opt_out)
            .order_by(Representative.id)
            .limit(1)
        )
        assert opted is not None
        data = await call_prep_data.load(uow, opted, NOW)
        assert data.arc is None
        assert all(i.score is None and not i.emotions for i in data.interactions)
        dto = await call_prep.prepare(uow, opted, None, engine="offline", now=NOW)
    for name in PROFILING_SECTIONS:
        assert dto.briefing.section(name) == []
    assert dto.briefing.notices[0] == "profiling_opt_out"
    assert dto.representative.profiling_opt_out


async def test_reused_until_the_data_changes(factory: async_sessionmaker[AsyncSession]) -> None:
    rid = await rep_id(factory, codes(Cohort.STEADY)[0])
    async with UnitOfWork(factory) as uow:
        first = await call_prep.prepare(uow, rid, None, engine="offline", now=NOW)
    async with UnitOfWork(factory) as uow:
        again = await call_prep.prepare(uow, rid, None, engine="offline", now=NOW + dt.timedelta(hours=1))
    assert not first.cached
    assert again.cached
    assert again.suggestion_id == first.suggestion_id
    async with UnitOfWork(factory) as uow:
        await interactions.log(
            uow,
            InteractionCreate(
                representative_id=rid,
                channel=Channel.TELEGRAM,
                direction=Direction.INBOUND,
                occurred_at=NOW,
                body="سلام، کاربرهام از دیشب روی همراه اول وصل نمی‌شن",
                source="test",
                idempotency_key="prep-cache-1",
            ),
            Actor.cli(),
        )
    async with UnitOfWork(factory) as uow:
        rebuilt = await call_prep.prepare(uow, rid, None, engine="offline", now=NOW + dt.timedelta(hours=1))
    assert not rebuilt.cached
    assert rebuilt.fingerprint != first.fingerprint
    assert "همراه اول" in " ".join(i.text for i in rebuilt.briefing.summary)
    async with UnitOfWork(factory) as uow:
        await representatives.update(uow, rid, RepresentativeUpdate(profiling_opt_out=True), Actor.cli())
    async with UnitOfWork(factory) as uow:
        opted = await call_prep.prepare(uow, rid, None, engine="offline", now=NOW + dt.timedelta(hours=1))
    assert not opted.cached
    assert opted.briefing.emotional_state == []
    async with UnitOfWork(factory) as uow:
        next_day = await call_prep.prepare(uow, rid, None, engine="offline", now=NOW + dt.timedelta(days=1))
    assert not next_day.cached  # relative dates and calendar notes are per day


async def test_a_briefing_is_reused_only_for_agents_who_read_its_language(
    factory: async_sessionmaker[AsyncSession],
) -> None:
    rid = await rep_id(factory, codes(Cohort.CHURN)[0])
    async with UnitOfWork(factory) as uow:
        persian = await call_prep.prepare(uow, rid, None, engine="offline", now=NOW)
    async with UnitOfWork(factory) as uow:
        english = await call_prep.prepare(uow, rid, None, engine="offline", locale=Locale.EN, now=NOW)
    assert not english.cached  # the Persian briefing of the same data is not served to an English reader
    assert english.suggestion_id != persian.suggestion_id
    assert english.fingerprint != persian.fingerprint
    assert (persian.locale, english.locale) == (Locale.FA, Locale.EN)
    assert persian.briefing.at_a_glance[0].text.startswith("پلن: ")
    assert english.briefing.at_a_glance[0].text.startswith("Plan: ")
    assert english.briefing.evidence() == persian.briefing.evidence()  # the same findings, other words
    later = NOW + dt.timedelta(hours=1)
    async with UnitOfWork(factory) as uow:
        english_again = await call_prep.prepare(uow, rid, None, engine="offline", locale=Locale.EN, now=later)
        persian_again = await call_prep.prepare(uow, rid, None, engine="offline", locale=Locale.FA, now=later)
        stored = await call_prep.get(uow, english.suggestion_id)
    assert (english_again.cached, english_again.suggestion_id) == (True, english.suggestion_id)
    assert english_again.briefing == english.briefing
    assert (persian_again.cached, persian_again.suggestion_id) == (True, persian.suggestion_id)
    assert (stored.locale, stored.briefing) == (Locale.EN, english.briefing)


async def test_briefing_is_stored_and_every_view_audited(factory: async_sessionmaker[AsyncSession]) -> None:
    rid = await rep_id(factory, codes(Cohort.CHURN)[0])
    async with UnitOfWork(factory) as uow:
        agent = await uow.session.scalar(text("SELECT min(id) FROM crt_agent"))
        dto = await call_prep.prepare(uow, rid, agent, engine="offline", now=NOW)
        await call_prep.prepare(uow, rid, agent, engine="offline", now=NOW)
    async with UnitOfWork(factory) as uow:
        row = await uow.session.get(AISuggestion, dto.suggestion_id)
        assert row is not None
        assert (row.kind, row.engine, row.agent_id, row.fingerprint) == (
            "call_prep",
            "offline",
            agent,
            dto.fingerprint,
        )
        assert row.evidence == [e.model_dump(mode="json") for e in dto.briefing.evidence()]
        views = await uow.session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "call_prep.view", AuditLog.entity_id == str(dto.suggestion_id))
        )
        assert views == 2
        arc_views = await uow.session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "profiling.view_arc", AuditLog.entity_id == str(rid))
        )
        assert arc_views == 1  # computed for the first view; the second reused the stored briefing
        again = await call_prep.get(uow, dto.suggestion_id)
    assert again.briefing == dto.briefing


async def test_call_outcome_is_linked_to_the_briefing(factory: async_sessionmaker[AsyncSession]) -> None:
    rid = await rep_id(factory, codes(Cohort.UPSELL)[0])
    async with UnitOfWork(factory) as uow:
        agent = int(await uow.session.scalar(text("SELECT min(id) FROM crt_agent")) or 0)
        dto = await call_prep.prepare(uow, rid, agent, engine="offline", now=NOW)
    async with UnitOfWork(factory) as uow:
        item = await call_prep.record_outcome(
            uow,
            dto.suggestion_id,
            agent,
            Outcome.UPSELL_INTEREST,
            "  برای ۲۰ کاربر بیشتر پلن می‌خواد ",
            idempotency_key="k1",
        )
        twice = await call_prep.record_outcome(
            uow, dto.suggestion_id, agent, Outcome.UPSELL_INTEREST, None, idempotency_key="k1"
        )
    assert twice.id == item.id
    async with UnitOfWork(factory) as uow:
        row = await uow.session.get(Interaction, item.id)
        assert row is not None
        assert (row.ai_suggestion_id, row.representative_id, row.channel, row.outcome) == (
            dto.suggestion_id,
            rid,
            "call",
            "upsell_interest",
        )
        assert row.summary == "برای 20 کاربر بیشتر پلن می‌خواد"  # stored normalised (ASCII digits)
        with pytest.raises(NotFound):
            await call_prep.record_outcome(uow, 10**9, agent, Outcome.REACHED, None, idempotency_key="k2")


async def test_finding_the_representative(factory: async_sessionmaker[AsyncSession]) -> None:
    async with UnitOfWork(factory) as uow:
        exact = await call_prep.find_rep(uow, "rep-0004")
        assert exact.code == "REP-0004"
        with pytest.raises(NotFound):
            await call_prep.find_rep(uow, "ZZZ-NOBODY")
        with pytest.raises(AmbiguousRepresentative) as ambiguous:
            await call_prep.find_rep(uow, "REP-00")
        assert len(ambiguous.value.choices) > 1
        with pytest.raises(NotFound):
            await call_prep.prepare(uow, 10**9, None, engine="offline", now=NOW)


async def test_new_rep_without_history_gets_onboarding(factory: async_sessionmaker[AsyncSession]) -> None:
    async with UnitOfWork(factory) as uow:
        from crm.schemas.people import RepresentativeCreate

        rep = await representatives.create(
            uow, RepresentativeCreate(code="NEW-001", full_name="نمایندهٔ تازه", city="یزد"), Actor.cli()
        )
        dto = await call_prep.prepare(uow, rep.id, None, engine="offline", now=NOW)
    assert dto.briefing.notices == ["onboarding"]
    assert dto.briefing.evidence() == []
    assert "یزد" in dto.briefing.summary[0].text


async def test_ten_thousand_interactions_cost_like_a_few_hundred(
    factory: async_sessionmaker[AsyncSession],
) -> None:
    rid = await rep_id(factory, codes(Cohort.STEADY)[1])
    async with UnitOfWork(factory) as uow:
        await uow.session.execute(
            text(
                """INSERT INTO interaction (representative_id, channel, direction, occurred_at, summary, body,
                                           outcome, sentiment_label, sentiment_score, source, idempotency_key)
                   SELECT :rep, 'telegram', 'inbound', CAST(:now AS timestamptz) - g * interval '50 minutes', 'پیام ' || g,
                          'کاربرها روی ایرانسل کند هستند ' || g, 'reached', 'negative', -0.4, 'bulk', 'b' || g
                   FROM generate_series(1, 10000) g"""
            ),
            {"rep": rid, "now": NOW},
        )
        await uow.commit()
    async with UnitOfWork(factory) as uow:
        started = time.perf_counter()
        dto = await call_prep.prepare(uow, rid, None, engine="offline", now=NOW)
        elapsed = time.perf_counter() - started
        data = await call_prep_data.load(uow, rid, NOW)
    assert len(data.interactions) == call_prep_data.INTERACTIONS
    assert data.interaction_total > 10_000
    assert len(data.contacts) == call_prep_data.CONTACTS
    assert "۱۰٬" in dto.briefing.summary[0].text  # «از ۱۰٬۰۴۵ تعامل در کل»
    assert elapsed < 3.0  # generous for a shared machine; the bench measures it properly


async def test_evidence_records_open_with_their_representative(
    factory: async_sessionmaker[AsyncSession],
) -> None:
    rid = await rep_id(factory, codes(Cohort.CHURN)[1])
    async with UnitOfWork(factory) as uow:
        dto = await call_prep.prepare(uow, rid, None, engine="offline", now=NOW)
        kinds = set()
        for ref in dto.briefing.evidence():
            record = await call_prep_records.open_record(uow, ref)
            assert record.representative.id == rid
            payload = getattr(record, ref.type)
            assert payload is not None
            assert payload.id == ref.id
            kinds.add(ref.type)
        assert {"interaction", "payment", "usage"} <= kinds
        with pytest.raises(NotFound):
            await call_prep_records.open_record(uow, EvidenceRef(type="ticket", id=10**9))
