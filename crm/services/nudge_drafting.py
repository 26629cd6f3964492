"""Drafting a campaign's messages (one outbox row per representative) and planning their send times."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert

from ai.llm import LLMGateway
from ai.nudges.drafting import Draft, KnowledgeLookup, NudgeDrafter, Recipient
from ai.nudges.templates import NudgeTemplate
from ai.nudges.topics import topic_text
from crm.db import UnitOfWork
from crm.enums import NudgeMessageStatus
from crm.models import NudgeMessage, Representative
from crm.schemas.nudges import AudienceMember, NudgePolicy

DrafterFactory = Callable[[NudgeTemplate, str], NudgeDrafter]
DRAFT_CONCURRENCY = 8
"""Messages drafted at once (LLM calls in flight; the gateway's own rate limit still applies)."""


def drafter_factory(
    gateway: LLMGateway | None = None, knowledge: Callable[[], KnowledgeLookup] | None = None
) -> DrafterFactory:
    """Drafters that use the LLM when ``gateway`` is configured and suggest knowledge items from a
    fresh lookup per drafting run."""

    def build(template: NudgeTemplate, purpose: str) -> NudgeDrafter:
        lookup = knowledge() if knowledge is not None else None
        return NudgeDrafter(template, purpose, gateway=gateway, knowledge=lookup)

    return build


offline_drafter: DrafterFactory = drafter_factory()


async def _draft_all(drafter: NudgeDrafter, recipients: Sequence[Recipient]) -> list[Draft]:
    limit = asyncio.Semaphore(DRAFT_CONCURRENCY)

    async def one(recipient: Recipient) -> Draft:
        async with limit:
            return await drafter.draft(recipient)

    try:
        async with asyncio.TaskGroup() as group:  # one failure cancels the drafts still running
            tasks = [group.create_task(one(recipient)) for recipient in recipients]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None  # callers handle the error itself, not a group
    return [task.result() for task in tasks]


def _draft_meta(draft: Draft, topic_key: str | None, revision: int) -> dict[str, object]:
    """How a message was written (engine, prompt, fallback, what personalised it, for which campaign
    revision), kept on its row. The topic is a vocabulary key (ai.nudges.topics), never CRM text."""
    return {
        "revision": revision,
        "engine": draft.engine,
        "prompt_id": draft.prompt_id,
        "prompt_version": draft.prompt_version,
        "fallback_reason": draft.fallback_reason,
        "topic_key": topic_key,
        "topic_used": draft.used_topic,
        "knowledge_id": draft.knowledge_id,
    }


async def draft_members(drafter: NudgeDrafter, members: Sequence[AudienceMember]) -> list[Draft]:
    """One draft per member. No database work: callers run it between their transactions."""
    return await _draft_all(drafter, [Recipient(name=m.full_name, topic=m.topic) for m in members])


async def insert_rows(
    uow: UnitOfWork,
    campaign_id: int,
    members: Sequence[AudienceMember],
    drafts: Sequence[Draft],
    policy: NudgePolicy,
    start: dt.datetime,
    *,
    revision: int,
) -> list[str]:
    """One pending row per member with its text and planned time; returns the engines that wrote them
    (a member who got a row in this campaign meanwhile keeps it and is left out)."""
    rows = [
        {
            "campaign_id": campaign_id,
            "representative_id": member.representative_id,
            "chat_id": member.chat_id,
            "body": draft.text,
            "not_before": policy.window.place(start, member.best_hour, member.representative_id % 30),
            "meta": {
                **_draft_meta(draft, member.topic_key, revision),
                "best_hour": member.best_hour,
                "score": member.score,
            },
        }
        for member, draft in zip(members, drafts, strict=True)
    ]
    engines: list[str] = []
    for start_at in range(0, len(rows), 1000):
        inserted = await uow.session.scalars(
            insert(NudgeMessage)
            .values(rows[start_at : start_at + 1000])
            .on_conflict_do_nothing(index_elements=["campaign_id", "representative_id"])
            .returning(NudgeMessage.meta)
        )
        engines += [str((meta or {}).get("engine")) for meta in inserted]
    return engines


_FINAL = [NudgeMessageStatus.SENT.value, NudgeMessageStatus.FAILED.value, NudgeMessageStatus.SKIPPED.value]


async def already_in_campaign(uow: UnitOfWork, campaign_id: int) -> set[int]:
    """Representatives whose row in this campaign is final (sent, failed, skipped). A row still in
    flight is not final: it may come back to pending, and is then redrafted with the campaign."""
    found = await uow.session.scalars(
        select(NudgeMessage.representative_id).where(
            NudgeMessage.campaign_id == campaign_id, NudgeMessage.status.in_(_FINAL)
        )
    )
    return set(found)


async def refresh_stale(
    uow: UnitOfWork, campaign_id: int, template: NudgeTemplate, purpose: str, revision: int
) -> list[str]:
    """Unsent rows drafted for an earlier revision (they were in flight during an edit and came back
    to pending: a 429, a released claim), written again from the current template, offline: no model
    call inside a transaction. The outbox never sends a row of another revision meanwhile."""
    stale = [m for m in await unsent(uow, campaign_id) if m.revision not in (None, revision)]
    drafts = await redraft(offline_drafter(template, purpose), stale)
    return await rewrite_unsent(uow, stale, drafts, revision=revision)


@dataclass(frozen=True)
class UnsentMessage:
    id: int
    full_name: str
    meta: dict[str, Any]

    @property
    def topic_key(self) -> str | None:
        key = self.meta.get("topic_key")
        return key if isinstance(key, str) else None

    @property
    def topic(self) -> str | None:
        """The vocabulary phrase of its key; a row drafted before the vocabulary has none."""
        return topic_text(self.topic_key)

    @property
    def revision(self) -> int | None:
        revision = self.meta.get("revision")
        return revision if isinstance(revision, int) else None


async def unsent(uow: UnitOfWork, campaign_id: int) -> list[UnsentMessage]:
    rows = await uow.session.execute(
        select(NudgeMessage.id, NudgeMessage.meta, Representative.full_name)
        .join(Representative, Representative.id == NudgeMessage.representative_id)
        .where(
            NudgeMessage.campaign_id == campaign_id, NudgeMessage.status == NudgeMessageStatus.PENDING.value
        )
    )
    return [UnsentMessage(row.id, row.full_name, dict(row.meta or {})) for row in rows]


async def redraft(drafter: NudgeDrafter, messages: Sequence[UnsentMessage]) -> list[Draft]:
    """New texts for unsent messages (no database work)."""
    return await _draft_all(drafter, [Recipient(name=m.full_name, topic=m.topic) for m in messages])


async def rewrite_unsent(
    uow: UnitOfWork, messages: Sequence[UnsentMessage], drafts: Sequence[Draft], *, revision: int
) -> list[str]:
    """Store the new texts; a message sent meanwhile keeps what was sent."""
    for message, draft in zip(messages, drafts, strict=True):
        await uow.session.execute(
            update(NudgeMessage)
            .where(NudgeMessage.id == message.id, NudgeMessage.status == NudgeMessageStatus.PENDING.value)
            .values(body=draft.text, meta={**message.meta, **_draft_meta(draft, message.topic_key, revision)})
        )
    return [draft.engine for draft in drafts]


def send_time(
    not_before: dt.datetime,
    representative_id: int,
    meta: dict[str, Any] | None,
    policy: NudgePolicy,
    start: dt.datetime,
    *,
    approved: bool,
) -> dt.datetime:
    """When a pending message will go: the one rule behind the approval card, the approval notice,
    the CLI and the re-planning at approval.

    Not approved yet, a message planned before ``start`` (the approval, or the campaign's start) moves to
    the representative's usual hour on the next allowed day, as approval will move it. Approved, a
    message already due goes as soon as the send window is open."""
    if approved:
        return policy.window.next_open(max(not_before, start))
    if not_before >= start:
        return not_before
    return policy.window.place(start, (meta or {}).get("best_hour"), representative_id % 30)


async def pending_plan(
    uow: UnitOfWork, campaign_id: int, policy: NudgePolicy, start: dt.datetime, *, approved: bool
) -> list[tuple[int, dt.datetime]]:
    """(message id, send time) of every pending message of the campaign."""
    rows = await uow.session.execute(
        select(
            NudgeMessage.id, NudgeMessage.representative_id, NudgeMessage.not_before, NudgeMessage.meta
        ).where(
            NudgeMessage.campaign_id == campaign_id, NudgeMessage.status == NudgeMessageStatus.PENDING.value
        )
    )
    return [
        (row.id, send_time(row.not_before, row.representative_id, row.meta, policy, start, approved=approved))
        for row in rows
    ]


async def replan(uow: UnitOfWork, campaign_id: int, policy: NudgePolicy, start: dt.datetime) -> None:
    """At approval: write each pending message's send time (moves those planned before ``start``)."""
    for message_id, at in await pending_plan(uow, campaign_id, policy, start, approved=False):
        await uow.session.execute(
            update(NudgeMessage)
            .where(NudgeMessage.id == message_id, NudgeMessage.not_before != at)
            .values(not_before=at)
        )


async def clear_unsent(uow: UnitOfWork, campaign_id: int) -> None:
    await uow.session.execute(
        delete(NudgeMessage).where(
            NudgeMessage.campaign_id == campaign_id, NudgeMessage.status == NudgeMessageStatus.PENDING.value
        )
    )


def paced(planned: Sequence[dt.datetime], policy: NudgePolicy) -> list[dt.datetime]:
    """The planned times, in order, as the dispatcher's global rate and the send window stretch them."""
    gap = dt.timedelta(seconds=1 / policy.global_rate_per_s)
    out: list[dt.datetime] = []
    for not_before in sorted(planned):
        moment = not_before if not out else max(out[-1] + gap, not_before)
        out.append(moment if policy.window.is_open(moment) else policy.window.next_open(moment))
    return out


def estimate_finish(planned: Sequence[dt.datetime], policy: NudgePolicy) -> dt.datetime | None:
    """When the last message should go, given the planned times, the global rate and the window."""
    times = paced(planned, policy)
    return times[-1] if times else None
