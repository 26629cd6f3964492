"""Bulk CSV import: happy path per entity, idempotency, dry run, --skip-invalid, docs coverage."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm import search
from crm.db import UnitOfWork
from crm.importing import (
    IMPORTERS,
    Entity,
    ImportFailed,
    ImportProgress,
    ImportRejected,
    ImportReport,
    import_csv,
)
from crm.importing.base import WriteResult
from crm.importing.interactions import InteractionImporter
from crm.models import (
    AuditLog,
    Interaction,
    Invoice,
    Payment,
    Representative,
    ServiceTier,
    Ticket,
    TicketEvent,
    UsageSnapshot,
)
from crm.schemas.finance import InvoiceCreate
from crm.schemas.people import AgentCreate, RepresentativeDTO
from crm.schemas.types import Actor
from crm.services import agents, finance, representatives
from tests.factories import make_rep, make_tier

DATA = Path(__file__).parent.parent / "data" / "import"
DOCS = Path(__file__).parent.parent.parent / "docs" / "import.md"
AGENT_TELEGRAM_ID = 555001
UTC = dt.UTC


def fixture_copy(name: str, tmp_path: Path) -> Path:
    """Fixtures are copied so a rejects file is written next to the copy, not into the repo."""
    target = tmp_path / name
    shutil.copy(DATA / name, target)
    return target


def write_file(tmp_path: Path, content: str | bytes, name: str = "data.csv") -> Path:
    target = tmp_path / name
    if isinstance(content, str):
        target.write_text(content, encoding="utf-8")
    else:
        target.write_bytes(content)
    return target


async def seed(uow: UnitOfWork) -> dict[str, RepresentativeDTO]:
    """One agent (Telegram 555001), tier GOLD, representatives REP-1001 and REP-1002."""
    await agents.create(
        uow, AgentCreate(telegram_user_id=AGENT_TELEGRAM_ID, full_name="کارشناس واردات"), Actor.cli()
    )
    await make_tier(uow, code="GOLD")
    return {
        "REP-1001": await make_rep(uow, code="REP-1001", name="نماینده اول", phone="09120000001"),
        "REP-1002": await make_rep(uow, code="REP-1002", name="نماینده دوم"),
    }


async def count(uow: UnitOfWork, model: Any) -> int:
    return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def import_audits(uow: UnitOfWork) -> list[AuditLog]:
    rows = await uow.session.scalars(select(AuditLog).where(AuditLog.action.startswith("import.")))
    return list(rows)


async def run_import(uow: UnitOfWork, entity: Entity, path: Path, **options: Any) -> ImportReport:
    return await import_csv(uow, entity, path, Actor.cli(), **options)


async def test_interactions_from_jalali_iso_and_persian_digits(uow: UnitOfWork, tmp_path: Path) -> None:
    async with uow:
        reps = await seed(uow)
        report = await run_import(uow, Entity.INTERACTIONS, fixture_copy("interactions.csv", tmp_path))
        assert (report.read, report.valid, report.invalid) == (4, 4, 0)
        assert (report.inserted, report.unchanged) == (4, 0)
        rows = {
            row.idempotency_key: row
            for row in await uow.session.scalars(select(Interaction).where(Interaction.source == "import"))
        }
        assert set(rows) == {"CRM-1", "CRM-2", "CRM-3", "CRM-4"}
        first = rows["CRM-1"]
        assert first.representative_id == reps["REP-1001"].id
        assert first.agent_id is not None
        # 1403/05/12 14:30 Tehran (UTC+3:30) is 2024-08-02 11:00 UTC.
        assert first.occurred_at == dt.datetime(2024, 8, 2, 11, 0, tzinfo=UTC)
        assert first.body == "نماینده گفت پنل کند است و کاربران از قطعی V2Ray شاکی‌اند"
        assert (first.channel, first.direction, first.outcome) == ("call", "outbound", "follow_up")
        # Persian digits, date only: midnight in Tehran; a lower-case rep code; a capitalised channel.
        second = rows["CRM-2"]
        assert second.occurred_at == dt.datetime(2024, 8, 2, 20, 30, tzinfo=UTC)
        assert second.representative_id == reps["REP-1002"].id
        assert (second.channel, second.summary) == ("telegram", None)
        # Naive ISO is Tehran time; an explicit Z stays UTC.
        assert rows["CRM-3"].occurred_at == dt.datetime(2024, 8, 5, 5, 45, tzinfo=UTC)
        assert rows["CRM-3"].direction == "outbound"
        assert rows["CRM-4"].occurred_at == dt.datetime(2024, 8, 5, 6, 0, tzinfo=UTC)
        assert rows["CRM-4"].summary == "ارسال فاکتور، با ویرگول"
        [audit] = await import_audits(uow)
        assert (audit.action, audit.entity, audit.actor_type) == ("import.interactions", "interaction", "cli")
        assert audit.after is not None
        assert audit.after["inserted"] == 4
        assert audit.after["file"] == "interactions.csv"


async def test_reimport_changes_nothing(uow: UnitOfWork, tmp_path: Path) -> None:
    async with uow:
        await seed(uow)
        path = fixture_copy("interactions.csv", tmp_path)
        await run_import(uow, Entity.INTERACTIONS, path)
        again = await run_import(uow, Entity.INTERACTIONS, path)
        assert (again.valid, again.inserted, again.unchanged) == (4, 0, 4)
        assert await count(uow, Interaction) == 4


async def test_rows_without_external_id_get_stable_content_keys(uow: UnitOfWork, tmp_path: Path) -> None:
    async with uow:
        await seed(uow)
        path = fixture_copy("interactions_without_ids.csv", tmp_path)
        first = await run_import(uow, Entity.INTERACTIONS, path)
        keys = set(await uow.session.scalars(select(Interaction.idempotency_key)))
        assert first.inserted == 3
        assert all(key.startswith("sha256:") and len(key) == 71 for key in keys)
        # Same content written differently (Persian digits, ISO instead of Jalali): same keys.
        rewritten = write_file(
            tmp_path,
            "rep_code,channel,occurred_at,body\n"
            "rep-1001,CALL,۱۴۰۳/۰۵/۱۲ ۱۰:۰۰,تماس اول\n"
            "REP-1001,call,2024-08-02T11:00:00,تماس  دوم\n",
            "rewritten.csv",
        )
        second = await run_import(uow, Entity.INTERACTIONS, rewritten)
        assert (second.inserted, second.unchanged) == (0, 2)
        assert await count(uow, Interaction) == 3


@pytest.mark.parametrize("batch_rows", [1, 10_000])
async def test_representatives_insert_update_and_search_keys(
    uow: UnitOfWork, tmp_path: Path, batch_rows: int
) -> None:
    async with uow:
        reps = await seed(uow)
        path = fixture_copy("representatives.csv", tmp_path)
        report = await run_import(uow, Entity.REPRESENTATIVES, path, batch_rows=batch_rows)
        assert (report.inserted, report.updated, report.unchanged) == (2, 1, 0)
        stored = {r.code: r for r in await uow.session.scalars(select(Representative))}
        new = stored["REP-2001"]
        assert new.full_name == "علی رضائی"
        assert new.phone == "+989123456789"
        assert new.telegram_user_id == 7001
        assert new.name_key == search.name_key("علی رضائی")
        assert new.name_trigrams == search.trigrams("علی رضائی")
        gold = await uow.session.scalar(select(ServiceTier.id).where(ServiceTier.code == "GOLD"))
        assert new.tier_id == gold
        assert new.assigned_agent_id is not None
        assert new.joined_at == dt.datetime(2023, 4, 3, 20, 30, tzinfo=UTC)  # 1402/01/15 in Tehran
        assert (stored["REP-2002"].status, stored["REP-2002"].phone) == ("paused", "+989351112233")
        renamed = stored["REP-1001"]
        assert renamed.full_name == "نماینده قدیمی با نام تازه"
        assert renamed.name_trigrams == search.trigrams("نماینده قدیمی با نام تازه")
        assert renamed.phone is None  # a blank cell in a present column clears the value
        hits = await representatives.find(uow, "علي رضايي")
        assert hits[0].representative.code == "REP-2001"
        assert reps["REP-1002"].id == stored["REP-1002"].id

        again = await run_import(uow, Entity.REPRESENTATIVES, path)
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)


async def test_representative_update_leaves_absent_columns_alone(uow: UnitOfWork, tmp_path: Path) -> None:
    async with uow:
        await seed(uow)
        path = write_file(tmp_path, "code,full_name,city\nREP-1001,نماینده اول,شیراز\n")
        report = await run_import(uow, Entity.REPRESENTATIVES, path)
        assert (report.inserted, report.updated) == (0, 1)
        rep = await uow.session.scalar(select(Representative).where(Representative.code == "REP-1001"))
        assert rep is not None
        assert (rep.city, rep.phone) == ("شیراز", "+989120000001")


@pytest.mark.parametrize("batch_rows", [1, 10_000])
async def test_tickets_with_sla_and_timeline(uow: UnitOfWork, tmp_path: Path, batch_rows: int) -> None:
    async with uow:
        await seed(uow)
        path = fixture_copy("tickets.csv", tmp_path)
        report = await run_import(uow, Entity.TICKETS, path, batch_rows=batch_rows)
        assert (report.inserted, report.details) == (2, {"ticket_events": 3})
        tickets = {t.external_ref: t for t in await uow.session.scalars(select(Ticket))}
        open_ticket = tickets["T-100"]
        assert open_ticket.opened_at == dt.datetime(2024, 7, 31, 6, 30, tzinfo=UTC)
        assert open_ticket.sla_due_at == open_ticket.opened_at + dt.timedelta(hours=12)
        assert (open_ticket.status, open_ticket.priority, open_ticket.resolved_at) == ("open", "high", None)
        assert open_ticket.assigned_agent_id is not None
        resolved = tickets["T-101"]
        assert (resolved.status, resolved.priority) == ("resolved", "normal")
        assert resolved.resolution == "فاکتور اصلاح شد"
        kinds = (
            await uow.session.scalars(
                select(TicketEvent.kind).where(TicketEvent.ticket_id == resolved.id).order_by(TicketEvent.id)
            )
        ).all()
        assert kinds == ["created", "status_change"]


@pytest.mark.parametrize("batch_rows", [1, 10_000])
async def test_payments_accept_persian_amounts_and_settle_invoices(
    uow: UnitOfWork, tmp_path: Path, batch_rows: int
) -> None:
    async with uow:
        reps = await seed(uow)
        await finance.record_invoice(
            uow,
            InvoiceCreate(
                number="INV-1",
                representative_id=reps["REP-1001"].id,
                amount_toman=Decimal(1_500_000),
                issued_at=dt.datetime(2024, 7, 1, tzinfo=UTC),
                due_at=dt.datetime(2024, 8, 1, tzinfo=UTC),
            ),
            Actor.cli(),
        )
        report = await run_import(
            uow, Entity.PAYMENTS, fixture_copy("payments.csv", tmp_path), batch_rows=batch_rows
        )
        assert (report.inserted, report.details) == (3, {"invoices_settled": 1})
        payments = {p.reference: p for p in await uow.session.scalars(select(Payment))}
        assert payments["PAY-1"].amount_toman == Decimal(1_500_000)
        assert payments["PAY-2"].amount_toman == Decimal(1_500_000)
        assert payments["PAY-3"].amount_toman == Decimal(2_500_000)
        assert payments["PAY-2"].method == "bank_transfer"
        assert payments["PAY-3"].method == "card"
        invoice = await uow.session.scalar(select(Invoice).where(Invoice.number == "INV-1"))
        assert invoice is not None
        assert (invoice.status, invoice.paid_at) == ("paid", payments["PAY-1"].paid_at)
        assert payments["PAY-1"].invoice_id == invoice.id


async def test_usage_snapshots_keyed_on_rep_and_time(uow: UnitOfWork, tmp_path: Path) -> None:
    async with uow:
        await seed(uow)
        path = fixture_copy("usage.csv", tmp_path)
        report = await run_import(uow, Entity.USAGE, path)
        assert report.inserted == 3
        first = await uow.session.scalar(select(UsageSnapshot).order_by(UsageSnapshot.taken_at).limit(1))
        assert first is not None
        assert (first.active_users, first.total_users, first.traffic_bytes) == (120, 150, 1_234_567_890)
        assert first.taken_at == dt.datetime(2024, 8, 1, 20, 30, tzinfo=UTC)
        assert (await run_import(uow, Entity.USAGE, path)).unchanged == 3


async def test_dry_run_counts_but_writes_nothing(uow: UnitOfWork, tmp_path: Path) -> None:
    async with uow:
        await seed(uow)
        path = fixture_copy("interactions.csv", tmp_path)
        report = await run_import(uow, Entity.INTERACTIONS, path, dry_run=True)
        assert (report.dry_run, report.valid, report.inserted) == (True, 4, 4)
        assert await count(uow, Interaction) == 0
        assert await import_audits(uow) == []


async def test_all_or_nothing_lists_every_bad_row_with_its_line(uow: UnitOfWork, tmp_path: Path) -> None:
    async with uow:
        await seed(uow)
        path = fixture_copy("interactions_with_bad_rows.csv", tmp_path)
        with pytest.raises(ImportRejected) as caught:
            await run_import(uow, Entity.INTERACTIONS, path)
        report = caught.value.report
        assert (report.read, report.valid, report.invalid) == (6, 2, 4)
        errors = {error.line: error.error for error in report.errors}
        assert list(errors) == [3, 4, 7, 8]  # line 5-6 is one row with a two-line body
        assert "no representative with code 'REP-9999'" in errors[3]
        assert "not a valid Jalali date" in errors[4]
        assert errors[7].startswith("channel: Input should be 'call', 'telegram'")
        assert errors[7].endswith("(got 'fax')")
        assert errors[8] == "duplicate external_id 'OK-1' (first on line 2)"
        assert await count(uow, Interaction) == 0
        assert await import_audits(uow) == []
        assert not (tmp_path / "interactions_with_bad_rows.rejects.csv").exists()


@pytest.mark.parametrize("batch_rows", [2, 10_000])
async def test_skip_invalid_imports_good_rows_and_writes_rejects(
    uow: UnitOfWork, tmp_path: Path, batch_rows: int
) -> None:
    async with uow:
        await seed(uow)
        path = fixture_copy("interactions_with_bad_rows.csv", tmp_path)
        report = await run_import(uow, Entity.INTERACTIONS, path, skip_invalid=True, batch_rows=batch_rows)
        assert (report.valid, report.invalid, report.inserted) == (2, 4, 2)
        rejects = tmp_path / "interactions_with_bad_rows.rejects.csv"
        assert report.rejects_file == str(rejects)
        assert set(await uow.session.scalars(select(Interaction.idempotency_key))) == {"OK-1", "OK-2"}
        with rejects.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == ["line", "error", "external_id", "rep_code", "channel", "occurred_at", "body"]
        assert [row[0] for row in rows[1:]] == ["3", "4", "7", "8"]
        assert rows[1][2:] == ["BAD-1", "REP-9999", "call", "1403/05/12 10:00", "نماینده ناشناس"]
        assert "REP-9999" in rows[1][1]
        assert rows[4][2:] == ["OK-1", "REP-1002", "call", "2024-08-03T11:00:00", "شناسه تکراری"]
        [audit] = await import_audits(uow)
        assert audit.after is not None
        assert (audit.after["invalid"], audit.after["skip_invalid"]) == (4, True)


async def test_progress_reports_bytes_then_saving(uow: UnitOfWork, tmp_path: Path) -> None:
    async with uow:
        await seed(uow)
        path = fixture_copy("interactions.csv", tmp_path)
        events: list[ImportProgress] = []
        await run_import(uow, Entity.INTERACTIONS, path, progress=events.append, batch_rows=2)
        assert [e.stage.value for e in events] == ["reading", "reading", "reading", "saving", "saving"]
        assert events[2].done == events[2].total == path.stat().st_size
        assert events[2].rows == 4


async def test_database_refusing_a_later_batch_undoes_the_earlier_ones(
    uow: UnitOfWork, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written_batches: list[int] = []
    original_write = InteractionImporter.write

    async def fail_on_second_batch(self: InteractionImporter, conn: Any) -> WriteResult:
        written_batches.append(1)
        if len(written_batches) == 2:
            await conn.execute("SELECT 1 / 0")
        return await original_write(self, conn)

    monkeypatch.setattr(InteractionImporter, "write", fail_on_second_batch)
    async with uow:
        await seed(uow)
        with pytest.raises(ImportFailed, match="the database refused the import, nothing was written"):
            await run_import(
                uow, Entity.INTERACTIONS, fixture_copy("interactions.csv", tmp_path), batch_rows=2
            )
        assert written_batches == [1, 1]
        assert await count(uow, Interaction) == 0
        assert await import_audits(uow) == []


def test_docs_describe_every_column() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    for entity, importer in IMPORTERS.items():
        section = docs.split(f"## {entity.value}", 1)[1].split("\n## ", 1)[0]
        for column in importer.required_columns:
            assert f"| `{column}` | yes |" in section, (entity, column)
        for column in importer.optional_columns:
            assert f"| `{column}` | no |" in section, (entity, column)


async def test_real_commits_are_atomic(
    committing_session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """Outside the test savepoint: the staging table and the insert share the service's transaction."""
    async with UnitOfWork(committing_session_factory) as uow:
        await seed(uow)
    async with UnitOfWork(committing_session_factory) as uow:
        with pytest.raises(ImportRejected):
            await run_import(
                uow, Entity.INTERACTIONS, fixture_copy("interactions_with_bad_rows.csv", tmp_path)
            )
    async with UnitOfWork(committing_session_factory) as uow:
        assert await count(uow, Interaction) == 0
        report = await run_import(uow, Entity.INTERACTIONS, fixture_copy("interactions.csv", tmp_path))
        assert report.inserted == 4
    async with UnitOfWork(committing_session_factory) as uow:
        assert await count(uow, Interaction) == 4
        assert len(await import_audits(uow)) == 1
