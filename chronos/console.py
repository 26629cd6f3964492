"""`chronos console`: chat with the real bot in a terminal, through the loopback Bot API emulator.

The real dispatcher polls the emulator over HTTP exactly as it would poll Telegram; you play an
agent, a supervisor, an admin or a representative. Type text or /commands. Every message the bot
sends is shown and numbered, including those for other people (labelled ``→ to <name> (<role>)``);
``#3.1`` presses button 1 of message 3, ``#1`` button 1 of your last message with buttons. Photos and
documents are saved under ``<data dir>/console/media``. ``:voice PATH`` sends an audio file as a voice
note; ``:as ROLE`` switches who you are; ``:help`` repeats this; ``:quit`` leaves.

Updates go through the inbox as in production (``chronos.polling``): one the console stopped during is
handled when it starts again. Update and message ids continue from one console session to the next on
the same data directory (``<data dir>/console/telegram.json``), so the inbox never mistakes a new
message for a repeat.
With no active admin, ``:as admin`` plays a console operator admin registered for the purpose.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from pathlib import Path

from pydantic import SecretStr
from rich.text import Text
from sqlalchemy import select

from bot.sender import build_bot
from chronos.botapp import build_app_dispatcher, ensure_admins_and_commands
from chronos.console_session import HELP, ROLES, ConsoleSession, Person
from chronos.emulators import TelegramEmulator
from chronos.emulators.tracking import UpdateTracker
from chronos.polling import InboxPolling
from chronos.runtime import Runtime
from chronos.scheduler import LockLost, run_scheduler
from chronos.terminal import TerminalConsole
from crm.db import UnitOfWork
from crm.enums import AgentRole
from crm.models import CrtAgent, Representative
from crm.schemas.people import AgentCreate
from crm.schemas.types import Actor
from crm.services import agents

__all__ = ["ROLES", "ConsoleSession", "Person", "console_emulator", "pick_user", "run_console"]

log = logging.getLogger(__name__)

CONSOLE_OPERATOR_TELEGRAM_ID = 2**52 + 1
"""Telegram user ids have at most 52 significant bits, so no real account can ever have this id: the
console operator stays an emulator-only admin even if the data directory later runs the real bot."""
CONSOLE_OPERATOR_NAME = "Console operator"
STRANGER = Person(7_000_001, "Stranger", "stranger")


def console_emulator(data_dir: Path) -> TelegramEmulator:
    """The console's Telegram. Its update and message ids continue from the last console session on
    this data directory: the bot dedupes by them, so ids starting at 1 again would be dropped as
    already handled and the bot would go silent from the second session on."""
    return TelegramEmulator(state_path=data_dir / "console" / "telegram.json")


async def console_admin(uow: UnitOfWork) -> Person:
    """The first active admin; with none, the console operator, created (or made an active admin again)
    and audited like any other agent."""
    admin = await uow.session.scalar(
        select(CrtAgent).where(CrtAgent.role == AgentRole.ADMIN.value, CrtAgent.active).order_by(CrtAgent.id)
    )
    if admin is not None:
        return Person(admin.telegram_user_id, admin.full_name, "admin")
    operator = await agents.get_by_telegram_id(uow, CONSOLE_OPERATOR_TELEGRAM_ID)
    if operator is None:
        created = AgentCreate(
            telegram_user_id=CONSOLE_OPERATOR_TELEGRAM_ID,
            full_name=CONSOLE_OPERATOR_NAME,
            role=AgentRole.ADMIN,
        )
        operator = await agents.create(uow, created, Actor.cli())
    else:  # deactivated or demoted since: an active admin again (audited as agent.bootstrap_admin)
        [operator] = await agents.ensure_admins(uow, [CONSOLE_OPERATOR_TELEGRAM_ID])
    return Person(operator.telegram_user_id, operator.full_name, "admin")


async def pick_user(runtime: Runtime, role: str) -> Person:
    """Whom to play: the first active agent of that role (an admin always exists, see
    :func:`console_admin`), or the first linked representative; else a stranger."""
    async with runtime.uow() as uow:
        if role == "admin":
            return await console_admin(uow)
        if role == "representative":
            rep = await uow.session.scalar(
                select(Representative)
                .where(Representative.telegram_user_id.is_not(None))
                .order_by(Representative.id)
            )
            if rep is not None and rep.telegram_user_id is not None:
                return Person(rep.telegram_user_id, rep.full_name, role)
            return STRANGER
        agent = await uow.session.scalar(
            select(CrtAgent)
            .where(CrtAgent.role == AgentRole(role).value, CrtAgent.active)
            .order_by(CrtAgent.id)
        )
        if agent is not None:
            return Person(agent.telegram_user_id, agent.full_name, role)
    return STRANGER


async def load_people(runtime: Runtime) -> dict[int, Person]:
    """Every agent and linked representative, by Telegram id, to label the messages they get."""
    async with runtime.uow() as uow:
        reps = await uow.session.execute(
            select(Representative.telegram_user_id, Representative.full_name).where(
                Representative.telegram_user_id.is_not(None)
            )
        )
        people = {tid: Person(tid, name, "representative") for tid, name in reps if tid is not None}
        staff = await uow.session.execute(
            select(CrtAgent.telegram_user_id, CrtAgent.full_name, CrtAgent.role, CrtAgent.active)
        )
        for tid, name, role, active in staff:
            people[int(tid)] = Person(int(tid), name, role if active else f"inactive {role}")
    return people


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
    one); and never beside another active scheduler. ``run_console`` has opened a chat for every
    linked representative and every agent first, as they would have with the real bot, so nobody is
    marked unreachable."""
    if runtime.settings.bot.token is not None or runtime.settings.database.url is not None:
        return
    bot = runtime.settings.bot.model_copy(
        update={"token": SecretStr(emulator.token), "api_server": emulator.base_url}
    )
    offline = dataclasses.replace(runtime, settings=runtime.settings.model_copy(update={"bot": bot}))
    try:
        await run_scheduler(offline, stop, wait_for_lock=False)
    except LockLost:
        log.info("another chronos scheduler is active: the console sends no nudges")


async def run_console(runtime: Runtime, role: str = "agent") -> None:
    out = TerminalConsole()
    data_dir = runtime.settings.resolved_data_dir
    log_path = data_dir / "logs" / "console.log"
    _log_to_file(log_path)
    async with console_emulator(data_dir) as emulator:
        bot = build_bot(
            emulator.token, api_server=emulator.base_url, send_retries=runtime.settings.bot.send_retries
        )
        dp = build_app_dispatcher(runtime)
        tracker = UpdateTracker(dp)
        await ensure_admins_and_commands(runtime, bot)
        people = await load_people(runtime)
        for person in people.values():
            emulator.user(person.telegram_id, person.name)
        poller = InboxPolling(  # the inbox, as in production: an update is stored before it is handled
            dp,
            bot,
            runtime.session_factory,
            concurrency=runtime.settings.bot.max_concurrent_updates,
            polling_timeout=1,
        )
        polling = asyncio.create_task(poller.run())
        stop_scheduler = asyncio.Event()
        scheduling = asyncio.create_task(offline_scheduler(runtime, emulator, stop_scheduler))

        async def switch(to_role: str) -> Person:
            return await pick_user(runtime, to_role)

        me = await pick_user(runtime, role)
        media_dir = data_dir / "console" / "media"
        session = ConsoleSession(
            emulator, tracker, me, out, media_dir=media_dir, people=people, switch=switch
        )
        emulator.on_call(session.show)
        out.rule("Chronos console — offline, through the loopback Bot API")
        out.print(Text(f"You are {me.label}, Telegram id {me.telegram_id}. Try /start or /find."))
        out.print(Text(f"Logs: {log_path} · photos and documents: {media_dir}"))
        out.print(Text(HELP))
        try:
            while await session.handle(await asyncio.to_thread(input, "you › ")):
                pass
        except (EOFError, KeyboardInterrupt):
            pass
        finally:
            stop_scheduler.set()
            poller.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await polling
            with contextlib.suppress(asyncio.CancelledError, LockLost):
                await scheduling
