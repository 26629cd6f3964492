"""MarFanet's starter knowledge: the product documentation a new installation's knowledge hub holds.

``documents/`` is MarFanet's own documentation in Persian, for CRT agents and the representatives
they support: the product and how a representative starts, plans and prices, wallet, invoices and
payments, client set-up per platform, troubleshooting per operator and in general, Marzban
administration, and policies. It ships inside the package (``pyproject.toml`` package data), so a
normal install carries it; ``chronos up`` ingests it into an empty hub
(:mod:`chronos.starter_knowledge`) and ``chronos kb ingest`` accepts :data:`DOCUMENTS` like any folder.
It is also the corpus of the retrieval evaluation (``tests/data/kb/questions.jsonl``).

Ids are paths relative to :data:`DOCUMENTS` (``plans/plans-and-prices.md``). Prices, limits, payment
terms and ticket priorities written here are the CRM's own (``crm.demo.pools.TIERS``,
``crm.demo.money``, ``crm.enums``); ``tests/crm/test_starter_kb.py`` fails if they drift apart.
"""

from __future__ import annotations

from pathlib import Path

DOCUMENTS = Path(__file__).resolve().parent / "documents"
"""The root to ingest: one subfolder per subject."""

__all__ = ["DOCUMENTS"]
