"""Typed callback data. Prefixes are one letter and ids are integers, so every payload stays well
under Telegram's 64-byte limit (aiogram refuses to build a longer one)."""

from __future__ import annotations

from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
"""A database id (PostgreSQL bigint). A forged or garbled button with anything else fails to unpack,
so it matches no handler and gets the stale-button alert instead of reaching a query."""
OptionalId = Annotated[int, Field(ge=0, le=2**63 - 1)]
"""An id that may be absent (0)."""
Offset = Annotated[int, Field(ge=0, le=1_000_000)]
Revision = Annotated[int, Field(ge=0, le=2**31 - 1)]


class RepAction(CallbackData, prefix="r"):
    action: str  # card | log | tnew | tlist | hist | link | arc
    rep_id: Id
    before: Offset = 0  # history paging: how many newer interactions to skip


class TicketAction(CallbackData, prefix="t"):
    action: str  # view | comment | move | resolve
    ticket_id: Id
    status: str = ""  # move: the target status


class Choice(CallbackData, prefix="c"):
    """A button inside a multi-step flow; ``field`` names the step so a stale button is detectable."""

    field: str
    value: str


class Cancel(CallbackData, prefix="x"):
    pass


class AgentAdmin(CallbackData, prefix="a"):
    """Buttons carry the target, not a toggle, so pressing an old button twice cannot flip twice."""

    action: str  # add | on | off | role
    agent_id: OptionalId = 0
    role: str = ""  # role: the role to set


class VoiceAction(CallbackData, prefix="v"):
    """Buttons of a voice note: rep (attribute to ``rep_id``) | find | up | down | fix | retry."""

    action: str
    note_id: Id
    rep_id: OptionalId = 0


class CallPrep(CallbackData, prefix="cp"):
    action: str  # rep (prep for rep_id, picked from a list) | done (how did the call go?)
    sid: OptionalId = 0  # the briefing's ai_suggestion id
    rep_id: OptionalId = 0


class Feedback(CallbackData, prefix="fb"):
    """👍/👎 on any AI output: ``sid`` is its ai_suggestion id."""

    action: str  # up | down
    sid: Id


class CampaignAction(CallbackData, prefix="n"):
    """Approval card buttons: open | ok | no | edit | more. ``revision`` is the one the card shows."""

    action: str
    campaign_id: Id
    revision: Revision = 0
    offset: Offset = 0


class RepReply(CallbackData, prefix="y"):
    """ "Reply" under a representative's forwarded message."""

    rep_id: Id


class KnowledgeAction(CallbackData, prefix="kb"):
    """Knowledge hub buttons. FAQ review: ``faq_ok`` | ``faq_no`` (``id`` = knowledge_document id).
    Drafts: ``shorter`` | ``formal`` | ``warmer`` | ``send`` | ``confirm`` (``id`` = the draft's
    ai_suggestion id, so buttons keep working after a restart and each revision has its own id)."""

    action: str
    id: Id
