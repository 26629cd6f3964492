"""`chronos db upgrade|downgrade|current`: Alembic against the configured or embedded database."""

from __future__ import annotations

import typer

from chronos import migrate
from chronos.cli.common import console, run
from chronos.database import ensure_database, resolve_database_url
from chronos.settings import get_settings

app = typer.Typer(help="Database migrations.", no_args_is_help=True)


async def _url() -> str:
    settings = get_settings()
    url = resolve_database_url(settings)
    if settings.database.url is None:
        await ensure_database(url)
    return url


@app.command()
def upgrade(revision: str = typer.Argument("head", help="target revision")) -> None:
    """Migrate up to REVISION (default: head)."""

    async def _go() -> None:
        await migrate.upgrade(await _url(), revision)

    run(_go)
    console.print(f"upgraded to {revision}")


@app.command()
def downgrade(revision: str = typer.Argument(..., help="target revision, e.g. -1 or base")) -> None:
    """Migrate down to REVISION."""

    async def _go() -> None:
        await migrate.downgrade(await _url(), revision)

    run(_go)
    console.print(f"downgraded to {revision}")


@app.command()
def current() -> None:
    """Show the current revision."""

    async def _go() -> str:
        return await migrate.current(await _url())

    console.print(run(_go) or "(no revision: empty database)")
