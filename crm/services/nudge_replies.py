"""After a nudge: a representative's reply (attributed to the nudge it answers), the agent's answer
going back, and /stop skipping everything still queued."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from crm.db import UnitOfWork
from crm.enums import AgentRole, NudgeMessageStatus, OutboundKind
from crm.errors import NotFound, ValidationFailed
from crm.models import CrtAgent, NudgeMessage, Representative
from crm.schemas.nudges import MessageSender
from crm.schemas.outbox import DeliveryDTO, Outgoing
from crm.schemas.people import AgentDTO, RepresentativeDTO
from crm.schemas.types import Actor
from crm.services import nudge_outbox, outbox, representatives

REPLY_WINDOW_DAYS = 7


async def _latest_sent(uow: UnitOfWork, rep_id: int, since: dt.datetime) -> NudgeMessage | None:
    return await uow.session.scalar(
        select(NudgeMessage)
        .where(
            NudgeMessage.representative_id == rep_id,
            NudgeMessage.status == NudgeMessageStatus.SENT.value,
            NudgeMessage.sent_at >= since,
        )
        .order_by(NudgeMessage.sent_at.desc())
        .limit(1)
        .with_for_update()
    )


async def attribute_reply(
    uow: UnitOfWork,
    rep_id: int,
    interaction_id: int,
    at: dt.datetime,
    *,
    window_days: int = REPLY_WINDOW_DAYS,
) -> int | None:
    """Link a representative's message to the latest nudge they got within the window (first reply
    only), and note that they are reachable again. Returns the nudge message id, if any."""
    nudge = await _latest_sent(uow, rep_id, at - dt.timedelta(days=window_days))
    found = None
    if nudge is not None and nudge.replied_at is None:
        nudge.replied_at, nudge.reply_interaction_id = at, interaction_id
        found = nudge.id
    await uow.session.execute(
        update(Representative)
        .where(Representative.id == rep_id, Representative.unreachable_at.is_not(None))
        .values(unreachable_at=None)
    )
    await uow.commit()
    return found


async def opt_out(
    uow: UnitOfWork, rep_id: int, actor: Actor, *, at: dt.datetime | None = None
) -> RepresentativeDTO:
    """/stop: opted out at once, every queued message skipped, and the nudge that prompted it noted."""
    at = at or dt.datetime.now(dt.UTC)
    rep = await representatives.set_nudge_opt_out(uow, rep_id, True, actor)
    await nudge_outbox.skip_for_rep(uow, rep_id, "opted out")
    nudge = await _latest_sent(uow, rep_id, at - dt.timedelta(days=REPLY_WINDOW_DAYS))
    if nudge is not None and nudge.opted_out_at is None:
        nudge.opted_out_at = at
    await uow.commit()
    return rep


async def reply_recipients(uow: UnitOfWork, rep: RepresentativeDTO) -> list[AgentDTO]:
    """Who sees a representative's message: the assigned agent when active, else every supervisor."""
    if rep.assigned_agent_id is not None:
        agent = await uow.session.get(CrtAgent, rep.assigned_agent_id)
        if agent is not None and agent.active:
            return [AgentDTO.model_validate(agent)]
    rows = await uow.session.scalars(
        select(CrtAgent)
        .where(CrtAgent.active, CrtAgent.role.in_([AgentRole.SUPERVISOR.value, AgentRole.ADMIN.value]))
        .order_by(CrtAgent.id)
    )
    return [AgentDTO.model_validate(row) for row in rows]


async def answer_target(uow: UnitOfWork, rep_id: int) -> RepresentativeDTO:
    """The representative an agent is about to answer, refused if the bot cannot write to them."""
    rep = await uow.session.get(Representative, rep_id)
    if rep is None:
        raise NotFound(f"representative {rep_id} not found", rep_id=rep_id)
    if rep.telegram_user_id is None:
        raise ValidationFailed("this representative is not linked to Telegram", rep_id=rep_id)
    return RepresentativeDTO.model_validate(rep)


async def send_answer(
    uow: UnitOfWork, rep: RepresentativeDTO, agent_id: int, body: str, key: str, sender: MessageSender
) -> DeliveryDTO:
    """The agent's answer to the representative, sent at most once per ``key`` (the agent's message)
    through the outbox of one-off messages, and logged as an outbound, CRT-authored interaction."""
    if rep.telegram_user_id is None:
        raise ValidationFailed("this representative is not linked to Telegram", rep_id=rep.id)
    message = Outgoing(
        key=key,
        kind=OutboundKind.ANSWER,
        representative_id=rep.id,
        agent_id=agent_id,
        chat_id=rep.telegram_user_id,
        body=body,
    )
    return await outbox.send(uow, message, sender, Actor.agent(agent_id))
