"""The transactional inbox of Telegram updates (docs/architecture.md §2).

An update is committed here (``received``, with its raw payload) before Telegram is told it arrived:
polling confirms its offset with the next ``getUpdates`` only after that commit, and the webhook
answers 200 only after it. The update's unit of work then claims it (:func:`claim`) inside its own
transaction, so the row becomes ``handled`` with the handler's first commit, never without it. A row
still ``received`` after a crash is resumed on the next start; one the bot keeps dying on is given up
(``failed``) after :data:`MAX_ATTEMPTS`. A handler that raises is ``failed`` at once, with the error:
the user has been told, with an error id, that nothing was saved, so retrying behind their back would
apply it twice when they send it again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, text
from sqlalchemy.dialects.postgresql import JSONB

from crm.db import UnitOfWork
from crm.models import UpdateInbox

MAX_ATTEMPTS = 3
"""Handling attempts of one update (arrival, then one per resume) before it is given up."""

ERROR_CHARS = 300


@dataclass
class Attempt:
    """Travels with an update from the intake to its unit of work, which sets ``settled`` once it
    has taken charge of the row's outcome. An update that never got there (throttled, or an error
    before it) is settled by the intake."""

    settled: bool = False


@dataclass(frozen=True, slots=True)
class Unfinished:
    update_id: int
    payload: dict[str, Any]


_RECEIVE = text(
    """
    INSERT INTO update_inbox (bot_id, update_id, status, attempts, payload)
    SELECT :bot_id, u.update_id, 'received', 1, u.payload
    FROM jsonb_to_recordset(:rows) AS u(update_id bigint, payload jsonb)
    ON CONFLICT (bot_id, update_id) DO NOTHING
    RETURNING update_id
    """
).bindparams(bindparam("rows", type_=JSONB))
# The update's own transaction: received → handled, or a new row when the update did not come through
# the intake (a test feeding the dispatcher directly). Nothing when it was finished before. The row
# stays locked until that transaction ends, so a second copy handled meanwhile waits, then skips.
_CLAIM = text(
    """
    INSERT INTO update_inbox (bot_id, update_id, status, attempts, finished_at)
    VALUES (:bot_id, :update_id, 'handled', 1, now())
    ON CONFLICT (bot_id, update_id) DO UPDATE
        SET status = 'handled', payload = NULL, last_error = NULL, finished_at = now()
        WHERE update_inbox.status = 'received'
    RETURNING update_id
    """
)
_FAIL = text(
    """
    INSERT INTO update_inbox (bot_id, update_id, status, attempts, payload, last_error, finished_at)
    VALUES (:bot_id, :update_id, 'failed', 1, :payload, :error, now())
    ON CONFLICT (bot_id, update_id) DO UPDATE
        SET status = 'failed', payload = coalesce(update_inbox.payload, EXCLUDED.payload),
            last_error = EXCLUDED.last_error, finished_at = now()
        WHERE update_inbox.status = 'received'
    """
).bindparams(bindparam("payload", type_=JSONB))
_SETTLE = text(
    "UPDATE update_inbox SET status = 'handled', payload = NULL, finished_at = now() "
    "WHERE bot_id = :bot_id AND update_id = :update_id AND status = 'received'"
)
# Rows a live handler holds (another replica's, mid-transaction) are skipped, never waited for.
_GIVE_UP = text(
    """
    WITH spent AS (
        SELECT update_id FROM update_inbox
        WHERE bot_id = :bot_id AND status = 'received' AND attempts >= :max_attempts
        FOR UPDATE SKIP LOCKED
    )
    UPDATE update_inbox AS u
    SET status = 'failed', finished_at = now(),
        last_error = left('gave up after ' || u.attempts || ' attempts: '
                          || coalesce(u.last_error, 'the bot stopped each time before it finished'), 500)
    FROM spent WHERE u.bot_id = :bot_id AND u.update_id = spent.update_id
    RETURNING u.update_id
    """
)
_RESUME = text(
    """
    WITH due AS (
        SELECT update_id FROM update_inbox
        WHERE bot_id = :bot_id AND status = 'received'
        ORDER BY update_id
        FOR UPDATE SKIP LOCKED
    )
    UPDATE update_inbox AS u SET attempts = u.attempts + 1
    FROM due WHERE u.bot_id = :bot_id AND u.update_id = due.update_id
    RETURNING u.update_id, u.payload
    """
)


def describe(exc: BaseException) -> str:
    """What is stored about an error: its type and first line (never the SQL and its parameters)."""
    first = (str(exc).splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}"[:ERROR_CHARS]


async def receive(uow: UnitOfWork, bot_id: int, updates: Sequence[tuple[int, dict[str, Any]]]) -> int:
    """Commit updates as they arrived; returns how many are new. A copy of one seen before changes
    nothing here: handled, it is dropped by its :func:`claim`."""
    if not updates:
        return 0
    rows = [{"update_id": update_id, "payload": payload} for update_id, payload in updates]
    result = await uow.session.execute(_RECEIVE, {"bot_id": bot_id, "rows": rows})
    fresh = len(result.all())
    await uow.commit()
    return fresh


async def claim(uow: UnitOfWork, bot_id: int, update_id: int) -> bool:
    """Mark the update handled inside the current transaction (no commit); False when it was finished
    before (a redelivery, or a second copy that waited for the first)."""
    claimed = await uow.session.scalar(_CLAIM, {"bot_id": bot_id, "update_id": update_id})
    return claimed is not None


async def fail(
    uow: UnitOfWork, bot_id: int, update_id: int, error: BaseException, payload: dict[str, Any]
) -> None:
    """The handler raised and its transaction was rolled back: the row is ``failed`` with the error
    (a row the handler had already committed as handled stays so). Commits."""
    await uow.session.execute(
        _FAIL, {"bot_id": bot_id, "update_id": update_id, "payload": payload, "error": describe(error)}
    )
    await uow.commit()


async def settle(uow: UnitOfWork, bot_id: int, update_id: int) -> None:
    """An update that never reached its unit of work (dropped by the throttle) is done. Commits."""
    await uow.session.execute(_SETTLE, {"bot_id": bot_id, "update_id": update_id})
    await uow.commit()


async def resume(
    uow: UnitOfWork, bot_id: int, *, max_attempts: int = MAX_ATTEMPTS
) -> tuple[list[Unfinished], list[int]]:
    """On start: the bot's unfinished updates, each counted as one more attempt, oldest first; and the
    ids given up because they had used every attempt. Commits."""
    params = {"bot_id": bot_id, "max_attempts": max_attempts}
    given_up = sorted(int(row[0]) for row in await uow.session.execute(_GIVE_UP, params))
    rows = (await uow.session.execute(_RESUME, params)).all()
    await uow.commit()
    due = sorted((Unfinished(int(r.update_id), dict(r.payload)) for r in rows), key=lambda u: u.update_id)
    return due, given_up


async def prune(uow: UnitOfWork, older_than: dt.datetime) -> int:
    """Forget updates finished before ``older_than`` (along ix_update_inbox_finished_at). Unfinished
    ones stay, whatever their age. Commits."""
    result = await uow.session.execute(delete(UpdateInbox).where(UpdateInbox.finished_at < older_than))
    await uow.commit()
    return int(getattr(result, "rowcount", 0) or 0)
