"""`crm.demo.seed` on the real schema: counts, realism, and the cohorts' behaviour in the data.

The world is seeded once for the module, in a transaction rolled back at the end.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import defaultdict
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ai.text.persian import normalize
from crm import demo
from crm.db import UnitOfWork
from crm.demo import Cohort
from crm.enums import AgentRole, RepStatus
from crm.errors import AlreadyExists
from crm.models import AuditLog, CrtAgent, Representative, ServiceTier
from crm.services import representatives

SEED = 7
NOW = dt.datetime(2026, 3, 10, 9, 41, 7, tzinfo=dt.UTC)

Seeded = tuple[async_sessionmaker[AsyncSession], demo.SeedSummary]


@pytest.fixture(scope="module")
async def seeded(engine: AsyncEngine) -> AsyncIterator[Seeded]:
    async with engine.connect() as conn:
        outer = await conn.begin()
        factory = async_sessionmaker(
            bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        async with UnitOfWork(factory) as uow:
            summary = await demo.seed(uow, seed=SEED, now=NOW)
        yield factory, summary
        await outer.rollback()


async def _rows(seeded: Seeded, sql: str) -> list[tuple[object, ...]]:
    async with UnitOfWork(seeded[0]) as uow:
        return [tuple(row) for row in (await uow.session.execute(text(sql))).all()]


def _codes(cohort: Cohort) -> set[str]:
    return {code for code, c in demo.cohorts(SEED).items() if c is cohort}


async def test_counts_match_the_summary(seeded: Seeded) -> None:
    factory, summary = seeded
    async with UnitOfWork(factory) as uow:
        session = uow.session
        assert await session.scalar(select(func.count()).select_from(Representative)) == 200
        assert await session.scalar(select(func.count()).select_from(ServiceTier)) == 3
        roles = (await session.execute(select(CrtAgent.role, func.count()).group_by(CrtAgent.role))).all()
        assert dict(roles) == {AgentRole.AGENT.value: 8, AgentRole.SUPERVISOR.value: 2}
        audit = (await session.scalars(select(AuditLog).where(AuditLog.action == "demo.seed"))).one()
        assert audit.after is not None
        assert audit.after["seed"] == SEED
        assert not await demo.is_empty(uow)
    counts = dict(
        await _rows(
            seeded,
            "SELECT 'interactions', count(*) FROM interaction UNION ALL SELECT 'tickets', count(*) FROM ticket "
            "UNION ALL SELECT 'invoices', count(*) FROM invoice UNION ALL SELECT 'payments', count(*) FROM payment "
            "UNION ALL SELECT 'usage_snapshots', count(*) FROM usage_snapshot",
        )
    )
    assert counts == {name: getattr(summary, name) for name in counts}
    assert summary.interactions > 5000
    assert summary.usage_snapshots > 9000
    assert summary.tickets > 200


async def test_refuses_a_database_that_holds_data(seeded: Seeded, uow: UnitOfWork) -> None:
    async with uow:
        assert await demo.is_empty(uow)  # another connection: the seeded rows are not visible
    async with UnitOfWork(seeded[0]) as other:
        with pytest.raises(AlreadyExists):
            await demo.seed(other, seed=SEED, now=NOW)


async def test_representatives_look_real(seeded: Seeded) -> None:
    rows = await _rows(
        seeded,
        "SELECT code, full_name, phone, telegram_user_id, city, province, status, profiling_opt_out, "
        "nudges_opt_out_at, name_key, cardinality(name_trigrams) FROM representative ORDER BY code",
    )
    assert [r[0] for r in rows] == [f"REP-{n:04d}" for n in range(1, 201)]
    assert all(re.fullmatch(r"\+989\d{9}", str(r[2])) for r in rows)
    assert len({r[1] for r in rows}) == 200
    assert 100 <= sum(r[3] is not None for r in rows) <= 170
    assert {"تهران", "مشهد", "اصفهان", "شیراز", "تبریز"} <= {str(r[4]) for r in rows}
    assert sum(r[7] is True for r in rows) == 4
    assert sum(r[8] is not None for r in rows) == 2
    statuses = defaultdict(set)
    for row in rows:
        statuses[str(row[6])].add(str(row[0]))
    assert len(statuses[RepStatus.CHURNED]) == 10
    assert statuses[RepStatus.CHURNED] <= _codes(Cohort.CHURN)
    assert len(statuses[RepStatus.PAUSED]) == 3
    assert all(r[9] and int(str(r[10])) > 5 for r in rows)
    async with UnitOfWork(seeded[0]) as uow:
        hits = await representatives.find(uow, str(rows[41][1]))
        assert hits[0].representative.code == rows[41][0]


async def test_history_is_a_year_long_and_persian_text_is_normalised(seeded: Seeded) -> None:
    rows = await _rows(
        seeded,
        "SELECT channel, direction, occurred_at, summary, body, outcome, source, sentiment_label "
        "FROM interaction",
    )
    assert {r[0] for r in rows} == {"call", "telegram", "voice_note", "email", "in_person"}
    assert {r[1] for r in rows} == {"inbound", "outbound"}
    moments = [r[2] for r in rows]
    assert isinstance(moments[0], dt.datetime)
    assert min(moments) >= NOW - dt.timedelta(days=366)
    assert max(moments) <= NOW
    assert {r[6] for r in rows} == {"demo"}
    assert {r[7] for r in rows} == {None}
    assert len({r[4] for r in rows}) > len(rows) * 0.6  # phrase pools, not one template
    texts = [str(t) for r in rows for t in (r[3], r[4])]
    texts += [str(t) for r in await _rows(seeded, "SELECT subject, description FROM ticket") for t in r]
    assert all(normalize(t) == t for t in texts)
    assert not any(re.search("[يكۀ]", t) for t in texts)
    assert any("ایرانسل" in t for t in texts)
    assert any("مرزبان" in t for t in texts)


async def test_tickets_have_timelines_and_some_breach_their_sla(seeded: Seeded) -> None:
    tickets = await _rows(
        seeded,
        "SELECT t.status, t.sla_due_at < :now, t.resolution, count(e.id), "
        "bool_and(e.created_at >= t.opened_at) FROM ticket t JOIN ticket_event e ON e.ticket_id = t.id "
        "GROUP BY t.id".replace(":now", f"'{NOW.isoformat()}'"),
    )
    open_ = [t for t in tickets if t[0] in ("open", "in_progress", "waiting_rep")]
    assert open_
    assert len(open_) < len(tickets) / 2
    assert any(t[1] for t in open_), "some open tickets are past their SLA"
    assert all(t[2] for t in tickets if t[0] in ("resolved", "closed"))
    assert all(t[4] for t in tickets)
    assert sum(int(str(t[3])) for t in tickets) > 2 * len(tickets)


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else 0.0


async def test_churn_cohort_usage_falls_and_steady_holds(seeded: Seeded) -> None:
    rows = await _rows(
        seeded,
        "SELECT r.code, u.active_users FROM usage_snapshot u JOIN representative r ON r.id = u.representative_id "
        f"WHERE r.joined_at < '{(NOW - dt.timedelta(days=380)).isoformat()}' ORDER BY r.code, u.taken_at",
    )
    series: dict[str, list[int]] = defaultdict(list)
    for code, active in rows:
        series[str(code)].append(int(str(active)))
    ratio = {code: _mean(s[-4:]) / max(_mean(s[:4]), 1) for code, s in series.items()}
    churn = [ratio[c] for c in _codes(Cohort.CHURN) if c in ratio]
    steady = [ratio[c] for c in _codes(Cohort.STEADY) if c in ratio]
    assert len(churn) == 30
    assert sum(r < 0.6 for r in churn) >= 27
    assert sum(0.8 <= r <= 1.25 for r in steady) >= 0.9 * len(steady)


async def test_churn_cohort_pays_later_and_later(seeded: Seeded) -> None:
    rows = await _rows(
        seeded,
        "SELECT r.code, i.issued_at, EXTRACT(EPOCH FROM (coalesce(i.paid_at, :now) - i.due_at)) / 86400 "
        "FROM invoice i JOIN representative r ON r.id = i.representative_id "
        "WHERE i.status <> 'void' ORDER BY r.code, i.issued_at".replace(
            ":now", f"'{NOW.isoformat()}'::timestamptz"
        ),
    )
    lateness: dict[str, list[float]] = defaultdict(list)
    for code, _, days_late in rows:
        lateness[str(code)].append(float(str(days_late)))

    def drift(codes: set[str]) -> float:
        return _mean(
            [_mean(lateness[c][-3:]) - _mean(lateness[c][:3]) for c in codes if len(lateness[c]) >= 6]
        )

    assert drift(_codes(Cohort.CHURN)) > 15
    assert abs(drift(_codes(Cohort.STEADY))) < 4
    overdue = await _rows(seeded, "SELECT count(*) FROM invoice WHERE status IN ('overdue', 'void')")
    assert int(str(overdue[0][0])) > 10


async def test_upsell_cohort_runs_near_its_tier_limit(seeded: Seeded) -> None:
    rows = await _rows(
        seeded,
        "SELECT DISTINCT ON (r.id) r.code, u.active_users::float / t.user_limit FROM usage_snapshot u "
        "JOIN representative r ON r.id = u.representative_id JOIN service_tier t ON t.id = r.tier_id "
        "ORDER BY r.id, u.taken_at DESC",
    )
    latest = {str(code): float(str(share)) for code, share in rows}
    upsell = [latest[c] for c in _codes(Cohort.UPSELL)]
    steady = [latest[c] for c in _codes(Cohort.STEADY) if c in latest]
    assert sum(share >= 0.75 for share in upsell) >= 27
    assert statistics.median(steady) < 0.55
    interest = await _rows(
        seeded,
        "SELECT r.code, count(*) FILTER (WHERE i.outcome = 'upsell_interest'), count(*) FROM interaction i "
        "JOIN representative r ON r.id = i.representative_id GROUP BY r.code",
    )
    share = {str(c): int(str(n)) / int(str(total)) for c, n, total in interest}
    assert _mean([share[c] for c in _codes(Cohort.UPSELL)]) > 3 * _mean(
        [share[c] for c in _codes(Cohort.STEADY)]
    )


async def test_churn_cohort_sounds_frustrated_and_files_connectivity_tickets(seeded: Seeded) -> None:
    since = (NOW - dt.timedelta(days=90)).isoformat()
    complaints = await _rows(
        seeded,
        "SELECT r.code, count(*) FILTER (WHERE i.outcome IN ('complaint', 'escalated')), count(*) "
        f"FROM interaction i JOIN representative r ON r.id = i.representative_id WHERE i.occurred_at > '{since}' "
        "GROUP BY r.code",
    )
    share = {str(c): int(str(n)) / int(str(total)) for c, n, total in complaints}
    churn = [share[c] for c in _codes(Cohort.CHURN) if c in share]
    steady = [share[c] for c in _codes(Cohort.STEADY) if c in share]
    assert _mean(churn) > 2 * _mean(steady)
    tickets = await _rows(
        seeded,
        "SELECT r.code, count(t.id) FILTER (WHERE t.category = 'connectivity') FROM representative r "
        "LEFT JOIN ticket t ON t.representative_id = r.id GROUP BY r.code",
    )
    per_rep = {str(c): int(str(n)) for c, n in tickets}
    assert _mean([per_rep[c] for c in _codes(Cohort.CHURN)]) > 3 * _mean(
        [per_rep[c] for c in _codes(Cohort.STEADY)]
    )
