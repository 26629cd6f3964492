"""Validated field types shared by the DTOs (Persian text, phones, codes, Toman amounts)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from ai.text.persian import normalize, to_ascii_digits
from ai.text.phone import normalize_phone
from crm.enums import ActorType

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,31}$")
_AMOUNT_SEPARATORS = re.compile(r"[\s,،٬'_]")


def _non_blank(value: str) -> str:
    if not value:
        raise ValueError("must not be blank")
    return value


def _optional_text(value: Any) -> Any:
    if isinstance(value, str):
        cleaned = normalize(value)
        return cleaned or None
    return value


def _code(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    code = to_ascii_digits(value).strip().upper()
    if not CODE_PATTERN.match(code):
        raise ValueError("code must be 2–32 letters, digits, '-' or '_' (e.g. REP-0042)")
    return code


def _phone(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return normalize_phone(str(value))


def parse_amount(value: Any) -> Decimal:
    """Toman amounts: ints, Decimals, or text with Persian digits and thousands separators."""
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, str):
        cleaned = _AMOUNT_SEPARATORS.sub("", to_ascii_digits(value)).replace("٫", ".")
        cleaned = cleaned.removesuffix("تومان").strip()
        try:
            amount = Decimal(cleaned)
        except InvalidOperation:
            raise ValueError(f"not an amount: {value!r}") from None
    else:
        raise ValueError(f"not an amount: {value!r}")
    if amount != amount.to_integral_value():
        raise ValueError("Toman amounts are whole numbers")
    if amount <= 0:
        raise ValueError("amount must be greater than zero")
    return amount


PersianText = Annotated[str, AfterValidator(normalize), AfterValidator(_non_blank)]
OptionalText = Annotated[str | None, BeforeValidator(_optional_text)]
Phone = Annotated[str | None, BeforeValidator(_phone)]
RepCode = Annotated[str, BeforeValidator(_code)]
Toman = Annotated[Decimal, BeforeValidator(parse_amount)]
UtcDatetime = AwareDatetime


def _without_nul(value: Any) -> Any:
    """``value`` with every NUL byte removed from its strings (inside dicts, lists and tuples too)."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {key: _without_nul(item) for key, item in value.items()}
    if type(value) in (list, tuple):
        return type(value)(_without_nul(item) for item in value)
    return value


class DTO(BaseModel):
    """Every DTO drops NUL bytes from its string input before any field validator runs.

    NUL is never text (a client bug, a damaged file), and PostgreSQL refuses it in text and JSONB
    columns, so a message carrying one would fail to be stored and be lost. Dropping it loses nothing
    a reader could see. Rows read back from the database (``from_attributes``) cannot hold one.
    """

    model_config = ConfigDict(from_attributes=True, frozen=True, str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_nul_bytes(cls, data: Any) -> Any:
        return _without_nul(data)


class Actor(DTO):
    """Who performs a mutation; written to audit_log."""

    type: ActorType
    id: int | None = None

    @classmethod
    def cli(cls) -> Actor:
        return cls(type=ActorType.CLI)

    @classmethod
    def system(cls) -> Actor:
        return cls(type=ActorType.SYSTEM)

    @classmethod
    def agent(cls, agent_id: int) -> Actor:
        return cls(type=ActorType.AGENT, id=agent_id)


PositiveInt = Annotated[int, Field(gt=0)]
