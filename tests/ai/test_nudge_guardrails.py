"""Nudge guardrails, the template language, the send window and the engagement score."""

from __future__ import annotations

import datetime as dt

import pytest

from ai.nudges.engagement import EngagementSignals, score
from ai.nudges.guardrails import OPT_OUT_LINE, violations, with_opt_out
from ai.nudges.send_window import SendWindow, mourning_dates
from ai.nudges.templates import DEFAULT_TEMPLATE, TemplateError, parse
from ai.text.calendar import TEHRAN


@pytest.mark.parametrize(
    ("text", "kind", "phrase"),
    [
        ("فقط امروز فرصت دارید", "pressure", "فقط امروز"),
        ("عجله کنید، ظرفیت محدود است", "pressure", "عجله کنید"),
        ("سرویس شما قطع خواهد شد", "pressure", "قطع خواهد شد"),
        ("Act now, this is URGENT", "pressure", "act now"),
        ("می‌دانیم که ناراحت هستید", "emotion", "ناراحت"),
        ("We know you are frustrated", "emotion", "frustrat"),
        ("با توجه به تیپ شخصیتی شما", "archetype", "تیپ شخصیتی"),
        ("As an introvert you may prefer text", "archetype", "introvert"),
    ],
)
def test_pressure_emotions_and_archetypes_are_caught(text: str, kind: str, phrase: str) -> None:
    assert any(v.kind == kind and v.phrase == phrase for v in violations(text)), violations(text)


def test_ordinary_words_that_contain_a_phrase_pass() -> None:
    assert violations("فوریه خوبی داشته باشید؛ هر سؤالی بود بپرسید") == []
    assert violations("سلام، خواستیم حالی از کارتان بپرسیم") == []


def test_every_message_ends_with_exactly_one_opt_out_line() -> None:
    assert with_opt_out("سلام").endswith("\n" + OPT_OUT_LINE)
    twice = with_opt_out(f"سلام\n{OPT_OUT_LINE}\n{OPT_OUT_LINE}")
    assert twice.count(OPT_OUT_LINE) == 1
    assert twice.endswith(OPT_OUT_LINE)


def test_template_blocks_need_their_values_and_bad_templates_are_refused() -> None:
    template = parse(DEFAULT_TEMPLATE)
    with_topic = template.render({"name": "علی", "topic": "قطعی سرور آلمان", "kb_title": None})
    assert "قطعی سرور آلمان" in with_topic
    assert "راهنما" not in with_topic
    assert "{" not in template.render({"name": "علی"})
    with pytest.raises(TemplateError) as refused:
        parse("سلام {nam}، [[ آخرین فرصت ")
    problems = " | ".join(problem.describe() for problem in refused.value.problems)
    assert "{nam}" in problems
    assert "not closed" in problems
    assert "{name}" in problems
    assert "آخرین فرصت" in problems


def test_send_window_quiet_hours_fridays_and_mourning_days() -> None:
    window = SendWindow()
    tehran = lambda *a: dt.datetime(*a, tzinfo=TEHRAN)  # noqa: E731
    assert window.is_open(tehran(2026, 11, 25, 10, 0))  # Wednesday 10:00
    assert not window.is_open(tehran(2026, 11, 25, 23, 0))  # quiet hours
    assert not window.is_open(tehran(2026, 11, 27, 12, 0))  # Friday
    assert window.next_open(tehran(2026, 11, 25, 23, 0)) == tehran(2026, 11, 26, 9, 0)
    assert window.next_open(tehran(2026, 11, 26, 23, 0)) == tehran(2026, 11, 28, 9, 0)  # skips Friday
    ashura_1447 = dt.date(2025, 7, 6)  # official Iranian calendar: 15 Tir 1404
    assert ashura_1447 in mourning_dates(2025)
    assert not window.is_open(tehran(2025, 7, 6, 12, 0))
    assert window.place(tehran(2026, 11, 25, 10, 0), best_hour=14) == tehran(2026, 11, 25, 14, 0)
    assert window.place(tehran(2026, 11, 26, 15, 0), best_hour=14) == tehran(2026, 11, 28, 14, 0)


def test_engagement_score_explains_itself() -> None:
    engaged = score(EngagementSignals(3, 5.0, 0, 0, 0))
    assert engaged.score == 100
    assert engaged.reasons == ()
    drifting = score(EngagementSignals(60, -40.0, 1, 2, 20))
    assert drifting.score < 40
    assert [r.code for r in drifting.reasons][:2] == ["no_recent_contact", "usage_decline"]
