"""One-off messages to a representative (a /draft sent, an agent's answer) through an outbox, the way
the nudge dispatcher sends (docs/nudges.md §5): claim committed, then the Bot API call, then the outcome.

A row moves ``sending → sent | failed``, keyed by the intent, so a second press finds the first:

* ``sending`` is committed *before* the call (with the caller's transaction so far: the bot's update
  claim), so a crash or an error after Telegram took the message still leaves a row that says so;
* delivered → ``sent`` with Telegram's message id, logged as a CRT-authored interaction (its text is
  never scored as the representative's emotion) and audited, in one transaction;
* refused (blocked, chat gone, 429 after retries, 5xx, no connection) → ``failed``: the claim is
  released, nothing is logged, and a later press may send;
* no answer (timeout, dropped connection), or a row found still ``sending`` by a second press or on
  start → ``sent`` with ``last_error = unconfirmed: …`` and no message id, logged like a delivered one,
  and never sent again: at most once, as a duplicate message to a representative is worse than an
  unconfirmed one.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert

from crm import audit
from crm.db import UnitOfWork
from crm.enums import Channel, Direction, OutboundKind
from crm.errors import NotFound
from crm.models import Interaction, OutboundMessage
from crm.schemas.nudges import MessageSender, SendOutcome
from crm.schemas.outbox import Delivery, DeliveryDTO, Outgoing
from crm.schemas.types import Actor

log = logging.getLogger(__name__)

UNCONFIRMED = "unconfirmed:"
"""How ``last_error`` of a sent row that Telegram never confirmed begins."""
UNCONFIRMED_CUT_OFF = (
    f"{UNCONFIRMED} the send was cut off before its outcome was recorded (the bot stopped, or an error); "
    "not re-sent (at-most-once)"
)
SOURCE = {OutboundKind.DRAFT: "kb_draft", OutboundKind.ANSWER: "telegram_answer"}
"""The interaction that records each kind (its (source, idempotency_key) is the outbox key)."""
ACTION = {OutboundKind.DRAFT: "draft.sent", OutboundKind.ANSWER: "nudge.answer"}

# A new intent, or one whose earlier claim was refused: claimed. Nothing when sending or sent.
_CLAIM = text(
    """
    INSERT INTO outbound_message (key, kind, representative_id, agent_id, ai_suggestion_id, chat_id, body,
                                  status, attempts, claim_token, claimed_at)
    VALUES (:key, :kind, :rep_id, :agent_id, :suggestion_id, :chat_id, :body,
            'sending', 1, :token, clock_timestamp())
    ON CONFLICT (key) DO UPDATE
        SET status = 'sending', attempts = outbound_message.attempts + 1, claim_token = EXCLUDED.claim_token,
            claimed_at = EXCLUDED.claimed_at, chat_id = EXCLUDED.chat_id, body = EXCLUDED.body,
            agent_id = EXCLUDED.agent_id, last_error = NULL
        WHERE outbound_message.status = 'failed'
    RETURNING id
    """
)
# Each outcome is guarded by the claim. A delivered one may also confirm a row reconciled meanwhile
# (a second press while the first was still sending); the others leave such a row as it is.
_DELIVERED = text(
    "UPDATE outbound_message SET status = 'sent', sent_at = :at, telegram_message_id = :mid, "
    "last_error = NULL WHERE id = :id AND claim_token = :token AND status IN ('sending', 'sent') RETURNING id"
)
_UNCONFIRMED = text(
    "UPDATE outbound_message SET status = 'sent', sent_at = :at, last_error = :error "
    "WHERE id = :id AND claim_token = :token AND status = 'sending' RETURNING id"
)
_RELEASED = text(
    "UPDATE outbound_message SET status = 'failed', last_error = :error, claim_token = NULL "
    "WHERE id = :id AND claim_token = :token AND status = 'sending' RETURNING id"
)
_RECONCILE = text(
    """
    UPDATE outbound_message SET status = 'sent', sent_at = coalesce(claimed_at, now()), last_error = :note
    WHERE status = 'sending' AND (CAST(:key AS text) IS NULL OR key = :key)
    RETURNING id
    """
)


async def send(uow: UnitOfWork, message: Outgoing, sender: MessageSender, actor: Actor) -> DeliveryDTO:
    """Send ``message`` at most once per key. Commits the claim before the Bot API call."""
    token = uuid.uuid4().hex
    claimed = await uow.session.scalar(
        _CLAIM,
        {
            "key": message.key,
            "kind": message.kind.value,
            "rep_id": message.representative_id,
            "agent_id": message.agent_id,
            "suggestion_id": message.ai_suggestion_id,
            "chat_id": message.chat_id,
            "body": message.body,
            "token": token,
        },
    )
    if claimed is None:
        return await _earlier(uow, message.key)
    await uow.commit()
    try:
        outcome = await sender.send_text(message.chat_id, message.body)
    except Exception as exc:  # a bug in the adapter: the request may have left, so never again
        log.exception("sending outbound message %s failed", claimed)
        outcome = SendOutcome("unconfirmed", error=f"{UNCONFIRMED} {type(exc).__name__}: {exc}"[:300])
    return await _record(uow, int(claimed), token, outcome, actor)


async def reconcile_orphans(uow: UnitOfWork) -> list[int]:
    """On start: every claim still ``sending`` was cut off by a dead process (or an error before its
    outcome was written). Each is recorded as sent but unconfirmed and logged; none is sent again."""
    return await _reconcile(uow, None)


async def _earlier(uow: UnitOfWork, key: str) -> DeliveryDTO:
    """A second press: what the first one did (a claim still sending is reconciled, never resent)."""
    row = await uow.session.scalar(
        select(OutboundMessage).where(OutboundMessage.key == key).with_for_update()
    )
    if row is None:  # deleted between the two statements (its representative was deleted)
        raise NotFound(f"outbound message {key!r} not found", key=key)
    if row.status == "sending":
        await _reconcile(uow, key)
        await uow.session.refresh(row)
    await uow.commit()
    unconfirmed = (row.last_error or "").startswith(UNCONFIRMED)
    delivery = Delivery.ALREADY_UNCONFIRMED if unconfirmed else Delivery.ALREADY_SENT
    return DeliveryDTO(outbound_id=row.id, delivery=delivery, interaction_id=row.interaction_id)


async def _reconcile(uow: UnitOfWork, key: str | None) -> list[int]:
    ids = [
        int(r[0]) for r in await uow.session.execute(_RECONCILE, {"key": key, "note": UNCONFIRMED_CUT_OFF})
    ]
    for outbound_id in ids:
        await _log(uow, outbound_id, Actor.system(), confirmed=False)
    if ids:
        audit.record(
            uow.session, Actor.system(), "outbound_message.reconcile", "outbound_message", None,
            after={"unconfirmed": len(ids), "ids": ids[:100]},
        )  # fmt: skip
    await uow.commit()
    return ids


async def _record(
    uow: UnitOfWork, outbound_id: int, token: str, outcome: SendOutcome, actor: Actor
) -> DeliveryDTO:
    at = dt.datetime.now(dt.UTC)
    params = {"id": outbound_id, "token": token, "at": at}
    if outcome.status == "delivered":
        done = await uow.session.scalar(_DELIVERED, {**params, "mid": outcome.message_id})
        delivery = Delivery.SENT
    elif outcome.status == "unconfirmed":
        error = outcome.error or ""
        error = (error if error.startswith(UNCONFIRMED) else f"{UNCONFIRMED} {error or 'no answer'}")[:500]
        done = await uow.session.scalar(_UNCONFIRMED, {**params, "error": error})
        delivery = Delivery.UNCONFIRMED
    else:
        error = (outcome.error or outcome.status)[:500]
        await uow.session.execute(_RELEASED, {"id": outbound_id, "token": token, "error": error})
        await uow.commit()
        return DeliveryDTO(outbound_id=outbound_id, delivery=Delivery.REFUSED, error=error)
    interaction_id = (
        await _log(uow, outbound_id, actor, confirmed=delivery == Delivery.SENT) if done else None
    )
    await uow.commit()
    return DeliveryDTO(
        outbound_id=outbound_id, delivery=delivery, interaction_id=interaction_id, error=outcome.error
    )


async def _log(uow: UnitOfWork, outbound_id: int, actor: Actor, *, confirmed: bool) -> int:
    """The message on the representative's record (once per key), linked from its row, audited."""
    row = await uow.session.get(OutboundMessage, outbound_id, populate_existing=True)
    assert row is not None
    kind = OutboundKind(row.kind)
    inserted = await uow.session.scalar(
        insert(Interaction)
        .values(
            representative_id=row.representative_id,
            agent_id=row.agent_id,
            channel=Channel.TELEGRAM.value,
            direction=Direction.OUTBOUND.value,
            occurred_at=row.sent_at or dt.datetime.now(dt.UTC),
            body=row.body,
            summary=row.body.split("\n", 1)[0][:200],
            ai_suggestion_id=row.ai_suggestion_id,
            source=SOURCE[kind],
            idempotency_key=row.key,
            crt_authored=True,
        )
        .on_conflict_do_nothing(index_elements=["source", "idempotency_key"])
        .returning(Interaction.id)
    )
    interaction_id = inserted or await uow.session.scalar(
        select(Interaction.id).where(
            Interaction.source == SOURCE[kind], Interaction.idempotency_key == row.key
        )
    )
    row.interaction_id = interaction_id
    if inserted is not None:
        audit.record(
            uow.session, actor, ACTION[kind], "interaction", inserted,
            after={"outbound_message_id": row.id, "representative_id": row.representative_id,
                   "suggestion_id": row.ai_suggestion_id, "confirmed": confirmed},
        )  # fmt: skip
    await uow.session.flush()
    return int(interaction_id or 0)
