"""The offline call prep engine and the shared validation, on hand-built inputs (no database)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from ai.call_prep import offline
from ai.call_prep.engine import OfflineEngine, prepare_briefing
from ai.call_prep.inputs import InteractionFact
from ai.call_prep.occasions import no_sales_today, occasions
from ai.call_prep.schema import PROFILING_SECTIONS, SECTIONS, Briefing, BriefingItem, EvidenceRef, ref
from ai.call_prep.validate import validate
from ai.text.calendar import hijri
from tests.ai.call_prep_support import NOW, days_ago, new_rep, profile, troubled_rep


def tokens(item: BriefingItem) -> set[str]:
    return {e.token for e in item.evidence}


async def test_every_item_cites_only_records_it_was_given() -> None:
    inp = troubled_rep()
    answer = await OfflineEngine().brief(inp, "fa")
    briefing = answer.validated.briefing
    assert answer.validated.dropped_evidence == ()
    known = inp.known_tokens()
    for name, item in briefing.items():
        assert tokens(item) <= known, (name, item.text)
    for name in ("summary", "talking_points", "empathy_prompts", "risks", "opportunities", "best_time"):
        assert briefing.section(name), name
        assert any(item.evidence for item in briefing.section(name)), name


async def test_sections_say_what_the_data_says() -> None:
    briefing = offline.brief(troubled_rep())
    glance = " ".join(i.text for i in briefing.at_a_glance)
    assert "حرفه‌ای" in glance
    assert "سارا" in glance
    assert "۲ روز پیش" in glance  # last contact, relative
    assert "مهلت" in glance  # the open ticket's SLA state
    assert any({"t_45"} <= tokens(i) for i in briefing.at_a_glance)
    risks = briefing.risks
    assert any("i_110" in tokens(i) and "پنل دیگه" in i.text for i in risks)  # their own words, quoted
    assert any("u_77" in tokens(i) and "−۳۵٪" in i.text for i in risks)  # 80 → 52 active users
    assert any("v_3" in tokens(i) for i in risks)
    points = briefing.talking_points
    assert 3 <= len(points) <= 5
    assert all(p.purpose for p in points)
    assert "به رسمیت بشناسید" in points[0].text  # the recent outage comes before any business
    empathy = briefing.empathy_prompts
    assert any("۸ اردیبهشت" in e.text and "t_45" in tokens(e) for e in empathy)  # outage on a named date
    assert all("شما" not in e.text or "تون" in e.text for e in empathy)
    offers = briefing.opportunities
    assert offers
    assert all(o.pitch for o in offers)
    assert all("اول مشکل" in (o.pitch or "") for o in offers)  # a breached ticket and talk of leaving


def test_best_time_names_window_and_sample() -> None:
    best = offline.brief(troubled_rep()).best_time
    assert len(best) == 1
    assert "۸ تا ۱۰" in best[0].text  # 06:00 UTC is 09:30 in Tehran: the 8–10 window
    assert "۸ ارتباط موفق از ۸" in best[0].text
    assert "۱۲" in best[0].text
    assert tokens(best[0]) <= {f"i_{200 + n}" for n in range(8)}


def test_best_time_without_enough_data_says_so() -> None:
    inp = replace(troubled_rep(), contacts=troubled_rep().contacts[:3])
    assert "دادهٔ کافی نیست" in offline.brief(inp).best_time[0].text


async def test_profiling_opt_out_leaves_out_feelings_and_says_so() -> None:
    inp = troubled_rep(rep=profile(profiling_opt_out=True), arc=None)
    briefing = (await OfflineEngine().brief(inp, "fa")).validated.briefing
    for name in PROFILING_SECTIONS:
        assert briefing.section(name) == [], name
    assert briefing.notices[0] == "profiling_opt_out"
    assert "تحلیل نمی‌شود" in briefing.cultural_notes[0].text
    assert briefing.talking_points
    assert briefing.risks


async def test_new_rep_gets_an_onboarding_briefing() -> None:
    briefing = (await OfflineEngine().brief(new_rep(), "fa")).validated.briefing
    assert "onboarding" in briefing.notices
    assert len(briefing.talking_points) == 3
    assert "معرفی" in briefing.talking_points[0].text
    assert "هنوز" in briefing.summary[0].text
    assert briefing.risks == []
    assert briefing.empathy_prompts == []
    assert "دادهٔ کافی نیست" in briefing.best_time[0].text
    assert len(briefing.questions) >= 2


def test_validation_drops_unknown_ids_and_items_resting_on_them(caplog: pytest.LogCaptureFixture) -> None:
    briefing = Briefing(
        summary=[BriefingItem(text="واقعی", evidence=[ref("i_1"), ref("i_999")])],
        risks=[BriefingItem(text="ساختگی", evidence=[ref("t_777")]), BriefingItem(text="بی‌سند")],
        questions=[BriefingItem(text="سؤال باز")],
    )
    with caplog.at_level(logging.WARNING, logger="ai.call_prep.validate"):
        checked = validate(briefing, {"i_1"}, profiling_opt_out=False, engine="test", unparsable=["int-5"])
    assert [e.token for e in checked.briefing.summary[0].evidence] == ["i_1"]
    assert checked.briefing.risks == []  # one rested on an invented ticket, one on nothing
    assert checked.briefing.questions[0].text == "سؤال باز"
    assert sorted(checked.dropped_evidence) == ["i_999", "int-5", "t_777"]
    assert checked.dropped_items == 2
    assert "i_999" in caplog.text
    assert "t_777" in caplog.text


def test_evidence_tokens_round_trip() -> None:
    assert EvidenceRef.parse("i_123") == EvidenceRef(type="interaction", id=123)
    assert ref("v_3").type == "invoice"
    assert ref("u_7").token == "u_7"
    for bad in ("i_0", "x_1", "i-1", "i_", "[i_1]", "i_1 "):
        assert EvidenceRef.parse(bad) is None or bad.strip() == "i_1"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2025, 7, 5), (1447, 1, 9)),  # Tasua 1447 in Iran: 14 Tir 1404
        (dt.date(2025, 3, 2), (1446, 9, 2)),  # Ramadan 1446 began on 1 March in Iran
        (dt.date(2026, 6, 25), (1448, 1, 9)),
    ],
)
def test_tabular_hijri_is_within_a_day_of_the_official_calendar(
    day: dt.date, expected: tuple[int, int, int]
) -> None:
    year, month, date = hijri(day)
    assert (year, month) == expected[:2]
    assert abs(date - expected[2]) <= 1


def test_calendar_context() -> None:
    ashura = occasions(dt.datetime(2025, 7, 6, 6, tzinfo=dt.UTC))
    assert no_sales_today(ashura)
    assert next(o.key for o in occasions(dt.datetime(2026, 3, 21, 6, tzinfo=dt.UTC))) == "nowruz_holiday"
    assert "yalda" in {o.key for o in occasions(dt.datetime(2025, 12, 21, 6, tzinfo=dt.UTC))}
    friday = occasions(dt.datetime(2026, 5, 8, 6, tzinfo=dt.UTC))
    assert "friday" in {o.key for o in friday}
    assert not no_sales_today(friday)
    ahead = occasions(dt.datetime(2025, 7, 3, 6, tzinfo=dt.UTC))
    assert any(o.key == "tasua_ashura" and o.days_away > 0 for o in ahead)


async def test_no_sales_pitch_on_ashura() -> None:
    inp = troubled_rep(now=dt.datetime(2025, 7, 6, 6, tzinfo=dt.UTC))
    briefing = offline.brief(inp)
    assert "no_sales_today" in briefing.notices
    assert all("امروز زمان پیشنهاد فروش نیست" in (o.pitch or "") for o in briefing.opportunities)
    assert not any(p.text.startswith("فرصت") for p in briefing.talking_points)
    assert any("عاشورا" in n.text for n in briefing.cultural_notes)


async def test_offline_is_deterministic_and_every_section_is_known() -> None:
    first = await prepare_briefing(troubled_rep(), "offline", None)
    second = await prepare_briefing(troubled_rep(), "offline", None)
    assert first.briefing == second.briefing
    assert first.answer.engine == "offline"
    assert first.fallback_reason is None
    assert set(Briefing.model_fields) == {*SECTIONS, "notices"}


async def test_auto_without_gateway_is_offline_and_llm_without_key_says_why() -> None:
    auto = await prepare_briefing(troubled_rep(), "auto", None)
    assert auto.answer.engine == "offline"
    assert auto.fallback_reason is None
    forced = await prepare_briefing(troubled_rep(), "llm", None)
    assert forced.answer.engine == "offline"
    assert forced.fallback_reason == "no_api_key"


def test_register_follows_how_they_write() -> None:
    familiar = troubled_rep()
    informal = tuple(
        replace(i, formal=False) if i.direction == "inbound" else i for i in familiar.interactions
    )
    briefing = offline.brief(replace(familiar, interactions=informal))
    assert "علی جان" in briefing.cultural_notes[0].text
    assert any("کاربرهات " in e.text for e in briefing.empathy_prompts)
    assert NOW.tzinfo is not None


def test_only_explicit_leaving_is_reported_as_talk_of_leaving() -> None:
    """«پرداخت می‌کنه ولی از قطعی‌های شبانه ناراضی بود» was briefed as "talked about leaving"."""
    unhappy = InteractionFact(
        120, days_ago(3), "telegram", "inbound", "complaint", "ناراضی از قطعی شبانه",
        "پرداخت می‌کنه ولی از قطعی‌های شبانه ناراضی بود", -0.9, ("outage_report",), ("disappointment",), True,
    )  # fmt: skip
    losing = InteractionFact(
        121, days_ago(4), "telegram", "inbound", "complaint", "ریزش مشتری",
        "مشتریام دارن میرن، یه کاری بکنید", -0.7, ("churn_signal",), ("anxiety",), True,
    )  # fmt: skip
    calm = troubled_rep(interactions=(unhappy,), interaction_total=1)
    assert not [r for r in offline.brief(calm).risks if "رفتن" in r.text]
    hinted = offline.brief(troubled_rep(interactions=(losing,), interaction_total=1)).risks
    assert not [r for r in hinted if "از رفتن" in r.text]
    assert any("نشانهٔ ریزش" in r.text and "i_121" in tokens(r) for r in hinted)


def test_interest_shown_once_is_one_opportunity() -> None:
    """i_105 carries an upsell signal and the upsell_interest outcome; it was offered twice."""
    for language in ("fa", "en"):
        offers = offline.brief(troubled_rep(), language).opportunities
        assert [e.token for o in offers for e in o.evidence].count("i_105") == 1, language


async def test_the_same_input_gives_the_same_briefing_in_every_process() -> None:
    """One message with several grievances: their order came from iterating a set of strings, which
    differs between processes (hash randomisation), and decided which grievance the call opens with."""
    script = (
        "from ai.call_prep import analysis\n"
        "from ai.call_prep.inputs import InteractionFact\n"
        "from tests.ai.call_prep_support import days_ago, troubled_rep\n"
        "signals = ('outage_report', 'support_delay', 'payment_issue', 'panel_issue')\n"
        "said = InteractionFact(130, days_ago(1), 'telegram', 'inbound', 'complaint', 'x', 'y', -0.5, signals)\n"
        "print(*(g.kind for g in analysis.grievances(troubled_rep(interactions=(said,), tickets=()))))\n"
    )
    orders = set()
    for seed in range(4):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, env={**os.environ, "PYTHONHASHSEED": str(seed)},
            stdout=asyncio.subprocess.PIPE, cwd=Path(__file__).parents[2],
        )  # fmt: skip
        out, _ = await process.communicate()
        assert process.returncode == 0
        orders.add(out.decode().strip())
    assert orders == {"outage delay billing panel"}
