"""Drafts agree with the CRM and the knowledge hub: a resolved ticket is not promised a follow-up, a
paid-up representative is not asked to pay, a setup question gets the guide's own steps, and a
shorter draft still ends on full sentences."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from ai.knowledge.draft_facts import DraftFacts, InvoiceFact, TicketFact
from ai.knowledge.drafting import DraftRequest, compose, draft_offline, revise
from ai.knowledge.hub import KnowledgeHub
from tests.ai.test_knowledge_support import eval_hub

NOW = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)
RESOLVED = TicketFact(
    id=812, category="connectivity", subject="قطعی ایرانسل", status="resolved", resolved_at=NOW
)
OPEN = TicketFact(id=813, category="connectivity", subject="قطعی ایرانسل", status="in_progress")
INVOICE = InvoiceFact(
    number="INV-1405-0042", amount_toman=1_500_000, due_at=NOW - dt.timedelta(days=5), overdue=True
)
FOLLOW_UP_PROMISES = ("به محض رفع", "به محض حل", "در دست بررسی", "دارند رویش کار", "پیگیر موضوع")


def _request(goal: str, facts: DraftFacts, **overrides: Any) -> DraftRequest:
    values: dict[str, Any] = {
        "kind": "telegram",
        "tone": "friendly",
        "goal": goal,
        "rep_name": "علی رضایی",
        "agent_name": "سارا",
        "facts": facts,
    }
    return DraftRequest(**(values | overrides))


@pytest.mark.parametrize("tone", ["friendly", "formal", "warm"])
def test_a_resolved_ticket_is_reported_resolved_not_promised_a_follow_up(tone: str) -> None:
    goal = "عذرخواهی بابت قطعی دیشب روی ایرانسل"
    resolved = draft_offline(_request(goal, DraftFacts(known=True, recently_resolved=[RESOLVED]), tone=tone))
    assert "۸۱۲" in resolved.text
    assert "برطرف شده" in resolved.text
    assert not [p for p in FOLLOW_UP_PROMISES if p in resolved.text]
    assert resolved.crm_notes == ["ticket_resolved"]
    still_open = draft_offline(_request(goal, DraftFacts(known=True, open_tickets=[OPEN]), tone=tone))
    assert "۸۱۳" in still_open.text
    assert still_open.crm_notes == ["ticket_open"]
    unknown = draft_offline(_request(goal, DraftFacts(), tone=tone))  # no rep: nothing to check
    assert unknown.crm_notes == []


def test_payment_drafts_follow_the_invoices() -> None:
    goal = "یادآوری پرداخت فاکتور مهر"
    due = draft_offline(_request(goal, DraftFacts(known=True, unpaid_invoices=[INVOICE])))
    assert "INV-1405-0042" in due.text
    assert "۱٬۵۰۰٬۰۰۰ تومان" in due.text
    assert due.crm_notes == ["invoice_due"]
    settled = draft_offline(_request(goal, DraftFacts(known=True)))
    assert "پرداخت نشده" not in settled.text
    assert "تسویه نشده" not in settled.text
    assert "پرداخت شده" in settled.text
    assert settled.crm_notes == ["no_unpaid_invoice"]


_BAD_ENDING = re.compile(r"[،,؛;:]\s*$")


@pytest.mark.parametrize("kind", ["telegram", "support_reply", "email"])
@pytest.mark.parametrize("tone", ["friendly", "formal", "warm"])
@pytest.mark.parametrize(
    "goal",
    ["یادآوری پرداخت فاکتور مهر", "قطعی دیشب روی همراه اول", "پیشنهاد ارتقا به پلن حرفه‌ای", "راهنمای نصب"],
)
async def test_a_shorter_draft_ends_every_paragraph_on_a_full_sentence(
    kind: str, tone: str, goal: str
) -> None:
    """«کوتاه‌تر» cut «فاکتور این دوره هنوز پرداخت نشده؛» at its semicolon."""
    shorter = (
        await revise(draft_offline(_request(goal, DraftFacts(), kind=kind, tone=tone)), "shorter")
    ).value
    paragraphs = [p for p in shorter.text.split("\n\n") if not p.startswith("موضوع:")]
    body = paragraphs[1]  # after the greeting: the goal and the intent's first sentence
    assert not _BAD_ENDING.search(body), body


@pytest.fixture(scope="session")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeHub:
    return eval_hub(tmp_path_factory)


@pytest.mark.slow
async def test_a_support_reply_about_setup_gives_the_guides_own_steps(kb: KnowledgeHub) -> None:
    """A support-reply draft ignored the existing Hiddify guide."""
    goal = "کاربر نمی‌داند Hiddify را روی اندروید چطور نصب و پروفایل را اضافه کند"
    result = await compose(_request(goal, DraftFacts(known=True), kind="support_reply"), hub=kb)
    draft = result.value
    assert draft.request.guide is not None
    assert "Hiddify" in draft.request.guide.title
    assert "guide" in draft.crm_notes
    assert "افزودن پروفایل جدید" in draft.text  # a step in the guide's own words
    assert "۱. " in draft.text
    shorter = (await revise(draft, "shorter")).value  # the revision keeps the same guide
    assert shorter.request.guide == draft.request.guide
    assert "۱. " in shorter.text
