"""The knowledge hub as a :class:`~ai.nudges.drafting.KnowledgeLookup`: the best document for a
representative's recent topic, offered only when retrieval is confident about it and the document is
not about another ISP or client app than the topic names."""

from __future__ import annotations

import asyncio
import logging

from ai.knowledge.hub import KnowledgeHub
from ai.knowledge.matching import matching_hits
from ai.nudges.drafting import KnowledgeItem

log = logging.getLogger(__name__)
CANDIDATES = 5


class HubLookup:
    def __init__(self, hub: KnowledgeHub) -> None:
        self._hub = hub
        # Many representatives of one campaign share a topic: each is searched once per lookup, and a
        # lookup lives for one drafting run (a new one per drafter), so retired documents drop out.
        self._seen: dict[str, KnowledgeItem | None] = {}

    async def suggest(self, topic: str) -> KnowledgeItem | None:
        """The best document for ``topic``; None when unsure or when the hub fails (a message is
        better without a knowledge item than not drafted)."""
        if topic not in self._seen:
            try:
                result = await asyncio.to_thread(self._hub.search, topic, CANDIDATES, "hybrid")
            except Exception:
                log.exception("knowledge lookup failed for a nudge topic; drafting without an item")
                return None
            fitting = matching_hits(topic, result.hits)  # an Asiatech topic never gets an Irancell guide
            confident = fitting and result.confidence >= self._hub.settings.min_confidence
            chunk = fitting[0].chunk if confident else None
            self._seen[topic] = KnowledgeItem(id=chunk.doc_id, title=chunk.title) if chunk else None
        return self._seen[topic]
