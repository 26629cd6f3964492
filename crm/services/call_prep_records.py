"""Open a record a briefing cited (``/i_123``, ``/t_45``, ``/p_9``, ``/v_3``, ``/u_7``)."""

from __future__ import annotations

from sqlalchemy import select

from ai.call_prep.schema import EvidenceRef
from crm.db import UnitOfWork
from crm.errors import NotFound
from crm.models import Interaction, Invoice, Payment, Representative, Ticket, UsageSnapshot
from crm.schemas.activity import InteractionDTO, TicketDTO
from crm.schemas.call_prep import EvidenceRecord, RepRef, UsagePoint
from crm.schemas.finance import InvoiceDTO, PaymentDTO

Row = Interaction | Ticket | Payment | Invoice | UsageSnapshot
_MODELS: dict[str, type[Row]] = {
    "interaction": Interaction,
    "ticket": Ticket,
    "payment": Payment,
    "invoice": Invoice,
    "usage": UsageSnapshot,
}


async def open_record(uow: UnitOfWork, evidence: EvidenceRef) -> EvidenceRecord:
    row: Row | None = await uow.session.get(_MODELS[evidence.type], evidence.id)
    if row is None:
        raise NotFound(f"{evidence.type} {evidence.id} not found", token=evidence.token)
    rep = await uow.session.scalar(select(Representative).where(Representative.id == row.representative_id))
    if rep is None:  # the foreign key cascades, so only a concurrent delete gets here
        raise NotFound(f"{evidence.type} {evidence.id} has no representative", token=evidence.token)
    ref = RepRef(id=rep.id, code=rep.code, full_name=rep.full_name, profiling_opt_out=rep.profiling_opt_out)
    record = EvidenceRecord(type=evidence.type, id=evidence.id, representative=ref)
    if isinstance(row, Interaction):
        return record.model_copy(update={"interaction": InteractionDTO.model_validate(row)})
    if isinstance(row, Ticket):
        return record.model_copy(update={"ticket": TicketDTO.model_validate(row)})
    if isinstance(row, Payment):
        return record.model_copy(update={"payment": PaymentDTO.model_validate(row)})
    if isinstance(row, Invoice):
        return record.model_copy(update={"invoice": InvoiceDTO.model_validate(row)})
    return record.model_copy(update={"usage": UsagePoint.model_validate(row)})
