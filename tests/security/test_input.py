"""Issue 14, NUL bytes: dropped at the DTO boundary and by normalisation, so text that carries one is
stored (PostgreSQL refuses NUL in text and JSONB columns) instead of failing the step and losing it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ai.text.persian import fold, normalize
from crm.db import UnitOfWork
from crm.enums import Channel, Direction, TicketCategory
from crm.models import AuditLog, Interaction, Representative, TicketEvent
from crm.schemas.activity import InteractionCreate, TicketOpen
from crm.schemas.nudges import AudienceRules
from crm.schemas.people import RepresentativeCreate
from crm.schemas.types import Actor
from crm.services import interactions, representatives, tickets
from tests.factories import make_rep

NOW = dt.datetime(2026, 12, 8, 9, 0, tzinfo=dt.UTC)


def _message(body: str, key: str = "42:7") -> InteractionCreate:
    return InteractionCreate(
        representative_id=1,
        channel=Channel.TELEGRAM,
        direction=Direction.INBOUND,
        occurred_at=NOW,
        body=body,
        source="telegram",
        idempotency_key=key,
    )


def test_normalize_and_fold_drop_nul_bytes() -> None:
    assert normalize("سلام\x00 دنیا\x00") == "سلام دنیا"
    assert fold("\x00محمد\x00حسین") == "محمدحسین"


def test_every_kind_of_dto_field_loses_its_nul_bytes() -> None:
    message = _message("پنل\x00 کند است", key="42:\x007")
    assert (message.body, message.idempotency_key) == ("پنل کند است", "42:7")

    rep = RepresentativeCreate(code="rep-\x001001", full_name="نماینده\x00 اول", phone="0912\x001234567")
    assert (rep.code, rep.full_name, rep.phone) == ("REP-1001", "نماینده اول", "+989121234567")

    rules = AudienceRules(tier_codes=["GOLD\x00"], provinces=["تهران\x00"])
    assert (rules.tier_codes, rules.provinces) == (["GOLD"], ["تهران"])


async def test_a_representatives_message_with_a_nul_byte_is_stored(uow: UnitOfWork) -> None:
    async with uow:
        rep = await make_rep(uow)
        data = _message("سلام\x00، سرعت پایین است").model_copy(update={"representative_id": rep.id})

        logged, created = await interactions.log(uow, data, Actor.system())

        assert created
        stored = await uow.session.scalar(select(Interaction.body).where(Interaction.id == logged.id))
        assert stored == "سلام، سرعت پایین است"


async def test_a_ticket_and_its_comment_with_nul_bytes_are_stored(uow: UnitOfWork) -> None:
    async with uow:
        rep = await make_rep(uow)
        ticket = await tickets.open_ticket(
            uow,
            TicketOpen(
                representative_id=rep.id,
                category=TicketCategory.CONNECTIVITY,
                subject="قطعی\x00 سرور",
                description="از دیشب\x00",
            ),
            Actor.system(),
        )
        event = await tickets.comment(uow, ticket.id, "پیگیری\x00 شد", Actor.system())

        assert (ticket.subject, ticket.description) == ("قطعی سرور", "از دیشب")
        body = await uow.session.scalar(select(TicketEvent.body).where(TicketEvent.id == event.id))
        assert body == "پیگیری شد"


async def test_a_representative_created_with_nul_bytes_is_stored_and_audited(uow: UnitOfWork) -> None:
    async with uow:
        created = await representatives.create(
            uow,
            RepresentativeCreate(code="REP-7001", full_name="علی\x00 رضایی", city="\x00شیراز"),
            Actor.cli(),
        )

        row = await uow.session.get(Representative, created.id)
        assert row is not None
        assert (row.full_name, row.city) == ("علی رضایی", "شیراز")
        audit = await uow.session.scalar(select(AuditLog).where(AuditLog.action == "representative.create"))
        assert audit is not None
        assert audit.after is not None
        assert audit.after["full_name"] == "علی رضایی"
