"""Audit trail: every mutation writes one row in the same transaction as the change."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from crm.models import AuditLog
from crm.schemas.types import Actor


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return _jsonable(value.model_dump(mode="json"))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object | None,
    *,
    before: Any = None,
    after: Any = None,
) -> None:
    session.add(
        AuditLog(
            actor_type=actor.type.value,
            actor_id=actor.id,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            before=None if before is None else json.loads(json.dumps(_jsonable(before))),
            after=None if after is None else json.loads(json.dumps(_jsonable(after))),
        )
    )
