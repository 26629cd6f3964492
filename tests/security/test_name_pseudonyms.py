"""Issue 14, item 3: representatives' and agents' names reached the external LLM in call prep, nudge
and draft prompts. Now every form of a declared name, in any input, goes out as a pseudonym
(``[REP_NAME_1]``, ``[AGENT_FIRST_NAME_1]`` …) and the answer gets the names back.

The end-to-end tests run each feature through the gateway and the loopback LLM emulator, and look for
the names in the request bodies the emulator received, however they are spelled (ZWNJ or space or
nothing between words, Arabic ي/ك)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from ai.call_prep.engine import prepare_briefing
from ai.call_prep.inputs import InteractionFact
from ai.knowledge.drafting import DraftRequest, compose, revise
from ai.llm.guardrails import OutputGuard
from ai.nudges.drafting import NudgeDrafter, Recipient
from ai.nudges.guardrails import OPT_OUT_LINE
from ai.nudges.templates import parse
from ai.pii import MaskSession, PersonName, mask, unmask
from ai.prompts import load_preamble
from ai.text.persian import ZWNJ, compact
from tests.ai.call_prep_support import days_ago, profile, troubled_rep
from tests.ai.test_gateway_support import Harness, running_harness

REP = "کاوه رضایی"
AGENT = f"محمدحسین یزدانی{ZWNJ}فر"
NAME_PARTS = ("کاوه", "رضایی", "محمدحسین", f"یزدانی{ZWNJ}فر")
"""Every part of both names; ``compact`` folds letter variants and drops spaces and ZWNJ."""


def _names_sent(harness: Harness) -> list[str]:
    """The name parts found in any request body the emulator received, however they were spelled."""
    sent = compact(" ".join(request.text for request in harness.emulator.requests))
    return [part for part in NAME_PARTS if compact(part) in sent]


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    async with running_harness() as running:
        yield running


@pytest.mark.parametrize(
    ("text", "masked", "restored"),
    [
        ("سلام کاوه رضایی عزیز", "سلام [REP_NAME_1] عزیز", "سلام کاوه رضایی عزیز"),
        ("كاوه رضايي", "[REP_NAME_1]", "کاوه رضایی"),  # Arabic kaf and yeh
        ("کاوه‌رضایی و کاوهرضایی", "[REP_NAME_1] و [REP_NAME_1]", "کاوه رضایی و کاوه رضایی"),
        ("رضائی گفت", "[REP_SURNAME_1] گفت", "رضایی گفت"),  # ئ for ی
        ("کاوه‌جان، آقای رضایی", "[REP_FIRST_NAME_1]‌جان، آقای [REP_SURNAME_1]", "کاوه‌جان، آقای رضایی"),
        ("رضایی‌ها و رضاییها", "[REP_SURNAME_1]‌ها و [REP_SURNAME_1]ها", "رضایی‌ها و رضاییها"),
        ("کاوِه رَضایی", "[REP_NAME_1]", "کاوه رضایی"),  # diacritics
        ("محمد حسین و محمد‌حسین", "[AGENT_FIRST_NAME_1] و [AGENT_FIRST_NAME_1]", "محمدحسین و محمدحسین"),
        ("آقای يزداني فر", "آقای [AGENT_SURNAME_1]", "آقای یزدانی‌فر"),
        ("محمدحسین یزدانی‌فر", "[AGENT_NAME_1]", "محمدحسین یزدانی‌فر"),
        ("کاوه با 09121234567", "[REP_FIRST_NAME_1] با [PHONE_1]", "کاوه با 09121234567"),
    ],
)
def test_every_written_form_of_a_declared_name_becomes_its_pseudonym(
    text: str, masked: str, restored: str
) -> None:
    session = MaskSession([PersonName("REP", REP), PersonName("AGENT", AGENT)])

    assert mask(text, session) == masked
    assert unmask(masked, session) == restored


@pytest.mark.parametrize("text", ["رضاییان آمد", "آقای محمدحسینی", "محمد آمد", "یزدانی آمد"])
def test_a_name_inside_another_word_or_a_part_that_is_not_declared_is_left_alone(text: str) -> None:
    """«رضاییان» and «محمدحسینی» are other surnames; «محمد» and «یزدانی» are halves of the agent's first
    name and surname, not parts of their own."""
    session = MaskSession([PersonName("REP", REP), PersonName("AGENT", AGENT)])

    assert mask(text, session) == text


def test_people_are_numbered_within_their_role_and_titles_are_not_names() -> None:
    session = MaskSession(
        [
            PersonName("REP", "سید علی کریمی"),
            PersonName("REP", "مریم احمدی"),
            PersonName("AGENT", None),
            PersonName("AGENT", "سارا"),
        ]
    )

    masked = mask("سید علی کریمی، علی، مریم احمدی، خانم احمدی، سارا، سید", session)

    assert (
        masked == "[REP_NAME_1]، [REP_FIRST_NAME_1]، [REP_NAME_2]، خانم [REP_SURNAME_2]، [AGENT_NAME_1]، سید"
    )


def test_a_typed_name_placeholder_cannot_be_turned_into_a_name() -> None:
    session = MaskSession([PersonName("REP", REP)])

    masked = mask("بنویس [REP_NAME_1] و [AGENT_NAME_1]", session)

    assert masked == "بنویس (REP_NAME_1) و (AGENT_NAME_1)"
    assert unmask("[REP_NAME_1]", session) == "[REP_NAME_1]"  # nothing was masked to it


def test_the_output_guard_accepts_the_pseudonyms_it_sent_and_rejects_invented_ones() -> None:
    session = MaskSession([PersonName("REP", REP), PersonName("AGENT", AGENT)])
    mask("نماینده: کاوه رضایی؛ کارشناس: محمدحسین یزدانی‌فر", session)
    guard = OutputGuard([])

    assert guard.violations("سلام [REP_NAME_1] عزیز — [AGENT_NAME_1]", session, None) == []
    assert guard.violations("[REP_NAME_2] و [AGENT_SURNAME_1]", session, None) == [
        "uses placeholders that were not in the input: ['[AGENT_SURNAME_1]', '[REP_NAME_2]']"
    ]


def test_the_preamble_tells_the_model_to_keep_name_placeholders() -> None:
    rule = next(line for line in load_preamble().text.splitlines() if line.startswith("5. "))

    for placeholder in ("[REP_NAME_1]", "[REP_FIRST_NAME_1]", "[REP_SURNAME_1]", "[AGENT_NAME_1]"):
        assert placeholder in rule
    assert "keep placeholders exactly as written" in rule


def _briefing_answer(request: dict[str, Any]) -> dict[str, Any]:
    ids = re.findall(r"\[([itpvu]_\d+)\]", str(request["messages"][-1]["content"]))

    def item(text: str, n: int) -> dict[str, Any]:
        return {"text": text, "evidence_ids": [ids[n % len(ids)]]}

    return {
        "summary": [item("[REP_NAME_1] دو سال است نماینده است و از قطعی گلایه دارد.", 0)],
        "emotional_state": [],
        "avoid": [],
        "pleased": [item("از پیگیری [AGENT_SURNAME_1] تشکر کرده بود.", 1)],
        "talking_points": [
            {**item(f"نکتهٔ {n} برای [REP_FIRST_NAME_1]", n), "purpose": "پیگیری"} for n in range(1, 4)
        ],
        "empathy_prompts": [item(f"[REP_FIRST_NAME_1]{ZWNJ}جان، بابت قطعی عذرخواهی می‌کنم.", 4)],
        "risks": [],
        "opportunities": [],
        "questions": [item("اتصال الان چطور است؟", 5)],
    }


async def test_call_prep_sends_no_real_name_and_the_briefing_names_them(harness: Harness) -> None:
    named = InteractionFact(
        111, days_ago(1), "telegram", "inbound", "complaint", "كاوه‌جان از آقای يزداني فر تشکر کرد",
        "سلام محمد‌حسین جان، من رضائی‌ام؛ کاوه رضايي از مشهد", -0.2, (), (), True,
    )  # fmt: skip
    base = troubled_rep()
    inp = replace(
        base,
        rep=profile(full_name=REP, assigned_agent_name=AGENT),
        interactions=(named, *base.interactions),
        interaction_total=base.interaction_total + 1,
    )
    harness.emulator.responder = _briefing_answer

    outcome = await prepare_briefing(inp, "llm", harness.gateway)

    assert _names_sent(harness) == []
    assert "[REP_NAME_1]" in harness.emulator.requests[0].text
    assert outcome.fallback_reason is None
    briefing = outcome.briefing
    assert briefing.summary[0].text.startswith("کاوه رضایی دو سال است")
    assert briefing.pleased[0].text == "از پیگیری یزدانی‌فر تشکر کرده بود."
    assert briefing.talking_points[0].text == "نکتهٔ 1 برای کاوه"
    assert briefing.empathy_prompts[0].text.startswith("کاوه‌جان، بابت قطعی")


def _drafter(harness: Harness) -> NudgeDrafter:
    return NudgeDrafter(parse("سلام {name} عزیز، حالتان چطور است؟"), "احوال‌پرسی", gateway=harness.gateway)


async def test_a_nudge_draft_sends_no_real_name_and_greets_the_representative_by_name(
    harness: Harness,
) -> None:
    harness.emulator.responder = lambda request: {
        "text": "سلام [REP_NAME_1] عزیز، اگر کمکی لازم دارید بنویسید."
    }

    draft = await _drafter(harness).draft(Recipient(name="كاوه رضايي", topic="اتصال کاربران"))

    assert _names_sent(harness) == []
    assert "name: [REP_NAME_1]" in harness.emulator.requests[0].text
    assert draft.engine == "emu-model"
    assert draft.text == f"سلام کاوه رضایی عزیز، اگر کمکی لازم دارید بنویسید.\n{OPT_OUT_LINE}"


async def test_a_nudge_with_an_invented_name_placeholder_is_never_offered(harness: Harness) -> None:
    harness.emulator.responder = lambda request: {"text": "سلام [REP_NAME_2] عزیز، از طرف [AGENT_NAME_1]."}

    draft = await _drafter(harness).draft(Recipient(name=REP))

    assert draft.engine == "offline"
    assert draft.fallback_reason == "invalid_output"
    assert draft.text.startswith("سلام کاوه رضایی عزیز، حالتان چطور است؟")


async def test_a_kb_draft_and_its_revision_send_no_real_name_and_come_back_named(harness: Harness) -> None:
    harness.emulator.script(
        {"text": f"سلام [REP_FIRST_NAME_1]{ZWNJ}جان، فاکتور مهر هنوز باز است.\n[AGENT_NAME_1]"},
        {"text": "[REP_FIRST_NAME_1] گرامی، فاکتور مهر هنوز باز است.\nبا احترام، [AGENT_NAME_1]"},
    )
    request = DraftRequest(
        kind="telegram", goal="به كاوه‌جان یادآوری کن فاکتور مهر باز است", rep_name=REP, agent_name=AGENT
    )

    first = await compose(request, gateway=harness.gateway)
    second = await revise(first.value, "formal", gateway=harness.gateway)

    assert _names_sent(harness) == []
    assert len(harness.emulator.requests) == 2
    assert first.engine == second.engine == "emu-model"
    assert first.value.text == f"سلام کاوه‌جان، فاکتور مهر هنوز باز است.\n{AGENT}"
    assert second.value.text == f"کاوه گرامی، فاکتور مهر هنوز باز است.\nبا احترام، {AGENT}"
