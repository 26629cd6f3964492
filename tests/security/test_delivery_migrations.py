"""The upgrade keeps both promises across the deploy: an update handled before it is still dropped when
Telegram sends it again, and a draft sent before it is still not sent a second time. The downgrade
gives the old tables back what they knew."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from chronos import migrate
from chronos.database import drop_database, ensure_database

BEFORE = "20261208_0601"  # the revision before the inbox


@pytest.fixture
async def scratch_url(server_url: str) -> AsyncIterator[str]:
    url = make_url(server_url).set(database=f"chronos_delivery_{uuid.uuid4().hex[:8]}")
    rendered = url.render_as_string(hide_password=False)
    await ensure_database(rendered)
    yield rendered
    await drop_database(rendered)


async def _run(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


async def test_handled_updates_and_sent_drafts_survive_the_upgrade_and_the_downgrade(
    scratch_url: str,
) -> None:
    await migrate.upgrade(scratch_url, BEFORE)
    await _run(scratch_url, "INSERT INTO processed_update (bot_id, update_id) VALUES (42, 7)")
    [(agent,)] = await _run(
        scratch_url, "INSERT INTO crt_agent (telegram_user_id, full_name) VALUES (901, 'نگار') RETURNING id"
    )
    [(rep,)] = await _run(
        scratch_url,
        "INSERT INTO representative (code, full_name, name_key, name_trigrams, telegram_user_id) "
        "VALUES ('REP-0001', 'رضا', 'رضا', ARRAY['رضا'], 5551) RETURNING id",
    )
    await _run(
        scratch_url,
        "INSERT INTO interaction (representative_id, agent_id, channel, direction, occurred_at, body, "
        "source, idempotency_key, crt_authored) "
        "VALUES (:rep, :agent, 'telegram', 'outbound', now(), 'سلام رضا', 'kb_draft', 'draft:3', true)",
        rep=rep,
        agent=agent,
    )

    await migrate.upgrade(scratch_url)
    assert await _run(scratch_url, "SELECT bot_id, update_id, status FROM update_inbox") == [
        (42, 7, "handled")
    ]
    [draft] = await _run(
        scratch_url,
        "SELECT key, status, chat_id, body, telegram_message_id, last_error FROM outbound_message",
    )
    assert draft[:5] == ("draft:3", "sent", 5551, "سلام رضا", None)
    assert not str(draft.last_error).startswith("unconfirmed"), "sent before: confirmed, not unconfirmed"

    await migrate.downgrade(scratch_url, BEFORE)
    assert await _run(scratch_url, "SELECT bot_id, update_id FROM processed_update") == [(42, 7)]
