"""`chronos console`: chat with the real bot in a terminal, through the loopback Bot API emulator.

The real dispatcher polls the emulator over HTTP exactly as it would poll Telegram; you play an
agent, a supervisor or a representative. Type text or /commands; ``#N`` presses inline button N of
the last message; ``:voice PATH`` sends an audio file as a voice note; ``:as ROLE`` switches who you
are; ``:quit`` leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr
from rich.console import Console
from sqlalchemy import select

from bot.sender import build_bot
from chronos.botapp import build_app_dispatcher, ensure_admins_and_commands
from chronos.emulators import EmulatedUser, RecordedCall, StoredMessage, TelegramEmulator
from chronos.emulators.tracking import UpdateTracker
from chronos.runtime import Runtime
from chronos.scheduler import LockLost, run_scheduler
from chronos.terminal import rtl
from crm.enums import AgentRole
from crm.models import CrtAgent, Representative

ROLES = ("agent", "supervisor", "admin", "representative")
log = logging.getLogger(__name__)


@dataclass
class ConsoleSession:
    emulator: TelegramEmulator
    tracker: UpdateTracker
    user: EmulatedUser
    out: Console
    buttons: list[tuple[StoredMessage, str, str]] = field(default_factory=list)

    def show(self, call: RecordedCall) -> None:
        if call.method not in {
            "sendMessage",
            "editMessageText",
            "sendPhoto",
            "sendDocument",
            "answerCallbackQuery",
        }:
            return
        if call.method == "answerCallbackQuery":
            if call.params.get("text"):
                self.out.print(f"[yellow]⚠ {rtl(str(call.params['text']))}[/yellow]")
            return
        if call.params.get("chat_id") != self.user.id or not call.ok:
            return
        result = call.result if isinstance(call.result, dict) else {}
        message = self.emulator.message(self.user.id, int(result.get("message_id", 0)))
        if message is None:
            return
        prefix = "✎ " if call.method == "editMessageText" else ""
        if call.method in {"sendPhoto", "sendDocument"}:
            kind = call.method.removeprefix("send").lower()
            self.out.print(f"[cyan]🤖 {prefix}[{kind}] {rtl(message.text or '')}[/cyan]")
        else:
            self.out.print(f"[cyan]🤖 {prefix}{rtl(message.text or '')}[/cyan]")
        self._number_buttons(message)

    def _number_buttons(self, message: StoredMessage) -> None:
        rows = message.inline_keyboard
        if not rows:
            return
        self.buttons = []
        for row in rows:
            labels = []
            for button in row:
                if "callback_data" not in button:
                    continue
                self.buttons.append((message, str(button["callback_data"]), str(button.get("text", ""))))
                labels.append(f"[{len(self.buttons)}] {rtl(str(button.get('text', '')))}")
            self.out.print("   " + "   ".join(labels))

    async def handle(self, line: str) -> bool:
        """Returns False to quit."""
        line = line.strip()
        if not line:
            return True
        if line in {":quit", ":q", ":exit"}:
            return False
        if line.startswith("#") and line[1:].isdigit():
            index = int(line[1:]) - 1
            if not 0 <= index < len(self.buttons):
                self.out.print("[red]no such button[/red]")
                return True
            message, data, _ = self.buttons[index]
            update_id = self.emulator.press_button(self.user, message, data)
        elif line.startswith(":voice "):
            audio = await asyncio.to_thread(_read_file, line.removeprefix(":voice ").strip())
            if audio is None:
                self.out.print("[red]no such file[/red]")
                return True
            update_id = self.emulator.send_voice(self.user, audio, duration=0)
        else:
            update_id = self.emulator.send_text(self.user, line)
        with contextlib.suppress(TimeoutError):
            await self.tracker.wait(update_id, within_s=60)
        return True


def console_emulator(data_dir: Path) -> TelegramEmulator:
    """The console's Telegram. Its update and message ids continue from the last console session on
    this data directory: the bot dedupes by them, so ids starting at 1 again would be dropped as
    already handled and the bot would go silent from the second session on."""
    return TelegramEmulator(state_path=data_dir / "console" / "telegram.json")


def _read_file(path_text: str) -> bytes | None:
    path = Path(path_text).expanduser()
    return path.read_bytes() if path.is_file() else None


async def pick_user(runtime: Runtime, role: str) -> tuple[int, str]:
    """A Telegram id and name to play: the first active agent of that role, or a linked representative."""
    async with runtime.uow() as uow:
        if role == "representative":
            rep = await uow.session.scalar(
                select(Representative)
                .where(Representative.telegram_user_id.is_not(None))
                .order_by(Representative.id)
            )
            if rep is not None and rep.telegram_user_id is not None:
                return rep.telegram_user_id, rep.full_name
            return 7_000_001, "Stranger"
        agent = await uow.session.scalar(
            select(CrtAgent)
            .where(CrtAgent.role == AgentRole(role).value, CrtAgent.active)
            .order_by(CrtAgent.id)
        )
        if agent is not None:
            return agent.telegram_user_id, agent.full_name
    ids = runtime.settings.admin_telegram_ids
    return (ids[0], "Admin") if ids else (7_000_001, "Stranger")


def _log_to_file(path: Path) -> None:
    """The console owns the terminal: the bot's logs go to a file instead."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)


async def offline_scheduler(runtime: Runtime, emulator: TelegramEmulator, stop: asyncio.Event) -> None:
    """The scheduler against the emulator, so an approved campaign reaches the emulated representatives
    and approval cards reach the emulated supervisors. Only in a fully offline world (no BOT_TOKEN), so
    no real campaign is ever marked sent to the emulator; only on the embedded database (never a shared
    one); and never beside another active scheduler. Every linked representative and every agent has a
    chat in the emulator, as they would with the real bot, so nobody is marked unreachable."""
    if runtime.settings.bot.token is not None or runtime.settings.database.url is not None:
        return
    async with runtime.uow() as uow:
        reps = await uow.session.execute(
            select(Representative.telegram_user_id, Representative.full_name).where(
                Representative.telegram_user_id.is_not(None)
            )
        )
        agents = await uow.session.execute(select(CrtAgent.telegram_user_id, CrtAgent.full_name))
        for telegram_id, name in [*reps, *agents]:
            emulator.user(int(telegram_id), name)
    bot = runtime.settings.bot.model_copy(
        update={"token": SecretStr(emulator.token), "api_server": emulator.base_url}
    )
    offline = dataclasses.replace(runtime, settings=runtime.settings.model_copy(update={"bot": bot}))
    try:
        await run_scheduler(offline, stop, wait_for_lock=False)
    except LockLost:
        log.info("another chronos scheduler is active: the console sends no nudges")


async def run_console(runtime: Runtime, role: str = "agent") -> None:
    out = Console()
    log_path = runtime.settings.resolved_data_dir / "logs" / "console.log"
    _log_to_file(log_path)
    async with console_emulator(runtime.settings.resolved_data_dir) as emulator:
        bot = build_bot(
            emulator.token, api_server=emulator.base_url, send_retries=runtime.settings.bot.send_retries
        )
        dp = build_app_dispatcher(runtime)
        tracker = UpdateTracker(dp)
        await ensure_admins_and_commands(runtime, bot)
        polling = asyncio.create_task(
            dp.start_polling(
                bot,
                handle_signals=False,
                close_bot_session=True,
                polling_timeout=1,
                tasks_concurrency_limit=runtime.settings.bot.max_concurrent_updates,
            )
        )
        stop_scheduler = asyncio.Event()
        scheduling = asyncio.create_task(offline_scheduler(runtime, emulator, stop_scheduler))
        telegram_id, name = await pick_user(runtime, role)
        session = ConsoleSession(emulator, tracker, emulator.user(telegram_id, name), out)
        emulator.on_call(session.show)
        out.rule("Chronos console — offline, through the loopback Bot API")
        out.print(f"You are {rtl(name)} (Telegram id {telegram_id}, {role}). Try /start or /find.")
        out.print(f"Logs: {log_path}")
        roles = "|".join(ROLES)
        out.print(f"#N presses button N · :voice FILE sends audio · :as {roles} switches · :quit")
        try:
            while True:
                line = await asyncio.to_thread(input, "you › ")
                if line.startswith(":as "):
                    role = line.removeprefix(":as ").strip()
                    if role not in ROLES:
                        out.print(f"[red]roles: {', '.join(ROLES)}[/red]")
                        continue
                    telegram_id, name = await pick_user(runtime, role)
                    session.user = emulator.user(telegram_id, name)
                    out.print(f"You are now {rtl(name)} ({role}).")
                    continue
                if not await session.handle(line):
                    break
        except (EOFError, KeyboardInterrupt):
            pass
        finally:
            stop_scheduler.set()
            await dp.stop_polling()
            with contextlib.suppress(asyncio.CancelledError):
                await polling
            with contextlib.suppress(asyncio.CancelledError, LockLost):
                await scheduling
