"""The fingerprint that decides whether a stored briefing still describes the data.

One statement of scalar subqueries, each served by the index its table already has for call prep: the
representative row (profile, opt-out, tier, agent changes bump ``updated_at``), the interactions'
count, newest id and number analysed (a sentiment backfill changes the briefing), tickets' newest
``updated_at`` and count, payments', invoices' (and how many are paid) and usage snapshots' newest
rows. The template version, the engine, the offline wording version and the Tehran date (relative
dates and calendar notes change daily) complete it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Final

from sqlalchemy import ColumnElement, ScalarSelect, func, select
from sqlalchemy.orm import InstrumentedAttribute

from ai.call_prep.llm import template
from ai.text.calendar import to_tehran
from crm.db import UnitOfWork
from crm.models import Interaction, Invoice, Payment, Representative, Ticket, UsageSnapshot

OFFLINE_VERSION: Final = "1"
"""Bump when the offline engine's wording or rules change, so stored briefings are rebuilt."""


async def fingerprint(uow: UnitOfWork, rep_id: int, *, mode: str, now: dt.datetime) -> str:
    def of(owner: InstrumentedAttribute[int], *columns: ColumnElement[Any]) -> ScalarSelect[Any]:
        return select(func.concat_ws(":", *columns)).where(owner == rep_id).scalar_subquery()

    row = (
        await uow.session.execute(
            select(
                select(Representative.updated_at).where(Representative.id == rep_id).scalar_subquery(),
                of(
                    Interaction.representative_id,
                    func.count(),
                    func.max(Interaction.id),
                    func.count(Interaction.sentiment_label),
                ),
                of(Ticket.representative_id, func.count(), func.max(Ticket.updated_at)),
                of(Payment.representative_id, func.count(), func.max(Payment.id)),
                of(
                    Invoice.representative_id, func.count(), func.max(Invoice.id), func.count(Invoice.paid_at)
                ),
                of(UsageSnapshot.representative_id, func.count(), func.max(UsageSnapshot.taken_at)),
            )
        )
    ).one()
    tpl = template()
    parts = [
        *(str(value) for value in row),
        f"{tpl.id}:{tpl.version}",
        mode,
        OFFLINE_VERSION,
        to_tehran(now).date().isoformat(),
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()
