"""`chronos bot` as a real process against a Telegram emulator in the test, killed and started again;
and a table lock that holds one of its handlers mid-way, on the database both share.

The process is the product as deployed (polling or ``--webhook``); nothing in it knows a test is
running. Its stderr goes to a file under the test's tmp_path (shown when an assertion fails)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from chronos.emulators import TelegramEmulator

SECRET = "s3cret-token_value"
START_S = 90.0  # imports, migrations check, start-up hooks, on a loaded 2-core machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def until(check: Callable[[], Awaitable[bool]], within_s: float, what: str) -> None:
    """Poll for a state another process writes (there is no event to wait on)."""
    try:
        async with asyncio.timeout(within_s):
            while not await check():  # noqa: ASYNC110 - polling another process's writes
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"not within {within_s:g} s: {what}") from None


@dataclass
class BotProcess:
    emulator: TelegramEmulator
    database_url: str
    data_dir: Path
    webhook: bool
    port: int = field(default_factory=free_port)
    started: list[asyncio.subprocess.Process] = field(default_factory=list)

    def _env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "BOT_TOKEN": self.emulator.token,
            "BOT_API_SERVER": self.emulator.base_url,
            "CHRONOS_LOG_LEVEL": "WARNING",
            "CHRONOS_DATA_DIR": str(self.data_dir),
        }
        if self.webhook:
            env |= {
                "BOT_WEBHOOK_URL": f"http://127.0.0.1:{self.port}",
                "BOT_WEBHOOK_SECRET": SECRET,
                "BOT_WEBHOOK_PORT": str(self.port),
            }
        return env

    async def start(self) -> asyncio.subprocess.Process:
        """Start the bot; return once it is ready for updates (the webhook registered, or the webhook
        deleted just before polling starts)."""
        ready = "setWebhook" if self.webhook else "deleteWebhook"
        seen = len(self.emulator.calls(ready))
        log = self.data_dir / f"bot-{len(self.started) + 1}.log"
        with log.open("wb") as stderr:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "chronos", "bot", *(["--webhook"] if self.webhook else []),
                env=self._env(), stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
            )  # fmt: skip
        self.started.append(process)

        async def is_ready() -> bool:
            if process.returncode is not None:
                raise AssertionError(f"the bot exited ({process.returncode}): {log.read_text()[-3000:]}")
            return len(self.emulator.calls(ready)) > seen

        await until(is_ready, START_S, f"the bot called {ready}")
        return process

    async def kill(self, process: asyncio.subprocess.Process) -> None:
        os.kill(process.pid, signal.SIGKILL)
        assert await process.wait() == -signal.SIGKILL

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.data_dir.glob("bot-*.log")))

    async def stop_all(self) -> None:
        for process in self.started:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), 30)
                except TimeoutError:
                    process.kill()
                    await process.wait()


@contextlib.asynccontextmanager
async def table_locked(engine: AsyncEngine, table: str) -> AsyncIterator[AsyncConnection]:
    """Hold an ACCESS EXCLUSIVE lock on ``table`` for the block: whoever writes to it waits."""
    async with engine.connect() as locker:
        await locker.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
        try:
            yield locker
        finally:
            await locker.rollback()


async def lock_waiter(engine: AsyncEngine, within_s: float) -> tuple[int, str]:
    """The backend (pid, query) blocked on a lock in this database."""
    async with engine.connect() as watcher:
        found: list[tuple[int, str]] = []

        async def blocked() -> bool:
            row = (
                await watcher.execute(
                    text(
                        "SELECT pid, query FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                    )
                )
            ).first()
            await watcher.commit()  # pg_stat_activity is a per-transaction snapshot
            if row is not None:
                found.append((int(row.pid), str(row.query)))
            return bool(found)

        await until(blocked, within_s, "a backend waiting on the test's lock")
        return found[0]


async def terminate_backend(engine: AsyncEngine, pid: int) -> None:
    """End a dead process's backend now (PostgreSQL would notice only when it next read the socket)."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await conn.commit()
