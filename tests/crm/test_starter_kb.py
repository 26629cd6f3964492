"""MarFanet's starter documents (crm/starter_kb): they ship with the package, every one of them loads
clean, and what they say about the product is what the CRM holds."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import pytest

from ai.knowledge.loaders import SourceFile, discover, load
from ai.knowledge.prepare import prepare
from crm.starter_kb import DOCUMENTS

ROOT = Path(__file__).resolve().parents[2]
MAX_BYTES = 20 * 1_048_576
STARTER = sorted(discover([DOCUMENTS]), key=lambda source: source.doc_id)


def test_the_package_data_patterns_cover_every_starter_document() -> None:
    """A normal install (a wheel) carries only what pyproject's package-data patterns name; the
    starter set has its own entry, so a new file type cannot silently stay out of the wheel."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["crm.starter_kb"]
    package_dir = DOCUMENTS.parent
    relative = [source.path.relative_to(package_dir).as_posix() for source in STARTER]
    assert [path for path in relative if not any(fnmatch.fnmatch(path, p) for p in patterns)] == []
    assert len(STARTER) >= 37


@pytest.mark.parametrize("source", STARTER, ids=[source.doc_id for source in STARTER])
def test_every_starter_document_loads_clean(source: SourceFile) -> None:
    """Parses with a title and headed sections; no personal data to mask, nothing flagged as an
    instruction to a model."""
    document = load(source, max_bytes=MAX_BYTES)
    prepared = prepare(document)
    assert document.title
    assert len(document.sections) >= 2
    assert any(section.headings for section in document.sections)
    assert prepared.chunks
    assert not prepared.flagged
    assert prepared.masked_items == 0
