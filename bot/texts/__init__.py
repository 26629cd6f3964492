"""The text catalog: every user-facing string, in Persian (default) and English.

``Texts(locale).t(key, **params)`` formats a string; in Persian, numbers in params are shown with
Persian digits. Quantities get thousands separators (۱٬۵۰۰٬۰۰۰); identifiers — a param named ``id``,
``revision`` or ending in ``_id`` — never do (ticket #8193, not #8,193). User content is HTML-escaped by
the caller (see :func:`bot.render.esc`), never here, because catalog strings themselves carry HTML
markup.
"""

from __future__ import annotations

from decimal import Decimal

from ai.text.persian import signed_number, to_persian_digits
from bot.texts.en import EN
from bot.texts.fa import FA

CATALOGS: dict[str, dict[str, str]] = {"fa": FA, "en": EN}
IDENTIFIER_PARAMS = frozenset({"id", "revision"})


def is_identifier(name: str) -> bool:
    """A param that names a record (shown ungrouped) rather than a quantity."""
    return name in IDENTIFIER_PARAMS or name.endswith("_id")


DEFAULT_LOCALE = "fa"


class Texts:
    def __init__(self, locale: str = DEFAULT_LOCALE) -> None:
        self.locale = locale if locale in CATALOGS else DEFAULT_LOCALE
        self._catalog = CATALOGS[self.locale]

    def t(self, key: str, **params: object) -> str:
        template = self._catalog.get(key) or FA[key]
        return template.format(**{name: self._shown(name, value) for name, value in params.items()})

    def _shown(self, name: str, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool) and is_identifier(name):
            return self.ident(value)
        return self.value(value)

    def ident(self, value: int) -> str:
        """An identifier in the locale's digits, never grouped."""
        return self.digits(str(value))

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

    def signed(self, value: float, decimals: int = 2) -> str:
        """A signed score or change, written the one way captions, messages and charts write it."""
        return signed_number(value, persian_digits=self.locale == "fa", decimals=decimals)

    def decimal(self, text: str) -> str:
        """A formatted decimal number: Persian digits and the Persian decimal separator in fa."""
        return self.digits(text.replace(".", "٫")) if self.locale == "fa" else text
