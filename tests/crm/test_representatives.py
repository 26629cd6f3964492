from __future__ import annotations

import pytest
from sqlalchemy import select, text

from crm.db import UnitOfWork
from crm.errors import AlreadyExists, NotFound
from crm.models import AuditLog
from crm.models.people import CODE_DIGITS, PHONE_TAIL
from crm.schemas.people import AgentCreate, RepresentativeUpdate
from crm.schemas.types import Actor
from crm.services import agents, representatives
from tests.factories import make_rep, make_tier


async def test_create_normalises_name_and_phone_and_audits(uow: UnitOfWork) -> None:
    async with uow:
        rep = await make_rep(uow, name="علي رضائي", phone="۰۹۱۲ ۳۴۵ ۶۷۸۹")
        assert rep.full_name == "علی رضائی"
        assert rep.phone == "+989123456789"
        actions = (
            await uow.session.scalars(select(AuditLog.action).where(AuditLog.entity_id == str(rep.id)))
        ).all()
        assert "representative.create" in actions


@pytest.mark.parametrize("query", ["علی رضایی", "رضایی", "علي رضائي", "  رضايي "])
async def test_find_matches_arabic_letter_variants(uow: UnitOfWork, query: str) -> None:
    async with uow:
        target = await make_rep(uow, name="علي رضائي")
        await make_rep(uow, name="مریم احمدی")
        await make_rep(uow, name="حسن کریمی")
        hits = await representatives.find(uow, query)
        assert hits, query
        assert hits[0].representative.id == target.id


@pytest.mark.parametrize("query", ["محمدحسین", "محمد\u200cحسین", "محمد حسین"])
async def test_find_ignores_zwnj_and_space_between_name_parts(uow: UnitOfWork, query: str) -> None:
    async with uow:
        target = await make_rep(uow, name="محمد\u200cحسین توکلی")
        await make_rep(uow, name="محمد رضوی")
        hits = await representatives.find(uow, query)
        assert hits[0].representative.id == target.id


async def test_typo_ranks_above_unrelated_names(uow: UnitOfWork) -> None:
    async with uow:
        target = await make_rep(uow, name="زهرا رضایی")
        others = [
            await make_rep(uow, name=n) for n in ("نرگس موسوی", "امیر عباسی", "فاطمه صادقی", "رضا قاسمی")
        ]
        hits = await representatives.find(uow, "رضاعی")
        assert hits[0].representative.id == target.id
        ranked_ids = [h.representative.id for h in hits]
        for other in others[:3]:
            assert other.id not in ranked_ids or ranked_ids.index(other.id) > 0


async def test_find_by_code_and_phone_in_any_form(uow: UnitOfWork) -> None:
    async with uow:
        rep = await make_rep(uow, code="REP-4242", phone="+98 912 000 1122")
        assert (await representatives.find(uow, "rep-4242"))[0].representative.id == rep.id
        assert (await representatives.find(uow, "۰۰۹۸۹۱۲۰۰۰۱۱۲۲"))[0].representative.id == rep.id
        assert (await representatives.find(uow, "09120001122"))[0].matched_on == "phone"


async def test_duplicate_code_is_a_clear_error_and_writes_nothing(uow: UnitOfWork) -> None:
    async with uow:
        await make_rep(uow, code="REP-1")
        with pytest.raises(AlreadyExists) as err:
            await make_rep(uow, code="REP-1")
        assert err.value.params["field"] == "code"


async def test_update_changes_tier_and_reindexes_name(uow: UnitOfWork) -> None:
    async with uow:
        tier = await make_tier(uow, code="PRO")
        rep = await make_rep(uow, name="سارا نوری")
        updated = await representatives.update(
            uow, rep.id, RepresentativeUpdate(full_name="سارا نوروزی", tier_code="PRO"), Actor.cli()
        )
        assert updated.tier_id == tier.id
        assert (await representatives.find(uow, "نوروزی"))[0].representative.id == rep.id
        with pytest.raises(NotFound):
            await representatives.update(uow, rep.id, RepresentativeUpdate(tier_code="NOPE"), Actor.cli())


async def test_agent_cannot_reuse_a_representatives_telegram_account(uow: UnitOfWork) -> None:
    async with uow:
        await make_rep(uow, telegram_user_id=4_242_424)
        with pytest.raises(AlreadyExists):
            await agents.create(uow, AgentCreate(telegram_user_id=4_242_424, full_name="دوگانه"), Actor.cli())


@pytest.mark.parametrize("query", ["43", "۴۳", "0043", "REP43", "rep 43", "Rep-43"])
async def test_find_takes_the_short_code_people_say(uow: UnitOfWork, query: str) -> None:
    """/find 43 found nobody: codes are REP-0043, but agents say «۴۳»."""
    async with uow:
        rep = await make_rep(uow, name="سمیرا کاظمی", code="REP-0043")
        await make_rep(uow, name="نماینده دیگر", code="MF-0043")
        await make_rep(uow, name="نماینده سوم", code="REP-0430")
        hits = await representatives.find(uow, query)
    codes = [hit.representative.code for hit in hits]
    assert rep.code in codes
    assert "REP-0430" not in codes
    if query.upper().startswith("REP"):
        assert "MF-0043" not in codes


async def test_find_takes_the_last_digits_of_a_phone(uow: UnitOfWork) -> None:
    async with uow:
        rep = await make_rep(uow, name="بهرام نوری", phone="+989123456789")
        await make_rep(uow, name="نماینده دیگر", phone="+989121116789")
        four = await representatives.find(uow, "۶۷۸۹")
        six = await representatives.find(uow, "456789")
    assert {h.representative.id for h in four if h.matched_on == "phone"} >= {rep.id}
    assert len([h for h in four if h.matched_on == "phone"]) == 2
    assert [h.representative.id for h in six if h.matched_on == "phone"] == [rep.id]


async def test_short_code_and_phone_tail_use_their_indexes(uow: UnitOfWork) -> None:
    async with uow:
        await uow.session.execute(text("SET LOCAL enable_seqscan = off"))
        plans = [
            "\n".join(await uow.session.scalars(text(f"EXPLAIN SELECT id FROM representative WHERE {expr}")))
            for expr in (f"{CODE_DIGITS} = '43'", f"{PHONE_TAIL} = '6789'")
        ]
    assert "ix_representative_code_digits" in plans[0]
    assert "ix_representative_phone_tail" in plans[1]
