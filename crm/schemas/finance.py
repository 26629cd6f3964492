"""Invoices, payments and usage snapshots."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import Field, model_validator

from crm.enums import InvoiceStatus, PaymentMethod
from crm.schemas.types import DTO, Toman, UtcDatetime


class InvoiceCreate(DTO):
    number: str = Field(min_length=1, max_length=64)
    representative_id: int
    amount_toman: Toman
    issued_at: UtcDatetime
    due_at: UtcDatetime
    paid_at: UtcDatetime | None = None

    @model_validator(mode="after")
    def _due_after_issue(self) -> InvoiceCreate:
        if self.due_at < self.issued_at:
            raise ValueError("due date is before the issue date")
        return self


class InvoiceDTO(DTO):
    id: int
    number: str
    representative_id: int
    amount_toman: Decimal
    issued_at: dt.datetime
    due_at: dt.datetime
    paid_at: dt.datetime | None
    status: InvoiceStatus


class PaymentCreate(DTO):
    reference: str = Field(min_length=1, max_length=64)
    representative_id: int
    amount_toman: Toman
    paid_at: UtcDatetime
    method: PaymentMethod = PaymentMethod.CARD
    invoice_number: str | None = None


class PaymentDTO(DTO):
    id: int
    reference: str
    representative_id: int
    invoice_id: int | None
    amount_toman: Decimal
    method: PaymentMethod
    paid_at: dt.datetime


class UsageCreate(DTO):
    representative_id: int
    taken_at: UtcDatetime
    active_users: int = Field(ge=0)
    total_users: int = Field(ge=0)
    traffic_bytes: int = Field(ge=0)

    @model_validator(mode="after")
    def _total_covers_active(self) -> UsageCreate:
        if self.total_users < self.active_users:
            raise ValueError("total_users is smaller than active_users")
        return self


class UsageDTO(DTO):
    representative_id: int
    taken_at: dt.datetime
    active_users: int
    total_users: int
    traffic_bytes: int
