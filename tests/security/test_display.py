"""What someone else wrote is shown as it is: bidi overrides, embeddings and isolates (U+202E, U+202D,
U+2066 …) were kept in representatives' messages forwarded to agents, allowing visual spoofing."""

from __future__ import annotations

import pytest

from bot.render import esc
from crm.db import UnitOfWork
from tests.bot.harness import BotHarness
from tests.factories import make_agent, make_rep

CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"


@pytest.mark.parametrize("control", list(CONTROLS))
def test_shown_text_never_carries_a_bidi_control(control: str) -> None:
    assert control not in esc(f"invoice{control}fdp.exe <b>")
    assert esc(f"invoice{control}fdp.exe <b>") == "invoicefdp.exe &lt;b&gt;"


async def test_a_representatives_message_reaches_the_agent_without_them(
    harness: BotHarness, db: UnitOfWork
) -> None:
    async with db:
        agent = await make_agent(db)
        await make_rep(db, telegram_user_id=7_990_001, assigned_agent_id=agent.id)
    harness.emulator.user(agent.telegram_user_id, "Agent")
    rep = harness.emulator.user(7_990_001, "Rep")
    calls = await harness.text(rep, "رسید پرداخت: \u202efdp.exe\u202c و \u2066لینک\u2069")
    [forwarded] = [
        c for c in calls if c.method == "sendMessage" and c.params["chat_id"] == agent.telegram_user_id
    ]
    text = str(forwarded.params["text"])
    assert "fdp.exe" in text
    assert not [c for c in CONTROLS if c in text]
