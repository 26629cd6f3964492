"""Interactions: log one (idempotently, with its sentiment) and list a representative's history."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from crm import audit
from crm.db import UnitOfWork
from crm.errors import NotFound
from crm.models import Interaction, Representative
from crm.schemas.activity import InteractionCreate, InteractionDTO
from crm.schemas.types import Actor
from crm.services import sentiment


async def log(uow: UnitOfWork, data: InteractionCreate, actor: Actor) -> tuple[InteractionDTO, bool]:
    """Insert unless (source, idempotency_key) was seen; returns the row and whether it is new.

    The text (body, else summary) is scored by the offline sentiment engine and stored in the row,
    unless CRT wrote it (``crt_authored``): our own words are never the representative's emotion.
    """
    rep = await uow.session.get(Representative, data.representative_id)
    if rep is None:
        raise NotFound(f"representative {data.representative_id} not found", rep_id=data.representative_id)
    values = data.model_dump()
    if not data.crt_authored:
        values.update(sentiment.columns_for(data.body, data.summary, profiling=not rep.profiling_opt_out))
    inserted_id = await uow.session.scalar(
        insert(Interaction)
        .values(**{k: (v.value if hasattr(v, "value") else v) for k, v in values.items()})
        .on_conflict_do_nothing(index_elements=["source", "idempotency_key"])
        .returning(Interaction.id)
    )
    created = inserted_id is not None
    row = await uow.session.scalar(
        select(Interaction).where(
            Interaction.source == data.source, Interaction.idempotency_key == data.idempotency_key
        )
    )
    if row is None:  # the conflicting row was deleted between the two statements
        raise NotFound("interaction vanished while logging; retry", key=data.idempotency_key)
    dto = InteractionDTO.model_validate(row)
    if created:
        audit.record(
            uow.session, actor, "interaction.log", "interaction", row.id, after={"channel": data.channel}
        )
        await uow.commit()
    return dto, created


async def list_for_rep(
    uow: UnitOfWork, rep_id: int, *, limit: int = 20, offset: int = 0
) -> list[InteractionDTO]:
    query = (
        select(Interaction)
        .where(Interaction.representative_id == rep_id)
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [InteractionDTO.model_validate(row) for row in await uow.session.scalars(query)]


async def get(uow: UnitOfWork, interaction_id: int) -> InteractionDTO:
    row = await uow.session.get(Interaction, interaction_id)
    if row is None:
        raise NotFound(f"interaction {interaction_id} not found", interaction_id=interaction_id)
    return InteractionDTO.model_validate(row)
