"""Handled update ids expire: Telegram restarts update ids after a quiet week (and the emulator did after
every restart), so a dedupe row kept for ever silently drops a new update that reuses an old id."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm.db import UnitOfWork
from crm.models import ProcessedUpdate
from crm.services import access
from jobs.dedupe import prune_processed_updates

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
BOT = 123_456


async def test_rows_older_than_the_window_are_forgotten_and_the_id_works_again(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with UnitOfWork(session_factory) as uow:
        for update_id, age_h in ((1, 100), (2, 80), (3, 10)):
            await uow.session.execute(
                ProcessedUpdate.__table__.insert().values(
                    bot_id=BOT, update_id=update_id, processed_at=NOW - dt.timedelta(hours=age_h)
                )
            )
        await uow.commit()
        assert not await access.claim_update(uow, BOT, 1)  # still remembered: a redelivery is dropped
        await uow.rollback()
    assert await prune_processed_updates(session_factory, 72, now=NOW) == 2
    async with UnitOfWork(session_factory) as uow:
        left = list(
            await uow.session.scalars(select(ProcessedUpdate.update_id).where(ProcessedUpdate.bot_id == BOT))
        )
        assert left == [3]
        assert await access.claim_update(uow, BOT, 1)  # a new update with a reused id is handled
        assert await prune_processed_updates(session_factory, 72, now=NOW) == 0


async def test_the_prune_reads_its_index(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with UnitOfWork(session_factory) as uow:
        await uow.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(
            await uow.session.scalars(
                text("EXPLAIN DELETE FROM processed_update WHERE processed_at < now() - interval '72 hours'")
            )
        )
        count = await uow.session.scalar(select(func.count()).select_from(ProcessedUpdate))
    assert "ix_processed_update_processed_at" in plan, plan
    assert count is not None
