"""Every catalog string, filled in as the bot fills it, is HTML that Telegram accepts.

The bot sends with parse_mode=HTML by default, and Telegram refuses a whole message over one bare ``<``
or an unknown tag, so each string of both catalogs is formatted with representative values (user
content escaped with ``bot.render.esc``, as the routers do) and run through the emulator's parser.
"""

from __future__ import annotations

import html
import string

import pytest

from bot.render import esc
from bot.texts import CATALOGS, Texts, is_identifier
from chronos.emulators.telegram_models import ApiError
from chronos.emulators.telegram_text import render

SAMPLES: dict[str, object] = {
    "number": 1_234_567,
    "persian_and_latin": esc("رضا کریمی — سرور V2Ray «Hiddify» روی Reality"),
    "markup_lookalikes": esc("قیمت <۵۰۰> & «VIP» [bold]x[/bold] a<b"),
    "multiline": esc("خط اول\nLine two: vless://uuid@host:443?type=ws#MarFanet"),
}


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def refused_or_garbled(locale: str, sample: str) -> dict[str, str]:
    """Keys whose filled-in string Telegram would refuse, or that lose the value, with the reason."""
    texts = Texts(locale)
    value = SAMPLES[sample]
    problems: dict[str, str] = {}
    for key, template in CATALOGS[locale].items():
        fields = placeholders(template)
        try:
            plain, _ = render(
                texts.t(key, **dict.fromkeys(fields, value)),
                "HTML",
                None,
                limit=10_000,
                empty=None,
                too_long="-",
            )
        except ApiError as exc:
            problems[key] = exc.description
            continue
        if isinstance(value, int):  # identifiers ungrouped (#1234567), quantities grouped (۱٬۲۳۴٬۵۶۷)
            shown = {texts.ident(value) if is_identifier(field) else texts.num(value) for field in fields}
        else:
            shown = {html.unescape(str(value))}
        if fields and not all(each in plain for each in shown):  # the value reaches the reader as written
            problems[key] = f"value not shown as written: {plain!r}"
    return problems


@pytest.mark.parametrize("sample", sorted(SAMPLES))
@pytest.mark.parametrize("locale", sorted(CATALOGS))
def test_every_catalog_string_is_html_telegram_accepts(locale: str, sample: str) -> None:
    assert refused_or_garbled(locale, sample) == {}


def test_the_samples_really_carry_escaped_markup() -> None:
    plain, _ = render(
        Texts("en").t("error.not_found", what=SAMPLES["markup_lookalikes"]),
        "HTML",
        None,
        limit=4096,
        empty=None,
        too_long="too long",
    )
    assert plain == "Not found: قیمت <۵۰۰> & «VIP» [bold]x[/bold] a<b"
