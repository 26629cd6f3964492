"""A refused status change is explained in the words of the thing refused: a voice note's review, a
ticket's move and a campaign's decision each name their own statuses.

Found by the review: every refusal was worded with ticket status keys, so rating a voice note that has
no transcript raised ``KeyError: 'tstatus.failed'`` inside the error handler."""

from __future__ import annotations

import pytest

from bot.texts import Texts
from bot.texts.en import EN
from bot.texts.fa import FA
from crm.db import UnitOfWork
from crm.enums import CampaignStatus, TicketStatus, VoiceFailure, VoiceNoteStatus
from crm.errors import TRANSITION_ACTIONS, InvalidTransition
from crm.schemas.types import Actor
from crm.schemas.voice import VoiceNoteIncoming
from crm.services import voice_notes
from tests.bot.harness import BotHarness, alerts
from tests.factories import make_agent


async def test_rating_a_voice_note_without_a_transcript_is_explained(
    harness: BotHarness, db: UnitOfWork
) -> None:
    async with db:
        agent = await make_agent(db)
        incoming = VoiceNoteIncoming(
            file_unique_id="too-large-1", file_id="f1", kind="voice", size_bytes=99_000_000,
            chat_id=agent.telegram_user_id, agent_id=agent.id,
        )  # fmt: skip
        note, _ = await voice_notes.reject(
            db, incoming, VoiceFailure.TOO_LARGE, "too large", Actor.agent(agent.id)
        )
    user = harness.emulator.user(agent.telegram_user_id, "Agent")
    await harness.text(user, "/help")
    calls = await harness.press(user, harness.last(user), f"v:up:{note.id}:0", check=False)
    expected = FA["error.invalid_action.voice_note.rate"].format(status=FA["voice.status.failed"])
    assert alerts(calls) == [expected]


@pytest.mark.parametrize("catalog", [FA, EN], ids=["fa", "en"])
def test_every_refusal_has_words_in_both_languages(catalog: dict[str, str]) -> None:
    statuses = {"ticket": TicketStatus, "voice_note": VoiceNoteStatus, "campaign": CampaignStatus}
    prefixes = {"ticket": "tstatus", "voice_note": "voice.status", "campaign": "nudge.status"}
    for entity, actions in TRANSITION_ACTIONS.items():
        for status in statuses[entity]:
            assert f"{prefixes[entity]}.{status.value}" in catalog
        for action in actions:
            assert f"error.invalid_action.{entity}.{action}" in catalog


def test_an_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="TRANSITION_ACTIONS"):
        InvalidTransition("x", entity="voice_note", from_status="done", action="publish")
    with pytest.raises(TypeError):
        InvalidTransition("x", entity="ticket", from_status="open")
    assert Texts("en").t("error.invalid_transition", from_status="a", to_status="b")
