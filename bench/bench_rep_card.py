"""rep_card.load on 10,000 representatives and 1,000,000 interactions: 500 random cards, warm

The data is generated server-side (INSERT … SELECT … FROM generate_series), interleaved over time the
way real traffic arrives, so one representative's rows are spread over the heap. Each card is loaded
in a fresh unit of work (one session per update, as the bot does), timed in rounds; the best round
is held against the target because other processes share the machine. Two diagnostic rows split the
cost: the same engine without pool_pre_ping, and the card's statements sent straight to asyncpg
(the database's share). The EXPLAIN (ANALYZE, BUFFERS) plans of every statement the card sends are
printed before the table."""

from __future__ import annotations

import asyncio
import os
import random
import re
import statistics
import time
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.schema import CreateIndex, DropIndex

from bench.support import scratch_database, summarize_ms
from crm.db import UnitOfWork, create_engine, create_session_factory
from crm.models import Base
from crm.services import rep_card

REPS = 10_000
INTERACTIONS = 1_000_000
TICKETS = 100_000
PAYMENTS = 120_000
USAGE_WEEKS = 52
AGENTS = 20
SAMPLE = 500
ROUNDS = 3
TARGET_P95_MS = 20.0

BULK_TABLES = tuple(
    Base.metadata.tables[name] for name in ("interaction", "ticket", "payment", "usage_snapshot")
)

SETUP = (
    "SELECT setseed(0.42)",
    """INSERT INTO service_tier (code, name, monthly_price_toman, price_per_user_toman, user_limit)
       VALUES ('BASIC', 'پایه', 1500000, 20000, 50), ('PRO', 'حرفه‌ای', 3900000, 15000, 150),
              ('ENTERPRISE', 'سازمانی', 9500000, 10000, 500)""",
    f"""INSERT INTO crt_agent (telegram_user_id, full_name, role)
        SELECT 5000000 + g, 'کارشناس ' || g, CASE WHEN g <= 2 THEN 'supervisor' ELSE 'agent' END
        FROM generate_series(1, {AGENTS}) g""",
    f"""INSERT INTO representative (code, full_name, name_key, name_trigrams, phone, city, tier_id,
                                    assigned_agent_id, status, joined_at)
        SELECT 'REP-' || lpad(g::text, 5, '0'), 'نماینده ' || g, 'نماینده ' || g,
               ARRAY['  ن', ' نم', 'نما', 'ماي', g::text], '+98912' || lpad(g::text, 7, '0'),
               (ARRAY['تهران', 'مشهد', 'اصفهان', 'شیراز', 'تبریز'])[1 + g % 5],
               t0 + g % 3, a0 + g % {AGENTS}, 'active', now() - (400 + g % 700) * interval '1 day'
        FROM generate_series(1, {REPS}) g,
             (SELECT min(id) AS t0 FROM service_tier) t, (SELECT min(id) AS a0 FROM crt_agent) a""",
    f"""INSERT INTO interaction (representative_id, agent_id, channel, direction, occurred_at, summary, body,
                                 outcome, sentiment_label, sentiment_score, source, idempotency_key)
        SELECT r0 + g % {REPS}, a0 + g % {AGENTS},
               (ARRAY['call', 'telegram', 'voice_note', 'email', 'in_person'])[1 + g % 5],
               CASE WHEN g % 3 = 0 THEN 'inbound' ELSE 'outbound' END,
               now() - random() * interval '365 days',
               'پیگیری قطعی کانفیگ‌ها روی ایرانسل ' || g,
               'نماینده گفت کاربرهاش روی ایرانسل وصل نمی‌شن؛ SNI عوض شد و ساب‌لینک آپدیت شد. '
               || 'پیگیری شماره ' || g,
               (ARRAY['reached', 'resolved', 'follow_up', 'complaint'])[1 + g % 4],
               CASE WHEN g % 10 <> 0 THEN (ARRAY['negative', 'neutral', 'positive'])[1 + g % 3] END,
               CASE WHEN g % 10 <> 0 THEN (g % 3 - 1) * 0.5 END,
               'bench', lpad(g::text, 7, '0')
        FROM generate_series(1, {INTERACTIONS}) g,
             (SELECT min(id) AS r0 FROM representative) r, (SELECT min(id) AS a0 FROM crt_agent) a""",
    f"""INSERT INTO ticket (external_ref, representative_id, opened_by_agent_id, assigned_agent_id,
                            category, priority, status, subject, description, resolution, opened_at,
                            sla_due_at, resolved_at)
        SELECT 'BT-' || lpad(g::text, 6, '0'), r0 + g % {REPS}, a0 + g % {AGENTS}, a0 + (g + 1) % {AGENTS},
               (ARRAY['connectivity', 'billing', 'panel', 'setup', 'sales', 'other'])[1 + g % 6],
               (ARRAY['low', 'normal', 'high', 'urgent'])[1 + g % 4], s.status,
               'قطعی کانفیگ‌ها ' || g, 'شرح تیکت ' || g,
               CASE WHEN s.status IN ('resolved', 'closed') THEN 'SNI عوض شد و اتصال برقرار شد' END,
               s.opened, s.opened + interval '48 hours',
               CASE WHEN s.status IN ('resolved', 'closed') THEN s.opened + interval '20 hours' END
        FROM (SELECT g, now() - random() * interval '365 days' AS opened,
                     CASE WHEN (g / {REPS}) % 10 = 0
                          THEN (ARRAY['open', 'in_progress', 'waiting_rep'])[1 + g % 3]
                          WHEN g % 2 = 0 THEN 'closed' ELSE 'resolved' END AS status
              FROM generate_series(0, {TICKETS - 1}) g) s,
             (SELECT min(id) AS r0 FROM representative) r, (SELECT min(id) AS a0 FROM crt_agent) a""",
    f"""INSERT INTO payment (reference, representative_id, amount_toman, method, paid_at)
        SELECT 'BP-' || lpad(g::text, 6, '0'), r0 + g % {REPS}, 1500000 + (g % 50) * 20000,
               (ARRAY['card', 'wallet', 'bank_transfer', 'crypto'])[1 + g % 4],
               now() - (g / {REPS}) * interval '30 days' - random() * interval '5 days'
        FROM generate_series(0, {PAYMENTS - 1}) g, (SELECT min(id) AS r0 FROM representative) r""",
    f"""INSERT INTO usage_snapshot (representative_id, taken_at, active_users, total_users, traffic_bytes)
        SELECT r.id, date_trunc('day', now()) - w * interval '7 days', x.a, x.a + 10, x.a * 5000000000::bigint
        FROM representative r, generate_series(0, {USAGE_WEEKS - 1}) w,
             LATERAL (SELECT 20 + (r.id * 7 + w * 3) % 60 AS a) x""",
)

_TABLE = re.compile(r'FROM\s+"?(\w+)"?', re.IGNORECASE)
_SCAN = re.compile(r"((?:Index Only |Index |Bitmap Heap |Bitmap Index |Seq )Scan.*?)(?:\s+\(|$)")


async def _populate(engine: AsyncEngine) -> float:
    """Run SETUP in one transaction. The big tables' secondary indexes are dropped first and rebuilt
    from the models afterwards (one sort instead of a million index inserts); where the role may, the
    per-row foreign-key triggers are skipped too: the generator only writes ids that exist."""
    started = time.perf_counter()
    async with engine.begin() as conn:
        await conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        superuser = await conn.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
        if superuser:
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
        indexes = [index for table in BULK_TABLES for index in table.indexes]
        for index in indexes:
            await conn.execute(DropIndex(index))
        for statement in SETUP:
            step = time.perf_counter()
            await conn.execute(text(statement))
            print(f"setup {time.perf_counter() - step:6.1f} s  {' '.join(statement.split())[:80]}")
        step = time.perf_counter()
        for index in indexes:
            await conn.execute(CreateIndex(index))
        rebuilt = f"rebuild {len(indexes)} indexes (FK triggers skipped: {bool(superuser)})"
        print(f"setup {time.perf_counter() - step:6.1f} s  {rebuilt}")
    async with engine.begin() as conn:
        await conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


async def _explain(
    engine: AsyncEngine, statements: list[tuple[str, tuple[Any, ...]]]
) -> list[dict[str, Any]]:
    rows = []
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        for statement, params in statements:
            plan = [r[0] for r in await driver.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", *params)]
            found = _TABLE.search(statement)
            table = found.group(1) if found else "?"
            print(f"\n-- {table}: {' '.join(statement.split())}\n" + "\n".join(plan))
            scans = "; ".join(m.group(1) for line in plan if (m := _SCAN.search(line)))
            buffers = next((line.strip() for line in plan if "Buffers:" in line), "")
            execution = next((line.split(":")[1].strip() for line in plan if "Execution Time" in line), "")
            rows.append({"case": f"plan: {table}", "scans": scans, "buffers": buffers, "exec": execution})
    return rows


Statement = tuple[str, tuple[Any, ...]]


async def _capture(engine: AsyncEngine, factory: Any, rep_id: int) -> list[Statement]:
    """The statements (with parameters) one card load sends, as the driver receives them."""
    captured: list[Statement] = []

    def capture(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        captured.append((statement, tuple(params or ())))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with UnitOfWork(factory) as uow:
            await rep_card.load(uow, rep_id)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    return captured


async def _time_cards(factories: list[Any], rep_ids: list[int]) -> list[dict[str, Any]]:
    """Wall time per card, and this process's CPU time (the client's share), for each session factory.
    The factories take turns card by card, so they see the same machine load."""
    wall: list[list[float]] = [[] for _ in factories]
    cpu: list[list[float]] = [[] for _ in factories]
    for rep_id in rep_ids:
        for n, factory in enumerate(factories):
            async with UnitOfWork(factory) as uow:
                started, cpu_started = time.perf_counter(), time.process_time()
                card = await rep_card.load(uow, rep_id)
                wall[n].append(time.perf_counter() - started)
                cpu[n].append(time.process_time() - cpu_started)
            assert card.interactions, "every representative has interactions"
    return [
        {**summarize_ms(w), "cpu_p50_ms": round(statistics.median(c) * 1000, 3)}
        for w, c in zip(wall, cpu, strict=True)
    ]


async def _time_sql_only(engine: AsyncEngine, statements: list[Statement], rep_ids: list[int]) -> list[float]:
    """The same statements straight on asyncpg (rep id swapped in): the database's share of a card."""
    samples = []
    async with engine.connect() as conn:
        driver: Any = (await conn.get_raw_connection()).driver_connection
        for rep_id in rep_ids:
            started = time.perf_counter()
            for statement, params in statements:
                await driver.fetch(statement, rep_id, *params[1:])
            samples.append(time.perf_counter() - started)
    return samples


async def _bench() -> list[dict[str, Any]]:
    async with scratch_database("rep_card") as url:
        engine = create_engine(url, pool_size=2)
        # Diagnostic only: the product engine pings on checkout (BEGIN; ";"; ROLLBACK on asyncpg).
        no_ping = create_async_engine(url, pool_size=2, pool_pre_ping=False)
        try:
            setup_s = await _populate(engine)
            factory, no_ping_factory = create_session_factory(engine), create_session_factory(no_ping)
            async with engine.connect() as conn:
                first = int((await conn.execute(text("SELECT min(id) FROM representative"))).scalar_one())
            rep_ids = random.Random(7).sample(range(first, first + REPS), SAMPLE)
            factories = [factory, no_ping_factory]
            await _time_cards(factories, rep_ids)  # warm the buffers and the prepared-statement caches
            rounds, no_ping_rounds = [], []
            for _ in range(ROUNDS):
                product, diagnostic = await _time_cards(factories, rep_ids)
                rounds.append(product)
                no_ping_rounds.append(diagnostic)
            statements = await _capture(engine, factory, rep_ids[0])
            sql_only = summarize_ms(await _time_sql_only(engine, statements, rep_ids))
            plans = await _explain(engine, statements)
        finally:
            await engine.dispose()
            await no_ping.dispose()
    best = min(rounds, key=lambda r: r["p95_ms"])
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return [
        {
            "case": f"setup: {REPS:,} reps, {INTERACTIONS:,} interactions, {TICKETS:,} tickets, "
            f"{PAYMENTS:,} payments, {REPS * USAGE_WEEKS:,} usage rows",
            "exec": f"{setup_s:.1f} s",
        },
        *(
            {"case": f"rep_card.load x{SAMPLE} (warm), round {n}", **stats}
            for n, stats in enumerate(rounds, 1)
        ),
        {
            "case": f"rep_card.load, best of {ROUNDS} rounds (load avg {load})",
            **best,
            "target_p95_ms": TARGET_P95_MS,
            "meets_target": best["p95_ms"] < TARGET_P95_MS,
        },
        *(
            {"case": f"diagnostic: engine without pool_pre_ping, round {n}", **stats}
            for n, stats in enumerate(no_ping_rounds, 1)
        ),
        {"case": f"diagnostic: the {len(statements)} statements on raw asyncpg (DB share)", **sql_only},
        *plans,
    ]


def run() -> list[dict[str, Any]]:
    return asyncio.run(_bench())
