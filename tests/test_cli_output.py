"""How the CLI writes: Persian shaped for terminals (wrapped lines in reading order) or left logical,
JSON with plain numbers, logs only when asked, and a start-up that imports only what a command needs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from arabic_reshaper import ArabicReshaper
from bidi import get_display  # the Rust implementation: an independent reference for single words
from rich.table import Table
from typer import _click
from typer.testing import CliRunner

from chronos.cli import COMMANDS, app
from chronos.cli.common import configure_logging, jsonable, log_level, print_json
from chronos.terminal import Bidi, TerminalConsole, ltr, shaping

ROOT = Path(__file__).resolve().parents[1]
LONG = "اتصال کاربران ایرانسل از دیروز عصر قطع و وصل می‌شود و نماینده درخواست بررسی فوری دارد"
_reference = ArabicReshaper(configuration={"delete_harakat": True, "support_zwj": True})


def drawn(word: str) -> str:
    """How one Persian word looks on a terminal that neither joins nor reorders: joined, reversed."""
    return str(get_display(_reference.reshape(word)))


def render(*renderables: object, width: int = 40, bidi: Bidi = Bidi.ON) -> list[str]:
    out = io.StringIO()
    console = TerminalConsole(file=out, width=width, bidi=bidi)
    for renderable in renderables:
        console.print(renderable)
    return out.getvalue().splitlines()


def cell_lines(lines: list[str], column: int) -> list[str]:
    """The text of one column on each body row of a table drawn with Rich's default box."""
    return [line.split("│")[column + 1].strip() for line in lines if line.startswith("│")]


def test_a_wrapped_persian_cell_reads_from_its_first_line_down() -> None:
    table = Table("code", "summary")
    table.add_row("REP-1", LONG)
    summary = cell_lines(render(table, width=34), 1)
    assert len(summary) >= 4  # the cell wraps
    assert summary[0].endswith(drawn("اتصال"))  # the first word, at the right end of the first line
    assert drawn("کاربران") in summary[0]
    assert summary[-1].startswith(drawn("دارد"))  # the last word, at the left end of the last line
    words = [word for word in LONG.replace("\u200c", " ").split() if len(word) > 2]
    order = [next(n for n, line in enumerate(summary) if drawn(word) in line) for word in words]
    assert order == sorted(order)  # every word on or below the line of the word before it


def test_a_wrapped_printed_paragraph_keeps_its_line_order() -> None:
    lines = render(LONG, width=30)
    assert len(lines) >= 3
    assert lines[0].rstrip().endswith(drawn("اتصال"))
    assert lines[-1].startswith(drawn("دارد"))


def test_mixed_text_brackets_and_styles() -> None:
    assert render("V2Ray روی ایرانسل", width=60) == ["V2Ray " + drawn("ایرانسل") + " " + drawn("روی")]
    assert render("(حدود ۲۰ تا ۲۴)", width=60) == ["(۲۴ " + drawn("تا") + " ۲۰ " + drawn("حدود") + ")"]
    # A row whose first field is Latin but first letters Persian stays left to right.
    assert render(ltr("[1] عنوان — doc.md"), width=60) == ["[1] " + drawn("عنوان") + " — doc.md"]
    out = io.StringIO()
    console = TerminalConsole(file=out, width=60, bidi=Bidi.ON, force_terminal=True, color_system="standard")
    console.print("[red]خطا:[/red] قطع است", highlight=False)
    red = "\x1b[31m"
    assert out.getvalue().startswith(drawn("قطع است") + " ")
    assert red + ":" + drawn("خطا") in out.getvalue()  # the red run moved with its letters


def test_a_rule_title_is_drawn_in_visual_order() -> None:
    out = io.StringIO()
    TerminalConsole(file=out, width=40, bidi=Bidi.ON).rule("REP-1 — رضا رضایی")
    assert "REP-1 — " + drawn("رضا رضایی") + " ─" in out.getvalue()


def test_off_and_auto_keep_logical_unicode_for_pipes() -> None:
    table = Table("summary")
    table.add_row("رضا رضایی")
    assert render(table, bidi=Bidi.OFF)[3] == "│ رضا رضایی │"
    assert render("رضا رضایی", bidi=Bidi.AUTO) == ["رضا رضایی"]  # a StringIO is no terminal
    assert not shaping(io.StringIO(), Bidi.AUTO)


def test_auto_shapes_for_a_real_terminal() -> None:
    primary, secondary = os.openpty()
    with os.fdopen(secondary, "w", encoding="utf-8") as terminal:
        assert shaping(terminal, Bidi.AUTO)
        assert not shaping(terminal, Bidi.OFF)
        TerminalConsole(file=terminal, width=40, bidi=Bidi.AUTO).print("رضا")
    written = os.read(primary, 1024).decode("utf-8")
    os.close(primary)
    assert drawn("رضا") in written
    assert "رضا" not in written


@dataclasses.dataclass
class _Cost:
    usd: Decimal
    at: dt.datetime


def test_json_prints_money_as_plain_numbers() -> None:
    assert jsonable({"amount": Decimal("1.50E+6"), "price": Decimal("2E+4")}) == {
        "amount": 1500000,
        "price": 20000,
    }
    when = dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC)
    assert jsonable([_Cost(Decimal("0.001250"), when)]) == [{"usd": 0.00125, "at": "2026-03-01T08:30:00Z"}]


def test_print_json_writes_no_exponent(capsys: pytest.CaptureFixture[str]) -> None:
    print_json({"amount_toman": Decimal("2.40E+6")})
    out = capsys.readouterr().out
    assert json.loads(out) == {"amount_toman": 2400000}
    assert "E+" not in out


def test_log_level_precedence() -> None:
    assert log_level(0, None, service=False) == logging.WARNING  # commands: quiet
    assert log_level(0, None, service=True) == logging.INFO  # the bot and scheduler: their log
    assert log_level(0, "ERROR", service=True) == logging.ERROR  # CHRONOS_LOG_LEVEL
    assert log_level(1, "ERROR", service=False) == logging.INFO  # -v wins
    assert log_level(2, None, service=False) == logging.DEBUG


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    yield
    configure_logging(logging.WARNING)
    root.setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_a_library_that_sets_its_own_logger_to_debug_stays_quiet(
    capsys: pytest.CaptureFixture[str],
) -> None:
    chatty = logging.getLogger("tests.chatty")  # as bm25s does with its logger on import
    chatty.setLevel(logging.DEBUG)
    configure_logging(logging.WARNING)
    chatty.debug("building index")
    chatty.warning("disk almost full")
    configure_logging(logging.DEBUG)
    chatty.debug("now shown")
    err = capsys.readouterr().err
    assert "building index" not in err
    assert "WARNING tests.chatty: disk almost full" in err
    assert "DEBUG tests.chatty: now shown" in err


HEAVY = ("aiogram", "torch", "chromadb", "faster_whisper", "sentence_transformers", "matplotlib")


def imported_after(statement: str) -> list[str]:
    probe = (
        f"import sys; {statement}; print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    result = subprocess.run(  # noqa: S603  (our own interpreter, constant code)
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    return list(json.loads(result.stdout.replace("'", '"')))


def test_the_cli_imports_heavy_libraries_only_for_commands_that_use_them() -> None:
    assert imported_after("import chronos.cli") == []
    assert imported_after("import chronos.cli.reps") == []
    assert imported_after("import chronos.cli.kb") == []  # the model and Chroma load when a search runs
    assert "aiogram" in imported_after("import chronos.cli.run")  # `chronos bot` does need it


def test_every_command_is_listed_and_loads() -> None:
    listing = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert listing.exit_code == 0, listing.output
    for entry in COMMANDS:
        assert entry.summary in listing.stdout, entry.name
        own = CliRunner().invoke(app, [entry.name, "--help"], env={"COLUMNS": "200"})
        assert own.exit_code == 0, (entry.name, own.output)
        assert f"{entry.name} [OPTIONS]" in own.stdout, entry.name
    unknown = CliRunner().invoke(app, ["rep", "list"])
    assert unknown.exit_code == 2
    assert "Did you mean 'reps'" in unknown.output


def _leaves(command: _click.Command, path: str) -> Iterator[tuple[str, _click.Command]]:
    subcommands = getattr(command, "commands", None)
    if not subcommands:
        yield path, command
        return
    for name, sub in subcommands.items():
        yield from _leaves(sub, f"{path} {name}")


def test_every_argument_and_option_is_explained() -> None:
    unexplained = [
        f"{path} {param.name}"
        for entry in COMMANDS
        for path, command in _leaves(entry.load(), entry.name)
        for param in command.params
        if not getattr(param, "help", None)
    ]
    assert unexplained == []
