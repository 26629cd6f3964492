"""Bulk CSV import of bad input: one clear error each, and nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crm.db import UnitOfWork
from crm.importing import Entity, ImportFileError, ImportRejected
from crm.models import Interaction, Payment, Representative, Ticket, UsageSnapshot
from tests.crm.test_import import count, import_audits, run_import, seed, write_file

INTERACTIONS_HEADER = "external_id,rep_code,channel,occurred_at,body\n"
GOOD_INTERACTION = "X-1,REP-1001,call,1403/05/12 10:00,تماس\n"
TEHRAN_MIDNIGHT = "2024-08-01T20:30:00+00:00"  # 1403/05/12 00:00 in Tehran


async def assert_file_error(uow: UnitOfWork, entity: Entity, path: Path, expected: str) -> str:
    with pytest.raises(ImportFileError) as caught:
        await run_import(uow, entity, path)
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message
    assert await count(uow, Interaction) == 0
    assert await import_audits(uow) == []
    return message


async def rejected_errors(uow: UnitOfWork, entity: Entity, path: Path, model: Any) -> dict[int, str]:
    before = await count(uow, model)
    with pytest.raises(ImportRejected) as caught:
        await run_import(uow, entity, path)
    assert await count(uow, model) == before
    assert await import_audits(uow) == []
    return {error.line: error.error for error in caught.value.report.errors}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(
            "external_id;rep_code;channel;occurred_at\nX-1;REP-1001;call;2024-08-01\n",
            "separates columns with semicolons (;); Chronos reads comma-separated files",
            id="semicolon",
        ),
        pytest.param(
            "external_id\trep_code\tchannel\toccurred_at\nX-1\tREP-1001\tcall\t2024-08-01\n",
            "separates columns with tabs",
            id="tab",
        ),
        pytest.param(
            "external_id,channel,body\nX-1,call,سلام\n",
            "missing required column(s): rep_code, occurred_at (the header has: external_id, channel, body)",
            id="missing-columns",
        ),
        pytest.param(b"", "data.csv is empty", id="empty"),
        pytest.param("\ufeff  \n\n", "data.csv is empty", id="bom-and-blank-lines"),
        pytest.param(INTERACTIONS_HEADER, "has a header row but no data rows", id="header-only"),
        pytest.param(
            INTERACTIONS_HEADER + "\n,,,,\n\n", "has a header row but no data rows", id="blank-rows"
        ),
        pytest.param(
            (INTERACTIONS_HEADER + GOOD_INTERACTION).encode("utf-16"), "is UTF-16 text", id="utf-16"
        ),
        pytest.param(
            "rep_code,rep_code,channel,occurred_at\n", "repeats column(s) rep_code", id="dup-header"
        ),
    ],
)
async def test_file_level_problems(
    uow: UnitOfWork, tmp_path: Path, content: str | bytes, expected: str
) -> None:
    async with uow:
        await seed(uow)
        await assert_file_error(uow, Entity.INTERACTIONS, write_file(tmp_path, content), expected)


async def test_windows_1256_file_is_named_with_a_fix(uow: UnitOfWork, tmp_path: Path) -> None:
    async with uow:
        await seed(uow)
        # Windows-1256 has no Farsi yeh (ی); Persian text saved in it uses the Arabic one (ي).
        content = INTERACTIONS_HEADER + "X-1,REP-1001,call,1403/05/12 10:00,سلام، پنل کند است\n"
        message = await assert_file_error(
            uow, Entity.INTERACTIONS, write_file(tmp_path, content.encode("cp1256")), "is not UTF-8 text"
        )
        assert "line 2" in message
        assert "Windows-1256" in message
        assert "iconv -f WINDOWS-1256 -t UTF-8 data.csv" in message


async def test_bad_bytes_late_in_a_large_file_abort_everything(uow: UnitOfWork, tmp_path: Path) -> None:
    async with uow:
        await seed(uow)
        good = "".join(f"X-{n},REP-1001,call,2024-08-01T10:00:00,تماس شماره {n}\n" for n in range(3000))
        late = "X-late,REP-1001,call,2024-08-01,خراب\n".encode("cp1256")
        content = (INTERACTIONS_HEADER + good).encode() + late
        message = await assert_file_error(
            uow, Entity.INTERACTIONS, write_file(tmp_path, content), "is not UTF-8 text"
        )
        assert "line 3002" in message


async def test_utf8_with_bom_is_accepted(uow: UnitOfWork, tmp_path: Path) -> None:
    async with uow:
        await seed(uow)
        path = write_file(tmp_path, (INTERACTIONS_HEADER + GOOD_INTERACTION).encode("utf-8-sig"))
        report = await run_import(uow, Entity.INTERACTIONS, path)
        assert (report.inserted, report.ignored_columns) == (1, [])


async def test_bad_dates(uow: UnitOfWork, tmp_path: Path) -> None:
    async with uow:
        await seed(uow)
        rows = ["1403/13/40", "yesterday", "2024-02-30", "1403/05/12 25:00", "۱۴۰۳/۰۵/۱۲ ۱۰:۰۰"]
        body = "".join(f"X-{n},REP-1001,call,{value},تماس\n" for n, value in enumerate(rows))
        errors = await rejected_errors(
            uow, Entity.INTERACTIONS, write_file(tmp_path, INTERACTIONS_HEADER + body), Interaction
        )
        assert errors == {
            2: "occurred_at: not a valid Jalali date: '1403/13/40'",
            3: "occurred_at: not an ISO 8601 or Jalali date: 'yesterday'",
            4: "occurred_at: not an ISO 8601 or Jalali date: '2024-02-30'",
            5: "occurred_at: not a valid Jalali date: '1403/05/12 25:00'",
        }


async def test_negative_zero_and_malformed_amounts(uow: UnitOfWork, tmp_path: Path) -> None:
    async with uow:
        await seed(uow)
        amounts = ["-5000", "0", "۰", "1.5", "abc", '"۱٬۵۰۰٬۰۰۰"']
        body = "".join(f"P-{n},REP-1001,{amount},2024-08-01\n" for n, amount in enumerate(amounts))
        path = write_file(tmp_path, "reference,rep_code,amount_toman,paid_at\n" + body)
        errors = await rejected_errors(uow, Entity.PAYMENTS, path, Payment)
        assert list(errors) == [2, 3, 4, 5, 6]
        assert errors[2] == "amount_toman: amount must be greater than zero (got '-5000')"
        assert errors[3].startswith("amount_toman: amount must be greater than zero")
        assert errors[4].startswith("amount_toman: amount must be greater than zero")
        assert errors[5].startswith("amount_toman: Toman amounts are whole numbers")
        assert errors[6].startswith("amount_toman: not an amount: 'abc'")


@pytest.mark.parametrize(
    ("entity", "model", "content", "expected"),
    [
        pytest.param(
            Entity.TICKETS,
            Ticket,
            "external_ref,rep_code,category,subject,opened_at\n"
            "T-1,REP-1001,billing,فاکتور,2024-08-01\nT-1,REP-1002,panel,پنل,2024-08-02\n",
            {3: "duplicate external_ref 'T-1' (first on line 2)"},
            id="tickets",
        ),
        pytest.param(
            Entity.PAYMENTS,
            Payment,
            "reference,rep_code,amount_toman,paid_at\nP-1,REP-1001,1000,2024-08-01\nP-1,REP-1001,2000,2024-08-02\n",
            {3: "duplicate reference 'P-1' (first on line 2)"},
            id="payments",
        ),
        pytest.param(
            Entity.USAGE,
            UsageSnapshot,
            "rep_code,taken_at,active_users,total_users,traffic_bytes\n"
            "REP-1001,1403/05/12,1,2,3\nrep-1001,2024-08-02T00:00:00,4,5,6\n",
            {3: f"duplicate usage snapshot for rep_code 'REP-1001' at {TEHRAN_MIDNIGHT} (first on line 2)"},
            id="usage-same-moment-in-two-calendars",
        ),
        pytest.param(
            Entity.REPRESENTATIVES,
            Representative,
            "code,full_name\nREP-5,نماینده\nrep-5,نماینده دیگر\n",
            {3: "duplicate code 'REP-5' (first on line 2)"},
            id="representatives",
        ),
    ],
)
async def test_duplicate_natural_keys_within_a_file(
    uow: UnitOfWork, tmp_path: Path, entity: Entity, model: Any, content: str, expected: dict[int, str]
) -> None:
    async with uow:
        await seed(uow)
        assert await rejected_errors(uow, entity, write_file(tmp_path, content), model) == expected


@pytest.mark.parametrize(
    ("entity", "model", "content"),
    [
        pytest.param(Entity.INTERACTIONS, Interaction, INTERACTIONS_HEADER + "X,REP-404,call,2024-08-01,x\n"),
        pytest.param(
            Entity.TICKETS,
            Ticket,
            "external_ref,rep_code,category,subject,opened_at\nT-1,REP-404,billing,فاکتور,2024-08-01\n",
        ),
        pytest.param(
            Entity.PAYMENTS, Payment, "reference,rep_code,amount_toman,paid_at\nP-1,REP-404,1000,2024-08-01\n"
        ),
        pytest.param(
            Entity.USAGE,
            UsageSnapshot,
            "rep_code,taken_at,active_users,total_users,traffic_bytes\nREP-404,2024-08-01,1,2,3\n",
        ),
    ],
)
async def test_unknown_representative_codes(
    uow: UnitOfWork, tmp_path: Path, entity: Entity, model: Any, content: str
) -> None:
    async with uow:
        await seed(uow)
        errors = await rejected_errors(uow, entity, write_file(tmp_path, content), model)
        assert errors == {2: "rep_code: no representative with code 'REP-404'"}


async def test_unknown_agent_tier_and_taken_phone(uow: UnitOfWork, tmp_path: Path) -> None:
    async with uow:
        await seed(uow)
        content = (
            "code,full_name,phone,tier_code,agent_telegram_id\n"
            "REP-7,نماینده هفت,,PLATINUM,\n"
            "REP-8,نماینده هشت,,,424242\n"
            "REP-9,نماینده نه,09120000001,,\n"
            "REP-10,نماینده ده,0935 000 0000,,\n"
            "REP-11,نماینده یازده,+989350000000,,\n"
            "REP-12,نماینده دوازده,12345,,\n"
        )
        errors = await rejected_errors(
            uow, Entity.REPRESENTATIVES, write_file(tmp_path, content), Representative
        )
        assert errors == {
            2: "tier_code: no service tier 'PLATINUM'",
            3: "agent_telegram_id: no CRT agent with Telegram id 424242",
            4: "phone: +989120000001 already belongs to representative REP-1001",
            6: "phone: +989350000000 is also on line 5",
            7: "phone: not a valid Iranian phone number: '12345' (got '12345')",
        }


async def test_payment_for_another_representatives_invoice(uow: UnitOfWork, tmp_path: Path) -> None:
    async with uow:
        await seed(uow)
        content = (
            "reference,rep_code,amount_toman,paid_at,invoice_number\nP-1,REP-1001,9,2024-08-01,INV-404\n"
        )
        errors = await rejected_errors(uow, Entity.PAYMENTS, write_file(tmp_path, content), Payment)
        assert errors == {2: "invoice_number: no invoice 'INV-404'"}


async def test_rows_with_the_wrong_number_of_fields(uow: UnitOfWork, tmp_path: Path) -> None:
    async with uow:
        await seed(uow)
        content = INTERACTIONS_HEADER + "X-1,REP-1001,call,2024-08-01,سلام, دنیا\nX-2,REP-1001,call\n"
        errors = await rejected_errors(uow, Entity.INTERACTIONS, write_file(tmp_path, content), Interaction)
        assert errors == {
            2: "row has 6 fields but the header has 5 (an unquoted comma?)",
            3: "row has 3 fields but the header has 5 (an unquoted comma?)",
        }


async def test_resolved_ticket_needs_resolution_and_time(uow: UnitOfWork, tmp_path: Path) -> None:
    async with uow:
        await seed(uow)
        content = (
            "external_ref,rep_code,category,subject,opened_at,status,resolution,resolved_at\n"
            "T-1,REP-1001,billing,فاکتور,2024-08-01,resolved,,2024-08-02\n"
            "T-2,REP-1001,billing,فاکتور,2024-08-01,closed,حل شد,\n"
            "T-3,REP-1001,billing,فاکتور,2024-08-01,open,,2024-08-02\n"
            "T-4,REP-1001,billing,فاکتور,2024-08-03,resolved,حل شد,2024-08-02\n"
            "T-5,REP-1001,billing,فاکتور,2024-08-03,lost,,\n"
        )
        errors = await rejected_errors(uow, Entity.TICKETS, write_file(tmp_path, content), Ticket)
        assert errors == {
            2: "resolution: a resolved ticket needs one",
            3: "resolved_at: a closed ticket needs one",
            4: "resolved_at: only resolved or closed tickets have one (status is open)",
            5: "resolved_at: earlier than opened_at",
            6: "status: must be one of open, in_progress, waiting_rep, resolved, closed (got 'lost')",
        }
