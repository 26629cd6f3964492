"""Call prep end to end through the Bot API emulator: /prep, the card button, evidence commands,
👍/👎 with the reason and comment flow, «How did it go?», bad input, the LLM path with invented ids,
and an agent who reads English getting the whole briefing in English."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from ai.llm import LLMGateway
from ai.text.calendar import format_date
from bot.callbacks import CallPrep, Choice, Feedback, RepAction
from chronos.emulators import EmulatedUser
from chronos.emulators.llm import LLMEmulator
from crm.db import UnitOfWork
from crm.enums import Channel, Direction, Outcome, TicketCategory, TicketPriority
from crm.models import AIFeedback, AISuggestion, Interaction, Representative, ServiceTier
from crm.schemas.activity import InteractionCreate, TicketOpen
from crm.schemas.finance import PaymentCreate, UsageCreate
from crm.schemas.people import RepresentativeDTO
from crm.schemas.types import Actor
from crm.services import finance, interactions, tickets
from tests.ai.test_gateway_support import FAST_RETRIES, config_for
from tests.bot.harness import BotHarness, alerts, sent_texts
from tests.factories import make_agent, make_rep, make_tier

EVIDENCE = re.compile(r"/([itpvu]_\d+)")
PERSIAN = re.compile(r"[\u0600-\u06ff]")
QUOTED = re.compile(r"«[^»]*»")
DAY = dt.timedelta(days=1)


async def _world(db: UnitOfWork) -> tuple[int, EmulatedUser | None, RepresentativeDTO, dict[str, int]]:
    now = dt.datetime.now(dt.UTC)
    ids: dict[str, int] = {}
    async with db:
        agent = await make_agent(db, name="سارا")
        tier = await make_tier(db, user_limit=60)
        rep = await make_rep(db, name="کامران یزدانی", tier_code=tier.code, assigned_agent_id=agent.id)
        for n, (days, body, outcome) in enumerate(
            [
                (30, "خیلی ممنون، مشکل کاربرها حل شد", Outcome.RESOLVED),
                (6, "از دیشب کاربرهام روی ایرانسل وصل نمی‌شن، خیلی بده", Outcome.COMPLAINT),
                (2, "هنوز مشکل دارن، اگه درست نشه میرم سراغ یه پنل دیگه", Outcome.COMPLAINT),
            ]
        ):
            item, _ = await interactions.log(
                db,
                InteractionCreate(
                    representative_id=rep.id,
                    agent_id=agent.id,
                    channel=Channel.TELEGRAM,
                    direction=Direction.INBOUND,
                    occurred_at=now - days * DAY,
                    body=body,
                    outcome=outcome,
                    source="test",
                    idempotency_key=f"prep-bot-{rep.id}-{n}",
                ),
                Actor.cli(),
            )
            ids[f"i{n}"] = item.id
        ticket = await tickets.open_ticket(
            db,
            TicketOpen(
                representative_id=rep.id,
                category=TicketCategory.CONNECTIVITY,
                priority=TicketPriority.HIGH,
                subject="قطعی کانفیگ‌ها روی ایرانسل",
                opened_at=now - 5 * DAY,
            ),
            Actor.cli(),
        )
        ids["ticket"] = ticket.id
        payment = await finance.record_payment(
            db,
            PaymentCreate(
                reference=f"PB-{rep.id}",
                representative_id=rep.id,
                amount_toman=Decimal(1_500_000),
                paid_at=now - 10 * DAY,
            ),
            Actor.cli(),
        )
        ids["payment"] = payment.id
        for week, active in enumerate([40, 45, 50, 55]):
            await finance.record_usage(
                db,
                UsageCreate(
                    representative_id=rep.id,
                    taken_at=now - (21 - 7 * week) * DAY,
                    active_users=active,
                    total_users=active + 2,
                    traffic_bytes=active * 10**9,
                ),
                Actor.cli(),
            )
    return agent.telegram_user_id, None, rep, ids


async def _agent(
    harness: BotHarness, db: UnitOfWork
) -> tuple[EmulatedUser, RepresentativeDTO, dict[str, int]]:
    telegram_id, _, rep, ids = await _world(db)
    return harness.emulator.user(telegram_id, "Sara"), rep, ids


async def _briefing_of(db: UnitOfWork) -> dict[str, Any]:
    """The newest stored briefing's columns (plain values: the session is gone afterwards)."""
    async with db:
        row = await db.session.scalar(select(AISuggestion).order_by(AISuggestion.id.desc()).limit(1))
        assert row is not None
        return {c: getattr(row, c) for c in ("id", "kind", "representative_id", "engine", "fallback_reason")}


async def test_prep_command_shows_a_grounded_briefing_with_buttons(
    harness: BotHarness, db: UnitOfWork
) -> None:
    user, rep, ids = await _agent(harness, db)
    calls = await harness.text(user, f"/prep {rep.code}")
    assert any(c.method == "sendChatAction" for c in calls)
    text = "\n".join(sent_texts(calls))
    assert "آمادگی تماس با کامران یزدانی" in text
    for title in ("در یک نگاه", "نکات گفتگو", "جمله‌های همدلانه", "ریسک‌ها", "بهترین زمان تماس"):
        assert title in text
    cited = set(EVIDENCE.findall(text))
    assert {f"i_{ids['i2']}", f"t_{ids['ticket']}", f"p_{ids['payment']}"} <= cited
    row = await _briefing_of(db)
    assert (row["kind"], row["representative_id"], row["engine"]) == ("call_prep", rep.id, "offline")
    last = harness.last(user)
    assert Feedback(action="up", sid=row["id"]).pack() in last.callback_data
    assert CallPrep(action="done", sid=row["id"]).pack() in last.callback_data


async def test_an_agent_who_switched_to_english_gets_an_english_briefing(
    harness: BotHarness, db: UnitOfWork
) -> None:
    user, rep, ids = await _agent(harness, db)
    assert sent_texts(await harness.text(user, "/lang")) == ["Language set to English."]
    text = "\n".join(sent_texts(await harness.text(user, f"/prep {rep.code}")))
    for title in (
        "At a glance",
        "Summary",
        "Talking points",
        "Empathy phrases",
        "Risks",
        "Best time to call",
    ):
        assert title in text
    async with db:
        leaving = await db.session.get(Interaction, ids["i2"])
        assert leaving is not None
        said_on = format_date(leaving.occurred_at, "en")
        tier = await db.session.scalar(
            select(ServiceTier.name).join(Representative).where(Representative.id == rep.id)
        )
    assert f"Last contact: {said_on} (2 days ago), Telegram message" in text
    assert f"On {said_on} (2 days ago) they talked about leaving us" in text
    assert "«هنوز مشکل دارن، اگه درست نشه میرم سراغ یه پنل دیگه»" in text  # their words, as written
    assert f"/i_{ids['i2']}" in text
    names = (rep.full_name, "سارا", rep.city or "\0", tier or "\0")
    for line in text.splitlines():
        rest = QUOTED.sub("", re.sub(r"<[^>]+>", "", line))
        for name in names:
            rest = rest.replace(name, "")
        assert not PERSIAN.search(rest), line
    english_row = await _briefing_of(db)
    # Back in Persian, the agent gets the Persian briefing, not the stored English one.
    await harness.text(user, "/lang")
    persian = "\n".join(sent_texts(await harness.text(user, f"/prep {rep.code}")))
    assert "آمادگی تماس با کامران یزدانی" in persian
    assert "Last contact" not in persian
    assert "از رفتن یا سرویس دیگر حرف زد" in persian
    persian_row = await _briefing_of(db)
    assert persian_row["id"] != english_row["id"]
    async with db:
        locales = (
            await db.session.scalars(select(AISuggestion.content["locale"].astext).order_by(AISuggestion.id))
        ).all()
    assert locales == ["en", "fa"]


async def test_card_button_and_cached_second_view(harness: BotHarness, db: UnitOfWork) -> None:
    user, rep, _ = await _agent(harness, db)
    await harness.text(user, f"/find {rep.code}")
    card = harness.last(user)
    first = sent_texts(await harness.press(user, card, RepAction(action="prep", rep_id=rep.id).pack()))
    assert "آمادگی تماس" in "\n".join(first)
    second = sent_texts(await harness.press(user, card, RepAction(action="prep", rep_id=rep.id).pack()))
    assert "تغییری نکرده" in "\n".join(second)
    async with db:
        stored = await db.session.scalar(select(func.count()).select_from(AISuggestion))
    assert stored == 1


async def test_evidence_commands_open_records_for_agents_only(harness: BotHarness, db: UnitOfWork) -> None:
    user, rep, ids = await _agent(harness, db)
    opened = sent_texts(await harness.text(user, f"/i_{ids['i2']}"))
    assert "پنل دیگه" in opened[0]
    assert rep.code in opened[0]
    assert "قطعی کانفیگ‌ها روی ایرانسل" in sent_texts(await harness.text(user, f"/t_{ids['ticket']}"))[0]
    assert "۱٬۵۰۰٬۰۰۰" in sent_texts(await harness.text(user, f"/p_{ids['payment']}"))[0]
    gone = sent_texts(await harness.text(user, "/t_999999999"))
    assert "معتبر نیست" in gone[0]
    async with db:
        await make_rep(db, name="نمایندهٔ کنجکاو", telegram_user_id=7_420_001)
    outsider = harness.emulator.user(7_420_001, "Rep")
    refused = sent_texts(await harness.text(outsider, f"/i_{ids['i2']}"))
    assert "پنل دیگه" not in refused[0]


async def test_thumbs_down_reason_and_comment_then_revote(harness: BotHarness, db: UnitOfWork) -> None:
    user, rep, _ = await _agent(harness, db)
    await harness.text(user, f"/prep {rep.code}")
    briefing = harness.last(user)
    sid = (await _briefing_of(db))["id"]
    await harness.press(user, briefing, Feedback(action="down", sid=sid).pack())
    prompt = harness.last(user)
    assert "چه چیزی درست نبود" in prompt.text
    await harness.press(user, prompt, Choice(field="fb_reason", value="wrong_tone").pack())
    assert "توضیحی" in harness.last(user).text
    saved = sent_texts(await harness.text(user, "برای این نماینده زیادی رسمی بود"))
    assert "ثبت شد" in saved[-1]
    async with db:
        vote = await db.session.scalar(select(AIFeedback).where(AIFeedback.suggestion_id == sid))
        assert vote is not None
        assert (vote.rating, vote.reason, vote.comment) == (
            -1,
            "wrong_tone",
            "برای این نماینده زیادی رسمی بود",
        )
    thanks = alerts(await harness.press(user, briefing, Feedback(action="up", sid=sid).pack()))
    assert "ثبت شد" in thanks[0]
    async with db:
        votes = (await db.session.scalars(select(AIFeedback).where(AIFeedback.suggestion_id == sid))).all()
        assert [(v.rating, v.reason, v.comment) for v in votes] == [(1, None, None)]


async def test_how_did_it_go_logs_the_call_against_the_briefing(harness: BotHarness, db: UnitOfWork) -> None:
    user, rep, _ = await _agent(harness, db)
    await harness.text(user, f"/prep {rep.code}")
    sid = (await _briefing_of(db))["id"]
    await harness.press(user, harness.last(user), CallPrep(action="done", sid=sid).pack())
    prompt = harness.last(user)
    assert "چطور پیش رفت" in prompt.text
    await harness.press(user, prompt, Choice(field="prep_outcome", value="resolved").pack())
    done = sent_texts(
        await harness.press(user, harness.last(user), Choice(field="prep_note", value="-").pack())
    )
    assert "ثبت شد" in done[-1]
    async with db:
        logged = await db.session.scalar(select(Interaction).where(Interaction.ai_suggestion_id == sid))
        assert logged is not None
        assert (logged.representative_id, logged.channel, logged.outcome) == (rep.id, "call", "resolved")


async def test_unknown_and_ambiguous_representatives(harness: BotHarness, db: UnitOfWork) -> None:
    user, _, _ = await _agent(harness, db)
    async with db:
        first = await make_rep(db, name="مهدی کرمانی", code="AMB-01")
        await make_rep(db, name="مهدی کرمانی‌نژاد", code="AMB-02")
    assert "/prep REP" in sent_texts(await harness.text(user, "/prep"))[0].replace("<code>", "").replace(
        "</code>", ""
    )
    assert "پیدا نشد" in sent_texts(await harness.text(user, "/prep ناشناخته‌ای‌که‌نیست"))[0]
    choices = sent_texts(await harness.text(user, "/prep AMB"))
    assert "کدام" in choices[0]
    listing = harness.last(user)
    chosen = sent_texts(await harness.press(user, listing, CallPrep(action="rep", rep_id=first.id).pack()))
    assert "AMB-01" in "\n".join(chosen)
    assert "onboarding" not in "\n".join(chosen)
    assert "نمایندهٔ تازه" in "\n".join(chosen)


@pytest.fixture
async def llm_gateway(harness: BotHarness) -> AsyncIterator[LLMEmulator]:
    """Turn the running dispatcher's gateway into an LLM-enabled one on the loopback emulator.

    Polling hands handlers a copy of the workflow data taken when polling started, so replacing
    ``dispatcher["gateway"]`` would not reach them; the same gateway object is re-initialised in place
    instead, and put back as it was afterwards.
    """
    gateway: LLMGateway = harness.dispatcher["gateway"]
    saved = dict(vars(gateway))
    async with LLMEmulator() as emulator, httpx.AsyncClient() as client:
        LLMGateway.__init__(gateway, config_for(emulator.base_url), client, retry=FAST_RETRIES)
        try:
            yield emulator
        finally:
            vars(gateway).clear()
            vars(gateway).update(saved)


def _invented(request: dict[str, Any]) -> dict[str, Any]:
    item = {"text": "مطلبی بی‌پایه", "evidence_ids": ["i_987654321", "t_123456789"]}
    point = {**item, "purpose": "هیچ"}
    return {"summary": [item], "talking_points": [point, point, point], "questions": [item]}


async def test_llm_citing_invented_records_falls_back_and_says_so(
    harness: BotHarness, db: UnitOfWork, llm_gateway: LLMEmulator
) -> None:
    emulator = llm_gateway
    emulator.responder = _invented
    user, rep, _ = await _agent(harness, db)
    text = "\n".join(sent_texts(await harness.text(user, f"/prep {rep.code}")))
    assert emulator.requests, "the LLM was asked"
    asked = emulator.requests[0].body["messages"][-1]["content"]
    assert re.search(r"<<<DATA id=language nonce=\w+>>>\nfa \(Persian\)\n", asked)  # the agent's language
    assert "به سندهایی استناد کرد که وجود ندارند" in text
    assert "i_987654321" not in text
    assert "موتور: آفلاین" in text
    row = await _briefing_of(db)
    assert (row["engine"], row["fallback_reason"]) == ("offline", "hallucinated_evidence")


async def test_an_english_agent_asks_the_llm_for_english_and_a_persian_answer_is_not_shown(
    harness: BotHarness, db: UnitOfWork, llm_gateway: LLMEmulator
) -> None:
    emulator = llm_gateway
    emulator.responder = _invented  # well-formed, but Persian
    user, rep, _ = await _agent(harness, db)
    await harness.text(user, "/lang")
    text = "\n".join(sent_texts(await harness.text(user, f"/prep {rep.code}")))
    asked = emulator.requests[0].body["messages"][-1]["content"]
    assert re.search(r"<<<DATA id=language nonce=\w+>>>\nen \(English\)\n", asked)
    assert "it wrote in another language than yours" in text
    assert "Engine: offline" in text
    assert "مطلبی بی‌پایه" not in text
    assert "Last contact: " in text
    row = await _briefing_of(db)
    assert (row["engine"], row["fallback_reason"]) == ("offline", "wrong_language")
