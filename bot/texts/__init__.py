"""The text catalog: every user-facing string, in Persian (default) and English.

``Texts(locale).t(key, **params)`` formats a string; in Persian, numbers in params are shown with
Persian digits. User content is HTML-escaped by the caller (see :func:`bot.render.esc`), never here,
because catalog strings themselves carry HTML markup.
"""

from __future__ import annotations

from decimal import Decimal

from ai.text.persian import to_persian_digits
from bot.texts.en import EN
from bot.texts.fa import FA

CATALOGS: dict[str, dict[str, str]] = {"fa": FA, "en": EN}
DEFAULT_LOCALE = "fa"


class Texts:
    def __init__(self, locale: str = DEFAULT_LOCALE) -> None:
        self.locale = locale if locale in CATALOGS else DEFAULT_LOCALE
        self._catalog = CATALOGS[self.locale]

    def t(self, key: str, **params: object) -> str:
        template = self._catalog.get(key) or FA[key]
        return template.format(**{name: self.value(value) for name, value in params.items()})

    def value(self, value: object) -> object:
        """Numbers rendered for the locale: Persian digits and separators in fa."""
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            return value
        text = f"{value:,.0f}" if isinstance(value, Decimal) else f"{value:,}"
        if self.locale == "fa":
            return to_persian_digits(text.replace(",", "٬"))
        return text

    def num(self, value: int | float | Decimal) -> str:
        return str(self.value(value))

    def digits(self, text: str) -> str:
        return to_persian_digits(text) if self.locale == "fa" else text

    def decimal(self, text: str) -> str:
        """A formatted decimal number: Persian digits and the Persian decimal separator in fa."""
        return self.digits(text.replace(".", "٫")) if self.locale == "fa" else text
