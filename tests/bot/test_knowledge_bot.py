"""/ask, /fix, /draft and /faq end to end through the Bot API emulator, with the real hub (real
embedder, embedded Chroma) as workflow data, asserting on DB rows and the recorded API calls."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from ai.knowledge.hub import KnowledgeHub
from ai.llm import LLMGateway
from ai.text.persian import to_persian_digits
from bot.callbacks import Choice, Feedback, KnowledgeAction
from bot.texts.fa import FA
from chronos.emulators import EmulatedUser
from chronos.emulators.llm import LLMEmulator
from crm.db import UnitOfWork
from crm.enums import AgentRole, TicketCategory
from crm.models import AIFeedback, AISuggestion, Interaction, KnowledgeDocument
from crm.schemas.activity import TicketOpen
from crm.schemas.types import Actor
from crm.services import knowledge, tickets
from tests.ai.test_gateway_support import FAST_RETRIES, config_for
from tests.ai.test_knowledge_support import eval_hub, new_hub
from tests.bot.harness import BotHarness, alerts, sent_texts
from tests.factories import make_agent, make_rep

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def shared_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeHub:
    return eval_hub(tmp_path_factory)


def _published(harness: BotHarness, hub: KnowledgeHub) -> Iterator[KnowledgeHub]:
    """The hub as the dispatcher's workflow data ``knowledge`` for one test."""
    harness.dispatcher.workflow_data["knowledge"] = hub
    try:
        yield hub
    finally:
        harness.dispatcher.workflow_data.pop("knowledge", None)


@pytest.fixture
def kb(harness: BotHarness, shared_kb: KnowledgeHub) -> Iterator[KnowledgeHub]:
    yield from _published(harness, shared_kb)


@pytest.fixture
def own_kb(harness: BotHarness, tmp_path: Path) -> Iterator[KnowledgeHub]:
    yield from _published(harness, new_hub(tmp_path))


async def _agent(
    db: UnitOfWork, harness: BotHarness, role: AgentRole = AgentRole.AGENT
) -> tuple[EmulatedUser, int]:
    async with db:
        agent = await make_agent(db, role=role, name="سارا")
    return harness.emulator.user(agent.telegram_user_id, "Sara"), agent.id


async def _newest(db: UnitOfWork, kind: str) -> dict[str, Any]:
    async with db:
        row = await db.session.scalar(
            select(AISuggestion).where(AISuggestion.kind == kind).order_by(AISuggestion.id.desc()).limit(1)
        )
        assert row is not None
        return {
            "id": row.id,
            "engine": row.engine,
            "evidence": list(row.evidence),
            "content": dict(row.content),
        }


@pytest.mark.usefixtures("kb")
async def test_ask_answers_with_citations_sources_and_feedback(harness: BotHarness, db: UnitOfWork) -> None:
    user, agent_id = await _agent(db, harness)
    calls = await harness.text(user, "/ask کیف پولمو چطوری شارژ کنم")
    text = sent_texts(calls)[-1]
    assert "پاسخ" in text
    assert "[۱]" in text
    assert "📚 منابع:" in text
    assert "[۱] شارژ کیف پول نماینده" in text
    assert "آفلاین" in text
    row = await _newest(db, "kb_answer")
    assert row["engine"] == "offline"
    assert row["evidence"][0] == "billing/wallet-topup.md"
    assert row["content"]["answered"] is True
    answer = harness.last(user)
    assert Feedback(action="up", sid=row["id"]).pack() in [
        b["callback_data"] for r in answer.inline_keyboard for b in r
    ]
    thanks = alerts(await harness.press(user, answer, Feedback(action="up", sid=row["id"]).pack()))
    assert "ثبت شد" in thanks[0]
    async with db:
        vote = await db.session.scalar(select(AIFeedback).where(AIFeedback.suggestion_id == row["id"]))
        assert vote is not None
        assert (vote.rating, vote.agent_id) == (1, agent_id)
    # The vote shows on the button; pressing it again visibly changes nothing and edits nothing.
    labels = [b["text"] for r in harness.last(user).inline_keyboard for b in r]
    assert labels == ["✅ 👍", "👎"]
    again = await harness.press(user, harness.last(user), Feedback(action="up", sid=row["id"]).pack())
    assert [c.method for c in again] == ["answerCallbackQuery"]


@pytest.mark.usefixtures("kb")
async def test_ask_prompts_helps_and_admits_ignorance(harness: BotHarness, db: UnitOfWork) -> None:
    user, _ = await _agent(db, harness)
    assert "با کلمه بنویسید" in sent_texts(await harness.text(user, "/ask 😀😀👍"))[-1]
    assert "سؤالتان را بنویسید" in sent_texts(await harness.text(user, "/ask"))[-1]
    answered = sent_texts(await harness.text(user, "تتر قبول می‌کنید؟"))[-1]
    assert "روش‌های پرداخت مارفانت" in answered
    unknown = sent_texts(await harness.text(user, "/ask طرز تهیه قورمه سبزی"))[-1]
    assert "پاسخ مطمئنی" in unknown
    assert "منابع" not in unknown
    long = sent_texts(await harness.text(user, "/ask " + "سؤال " * 200))[-1]
    assert "خیلی طولانی" in long


@pytest.mark.usefixtures("kb")
async def test_fix_gives_a_numbered_path_from_the_documents(harness: BotHarness, db: UnitOfWork) -> None:
    user, _ = await _agent(db, harness)
    text = sent_texts(await harness.text(user, "/fix رو دیتای ایرانسل هیچی وصل نمیشه"))[-1]
    assert "مسیر عیب‌یابی" in text
    assert "۱. بپرسید مشکل روی دیتای ایرانسل است یا وای‌فای" in text
    assert "[۱] عیب‌یابی اتصال روی اینترنت ایرانسل" in text
    assert "تیکت ثبت کنید" in text
    row = await _newest(db, "troubleshoot")
    assert row["evidence"][0] == "troubleshooting/irancell.md"
    assert row["content"]["found"] is True


async def test_without_the_hub_the_bot_says_so(harness: BotHarness, db: UnitOfWork) -> None:
    harness.dispatcher.workflow_data.pop("knowledge", None)
    user, _ = await _agent(db, harness)
    assert "در دسترس نیست" in sent_texts(await harness.text(user, "/ask کیف پول"))[-1]
    assert "در دسترس نیست" in sent_texts(await harness.text(user, "/fix قطعی ایرانسل"))[-1]


def _button(message: Any, prefix: str) -> str:
    for row in message.inline_keyboard:
        for button in row:
            if str(button.get("callback_data", "")).startswith(prefix):
                return str(button["callback_data"])
    raise AssertionError(f"no {prefix} button in {message.inline_keyboard}")


@pytest.mark.usefixtures("kb")
async def test_draft_flow_revise_and_send_to_the_representative(harness: BotHarness, db: UnitOfWork) -> None:
    user, agent_id = await _agent(db, harness)
    async with db:
        rep = await make_rep(db, name="علی رضایی", telegram_user_id=7_430_001)
    rep_user = harness.emulator.user(7_430_001, "Ali")
    await harness.text(user, "/draft")
    await harness.press(user, harness.last(user), Choice(field="kb_kind", value="telegram").pack())
    assert "کدام نماینده" in harness.last(user).text
    await harness.text(user, rep.code)
    assert "هدف پیام" in harness.last(user).text
    await harness.text(user, "یادآوری پرداخت فاکتور مهر که پنج روز از سررسیدش گذشته")
    await harness.press(user, harness.last(user), Choice(field="kb_tone", value="friendly").pack())
    draft = harness.last(user)
    assert "پیش‌نویس" in draft.text
    assert "سلام علی رضایی عزیز" in draft.text
    assert "فاکتور مهر" in draft.text
    first = await _newest(db, "draft")
    await harness.press(user, draft, KnowledgeAction(action="shorter", id=first["id"]).pack())
    shorter = await _newest(db, "draft")
    assert shorter["id"] != first["id"]
    assert shorter["content"]["request"]["length"] == "short"
    draft = harness.last(user)
    await harness.press(user, draft, _button(draft, "kb:send:"))
    confirm = harness.last(user)
    assert "علی رضایی" in confirm.text
    await harness.press(user, confirm, KnowledgeAction(action="confirm", id=shorter["id"]).pack())
    assert "ارسال و در سابقهٔ تماس‌ها ثبت شد" in harness.last(user).text
    received = harness.emulator.messages_to(rep_user.id)
    assert len(received) == 1
    assert received[0].text == shorter["content"]["text"]
    async with db:
        logged = (await db.session.scalars(select(Interaction).where(Interaction.source == "kb_draft"))).all()
        assert [(i.representative_id, i.agent_id, i.channel, i.ai_suggestion_id) for i in logged] == [
            (rep.id, agent_id, "telegram", shorter["id"])
        ]
        # Our own words are never scored as the representative's emotion, now or by a backfill.
        assert (logged[0].crt_authored, logged[0].sentiment_label, logged[0].emotions) == (True, None, None)
    again = await harness.press(
        user, confirm, KnowledgeAction(action="confirm", id=shorter["id"]).pack(), check=False
    )
    assert "قبلاً ارسال شده" in "\n".join(sent_texts(again))
    assert len(harness.emulator.messages_to(rep_user.id)) == 1


@pytest.mark.usefixtures("kb")
async def test_draft_without_representative_has_no_send_button(harness: BotHarness, db: UnitOfWork) -> None:
    user, _ = await _agent(db, harness)
    await harness.text(user, "/draft")
    await harness.press(user, harness.last(user), Choice(field="kb_kind", value="email").pack())
    await harness.text(user, "نام‌ناموجود-هیچ‌کس")
    assert "پیدا نشد" in harness.last(user).text
    await harness.press(user, harness.last(user), Choice(field="kb_rep", value="-").pack())
    await harness.text(user, "عذرخواهی بابت قطعی دیشب روی همراه اول")
    await harness.press(user, harness.last(user), Choice(field="kb_tone", value="formal").pack())
    draft = harness.last(user)
    assert "موضوع: پیگیری مشکل اتصال" in draft.text
    assert not [
        b for row in draft.inline_keyboard for b in row if str(b.get("callback_data")).startswith("kb:send")
    ]


async def test_supervisor_approves_ticket_faq_in_the_bot(
    harness: BotHarness, db: UnitOfWork, own_kb: KnowledgeHub
) -> None:
    supervisor, _ = await _agent(db, harness, AgentRole.SUPERVISOR)
    agent, _ = await _agent(db, harness)
    async with db:
        rep = await make_rep(db)
        ticket = await tickets.open_ticket(
            db,
            TicketOpen(
                representative_id=rep.id,
                category=TicketCategory.PANEL,
                subject="پنل مرزبان خطای ۵۰۲ می‌دهد",
                description="از صبح پنل بالا نمی‌آید",
            ),
            Actor.cli(),
        )
        await tickets.resolve(
            db, ticket.id, "سرویس پنل ری‌استارت شد؛ پنج دقیقه بعد دوباره امتحان کنند.", Actor.cli()
        )
        await knowledge.ingest_tickets(db, own_kb)
    refused = sent_texts(await harness.text(agent, "/faq"))
    assert not any("پیشنهاد FAQ" in text for text in refused)
    listed = sent_texts(await harness.text(supervisor, "/faq"))
    assert "۱ پیشنهاد FAQ" in listed[0]
    card = harness.last(supervisor)
    assert "پنل مرزبان خطای 502" in card.text  # stored normalised (ASCII digits), as every ticket
    assert not own_kb.search("پنل ۵۰۲ ری استارت", k=5).hits
    approve = _button(card, "kb:faq_ok:")
    await harness.press(supervisor, card, approve)
    assert "تأیید شد" in harness.last(supervisor).text
    hits = own_kb.search("پنل ۵۰۲ ری استارت", k=5).hits
    assert hits[0].chunk.doc_id == f"faq/ticket-{ticket.id}"
    async with db:
        row = await db.session.scalar(
            select(KnowledgeDocument).where(KnowledgeDocument.doc_id == f"faq/ticket-{ticket.id}")
        )
        assert row is not None
        assert row.status == "active"
    stale = alerts(await harness.press(supervisor, card, approve, check=False))
    assert stale


@pytest.mark.usefixtures("kb")
async def test_draft_to_a_representative_who_blocked_the_bot_logs_nothing(
    harness: BotHarness, db: UnitOfWork
) -> None:
    user, _ = await _agent(db, harness)
    async with db:
        rep = await make_rep(db, name="مینا کاظمی", telegram_user_id=7_430_002)
    harness.emulator.user(7_430_002, "Mina")
    harness.emulator.block_chat(7_430_002)
    try:
        await harness.text(user, "/draft")
        await harness.press(user, harness.last(user), Choice(field="kb_kind", value="telegram").pack())
        await harness.text(user, rep.code)
        await harness.text(user, "پیگیری رضایت از سرویس")
        await harness.press(user, harness.last(user), Choice(field="kb_tone", value="warm").pack())
        draft = await _newest(db, "draft")
        await harness.press(user, harness.last(user), KnowledgeAction(action="send", id=draft["id"]).pack())
        await harness.press(
            user, harness.last(user), KnowledgeAction(action="confirm", id=draft["id"]).pack()
        )
        assert "نرسید" in harness.last(user).text
        async with db:
            logged = (
                await db.session.scalars(select(Interaction).where(Interaction.source == "kb_draft"))
            ).all()
            assert logged == []
    finally:
        harness.emulator.unblock_chat(7_430_002)


@pytest.fixture
async def model(harness: BotHarness) -> AsyncIterator[LLMEmulator]:
    """The dispatcher's gateway on a loopback model for one test, then back to the offline one."""
    offline = harness.dispatcher.workflow_data["gateway"]
    async with LLMEmulator() as emulator, httpx.AsyncClient() as client:
        harness.dispatcher.workflow_data["gateway"] = LLMGateway(
            config_for(emulator.base_url), client, retry=FAST_RETRIES
        )
        try:
            yield emulator
        finally:
            harness.dispatcher.workflow_data["gateway"] = offline


async def test_draft_buttons_answer_the_press_before_asking_the_model(
    harness: BotHarness, db: UnitOfWork, model: LLMEmulator
) -> None:
    """Tone and revise waited on the model before answering the callback, which real Telegram expires
    ("query is too old") when the model is slow."""
    user, _ = await _agent(db, harness)
    pressed: list[str] = []
    answered_when_asked: list[bool] = []

    def responder(request: dict[str, Any]) -> dict[str, str]:
        answered = {c.params["callback_query_id"] for c in harness.emulator.calls("answerCallbackQuery")}
        answered_when_asked.append(pressed[-1] in answered)
        return {"text": "سلام، پیگیری فاکتور مهر را انجام دادیم."}

    async def press(message: Any, data: str) -> None:
        update_id = harness.emulator.press_button(user, message, data)
        pressed.append(str(harness.emulator.update(update_id)["callback_query"]["id"]))
        await harness.deliver(update_id)

    model.responder = responder
    await harness.text(user, "/draft")
    await harness.press(user, harness.last(user), Choice(field="kb_kind", value="telegram").pack())
    await harness.press(user, harness.last(user), Choice(field="kb_rep", value="-").pack())
    await harness.text(user, "یادآوری فاکتور مهر")
    await press(harness.last(user), Choice(field="kb_tone", value="friendly").pack())
    draft = harness.last(user)
    first = await _newest(db, "draft")
    assert first["engine"] != "offline", (first, [r.body for r in model.requests])
    assert "پیگیری فاکتور مهر" in draft.text
    await press(draft, KnowledgeAction(action="shorter", id=first["id"]).pack())
    assert answered_when_asked == [True, True]


async def test_a_refusal_after_the_press_was_answered_arrives_as_a_message(
    harness: BotHarness, db: UnitOfWork
) -> None:
    user, _ = await _agent(db, harness)
    await harness.text(user, "/help")
    calls = await harness.press(
        user, harness.last(user), KnowledgeAction(action="shorter", id=987_654).pack(), check=False
    )
    answers = [c for c in calls if c.method == "answerCallbackQuery"]
    assert [c.ok for c in answers] == [True, False]  # the early answer, then the alert it cannot add
    assert FA["error.stale"] in sent_texts(calls)


async def test_a_draft_about_a_resolved_outage_says_so_and_tells_the_agent_why(
    harness: BotHarness, db: UnitOfWork
) -> None:
    """A draft promised follow-up on a ticket the CRM already had as resolved."""
    user, agent_id = await _agent(db, harness)
    async with db:
        rep = await make_rep(db, name="علی رضایی")
        ticket = await tickets.open_ticket(
            db,
            TicketOpen(
                representative_id=rep.id, category=TicketCategory.CONNECTIVITY, subject="قطعی ایرانسل"
            ),
            Actor.agent(agent_id),
        )
        await tickets.resolve(db, ticket.id, "کانفیگ جدید روی سرور آلمان", Actor.agent(agent_id))
    await harness.text(user, "/draft")
    await harness.press(user, harness.last(user), Choice(field="kb_kind", value="telegram").pack())
    await harness.text(user, rep.code)
    await harness.text(user, "عذرخواهی بابت قطعی دیشب روی ایرانسل")
    await harness.press(user, harness.last(user), Choice(field="kb_tone", value="warm").pack())
    draft = harness.last(user)
    number = to_persian_digits(str(ticket.id))
    assert f"تیکت #{number}) برطرف شده" in draft.text
    assert "به محض" not in draft.text
    assert FA["kb.draft.note.ticket_resolved"].format(id=number) in draft.text  # the agent sees why
    assert "قالب‌های پیش‌نویس" in draft.text  # labelled as the offline template engine
