"""Nudge dispatcher: throughput, rate accuracy, and a 10,000-message campaign with a SIGKILL and restart.

`chronos scheduler` runs as a real subprocess against the Telegram emulator (in this process), on a
scratch database. Campaign rows are inserted directly in ``sending`` (the bench measures dispatch, not
drafting). Rates come from the emulator's recorded call times; duplicates and losses from its
per-chat delivery counts. The crash row kills the process while Telegram is accepting message 5,000.
The naive baseline is the same dispatcher with one message in flight (batch of one: a claim
transaction, a send and a record transaction per message), so the ratio isolates batching and overlap.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.support import scratch_database
from chronos.emulators import RecordedCall, TelegramEmulator
from crm.db import create_engine

FIRST_CHAT = 8_000_001
NAIVE = "naive baseline: one claim, send and record per message, one at a time"
THROUGHPUT = "throughput (unthrottled emulator, high ceiling)"


async def _seed(engine: AsyncEngine, first_chat: int, count: int, *, label: str) -> int:
    """A supervisor-approved campaign in ``sending`` with ``count`` fresh representatives."""
    async with engine.begin() as conn:
        supervisor = await conn.scalar(
            text(
                "INSERT INTO crt_agent (telegram_user_id, full_name, role) VALUES (:tg, 'سرپرست', 'supervisor') "
                "ON CONFLICT (telegram_user_id) DO UPDATE SET role = 'supervisor' RETURNING id"
            ),
            {"tg": 7_000_001},
        )
        campaign = await conn.scalar(
            text(
                "INSERT INTO nudge_campaign (name, purpose, status, template, decided_by_agent_id, decided_at) "
                "VALUES (:name, 'bench', 'sending', '{name}', :sup, now()) RETURNING id"
            ),
            {"name": label, "sup": supervisor},
        )
        await conn.execute(
            text(
                "INSERT INTO representative (code, full_name, name_key, name_trigrams, telegram_user_id) "
                "SELECT 'B' || g, 'نماینده ' || g, 'n', '{}', g FROM generate_series(CAST(:a AS bigint), CAST(:b AS bigint)) AS g"
            ),
            {"a": first_chat, "b": first_chat + count - 1},
        )
        await conn.execute(
            text(
                "INSERT INTO nudge_message (campaign_id, representative_id, chat_id, body, not_before) "
                "SELECT :c, id, telegram_user_id, 'سلام ' || full_name || E'\\nبرای لغو پیام‌ها /stop را بفرستید', "
                "now() FROM representative WHERE telegram_user_id BETWEEN CAST(:a AS bigint) AND CAST(:b AS bigint)"
            ),
            {"c": campaign, "a": first_chat, "b": first_chat + count - 1},
        )
    return int(campaign)


def _env(url: str, emulator: TelegramEmulator, data_dir: str, rate: float, in_flight: int) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "BOT_TOKEN": emulator.token,
        "BOT_API_SERVER": emulator.base_url,
        "CHRONOS_LOG_LEVEL": "WARNING",
        "CHRONOS_DATA_DIR": data_dir,
        "NUDGE_GLOBAL_RATE_PER_S": str(rate),
        "NUDGE_MAX_IN_FLIGHT": str(in_flight),
        "NUDGE_QUIET_START_HOUR": "0",
        "NUDGE_QUIET_END_HOUR": "0",
        "NUDGE_SKIP_FRIDAYS": "false",
        "NUDGE_SKIP_MOURNING_DAYS": "false",
        "NUDGE_POLL_INTERVAL_S": "0.2",
        "NUDGE_SYNC_INTERVAL_S": "1",
    }


async def _start(env: dict[str, str]) -> asyncio.subprocess.Process:
    log = open(os.path.join(env["CHRONOS_DATA_DIR"], "scheduler.log"), "ab")  # noqa: SIM115, ASYNC230
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chronos", "scheduler", env=env, stdout=log, stderr=log
    )


async def _open_rows(engine: AsyncEngine, campaign: int) -> int:
    async with engine.connect() as conn:
        return int(
            await conn.scalar(
                text(
                    "SELECT count(*) FROM nudge_message WHERE campaign_id = :c AND status IN ('pending', 'sending')"
                ),
                {"c": campaign},
            )
            or 0
        )


async def _until_sent(engine: AsyncEngine, campaign: int, limit_s: float) -> None:
    """Until nothing is left to send; the limit counts from the first send (start-up imports torch
    through the CLI, which takes a while on a busy machine)."""
    async with engine.connect() as conn:
        total = int(
            await conn.scalar(
                text("SELECT count(*) FROM nudge_message WHERE campaign_id = :c"), {"c": campaign}
            )
            or 0
        )
    startup = time.monotonic() + 300
    while await _open_rows(engine, campaign) == total and time.monotonic() < startup:  # noqa: ASYNC110
        await asyncio.sleep(0.25)
    deadline = time.monotonic() + limit_s
    while await _open_rows(engine, campaign) and time.monotonic() < deadline:  # noqa: ASYNC110 - another process writes
        await asyncio.sleep(0.25)


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)


def _sends(emulator: TelegramEmulator, chats: range) -> list[RecordedCall]:
    return [c for c in emulator.calls("sendMessage") if c.ok and int(c.params["chat_id"]) in chats]


def _rate(calls: list[RecordedCall]) -> float:
    if len(calls) < 2:
        return 0.0
    times = sorted(c.at for c in calls)
    return (len(times) - 1) / (times[-1] - times[0])


async def _scenario(
    url: str,
    engine: AsyncEngine,
    emulator: TelegramEmulator,
    first: int,
    count: int,
    rate: float,
    in_flight: int,
) -> dict[str, Any]:
    campaign = await _seed(engine, first, count, label=f"bench {rate}/s")
    chats = range(first, first + count)
    with tempfile.TemporaryDirectory() as data_dir:
        process = await _start(_env(url, emulator, data_dir, rate, in_flight))
        try:
            await _until_sent(engine, campaign, count / min(rate, 2000) * 4 + 60)
        finally:
            await _stop(process)
    sends = _sends(emulator, chats)
    measured = _rate(sends)
    per_chat = Counter(int(c.params["chat_id"]) for c in sends)
    return {
        "messages": count,
        "ceiling_per_s": rate,
        "max_in_flight": in_flight,
        "measured_per_s": round(measured, 1),
        "vs_ceiling_%": round((measured / rate - 1) * 100, 2),
        "duplicates": sum(n - 1 for n in per_chat.values() if n > 1),
        "lost": sum(1 for chat in chats if per_chat[chat] == 0),
    }


async def _crash(url: str, engine: AsyncEngine, emulator: TelegramEmulator, first: int) -> dict[str, Any]:
    count, rate, in_flight, kill_at = 10_000, 2000.0, 64, 5_000
    campaign = await _seed(engine, first, count, label="bench crash")
    chats = range(first, first + count)
    accepted = 0
    with tempfile.TemporaryDirectory() as data_dir:
        env = _env(url, emulator, data_dir, rate, in_flight)
        process = await _start(env)

        def kill(call: RecordedCall) -> None:
            nonlocal accepted
            if call.method == "sendMessage" and call.ok and int(call.params["chat_id"]) in chats:
                accepted += 1
                if accepted == kill_at:
                    os.kill(process.pid, signal.SIGKILL)

        unsubscribe = emulator.on_call(kill)
        await asyncio.wait_for(process.wait(), 600)
        unsubscribe()
        async with engine.connect() as conn:
            in_flight_rows = int(
                await conn.scalar(
                    text("SELECT count(*) FROM nudge_message WHERE campaign_id = :c AND status = 'sending'"),
                    {"c": campaign},
                )
                or 0
            )
        restarted = await _start(env)
        try:
            await _until_sent(engine, campaign, 600)
        finally:
            await _stop(restarted)
    per_chat = Counter(int(c.params["chat_id"]) for c in _sends(emulator, chats))
    async with engine.connect() as conn:
        unconfirmed = int(
            await conn.scalar(
                text(
                    "SELECT count(*) FROM nudge_message WHERE campaign_id = :c AND status = 'sent' "
                    "AND telegram_message_id IS NULL"
                ),
                {"c": campaign},
            )
            or 0
        )
    return {
        "messages": count,
        "ceiling_per_s": rate,
        "max_in_flight": in_flight,
        "killed_at_delivery": kill_at,
        "sending_at_kill": in_flight_rows,
        "reconciled_unconfirmed": unconfirmed,
        "duplicates": sum(n - 1 for n in per_chat.values() if n > 1),
        "lost": sum(1 for chat in chats if per_chat[chat] == 0),
    }


async def _run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    async with scratch_database("nudges") as url, TelegramEmulator() as emulator:
        engine = create_engine(url, pool_size=2)
        try:
            plan = [(1_000, 5000.0, 1, NAIVE),
                    (5_000, 5000.0, 64, THROUGHPUT),
                    (250, 25.0, 8, "rate accuracy at the default ceiling"),
                    (1_000, 100.0, 8, "rate accuracy at 100/s")]  # fmt: skip
            first = FIRST_CHAT
            total = sum(n for n, *_ in plan) + 10_000
            for chat in range(first, first + total):
                emulator.user(chat, "Rep")
            for count, rate, in_flight, label in plan:
                row = await _scenario(url, engine, emulator, first, count, rate, in_flight)
                rows.append({"case": label, **row})
                first += count
            naive, batched = rows[0]["measured_per_s"], rows[1]["measured_per_s"]
            rows[1]["vs_naive"] = f"{batched / naive:.1f}x" if naive else "n/a"
            rows.append(
                {"case": "10,000 with SIGKILL + restart", **await _crash(url, engine, emulator, first)}
            )
        finally:
            await engine.dispose()
    return rows


def run() -> list[dict[str, Any]]:
    return asyncio.run(_run())


if __name__ == "__main__":
    from bench.support import print_table

    print_table("Nudge dispatcher", run())
