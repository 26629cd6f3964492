"""Finished inbox updates expire: Telegram restarts update ids after a quiet week (and the emulator did
after every restart), so a row kept for ever silently drops a new update that reuses an old id. An
unfinished update is never pruned, however old: it is resumed on start."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm.db import UnitOfWork
from crm.models import UpdateInbox
from crm.services import update_inbox
from jobs.dedupe import prune_finished_updates

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
BOT = 123_456


def _row(update_id: int, status: str, age_h: int) -> dict[str, object]:
    at = NOW - dt.timedelta(hours=age_h)
    return {
        "bot_id": BOT,
        "update_id": update_id,
        "status": status,
        "payload": None if status == "handled" else {"update_id": update_id},
        "received_at": at,
        "finished_at": None if status == "received" else at,
    }


async def test_rows_older_than_the_window_are_forgotten_and_the_id_works_again(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with UnitOfWork(session_factory) as uow:
        rows = [
            _row(1, "handled", 100),
            _row(2, "failed", 80),
            _row(3, "handled", 10),
            _row(4, "received", 200),
        ]
        await uow.session.execute(UpdateInbox.__table__.insert(), rows)
        await uow.commit()
        assert not await update_inbox.claim(uow, BOT, 1)  # still remembered: a redelivery is dropped
        await uow.rollback()
    assert await prune_finished_updates(session_factory, 72, now=NOW) == 2
    async with UnitOfWork(session_factory) as uow:
        left = list(
            await uow.session.scalars(
                select(UpdateInbox.update_id).where(UpdateInbox.bot_id == BOT).order_by(UpdateInbox.update_id)
            )
        )
        assert left == [3, 4]  # the unfinished one stays, however old
        assert await update_inbox.claim(uow, BOT, 1)  # a new update with a reused id is handled
        assert await prune_finished_updates(session_factory, 72, now=NOW) == 0


async def test_the_prune_and_the_resume_read_their_indexes(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with UnitOfWork(session_factory) as uow:
        await uow.session.execute(text("SET LOCAL enable_seqscan = off"))
        prune = "\n".join(
            await uow.session.scalars(
                text("EXPLAIN DELETE FROM update_inbox WHERE finished_at < now() - interval '72 hours'")
            )
        )
        resume = "\n".join(
            await uow.session.scalars(
                text(
                    "EXPLAIN SELECT update_id FROM update_inbox WHERE bot_id = 1 AND status = 'received' "
                    "ORDER BY update_id FOR UPDATE SKIP LOCKED"
                )
            )
        )
        count = await uow.session.scalar(select(func.count()).select_from(UpdateInbox))
    assert "ix_update_inbox_finished_at" in prune, prune
    assert "ix_update_inbox_unfinished" in resume, resume
    assert count is not None
