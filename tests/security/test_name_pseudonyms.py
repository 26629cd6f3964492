"""Issue 14, item 3: representatives' and agents' names reached the external LLM in call prep, nudge
and draft prompts. Now every form of a declared name, in any input, goes out as a pseudonym
(``[REP_NAME_1]``, ``[AGENT_FIRST_NAME_1]`` …) and the answer gets the names back.

The end-to-end tests run each feature through the gateway and the loopback LLM emulator, and look for
the names in the request bodies the emulator received, however they are spelled (ZWNJ or space or
nothing between words, Arabic ي/ك)."""

from __future__ import annotations

import pytest

from ai.llm.guardrails import OutputGuard
from ai.pii import MaskSession, PersonName, mask, unmask
from ai.prompts import load_preamble
from ai.text.persian import ZWNJ

REP = "کاوه رضایی"
AGENT = f"محمدحسین یزدانی{ZWNJ}فر"


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
