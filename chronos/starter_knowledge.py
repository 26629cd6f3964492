"""First start of ``chronos up``: fill an empty knowledge hub with MarFanet's starter documents and
propose FAQ entries from the resolved tickets.

:func:`ingest_starter_if_empty` runs right after the demo is seeded. When the data directory's hub
holds no document it

1. ingests :data:`crm.starter_kb.DOCUMENTS` through the ordinary use-case
   (:func:`crm.services.knowledge.ingest_paths`: checksums in ``knowledge_document``, masking,
   injection flags) on a *lexical* hub: BM25 is searchable as soon as this returns (about a second),
   and the embeddings follow in the bot's warm-up thread (:func:`chronos.knowledge_runtime.warm_up`
   embeds whatever the store holds that the vectors lack), because loading the model and embedding
   the set takes most of a minute on two cores;
2. proposes FAQ entries from resolved and closed tickets (:func:`crm.services.knowledge.ingest_tickets`,
   the same step as ``chronos kb ingest-tickets``). They stay pending, unsearchable, until a
   supervisor approves them in ``/faq``.

It reports in one line. A hub that already holds documents is left alone (a second start costs one
read of the chunk store and prints nothing). A failure is reported with its reason and never stops
``up``: the bot starts with whatever was ingested.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from chronos.knowledge_runtime import build_hub, ingest_options
from chronos.runtime import Runtime
from crm.schemas.knowledge import FaqReport, IngestReport
from crm.schemas.types import Actor
from crm.services import knowledge
from crm.starter_kb import DOCUMENTS

log = logging.getLogger(__name__)

Echo = Callable[[str], object]


@dataclass(frozen=True)
class StarterReport:
    """What the first start did; ``None`` fields are steps that failed (their reason in ``errors``)."""

    documents: IngestReport | None
    faqs: FaqReport | None
    errors: tuple[str, ...]
    seconds: float

    def line(self) -> str:
        parts = []
        if self.documents is not None:
            docs = self.documents
            count = len(docs.added) + len(docs.updated)
            skipped = f", {len(docs.skipped)} not ingested" if docs.skipped else ""
            embeddings = "" if docs.mode == "hybrid" else "; embeddings follow in the background"
            parts.append(
                f"{count} starter documents ingested ({docs.chunks_written} passages{skipped}), "
                f"searchable now{embeddings}"
            )
        if self.faqs is not None:
            faqs = self.faqs
            parts.append(
                f"{len(faqs.created)} FAQ entries proposed from {faqs.tickets_considered} resolved tickets, "
                f"{faqs.pending_total} pending a supervisor's /faq"
            )
        parts.extend(self.errors)
        return f"knowledge hub ({self.seconds:.1f} s): " + "; ".join(parts)


async def ingest_starter_if_empty(runtime: Runtime, echo: Echo = print) -> StarterReport | None:
    """Ingest the starter documents and propose ticket FAQs when the hub holds no document; ``None``
    (and nothing printed) when it already does."""
    started = time.perf_counter()
    settings = runtime.settings
    try:
        hub = await asyncio.to_thread(build_hub, settings)
    except Exception as exc:  # an unreadable store must not keep the bot from starting
        log.debug("knowledge hub: the chunk store could not be opened", exc_info=True)
        report = StarterReport(None, None, (_failed("the chunk store could not be opened", exc),), 0.0)
        echo(report.line())
        return report
    try:
        if hub.store.doc_ids():
            return None
        errors: list[str] = []
        documents: IngestReport | None = None
        faqs: FaqReport | None = None
        try:
            async with runtime.uow() as uow:
                documents = await knowledge.ingest_paths(
                    uow, hub, [DOCUMENTS], ingest_options(settings), actor=Actor.system()
                )
        except Exception as exc:  # reported, and `up` goes on
            log.debug("knowledge hub: starter documents not ingested", exc_info=True)
            errors.append(_failed("starter documents not ingested", exc))
        try:
            async with runtime.uow() as uow:
                faqs = await knowledge.ingest_tickets(uow, hub, actor=Actor.system())
        except Exception as exc:  # reported, and `up` goes on
            log.debug("knowledge hub: no FAQ entries proposed from tickets", exc_info=True)
            errors.append(_failed("no FAQ entries proposed from tickets", exc))
    finally:
        hub.close()
    report = StarterReport(documents, faqs, tuple(errors), time.perf_counter() - started)
    echo(report.line())
    return report


def _failed(what: str, exc: Exception) -> str:
    """One line, however long the driver's message (the traceback is logged at DEBUG)."""
    reason = " ".join(str(exc).split())
    if len(reason) > 200:
        reason = reason[:199] + "…"
    return f"{what} ({type(exc).__name__}: {reason}); `chronos kb ingest` / `ingest-tickets` can retry"
