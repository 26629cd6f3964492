"""Invoices, payments and usage snapshots."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from crm import audit
from crm.db import UnitOfWork
from crm.enums import InvoiceStatus
from crm.errors import AlreadyExists, NotFound
from crm.models import Invoice, Payment, Representative, UsageSnapshot
from crm.schemas.finance import InvoiceCreate, InvoiceDTO, PaymentCreate, PaymentDTO, UsageCreate, UsageDTO
from crm.schemas.types import Actor


async def _require_rep(uow: UnitOfWork, rep_id: int) -> None:
    if await uow.session.get(Representative, rep_id) is None:
        raise NotFound(f"representative {rep_id} not found", rep_id=rep_id)


async def record_invoice(uow: UnitOfWork, data: InvoiceCreate, actor: Actor) -> InvoiceDTO:
    await _require_rep(uow, data.representative_id)
    invoice = Invoice(
        **data.model_dump(),
        status=(InvoiceStatus.PAID if data.paid_at else InvoiceStatus.OPEN).value,
    )
    uow.session.add(invoice)
    try:
        await uow.session.flush()
    except IntegrityError as exc:
        await uow.rollback()
        raise AlreadyExists(f"invoice {data.number!r} already exists", number=data.number) from exc
    dto = InvoiceDTO.model_validate(invoice)
    audit.record(uow.session, actor, "invoice.record", "invoice", invoice.id, after=dto)
    await uow.commit()
    return dto


async def record_payment(uow: UnitOfWork, data: PaymentCreate, actor: Actor) -> PaymentDTO:
    await _require_rep(uow, data.representative_id)
    invoice_id = None
    if data.invoice_number is not None:
        invoice = await uow.session.scalar(select(Invoice).where(Invoice.number == data.invoice_number))
        if invoice is None or invoice.representative_id != data.representative_id:
            raise NotFound(f"invoice {data.invoice_number!r} not found for this representative")
        invoice_id = invoice.id
        if invoice.status != InvoiceStatus.PAID:
            invoice.status, invoice.paid_at = InvoiceStatus.PAID.value, data.paid_at
    payment = Payment(
        reference=data.reference,
        representative_id=data.representative_id,
        invoice_id=invoice_id,
        amount_toman=data.amount_toman,
        method=data.method.value,
        paid_at=data.paid_at,
    )
    uow.session.add(payment)
    try:
        await uow.session.flush()
    except IntegrityError as exc:
        await uow.rollback()
        raise AlreadyExists(f"payment {data.reference!r} already recorded", reference=data.reference) from exc
    dto = PaymentDTO.model_validate(payment)
    audit.record(uow.session, actor, "payment.record", "payment", payment.id, after=dto)
    await uow.commit()
    return dto


async def record_usage(uow: UnitOfWork, data: UsageCreate, actor: Actor) -> UsageDTO:
    await _require_rep(uow, data.representative_id)
    snapshot = UsageSnapshot(**data.model_dump())
    uow.session.add(snapshot)
    try:
        await uow.session.flush()
    except IntegrityError as exc:
        await uow.rollback()
        raise AlreadyExists("a usage snapshot for this representative and time exists") from exc
    dto = UsageDTO.model_validate(snapshot)
    audit.record(uow.session, actor, "usage.record", "usage_snapshot", snapshot.id, after=dto)
    await uow.commit()
    return dto
