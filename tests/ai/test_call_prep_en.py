"""The offline briefing in English: the Persian briefing's findings and records, worded in English.

What may stay Persian in an English briefing: what people wrote in the CRM (quoted «…»), names
(the representative, their city and plan, the agent) and the Persian forms of address the agent will
use on the call, quoted and explained.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import fields, replace
from typing import get_args

import pytest

from ai.call_prep import offline
from ai.call_prep.inputs import PrepInput
from ai.call_prep.phrases import BANKS, Phrases, Unit, bank
from ai.call_prep.schema import Briefing
from ai.text.calendar import JALALI_MONTHS_EN, JALALI_MONTHS_FA
from ai.text.entities import ENTITIES
from tests.ai.call_prep_support import new_rep, profile, troubled_rep

PERSIAN = re.compile(r"[\u0600-\u06ff]")
PERSIAN_DIGITS = re.compile(r"[۰-۹٠-٩]")
QUOTED = re.compile(r"«([^»]*)»")
FORMS_OF_ADDRESS = frozenset({"شما", "جان", "جناب", "سرکار"})


def informal() -> PrepInput:
    base = troubled_rep()
    return replace(
        base,
        interactions=tuple(
            replace(i, formal=False) if i.direction == "inbound" else i for i in base.interactions
        ),
    )


INPUTS = {
    "troubled": troubled_rep,
    "informal": informal,
    "opted_out": lambda: troubled_rep(rep=profile(profiling_opt_out=True), arc=None),
    "paused": lambda: troubled_rep(rep=profile(status="paused")),
    "ashura": lambda: troubled_rep(now=dt.datetime(2025, 7, 6, 6, tzinfo=dt.UTC)),
    "before_nowruz": lambda: troubled_rep(now=dt.datetime(2026, 3, 18, 6, tzinfo=dt.UTC)),
    "thin_history": lambda: replace(
        troubled_rep(), interactions=troubled_rep().interactions[3:], tickets=(), invoices=(), contacts=()
    ),
    "new": new_rep,
}


def written(briefing: Briefing) -> Iterator[str]:
    for _, item in briefing.items():
        yield from (text for text in (item.text, item.purpose, item.pitch) if text)


def crm_text(inp: PrepInput) -> list[str]:
    """What people wrote in the CRM, whitespace collapsed as quotes collapse it."""
    raw = [text for i in inp.interactions for text in (i.summary, i.body) if text]
    raw += [t.subject for t in inp.tickets]
    return [" ".join(text.split()) for text in raw]


def unexplained_persian(text: str, inp: PrepInput) -> str:
    """The Persian left in ``text`` once CRM quotes, quoted forms of address and names are taken out."""
    sources = crm_text(inp)
    first_name = inp.rep.full_name.split()[0]

    def quoted(match: re.Match[str]) -> str:
        words = match.group(1).removesuffix("…")
        if words and any(words in source for source in sources):
            return ""
        if all(word in FORMS_OF_ADDRESS or word == first_name for word in words.split()):
            return ""
        return match.group(0)

    rest = QUOTED.sub(quoted, text)
    for name in (inp.rep.full_name, first_name, inp.rep.city, inp.rep.tier_name, inp.rep.assigned_agent_name):
        rest = rest.replace(name or "\0", "")
    return "".join(PERSIAN.findall(rest))


@pytest.mark.parametrize("case", list(INPUTS))
def test_english_briefing_is_english_but_for_quotes_and_names(case: str) -> None:
    inp = INPUTS[case]()
    briefing = offline.brief(inp, "en")
    assert list(written(briefing))
    for text in written(briefing):
        assert unexplained_persian(text, inp) == "", text
        assert not PERSIAN_DIGITS.search(QUOTED.sub("", text)), text


@pytest.mark.parametrize("case", list(INPUTS))
def test_english_and_persian_briefings_rest_on_the_same_findings(case: str) -> None:
    inp = INPUTS[case]()
    persian, english = offline.brief(inp, "fa"), offline.brief(inp, "en")

    def shape(briefing: Briefing) -> list[tuple[str, list[str], bool, bool]]:
        return [
            (name, [e.token for e in item.evidence], item.purpose is None, item.pitch is None)
            for name, item in briefing.items()
        ]

    assert shape(english) == shape(persian)
    assert english.notices == persian.notices
    assert english != persian


def test_english_dates_are_gregorian_and_numbers_latin() -> None:
    briefing = offline.brief(troubled_rep(), "en")
    everything = "\n".join(written(briefing))
    assert "Last contact: 8 May 2026 (2 days ago), Telegram message" in everything
    assert "With us since 1 Sep 2024 (1 year and 8 months)" in everything
    assert "On 31 Mar 2026 (1 month ago) they thanked the agent" in everything  # not "1 months ago"
    assert "Active users went from 80 to 52 in 7 weeks (−35%): a sign of churn." in everything
    assert "Invoice INV-1405-003 (3,900,000 Toman) has been overdue since 24 Apr 2026" in everything
    assert "Past SLA: 1 open ticket («قطعی کانفیگ‌ها روی ایرانسل»)" in everything
    assert "08:00–10:00 Tehran time — 8 of 8 attempts" in briefing.best_time[0].text
    assert "Saturdays" in briefing.best_time[0].text
    assert "on Irancell" in briefing.questions[0].text
    ours = QUOTED.sub("", everything)  # «یادآوری فاکتور فروردین» is an agent's note, quoted as written
    for month in (*JALALI_MONTHS_EN, *JALALI_MONTHS_FA):
        assert month not in ours
    # The same facts in Persian are Jalali, with Persian digits.
    persian = "\n".join(written(offline.brief(troubled_rep(), "fa")))
    assert "۱۸ اردیبهشت ۱۴۰۵ (۲ روز پیش)" in persian
    assert "May" not in persian


def test_english_quotes_the_representative_in_their_own_words() -> None:
    briefing = offline.brief(troubled_rep(), "en")
    leaving = briefing.risks[0]
    assert leaving.text.startswith("On 8 May 2026 (2 days ago) they talked about leaving us")
    assert "«از دیشب کاربرهام روی ایرانسل وصل نمی‌شن، اگه درست نشه میرم سراغ یه پنل دیگه»" in leaving.text
    assert [e.token for e in leaving.evidence] == ["i_110"]


def test_english_register_advice_explains_the_persian_forms_of_address() -> None:
    formal = offline.brief(troubled_rep(), "en")
    assert formal.cultural_notes[0].text.startswith("Address: formal, with the polite «شما»")
    assert "«جناب» (Mr) or «سرکار» (Ms)" in formal.cultural_notes[0].text
    assert formal.empathy_prompts[0].text.startswith(
        "Before anything else, I'm sorry about the outage on 8 May"
    )
    familiar = offline.brief(informal(), "en")
    assert "calling them by first name, «علی جان»" in familiar.cultural_notes[0].text
    assert familiar.empathy_prompts[0].text.startswith("First things first, I'm really sorry")
    opted_out = offline.brief(troubled_rep(rep=profile(profiling_opt_out=True), arc=None), "en")
    assert "at their own request, we don't analyse" in opted_out.cultural_notes[0].text


def test_english_occasions_keep_their_names_with_a_gloss() -> None:
    ashura = offline.brief(troubled_rep(now=dt.datetime(2025, 7, 6, 6, tzinfo=dt.UTC)), "en")
    assert "no_sales_today" in ashura.notices
    assert any(
        "Tasua and Ashura (9 and 10 Muharram, days of mourning" in n.text for n in ashura.cultural_notes
    )
    assert ashura.opportunities
    assert all(o.pitch == bank("en").hold_no_sales for o in ashura.opportunities)
    assert not any(p.text.startswith("Opportunity") for p in ashura.talking_points)
    nowruz = offline.brief(troubled_rep(now=dt.datetime(2026, 3, 18, 6, tzinfo=dt.UTC)), "en")
    notes = [n.text for n in nowruz.cultural_notes]
    assert any(n.startswith("The last days of the Persian year, just before Nowruz") for n in notes)
    assert any(n.startswith("In 3 days: Nowruz (the Persian New Year) holidays") for n in notes)


def test_new_representative_in_english() -> None:
    briefing = offline.brief(new_rep(), "en")
    assert briefing.summary[0].text == (
        "مریم احمدی in مشهد is a new representative with no history with us yet: this call starts the "
        "relationship."
    )
    assert briefing.talking_points[0].text.startswith("Introduce yourself as their account manager")
    assert briefing.best_time[0].text == (
        "Best time to call: not enough data yet (0 successful contacts on record; at least 6 needed)."
    )


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _texts(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for entry in value.values():
            yield from _texts(entry)
    elif isinstance(value, tuple):
        for entry in value:
            yield from _texts(entry)


def test_phrase_banks_have_the_same_templates_and_tables() -> None:
    persian, english = BANKS["fa"], BANKS["en"]
    for field in fields(Phrases):
        fa_value, en_value = getattr(persian, field.name), getattr(english, field.name)
        if isinstance(fa_value, Mapping):
            assert set(fa_value) == set(en_value), field.name
            pairs = [(fa_value[key], en_value[key]) for key in fa_value]
        elif isinstance(fa_value, tuple):
            assert len(fa_value) == len(en_value), field.name
            pairs = list(zip(fa_value, en_value, strict=True))
        else:
            pairs = [(fa_value, en_value)]
        fa_texts = [t for pair in pairs for t in _texts(pair[0])]
        en_texts = [t for pair in pairs for t in _texts(pair[1])]
        assert len(fa_texts) == len(en_texts), field.name
        for fa_text, en_text in zip(fa_texts, en_texts, strict=True):
            assert _placeholders(fa_text) == _placeholders(en_text), (field.name, fa_text, en_text)
    assert set(persian.units) == set(get_args(Unit))
    isps = {entity.key for entity in ENTITIES if entity.kind == "isp"}
    assert set(persian.operators) == set(english.operators) == isps


def test_the_english_bank_writes_persian_only_as_quoted_forms_of_address() -> None:
    english = BANKS["en"]
    for field in fields(Phrases):
        for text in _texts(getattr(english, field.name)):
            unfilled = re.sub(r"\{\w+(:[^}]*)?\}", "", text)
            assert unexplained_persian(unfilled, new_rep()) == "", (field.name, text)
