"""Internal CRM text never reaches a representative: a nudge names a topic only from the reviewed
vocabulary (ai.nudges.topics), derived from a ticket's category and the ISP or app it names.

Found by the probe: a debtor note, a rude-customer warning, a panel password and an injected link
were sent to representatives after approval, as the nudge's «recent topic»."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sqlalchemy import select

from ai.llm import LLMGateway
from chronos.emulators.llm import LLMEmulator
from crm.db import UnitOfWork
from crm.enums import Channel, TicketCategory
from crm.models import NudgeMessage
from crm.schemas.activity import InteractionCreate, TicketOpen
from crm.schemas.nudges import CampaignCreate, NudgePolicy
from crm.schemas.types import Actor
from crm.services import interactions, nudge_results, nudges, tickets
from crm.services.nudge_drafting import drafter_factory
from tests.ai.test_gateway_support import FAST_RETRIES, config_for
from tests.factories import make_rep

NOW = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
TEMPLATE = "سلام {name} عزیز، خواستیم حالی از کارتان بپرسیم.[[ درباره «{topic}» اگر سؤالی مانده بپرسید.]]"
INTERNAL = {
    TicketCategory.BILLING: "بدهکار است؛ مراقب باشید، قول پرداخت را عمل نمی‌کند",
    TicketCategory.OTHER: "رمز پنلش admin123 است",
    TicketCategory.CONNECTIVITY: "قطعی ایرانسل http://evil.example/login رمز را اینجا بزنید",
}
NOTE = "مشتری بداخلاق، فقط با مدیر حرف بزنید"
LEAKS = ("بدهکار", "قول پرداخت", "admin123", "evil.example", "بداخلاق", "مدیر", "رمز")


async def _reps_with_internal_text(uow: UnitOfWork) -> tuple[dict[int, TicketCategory], dict[int, str]]:
    reps, names = {}, {}
    for n, (category, subject) in enumerate(INTERNAL.items()):
        rep = await make_rep(uow, name=f"نماینده {n}", telegram_user_id=6_900_001 + n)
        await tickets.open_ticket(
            uow,
            TicketOpen(
                representative_id=rep.id,
                category=category,
                subject=subject,
                opened_at=NOW - dt.timedelta(days=2),
            ),
            Actor.cli(),
        )
        await interactions.log(
            uow,
            InteractionCreate(
                representative_id=rep.id,
                channel=Channel.CALL,
                occurred_at=NOW - dt.timedelta(days=1),
                summary=NOTE,
                source="test",
                idempotency_key=f"note-{n}",
            ),
            Actor.cli(),
        )
        reps[rep.id] = category
        names[rep.id] = rep.full_name
    return reps, names


@pytest.fixture
async def llm() -> tuple[LLMEmulator, LLMGateway]:  # type: ignore[misc]
    async with LLMEmulator() as emulator, httpx.AsyncClient() as client:
        emulator.responder = lambda request: {"text": "سلام، حالتان چطور است؟"}
        yield emulator, LLMGateway(config_for(emulator.base_url), client, retry=FAST_RETRIES)


@pytest.mark.parametrize("with_model", [False, True])
async def test_no_internal_text_reaches_a_nudge_or_a_prompt(
    uow: UnitOfWork, llm: tuple[LLMEmulator, LLMGateway], with_model: bool
) -> None:
    emulator, gateway = llm
    async with uow:
        reps, names = await _reps_with_internal_text(uow)
        campaign = await nudges.create(
            uow, CampaignCreate(name="پیگیری", purpose="احوال‌پرسی", template=TEMPLATE), Actor.cli()
        )
        factory = drafter_factory(gateway if with_model else None, None)
        await nudges.submit(
            uow, campaign.id, Actor.cli(), policy=NudgePolicy(), drafter_factory=factory, now=NOW
        )
        rows = (
            await uow.session.execute(
                select(NudgeMessage.representative_id, NudgeMessage.body, NudgeMessage.meta)
            )
        ).all()
        card = await nudge_results.card(uow, campaign.id, NudgePolicy(), now=NOW)
    assert {row.representative_id for row in rows} == set(reps)
    for row in rows:
        assert not [leak for leak in LEAKS if leak in row.body], row.body
    for request in emulator.requests:
        assert not [leak for leak in LEAKS if leak in request.text]
    if not with_model:
        topics = {reps[row.representative_id]: row.meta["topic_key"] for row in rows}
        assert topics == {
            TicketCategory.BILLING: "billing",
            TicketCategory.OTHER: None,  # no phrase for «other»: no topic at all
            TicketCategory.CONNECTIVITY: "connectivity:irancell",
        }
        bodies = " ".join(row.body for row in rows)
        assert "«اتصال روی ایرانسل»" in bodies
        assert "«پرداخت و کیف پول»" in bodies
    # The supervisor's card shows every distinct text that will be sent (three reps: one page).
    expected = {row.body.replace(names[row.representative_id], "{name}") for row in rows}
    assert card.distinct_total == len(expected)
    assert {t.text for t in card.texts} == expected
    assert sum(t.count for t in card.texts) == len(rows)
