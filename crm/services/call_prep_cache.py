"""The fingerprint that decides whether a stored briefing still describes the data.

One statement of scalar subqueries, each served by the index its table already has for call prep: the
representative row (profile, opt-out, tier, agent changes bump ``updated_at``); for interactions, the
count (an index-only scan) and a digest of the ids and analysis state of the newest rows the briefing
reads (the same backward walk of ``ix_interaction_representative_id_occurred_at`` the loader makes, so a
sentiment backfill of those rows changes the briefing too); tickets' newest ``updated_at`` and count;
payments', invoices' (and how many are paid) and usage snapshots' newest rows. The template version,
the engine, the offline wording version, the briefing's language (a Persian briefing is never served
to an agent who reads English, nor the other way round) and the Tehran date (relative dates and
calendar notes change daily) complete it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Final

from sqlalchemy import ColumnElement, ScalarSelect, case, func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import InstrumentedAttribute

from ai.call_prep.llm import template
from ai.call_prep.phrases import Language
from ai.text.calendar import to_tehran
from crm.db import UnitOfWork
from crm.models import Interaction, Invoice, Payment, Representative, Ticket, UsageSnapshot
from crm.services.call_prep_data import INTERACTIONS

OFFLINE_VERSION: Final = "3"
"""Bump when the offline engine's wording or rules change, so stored briefings are rebuilt."""


def _newest_interactions(rep_id: int) -> ScalarSelect[Any]:
    newest = (
        select(Interaction.id, Interaction.sentiment_label)
        .where(Interaction.representative_id == rep_id)
        .order_by(Interaction.occurred_at.desc())
        .limit(INTERACTIONS)
        .subquery()
    )
    analysed = case((newest.c.sentiment_label.is_(None), "-"), else_="+")
    entry = func.concat(newest.c.id, analysed)
    return select(
        func.md5(func.string_agg(entry, aggregate_order_by(literal(","), newest.c.id)))
    ).scalar_subquery()


async def fingerprint(
    uow: UnitOfWork, rep_id: int, *, mode: str, language: Language, now: dt.datetime
) -> str:
    def of(owner: InstrumentedAttribute[int], *columns: ColumnElement[Any]) -> ScalarSelect[Any]:
        return select(func.concat_ws(":", *columns)).where(owner == rep_id).scalar_subquery()

    row = (
        await uow.session.execute(
            select(
                select(Representative.updated_at).where(Representative.id == rep_id).scalar_subquery(),
                of(Interaction.representative_id, func.count()),
                _newest_interactions(rep_id),
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
        language,
        to_tehran(now).date().isoformat(),
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()
