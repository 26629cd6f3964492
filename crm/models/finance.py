"""Money and usage: invoices, payments, usage snapshots from the Marzban panels."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from crm.enums import InvoiceStatus, PaymentMethod, values
from crm.models.base import Base, CreatedAt, IntPK, Toman, in_list


class Invoice(Base):
    __tablename__ = "invoice"
    __table_args__ = (
        CheckConstraint(in_list("status", values(InvoiceStatus)), name="status"),
        CheckConstraint("amount_toman > 0", name="amount_positive"),
        CheckConstraint("due_at >= issued_at", name="due_after_issue"),
        CheckConstraint("(status = 'paid') = (paid_at IS NOT NULL)", name="paid_at_matches_status"),
        # Rep card / call prep: a representative's invoices, newest first.
        Index("ix_invoice_representative_id_issued_at", "representative_id", text("issued_at DESC")),
    )

    id: Mapped[IntPK]
    number: Mapped[str] = mapped_column(String(64), unique=True)
    representative_id: Mapped[int] = mapped_column(ForeignKey("representative.id", ondelete="CASCADE"))
    amount_toman: Mapped[Toman]
    issued_at: Mapped[dt.datetime]
    due_at: Mapped[dt.datetime]
    paid_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(String(8), server_default=InvoiceStatus.OPEN.value)
    created_at: Mapped[CreatedAt]


class Payment(Base):
    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount_toman > 0", name="amount_positive"),
        CheckConstraint(in_list("method", values(PaymentMethod)), name="method"),
        CheckConstraint("length(btrim(reference)) > 0", name="reference_not_blank"),
        # Rep card: last payments of one representative.
        Index("ix_payment_representative_id_paid_at", "representative_id", text("paid_at DESC")),
    )

    id: Mapped[IntPK]
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    representative_id: Mapped[int] = mapped_column(ForeignKey("representative.id", ondelete="CASCADE"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="SET NULL"), index=True)
    amount_toman: Mapped[Toman]
    method: Mapped[str] = mapped_column(String(16), server_default=PaymentMethod.CARD.value)
    paid_at: Mapped[dt.datetime]
    created_at: Mapped[CreatedAt]


class UsageSnapshot(Base):
    __tablename__ = "usage_snapshot"
    __table_args__ = (
        CheckConstraint("active_users >= 0", name="active_users_non_negative"),
        CheckConstraint("total_users >= active_users", name="total_covers_active"),
        CheckConstraint("traffic_bytes >= 0", name="traffic_non_negative"),
        # The unique index also serves "latest usage" and the usage trend of a representative.
        UniqueConstraint("representative_id", "taken_at"),
    )

    id: Mapped[IntPK]
    representative_id: Mapped[int] = mapped_column(ForeignKey("representative.id", ondelete="CASCADE"))
    taken_at: Mapped[dt.datetime]
    active_users: Mapped[int] = mapped_column(Integer)
    total_users: Mapped[int] = mapped_column(Integer)
    traffic_bytes: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[CreatedAt]
