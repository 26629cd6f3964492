"""Same seed and moment, same data: two seeds in two rolled-back transactions fingerprint alike.

Ids differ between the runs (sequences are not transactional), so every id and foreign key is taken
relative to the smallest id its table received in that run.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from crm import demo
from crm.db import UnitOfWork
from crm.models import Base

NOW = dt.datetime(2026, 8, 2, 17, 5, tzinfo=dt.UTC)
TABLES = (
    "service_tier",
    "crt_agent",
    "representative",
    "subscription",
    "interaction",
    "ticket",
    "ticket_event",
    "invoice",
    "payment",
    "usage_snapshot",
)


async def _fingerprint(session: AsyncSession) -> dict[str, str]:
    """md5 of each table's rows in id order, ids and foreign keys made relative, computed in SQL."""
    base: dict[str, int] = {}
    for name in TABLES:
        base[name] = int(
            (await session.execute(text(f"SELECT coalesce(min(id), 0) FROM {name}"))).scalar_one()
        )
    digests = {}
    for name in TABLES:
        columns = []
        for column in Base.metadata.tables[name].columns:
            if column.name == "id":
                columns.append(f"id - {base[name]} AS id")
            elif column.foreign_keys:
                target = next(iter(column.foreign_keys)).column.table.name
                columns.append(f"{column.name} - {base.get(target, 0)} AS {column.name}")
            else:
                columns.append(column.name)
        query = f"SELECT md5(string_agg(t::text, '|' ORDER BY t.id)) FROM (SELECT {', '.join(columns)} FROM {name}) t"
        digests[name] = str((await session.execute(text(query))).scalar_one())
    after = (
        await session.execute(text("SELECT after FROM audit_log WHERE action = 'demo.seed'"))
    ).scalar_one()
    digests["audit_log"] = json.dumps(after, sort_keys=True)
    return digests


async def _seed_and_fingerprint(engine: AsyncEngine, seed: int) -> dict[str, str]:
    async with engine.connect() as conn:
        outer = await conn.begin()
        factory = async_sessionmaker(
            bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        async with UnitOfWork(factory) as uow:
            await demo.seed(uow, seed=seed, now=NOW)
        async with UnitOfWork(factory) as uow:
            fingerprint = await _fingerprint(uow.session)
        await outer.rollback()
    return fingerprint


async def test_same_seed_and_now_give_identical_data(engine: AsyncEngine) -> None:
    first = await _seed_and_fingerprint(engine, 11)
    second = await _seed_and_fingerprint(engine, 11)
    assert first == second
    assert len(set(first.values())) == len(first)  # every table contributed rows of its own
