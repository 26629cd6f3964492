"""Shared benchmark plumbing: a scratch migrated database, timing helpers and table printing."""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from chronos import migrate
from chronos.database import drop_database, embedded_url, ensure_database, to_async_url
from chronos.settings import load_settings


@asynccontextmanager
async def scratch_database(prefix: str = "bench") -> AsyncIterator[str]:
    """A fresh, migrated database (on DATABASE_URL's server, else an embedded one); dropped afterwards."""
    name = f"chronos_{prefix}_{uuid.uuid4().hex[:8]}"
    configured = load_settings().database.url
    with tempfile.TemporaryDirectory(prefix="chronos-bench-") as tmp:
        if configured is not None:
            url = make_url(to_async_url(configured.get_secret_value())).set(database=name)
            url_text = url.render_as_string(hide_password=False)
        else:
            url_text = embedded_url(Path(tmp), name)
        await ensure_database(url_text)
        try:
            await migrate.upgrade(url_text)
            yield url_text
        finally:
            await drop_database(url_text)


def percentile(samples: Sequence[float], pct: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summarize_ms(samples_s: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples_s]
    return {
        "p50_ms": round(statistics.median(ms), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "mean_ms": round(statistics.fmean(ms), 3),
    }


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def print_table(title: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        print(f"\n## {title}\n(no rows)")
        return
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    widths = {c: max(len(c), *(len(str(row.get(c, ""))) for row in rows)) for c in columns}
    print(f"\n## {title}")
    print("| " + " | ".join(c.ljust(widths[c]) for c in columns) + " |")
    print("|" + "|".join("-" * (widths[c] + 2) for c in columns) + "|")
    for row in rows:
        print("| " + " | ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns) + " |")
