"""Bot full stack: emulator → long polling → /find handler → PostgreSQL → rep card reply

Measures updates/s and per-update handler time for `/find <code>` (search + rep card, on 10,000
representatives with history) against a no-database echo handler, through the same emulator and
polling loop in the same run. Concurrency is bounded by aiogram's ``tasks_concurrency_limit``
(BOT_MAX_CONCURRENT_UPDATES, default 32). Throughput rows push all updates at once, so their latencies
are mostly queueing; the paced row offers a steady rate below saturation and shows the latency an agent
sees.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.types import Message

from bench.support import scratch_database, summarize_ms
from bot.dispatcher import build_dispatcher
from bot.sender import build_bot
from chronos.emulators import TelegramEmulator
from chronos.emulators.tracking import UpdateTracker
from chronos.settings import BotSettings
from crm import search
from crm.db import create_engine, create_session_factory

REPS = 10_000
INTERACTIONS_PER_REP = 20
AGENTS = 50
UPDATES = 1_000
PACED_RATE = 100.0  # a busy CRT floor: far above what ten agents type, well below saturation
PACED_UPDATES = 1_000
CONCURRENCY = BotSettings().max_concurrent_updates

FIRST = ["علی", "محمد", "رضا", "حسین", "مهدی", "زهرا", "فاطمه", "مریم", "سارا", "امیر", "نرگس", "حمید"]
LAST = ["رضایی", "احمدی", "کریمی", "موسوی", "حسینی", "محمدی", "صادقی", "قاسمی", "عباسی", "نوری", "توکلی"]


async def _load(url: str) -> list[str]:
    engine = create_engine(url, pool_size=5)
    rng = random.Random(7)
    async with engine.begin() as conn:
        raw = await conn.get_raw_connection()
        pg = raw.driver_connection
        assert pg is not None
        await pg.copy_records_to_table(
            "crt_agent",
            columns=["telegram_user_id", "full_name", "role"],
            records=[(800_000 + i, f"کارشناس {i}", "agent") for i in range(AGENTS)],
        )
        codes, records = [], []
        for i in range(REPS):
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            code = f"REP-{i:05d}"
            codes.append(code)
            records.append((code, name, search.name_key(name), search.trigrams(name), "active"))
        await pg.copy_records_to_table(
            "representative",
            columns=["code", "full_name", "name_key", "name_trigrams", "status"],
            records=records,
        )
        await pg.execute(
            f"""
            INSERT INTO interaction (representative_id, channel, direction, occurred_at, summary, source, idempotency_key)
            SELECT r.id, 'call', 'outbound', now() - (g || ' hours')::interval, 'پیگیری وضعیت اتصال', 'bench', r.id || ':' || g
            FROM representative r CROSS JOIN generate_series(1, {INTERACTIONS_PER_REP}) g
            """
        )
        await pg.execute("ANALYZE")
    await engine.dispose()
    return codes


async def _drive(
    emulator: TelegramEmulator, bot: Bot, dp: Dispatcher, texts: list[str], *, rate: float | None = None
) -> dict[str, Any]:
    """All updates at once (saturation: throughput) or ``rate`` per second (latency at that load)."""
    tracker = UpdateTracker(dp)
    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=1,
                         tasks_concurrency_limit=CONCURRENCY)
    )  # fmt: skip
    users = [emulator.user(800_000 + i, f"agent{i}") for i in range(AGENTS)]
    await emulator.wait_for("getUpdates", timeout=10)
    started = time.perf_counter()
    ids = []
    for i, text in enumerate(texts):
        if rate is not None:
            await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
        ids.append(emulator.send_text(users[i % AGENTS], text))
    durations = [await tracker.wait(update_id, within_s=120) for update_id in ids]
    elapsed = time.perf_counter() - started
    await dp.stop_polling()
    await polling
    replies = sum(1 for c in emulator.calls("sendMessage") if c.ok)
    return {
        "updates": len(ids),
        "replies": replies,
        "updates_per_s": round(len(ids) / elapsed, 1),
        **summarize_ms(durations),
    }


def _echo_dispatcher() -> Dispatcher:
    router = Router(name="echo")

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    dp = Dispatcher()
    dp.include_router(router)
    return dp


async def _run() -> list[dict[str, Any]]:
    async with scratch_database("botbench") as url:
        codes = await _load(url)
        rng = random.Random(11)
        texts = [f"/find {rng.choice(codes)}" for _ in range(UPDATES)]
        rows = []
        async with TelegramEmulator() as emulator:
            bot = build_bot(emulator.token, api_server=emulator.base_url)
            try:
                echo = await _drive(emulator, bot, _echo_dispatcher(), texts)
                emulator.clear_calls()
                engine = create_engine(url, pool_size=CONCURRENCY)
                dp = build_dispatcher(create_session_factory(engine), throttle_per_minute=10_000)
                full = await _drive(emulator, bot, dp, texts)
                emulator.clear_calls()
                paced = await _drive(emulator, bot, dp, texts[:PACED_UPDATES], rate=PACED_RATE)
                await engine.dispose()
            finally:
                await bot.session.close()
        rows.append({"handler": "echo (no DB)", "concurrency": CONCURRENCY, **echo})
        rows.append({"handler": "/find + rep card", "concurrency": CONCURRENCY, **full})
        rows.append(
            {
                "handler": f"/find + rep card, {PACED_RATE:g} updates/s offered",
                "concurrency": CONCURRENCY,
                **paced,
            }
        )
        rows.append(
            {
                "handler": "ratio full/echo (updates/s)",
                "updates_per_s": round(full["updates_per_s"] / echo["updates_per_s"], 2),
            }
        )
        return rows


def run() -> list[dict[str, Any]]:
    return asyncio.run(_run())


if __name__ == "__main__":
    from bench.support import print_table

    print_table(__doc__.splitlines()[0] if __doc__ else "bot", run())
