"""The update inbox's retention: forget finished updates older than the window, now and then.

It runs beside the bot (the bot writes ``update_inbox``); with several replicas each one prunes, and the
deletes are idempotent. Unfinished updates are never pruned: they are resumed on start."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm.db import UnitOfWork
from crm.services import update_inbox

log = logging.getLogger(__name__)


async def prune_finished_updates(
    session_factory: async_sessionmaker[AsyncSession], retention_hours: int, *, now: dt.datetime | None = None
) -> int:
    cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(hours=retention_hours)
    async with UnitOfWork(session_factory) as uow:
        return await update_inbox.prune(uow, cutoff)


async def prune_periodically(
    session_factory: async_sessionmaker[AsyncSession], retention_hours: int, *, every_s: float = 3600
) -> None:
    """Prune now and then every ``every_s`` until cancelled; a failure is logged and retried later."""
    while True:
        try:
            count = await prune_finished_updates(session_factory, retention_hours)
            if count:
                log.info("forgot %d finished update(s) older than %d h", count, retention_hours)
        except Exception:
            log.exception("update inbox prune failed; trying again later")
        await asyncio.sleep(every_s)
