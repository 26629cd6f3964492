"""The LLM call prep engine on the loopback OpenAI emulator: grounding, invented ids, fallbacks, and the
output language (the agent's) asked for, with dates in its calendar, and checked in the answer."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import pytest

from ai.call_prep import offline
from ai.call_prep.engine import HALLUCINATED, WRONG_LANGUAGE, prepare_briefing
from ai.call_prep.llm import template
from ai.call_prep.phrases import Language
from ai.call_prep.schema import PROFILING_SECTIONS
from ai.context import estimate_tokens
from chronos.emulators.llm import Reply
from tests.ai.call_prep_support import profile, troubled_rep
from tests.ai.test_gateway_support import Harness, running_harness

SEEN = re.compile(r"\[([itpvu]_\d+)\]")


def seen_ids(request: dict[str, Any]) -> list[str]:
    return SEEN.findall(str(request["messages"][-1]["content"]))


def answer(ids: list[str], *, fake: list[str] | None = None) -> dict[str, Any]:
    """A well-formed briefing citing ``ids`` (what the model was shown) plus ``fake`` ones."""
    fake = fake or []

    def cite(n: int) -> list[str]:
        return [ids[n % len(ids)], *fake]

    return {
        "summary": [{"text": "رابطهٔ دوساله؛ اخیراً از قطعی گلایه داشته.", "evidence_ids": cite(0)}],
        "emotional_state": [{"text": "دلخور و رو به افت.", "evidence_ids": cite(1)}],
        "avoid": [{"text": "قیمت را بی‌مقدمه مطرح نکنید.", "evidence_ids": cite(2)}],
        "pleased": [{"text": "از پیگیری سریع تشکر کرده بود.", "evidence_ids": cite(3)}],
        "talking_points": [
            {"text": f"نکتهٔ {n}", "purpose": "پیگیری", "evidence_ids": cite(n)} for n in range(1, 4)
        ],
        "empathy_prompts": [{"text": "بابت قطعی عذرخواهی می‌کنم.", "evidence_ids": cite(4)}],
        "risks": [{"text": "گفته ممکن است برود.", "evidence_ids": cite(5)}],
        "opportunities": [
            {"text": "نزدیک سقف کاربران.", "pitch": "بی‌اصرار معرفی کنید.", "evidence_ids": cite(6)}
        ],
        "questions": [{"text": "اتصال الان چطور است؟", "evidence_ids": []}],
    }


@pytest.fixture
async def llm() -> AsyncIterator[Harness]:
    async with running_harness() as harness:
        yield harness


async def test_llm_briefing_cites_only_what_it_was_shown(llm: Harness) -> None:
    llm.emulator.responder = lambda request: answer(seen_ids(request))
    outcome = await prepare_briefing(troubled_rep(), "llm", llm.gateway)
    assert outcome.fallback_reason is None
    assert outcome.answer.engine == "emu-model"
    assert outcome.answer.prompt_id == "call_prep"
    briefing = outcome.briefing
    shown = set(seen_ids(llm.emulator.requests[0].body))
    assert briefing.talking_points[0].purpose == "پیگیری"
    for name, item in briefing.items():
        if name not in ("at_a_glance", "cultural_notes", "best_time"):
            assert {e.token for e in item.evidence} <= shown, name
    assert briefing.at_a_glance  # computed, not written by the model
    assert briefing.best_time


async def test_invented_ids_are_dropped_and_logged(llm: Harness, caplog: pytest.LogCaptureFixture) -> None:
    llm.emulator.responder = lambda request: answer(seen_ids(request), fake=["i_999999"])
    with caplog.at_level(logging.WARNING):
        outcome = await prepare_briefing(troubled_rep(), "llm", llm.gateway)
    assert outcome.fallback_reason is None  # half the citations are real: kept, minus the fake ones
    assert "i_999999" in outcome.answer.validated.dropped_evidence
    assert all(e.token != "i_999999" for _, item in outcome.briefing.items() for e in item.evidence)
    assert "i_999999" in caplog.text


async def test_mostly_invented_answer_falls_back_offline(
    llm: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    fake = ["i_424242", "t_9999", "p_31337"]
    llm.emulator.responder = lambda request: answer(["i_1000001"], fake=fake)
    with caplog.at_level(logging.WARNING):
        outcome = await prepare_briefing(troubled_rep(), "llm", llm.gateway)
    assert outcome.answer.engine == "offline"
    assert outcome.fallback_reason == HALLUCINATED
    assert "t_9999" in caplog.text
    tokens = {e.token for _, item in outcome.briefing.items() for e in item.evidence}
    assert not tokens & {"i_424242", "t_9999", "p_31337", "i_1000001"}


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply.prose(), "invalid_output"),
        (Reply.wrong_shape(), "invalid_output"),
        (Reply.server_error(503), "provider_error"),
    ],
)
async def test_bad_answers_fall_back_offline_and_say_why(llm: Harness, reply: Reply, reason: str) -> None:
    llm.emulator.responder = lambda request: reply
    outcome = await prepare_briefing(troubled_rep(), "llm", llm.gateway)
    assert outcome.answer.engine == "offline"
    assert outcome.fallback_reason == reason
    assert len(outcome.briefing.talking_points) >= 3


async def test_timeout_falls_back_offline(llm: Harness) -> None:
    gateway = llm.rebuild(timeout_s=0.3, max_retries=0)
    llm.emulator.responder = lambda request: Reply.never()
    outcome = await prepare_briefing(troubled_rep(), "llm", gateway)
    assert outcome.fallback_reason == "timeout"
    assert outcome.answer.engine == "offline"


async def test_opt_out_sends_no_feelings_and_keeps_none(llm: Harness) -> None:
    llm.emulator.responder = lambda request: answer(seen_ids(request))
    inp = troubled_rep(rep=profile(profiling_opt_out=True), arc=None)
    inp = replace(inp, interactions=tuple(replace(i, score=None, emotions=()) for i in inp.interactions))
    outcome = await prepare_briefing(inp, "llm", llm.gateway)
    sent = llm.emulator.requests[0].text
    assert "sentiment=" not in sent
    assert "emotions=" not in sent
    assert "opted out of profiling" in sent
    for name in PROFILING_SECTIONS:
        assert outcome.briefing.section(name) == []
    assert outcome.briefing.notices[0] == "profiling_opt_out"


async def test_prompt_stays_within_budget_with_ten_thousand_interactions(llm: Harness) -> None:
    base = troubled_rep()
    many = tuple(
        replace(base.interactions[n % len(base.interactions)], id=100_000 + n) for n in range(10_000)
    )
    llm.emulator.responder = lambda request: answer(seen_ids(request))
    outcome = await prepare_briefing(replace(base, interactions=many), "llm", llm.gateway)
    assert outcome.fallback_reason is None
    user = llm.emulator.requests[0].body["messages"][-1]["content"]
    body_tokens = estimate_tokens(template().body)
    assert estimate_tokens(user) <= template().budget_tokens + body_tokens + 300  # data + body + delimiters
    assert "records omitted for budget" in user


LANGUAGE_BLOCK = re.compile(r"<<<DATA id=language nonce=\w+>>>\n(.*?)\n<<<END DATA id=language")


def english_answer(ids: list[str]) -> dict[str, Any]:
    """A well-formed briefing in English, quoting the representative's Persian words, citing ``ids``."""

    def cite(n: int) -> list[str]:
        return [ids[n % len(ids)]]

    return {
        "summary": [
            {"text": "Two years with us; complained about an outage this week.", "evidence_ids": cite(0)}
        ],
        "talking_points": [
            {
                "text": f"Point {n}: acknowledge «قطعی دوباره روی ایرانسل» first.",
                "purpose": "empathy",
                "evidence_ids": cite(n),
            }
            for n in range(1, 4)
        ],
        "risks": [{"text": "Said they might move to another panel.", "evidence_ids": cite(4)}],
        "questions": [{"text": "How is the connection on Irancell now?", "evidence_ids": []}],
    }


def record_line(request: dict[str, Any], token: str) -> str:
    content = str(request["messages"][-1]["content"])
    return next(line for line in content.splitlines() if line.startswith(f"[{token}]"))


@pytest.mark.parametrize(
    ("language", "asked", "own_date", "other_date"),
    [("fa", "fa (Persian)", "1405/02/18", "2026-05-08"), ("en", "en (English)", "2026-05-08", "1405/02/18")],
)
async def test_the_request_asks_for_the_agents_language_with_dates_in_its_calendar(
    llm: Harness, language: Language, asked: str, own_date: str, other_date: str
) -> None:
    llm.emulator.responder = lambda request: (english_answer if language == "en" else answer)(
        seen_ids(request)
    )
    outcome = await prepare_briefing(troubled_rep(), "llm", llm.gateway, language)
    assert outcome.fallback_reason is None
    request = llm.emulator.requests[0].body
    user = str(request["messages"][-1]["content"])
    found = LANGUAGE_BLOCK.search(user)
    assert found is not None
    assert found.group(1) == asked
    assert own_date in record_line(request, "i_110")  # the interaction of 8 May 2026 (18 Ordibehesht 1405)
    assert other_date not in record_line(request, "i_110")
    assert "Jalali 1405/02/20, Gregorian 2026-05-10" in user  # today, in both calendars
    assert outcome.answer.prompt_version == template().version == 2


async def test_english_agent_gets_english_computed_sections_around_the_models(llm: Harness) -> None:
    llm.emulator.responder = lambda request: english_answer(seen_ids(request))
    briefing = (await prepare_briefing(troubled_rep(), "llm", llm.gateway, "en")).briefing
    assert briefing.summary[0].text.startswith("Two years with us")
    assert briefing.at_a_glance[0].text == "Plan: حرفه‌ای, up to 100 users, 3,900,000 Toman a month"
    assert briefing.best_time[0].text.startswith("Best time to call: Saturdays, 08:00–10:00 Tehran time")
    assert briefing.cultural_notes[0].text.startswith("Address: formal, with the polite «شما»")


@pytest.mark.parametrize(("language", "wrong"), [("en", answer), ("fa", english_answer)])
async def test_an_answer_in_the_other_language_falls_back_offline_in_the_agents(
    llm: Harness, language: Language, wrong: Callable[[list[str]], dict[str, Any]]
) -> None:
    llm.emulator.responder = lambda request: wrong(seen_ids(request))
    outcome = await prepare_briefing(troubled_rep(), "llm", llm.gateway, language)
    assert llm.emulator.requests
    assert (outcome.answer.engine, outcome.fallback_reason) == ("offline", WRONG_LANGUAGE)
    assert outcome.briefing == offline.brief(troubled_rep(), language)
