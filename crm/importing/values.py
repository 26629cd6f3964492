"""Cell parsers shared by every entity, and DTO construction that reports errors by CSV column.

Text, phones, codes and Toman amounts are validated by the DTOs in ``crm.schemas`` (their
validators are the only normalisers); this module adds what a CSV needs on top: dates in ISO 8601
or Jalali, whole-number counts and Telegram ids written with Persian digits, and error messages
that name the column rather than the DTO field.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy.orm import InstrumentedAttribute

from ai.text.calendar import TEHRAN, parse_jalali
from ai.text.persian import to_ascii_digits
from crm.importing.source import CsvRow, RowInvalid
from crm.schemas.types import OptionalText, RepCode

ModelT = TypeVar("ModelT", bound=BaseModel)

INT4_MAX = 2**31 - 1
INT8_MAX = 2**63 - 1

# Years before 1500 are Jalali (1403/05/12); later ones are Gregorian ISO 8601 (2024-08-02).
_JALALI = re.compile(r"^(1[0-4]\d\d[/-]\d{1,2}[/-]\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?$")
_COUNT_SEPARATORS = re.compile(r"[\s,،٬_]")
_REP_CODE: TypeAdapter[str] = TypeAdapter(RepCode)
_OPTIONAL_TEXT: TypeAdapter[str | None] = TypeAdapter(OptionalText)


@functools.lru_cache(maxsize=8192)
def _jalali_day(date_text: str) -> dt.date:
    """The Gregorian day of a Jalali one. Cached: an export repeats the same days thousands of times,
    and the calendar conversion costs far more than the rest of a row's date handling."""
    return parse_jalali(date_text).astimezone(TEHRAN).date()


def parse_moment(raw: str) -> dt.datetime:
    """ISO 8601 (naive means Tehran time) or Jalali ``1403/05/12[ HH:MM[:SS]]`` → aware UTC."""
    text = to_ascii_digits(raw.strip())
    jalali = _JALALI.match(text)
    if jalali:
        date_text, hour, minute, second = jalali.groups()
        try:
            clock = dt.time(int(hour or 0), int(minute or 0), int(second or 0))
            local = dt.datetime.combine(_jalali_day(date_text), clock, tzinfo=TEHRAN)
        except ValueError:
            raise RowInvalid(f"not a valid Jalali date: {raw!r}") from None
        return local.astimezone(dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise RowInvalid(f"not an ISO 8601 or Jalali date: {raw!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TEHRAN)
    return moment.astimezone(dt.UTC)


def moment_cell(row: CsvRow, column: str) -> dt.datetime:
    raw = row.require(column)
    try:
        return parse_moment(raw)
    except RowInvalid as exc:
        raise RowInvalid(f"{column}: {exc}") from None


def optional_moment_cell(row: CsvRow, column: str) -> dt.datetime | None:
    return None if row.cell(column) is None else moment_cell(row, column)


def count_cell(row: CsvRow, column: str) -> int:
    """A whole number such as ``۱٬۲۰۰`` or ``1,200``; the DTO checks its range."""
    raw = row.require(column)
    try:
        return int(_COUNT_SEPARATORS.sub("", to_ascii_digits(raw)))
    except ValueError:
        raise RowInvalid(f"{column}: not a whole number: {raw!r}") from None


def telegram_id_cell(row: CsvRow, column: str) -> int | None:
    raw = row.cell(column)
    if raw is None:
        return None
    try:
        value = int(to_ascii_digits(raw))
    except ValueError:
        raise RowInvalid(f"{column}: not a Telegram user id: {raw!r}") from None
    if not 0 < value <= INT8_MAX:
        raise RowInvalid(f"{column}: not a Telegram user id: {raw!r}")
    return value


def code_cell(row: CsvRow, column: str) -> str:
    """A representative or tier code in canonical form (upper case, ASCII digits)."""
    raw = row.require(column)
    try:
        return _REP_CODE.validate_python(raw)
    except ValidationError as exc:
        raise RowInvalid(f"{column}: {_first_message(exc)}") from None


def optional_code_cell(row: CsvRow, column: str) -> str | None:
    return None if row.cell(column) is None else code_cell(row, column)


def choice_cell(row: CsvRow, column: str) -> str | None:
    """Vocabulary cells (channel, status…) are matched case-insensitively; the DTO checks the value."""
    raw = row.cell(column)
    return None if raw is None else raw.lower()


def text_cell(row: CsvRow, column: str) -> str | None:
    """Free text normalised like every DTO text field (for columns no DTO carries)."""
    return _OPTIONAL_TEXT.validate_python(row.cell(column))


def _first_message(exc: ValidationError) -> str:
    return str(exc.errors()[0]["msg"]).removeprefix("Value error, ")


def build(model: type[ModelT], columns: Mapping[str, str], **fields: Any) -> ModelT:
    """Validate ``fields`` with a DTO; its errors become one message naming the CSV columns.

    ``columns`` maps DTO field names to CSV column names where they differ.
    """
    try:
        return model(**{name: value for name, value in fields.items() if value is not None})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            location = error["loc"][0] if error["loc"] else ""
            column = columns.get(str(location), str(location))
            message = str(error["msg"]).removeprefix("Value error, ")
            value = error.get("input")
            shown = "" if isinstance(value, dict) or value is None else f" (got {value!r})"
            problems.append(f"{column}: {message}{shown}" if column else message)
        raise RowInvalid("; ".join(problems)) from None


def check_range(column: str, value: int, maximum: int) -> int:
    if value > maximum:
        raise RowInvalid(f"{column}: {value} is larger than the largest allowed value {maximum}")
    return value


def column_length(attribute: InstrumentedAttribute[Any]) -> int:
    """The declared length of a ``String(n)`` model column, so limits never drift from the schema."""
    length = getattr(attribute.type, "length", None)
    if not isinstance(length, int):
        raise TypeError(f"{attribute} is not a String(n) column")
    return length


def check_length(column: str, value: str | None, limit: int) -> str | None:
    if value is not None and len(value) > limit:
        raise RowInvalid(f"{column}: longer than {limit} characters ({len(value)})")
    return value
