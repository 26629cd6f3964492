"""The nudge outbox, as the dispatcher uses it. Each function is one short transaction.

A message row moves ``pending → sending → sent | failed | skipped`` (or back to ``pending`` for a
retry). ``sending`` is committed *before* the Bot API call and the outcome right after it, so the
table always says how far a message got. A row still ``sending`` when a dispatcher starts was in
flight when the previous one died: Telegram may or may not have it, and it is never sent again
(at-most-once) but recorded as sent-unconfirmed (see docs/nudges.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text

from crm import audit
from crm.db import UnitOfWork
from crm.schemas.nudges import ClaimedMessage, NudgePolicy, SendResult
from crm.schemas.types import Actor

UNCONFIRMED_CRASH = "unconfirmed: the dispatcher stopped during the send; not re-sent (at-most-once)"
UNCONFIRMED_TIMEOUT = "unconfirmed: no answer from Telegram; not re-sent (at-most-once)"

_CLAIM = text(
    """
    WITH due AS (
        SELECT m.id FROM nudge_message AS m
        JOIN nudge_campaign AS c ON c.id = m.campaign_id AND c.status = 'sending'
        JOIN representative AS r ON r.id = m.representative_id
        WHERE m.status = 'pending' AND m.not_before <= now()
          AND COALESCE(CAST(m.meta ->> 'revision' AS integer), c.revision) = c.revision
          AND r.nudges_opt_out_at IS NULL AND r.unreachable_at IS NULL AND r.telegram_user_id = m.chat_id
          AND NOT EXISTS (
              SELECT 1 FROM nudge_message AS x
              WHERE x.chat_id = m.chat_id AND x.id <> m.id
                AND (x.status = 'sending'
                     OR x.sent_at > now() - make_interval(secs => CAST(:interval AS double precision))))
        ORDER BY m.not_before, m.id
        LIMIT :limit
        FOR UPDATE OF m SKIP LOCKED
    )
    UPDATE nudge_message AS m
    SET status = 'sending', claimed_at = clock_timestamp(), claim_token = :token, attempts = m.attempts + 1
    FROM due WHERE m.id = due.id
    RETURNING m.id, m.chat_id, m.body, m.attempts, m.representative_id
    """
)
_SKIP_INELIGIBLE = text(
    """
    UPDATE nudge_message AS m
    SET status = 'skipped',
        last_error = CASE WHEN r.nudges_opt_out_at IS NOT NULL THEN 'opted out'
                          WHEN r.telegram_user_id IS NULL THEN 'unlinked'
                          WHEN r.telegram_user_id <> m.chat_id THEN 'telegram account changed'
                          ELSE 'unreachable' END
    FROM representative AS r, nudge_campaign AS c
    WHERE m.representative_id = r.id AND c.id = m.campaign_id AND m.status = 'pending'
      AND c.status IN ('pending_approval', 'approved', 'scheduled', 'sending')
      AND (r.nudges_opt_out_at IS NOT NULL OR r.unreachable_at IS NOT NULL OR r.telegram_user_id IS NULL
           OR r.telegram_user_id <> m.chat_id)
    """
)
_SKIP_FOR_REP = text(
    "UPDATE nudge_message SET status = 'skipped', last_error = :reason "
    "WHERE representative_id = :rep_id AND status = 'pending'"
)
_RECONCILE = text(
    """
    UPDATE nudge_message SET status = 'sent', sent_at = coalesce(claimed_at, now()), last_error = :note
    WHERE status = 'sending' AND claim_token IS DISTINCT FROM :token
    RETURNING id
    """
)
_RELEASE = text(
    "UPDATE nudge_message SET status = 'pending', claim_token = NULL, attempts = greatest(attempts - 1, 0) "
    "WHERE status = 'sending' AND claim_token = :token"
)
# Each outcome update is guarded by the claim: a row reconciled or released meanwhile is left alone.
_DELIVERED = text(
    "UPDATE nudge_message SET status = 'sent', sent_at = :at, telegram_message_id = :mid, last_error = NULL "
    "WHERE id = :id AND status = 'sending' AND claim_token = :token"
)
_UNCONFIRMED = text(
    "UPDATE nudge_message SET status = 'sent', sent_at = :at, last_error = :error "
    "WHERE id = :id AND status = 'sending' AND claim_token = :token"
)
_RETRY = text(
    "UPDATE nudge_message SET status = 'pending', not_before = :not_before, last_error = :error, "
    "attempts = greatest(attempts - :refund, 0), claim_token = NULL "
    "WHERE id = :id AND status = 'sending' AND claim_token = :token"
)
_FAILED = text(
    "UPDATE nudge_message SET status = 'failed', last_error = :error "
    "WHERE id = :id AND status = 'sending' AND claim_token = :token"
)
_UNREACHABLE = text(
    "UPDATE representative SET unreachable_at = :at "
    "WHERE id = :rep_id AND unreachable_at IS NULL RETURNING id"
)


def backoff_s(attempts: int) -> float:
    """Seconds before a transient failure is retried: 2, 4, 8 … capped at five minutes."""
    return float(min(300, 2**attempts))


async def claim(
    uow: UnitOfWork, limit: int, token: str, *, per_chat_interval_s: float
) -> list[ClaimedMessage]:
    """Mark up to ``limit`` due messages ``sending`` for this dispatcher run, and commit."""
    rows = (
        await uow.session.execute(_CLAIM, {"limit": limit, "token": token, "interval": per_chat_interval_s})
    ).all()
    await uow.commit()
    return [ClaimedMessage(r.id, r.chat_id, r.body, r.attempts, r.representative_id) for r in rows]


async def release(uow: UnitOfWork, token: str) -> int:
    """Back to ``pending``: rows of a claim whose answer never reached the dispatcher (so it sent none)."""
    result = await uow.session.execute(_RELEASE, {"token": token})
    await uow.commit()
    return int(getattr(result, "rowcount", 0) or 0)


async def skip_ineligible(uow: UnitOfWork) -> int:
    """Pending messages to representatives who opted out, unlinked or became unreachable: skipped."""
    result = await uow.session.execute(_SKIP_INELIGIBLE)
    await uow.commit()
    return int(getattr(result, "rowcount", 0) or 0)


async def skip_for_rep(uow: UnitOfWork, rep_id: int, reason: str) -> None:
    """Inside the caller's transaction (no commit)."""
    await uow.session.execute(_SKIP_FOR_REP, {"rep_id": rep_id, "reason": reason})


async def reconcile_orphans(uow: UnitOfWork, token: str) -> list[int]:
    """Rows another (dead) dispatcher run left in ``sending``: sent-unconfirmed, never re-sent."""
    ids = [
        int(row[0])
        for row in await uow.session.execute(_RECONCILE, {"token": token, "note": UNCONFIRMED_CRASH})
    ]
    if ids:
        audit.record(
            uow.session, Actor.system(), "nudge_message.reconcile", "nudge_message", None,
            after={"unconfirmed": len(ids), "ids": ids[:100]},
        )  # fmt: skip
    await uow.commit()
    return ids


async def record(uow: UnitOfWork, results: Sequence[SendResult], token: str, policy: NudgePolicy) -> None:
    """Write the outcomes of one batch of sends (one transaction)."""
    buckets: dict[Any, list[dict[str, Any]]] = {}
    unreachable: list[SendResult] = []
    for result in results:
        outcome, message = result.outcome, result.message
        base = {"id": message.id, "token": token}
        if outcome.status == "delivered":
            buckets.setdefault(_DELIVERED, []).append({**base, "at": result.at, "mid": outcome.message_id})
        elif outcome.status == "unconfirmed":
            error = outcome.error or UNCONFIRMED_TIMEOUT
            buckets.setdefault(_UNCONFIRMED, []).append({**base, "at": result.at, "error": error[:500]})
        elif outcome.status == "retry_after":
            not_before = result.at + dt.timedelta(seconds=outcome.retry_after)
            error = f"429: retry after {outcome.retry_after:g}s"
            buckets.setdefault(_RETRY, []).append(
                {**base, "not_before": not_before, "error": error, "refund": 1}
            )
        elif outcome.status == "transient" and message.attempts < policy.max_attempts:
            not_before = result.at + dt.timedelta(seconds=backoff_s(message.attempts))
            error = (outcome.error or "transient error")[:500]
            buckets.setdefault(_RETRY, []).append(
                {**base, "not_before": not_before, "error": error, "refund": 0}
            )
        else:
            error = (outcome.error or outcome.status)[:500]
            if outcome.status == "transient":
                error = f"gave up after {message.attempts} attempts: {error}"[:500]
            buckets.setdefault(_FAILED, []).append({**base, "error": error})
            if outcome.status == "blocked":
                unreachable.append(result)
    for statement, params in buckets.items():
        await uow.session.execute(statement, params)
    for result in unreachable:
        rep_id = result.message.representative_id
        marked = await uow.session.scalar(_UNREACHABLE, {"rep_id": rep_id, "at": result.at})
        await skip_for_rep(uow, rep_id, "unreachable: the representative blocked the bot")
        if marked is not None:
            audit.record(
                uow.session, Actor.system(), "representative.unreachable", "representative", rep_id,
                after={"reason": result.outcome.error},
            )  # fmt: skip
    await uow.commit()
