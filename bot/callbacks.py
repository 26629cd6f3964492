"""Typed callback data. Prefixes are one letter and ids are integers, so every payload stays well
under Telegram's 64-byte limit (aiogram refuses to build a longer one)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class RepAction(CallbackData, prefix="r"):
    action: str  # card | log | tnew | tlist | hist | link | arc
    rep_id: int
    before: int = 0  # history paging: how many newer interactions to skip


class TicketAction(CallbackData, prefix="t"):
    action: str  # view | comment | move | resolve
    ticket_id: int
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
    agent_id: int = 0
    role: str = ""  # role: the role to set


class VoiceAction(CallbackData, prefix="v"):
    """Buttons of a voice note: rep (attribute to ``rep_id``) | find | up | down | fix | retry."""

    action: str
    note_id: int
    rep_id: int = 0


class CallPrep(CallbackData, prefix="cp"):
    action: str  # rep (prep for rep_id, picked from a list) | done (how did the call go?)
    sid: int = 0  # the briefing's ai_suggestion id
    rep_id: int = 0


class Feedback(CallbackData, prefix="fb"):
    """👍/👎 on any AI output: ``sid`` is its ai_suggestion id."""

    action: str  # up | down
    sid: int


class CampaignAction(CallbackData, prefix="n"):
    """Approval card buttons: open | ok | no | edit | more. ``revision`` is the one the card shows."""

    action: str
    campaign_id: int
    revision: int = 0
    offset: int = 0


class RepReply(CallbackData, prefix="y"):
    """ "Reply" under a representative's forwarded message."""

    rep_id: int


class KnowledgeAction(CallbackData, prefix="kb"):
    """Knowledge hub buttons. FAQ review: ``faq_ok`` | ``faq_no`` (``id`` = knowledge_document id).
    Drafts: ``shorter`` | ``formal`` | ``warmer`` | ``send`` | ``confirm`` (``id`` = the draft's
    ai_suggestion id, so buttons keep working after a restart and each revision has its own id)."""

    action: str
    id: int
