"""Campaign drafting through the LLM gateway (against the loopback OpenAI-compatible emulator), with the
same guardrails as the offline templates, and knowledge-hub items suggested from a recent topic."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from ai.llm import LLMGateway
from ai.nudges.guardrails import OPT_OUT_LINE
from ai.nudges.knowledge import HubLookup
from bot.campaign_card import engines
from bot.texts import Texts
from chronos.emulators.llm import LLMEmulator, Reply
from crm.db import UnitOfWork
from crm.enums import TicketCategory
from crm.models import NudgeMessage
from crm.schemas.activity import TicketOpen
from crm.schemas.nudges import CampaignCreate, NudgePolicy
from crm.schemas.types import Actor
from crm.services import nudge_results, nudges, tickets
from crm.services.nudge_drafting import drafter_factory
from tests.ai.test_gateway_support import FAST_RETRIES, config_for
from tests.ai.test_knowledge_support import DOCS, ingest, new_hub
from tests.factories import make_rep

NOW = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
TEMPLATE = (
    "سلام {name} عزیز، خواستیم حالی از کارتان بپرسیم.[[ این راهنما شاید به کارتان بیاید: «{kb_title}».]]"
)
PUSHY = "پرفشار"
RENEWALS = "recent topic: پلن‌ها و تمدید"


@pytest.fixture
async def llm() -> AsyncIterator[tuple[LLMEmulator, LLMGateway]]:
    async with LLMEmulator() as emulator, httpx.AsyncClient() as client:
        yield emulator, LLMGateway(config_for(emulator.base_url), client, retry=FAST_RETRIES)


def _personal_reply(request: dict[str, object]) -> dict[str, str]:
    """A model that writes to the name it was given (a pseudonym); to the representative whose recent
    topic is renewals it writes pressure."""
    messages = request["messages"]
    assert isinstance(messages, list)
    prompt = str(messages[-1]["content"])
    found = re.search(r"name: ([^\n]+)", prompt)
    name = found.group(1).strip() if found else "?"
    if RENEWALS in prompt:
        return {"text": f"{name} عزیز، فقط امروز فرصت دارید تمدید کنید!"}
    return {"text": f"{name} عزیز، سلام از مارفانت؛ اگر کمکی لازم دارید همین‌جا بنویسید."}


async def _submit(
    uow: UnitOfWork, gateway: LLMGateway | None, lookup: Callable[[], HubLookup] | None = None
) -> int:
    campaign = await nudges.create(
        uow, CampaignCreate(name="پیگیری", purpose="احوال‌پرسی و پیشنهاد کمک", template=TEMPLATE), Actor.cli()
    )
    factory = drafter_factory(gateway, lookup)
    await nudges.submit(uow, campaign.id, Actor.cli(), policy=NudgePolicy(), drafter_factory=factory, now=NOW)
    return campaign.id


@dataclass(frozen=True)
class Drafted:
    body: str
    meta: dict[str, Any]


async def _ticket(uow: UnitOfWork, rep_id: int, category: TicketCategory, subject: str) -> None:
    await tickets.open_ticket(
        uow,
        TicketOpen(
            representative_id=rep_id, category=category, subject=subject, opened_at=NOW - dt.timedelta(days=1)
        ),
        Actor.cli(),
    )


async def _messages(uow: UnitOfWork, campaign_id: int) -> dict[int, Drafted]:
    rows = await uow.session.execute(
        select(NudgeMessage.representative_id, NudgeMessage.body, NudgeMessage.meta).where(
            NudgeMessage.campaign_id == campaign_id
        )
    )
    return {row.representative_id: Drafted(row.body, row.meta or {}) for row in rows}


async def test_llm_drafts_each_message_and_a_pushy_draft_falls_back_to_the_template(
    uow: UnitOfWork, llm: tuple[LLMEmulator, LLMGateway]
) -> None:
    emulator, gateway = llm
    emulator.responder = _personal_reply
    async with uow:
        calm = await make_rep(uow, name="سارا احمدی", telegram_user_id=6_300_001)
        pushy = await make_rep(uow, name=f"رضا {PUSHY}", telegram_user_id=6_300_002)
        # Sara's latest ticket subject names a feeling; Reza's a plan renewal.
        await _ticket(uow, calm.id, TicketCategory.CONNECTIVITY, "از قطعی دیروز خیلی ناراحت و عصبانی بود")
        await _ticket(uow, pushy.id, TicketCategory.SALES, "تمدید پنل مرزبان")
        campaign_id = await _submit(uow, gateway)
        rows = await _messages(uow, campaign_id)
        campaign = await nudges.get(uow, campaign_id)
        card = await nudge_results.card(uow, campaign_id, NudgePolicy())

    written = rows[calm.id]
    assert written.body.startswith("سارا احمدی عزیز، سلام از مارفانت")
    assert written.body.endswith(OPT_OUT_LINE)  # appended to the model's text, exactly once
    assert written.body.count(OPT_OUT_LINE) == 1
    assert written.meta["engine"] != "offline"
    assert written.meta["prompt_id"] == "nudge_draft"
    assert written.meta["fallback_reason"] is None

    refused = rows[pushy.id]
    assert "فقط امروز" not in refused.body
    assert refused.body.startswith(f"سلام رضا {PUSHY} عزیز")  # the supervisor's template instead
    assert refused.meta["engine"] == "offline"
    assert refused.meta["fallback_reason"] == "invalid_output"  # the guardrail refused the model text
    assert campaign.engine == "emu-model ×1, offline ×1"
    # The card tells the supervisor, in their language («offline» was English in the Persian card).
    assert engines(card, Texts("fa")) == "emu-model ×۱، آفلاین ×۱"
    assert engines(card, Texts("en")) == "emu-model ×1, offline ×1"
    # The model saw a pseudonym for the name, the purpose and a plain topic; never a feeling, a score or
    # a profile.
    prompts = {
        name: str(request.messages[-1]["content"])
        for request in emulator.requests
        for name, topic in (("سارا احمدی", "اتصال کاربران"), (f"رضا {PUSHY}", "پلن‌ها و تمدید"))
        if f"recent topic: {topic}" in str(request.messages[-1]["content"])
    }
    assert len(prompts) == 2
    assert "احوال‌پرسی" in prompts["سارا احمدی"]
    # Topics come from the reviewed vocabulary, never from the ticket's own words.
    assert "تمدید پنل مرزبان" not in prompts[f"رضا {PUSHY}"]
    assert "ناراحت" not in prompts["سارا احمدی"]
    for prompt in prompts.values():
        assert "name: [REP_NAME_1]" in prompt
        assert not re.search("سارا|احمدی|رضا|" + PUSHY, prompt)
        assert "ناراحت" not in prompt
        assert "عصبانی" not in prompt
        assert not re.search(r"sentiment|emotion|archetype|negative|angry", prompt)


async def test_llm_outage_drafts_every_message_offline_and_says_why(
    uow: UnitOfWork, llm: tuple[LLMEmulator, LLMGateway]
) -> None:
    emulator, gateway = llm
    emulator.script(*[Reply.server_error(503)] * 20)
    async with uow:
        reps = [await make_rep(uow, telegram_user_id=6_300_100 + n) for n in range(3)]
        campaign_id = await _submit(uow, gateway)
        rows = await _messages(uow, campaign_id)
    assert set(rows) == {rep.id for rep in reps}
    assert {row.meta["engine"] for row in rows.values()} == {"offline"}
    assert all(row.meta["fallback_reason"] for row in rows.values())
    assert all(row.body.startswith("سلام ") and row.body.endswith(OPT_OUT_LINE) for row in rows.values())


async def test_a_recent_topic_brings_a_matching_knowledge_item(uow: UnitOfWork, tmp_path: Path) -> None:
    hub = new_hub(tmp_path, dense=False)
    ingest(hub, [DOCS / "billing"])
    try:
        async with uow:
            topical = await make_rep(uow, name="مینا کاظمی", telegram_user_id=6_300_201)
            quiet = await make_rep(uow, name="حسن نوری", telegram_user_id=6_300_202)
            await _ticket(uow, topical.id, TicketCategory.BILLING, "شارژ کیف پول با کارت به کارت")
            campaign_id = await _submit(uow, None, functools.partial(HubLookup, hub))
            rows = await _messages(uow, campaign_id)
    finally:
        hub.close()
    with_item = rows[topical.id]
    assert with_item.meta["knowledge_id"] is not None
    assert with_item.meta["knowledge_id"] in {"payment-methods.txt", "wallet-topup.md"}  # a billing guide
    assert "این راهنما شاید به کارتان بیاید: «" in with_item.body  # its title, in the template's block
    assert with_item.meta["topic_key"] == "billing"
    assert "کارت به کارت" not in with_item.body  # the ticket's own words never reach the message
    assert rows[quiet.id].meta["knowledge_id"] is None
    assert "راهنما" not in rows[quiet.id].body  # the block is dropped without an item
