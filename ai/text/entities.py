"""The names that decide whether a guide fits a problem: Iranian ISPs and V2Ray client apps, with the
spellings people use (Persian, English, Finglish). Matched on folded text (:func:`ai.text.persian.fold`).

A guide for Irancell does not answer an Asiatech problem, and a Hiddify guide does not answer a
v2rayNG one: :func:`conflicts` tells when a document's names contradict a query's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Final, Literal

from ai.text.persian import fold

Kind = Literal["isp", "client"]


@dataclass(frozen=True, slots=True)
class Entity:
    key: str
    kind: Kind
    name_fa: str
    spellings: tuple[str, ...]


ENTITIES: Final = (
    Entity("irancell", "isp", "ایرانسل", ("ایرانسل", "ایران سل", "irancell", "mtn")),
    Entity("mci", "isp", "همراه اول", ("همراه اول", "همراه‌اول", "hamrah aval", "hamrahe aval", "mci")),
    Entity("rightel", "isp", "رایتل", ("رایتل", "rightel")),
    Entity("tci", "isp", "مخابرات", ("مخابرات", "mokhaberat", "tci", "adsl مخابرات")),
    Entity("shatel", "isp", "شاتل", ("شاتل", "shatel")),
    Entity("asiatech", "isp", "آسیاتک", ("آسیاتک", "اسیاتک", "آسیا تک", "asiatech")),
    Entity("mobinnet", "isp", "مبین نت", ("مبین نت", "مبین‌نت", "mobinnet")),
    Entity("parsonline", "isp", "پارس آنلاین", ("پارس آنلاین", "pars online", "parsonline")),
    Entity("v2rayng", "client", "v2rayNG", ("v2rayng", "وی تو ری ان جی")),
    Entity("v2rayn", "client", "v2rayN", ("v2rayn",)),
    Entity("hiddify", "client", "Hiddify", ("hiddify", "هیدیفای", "هیدی فای")),
    Entity("streisand", "client", "Streisand", ("streisand", "استرایسند")),
    Entity("v2box", "client", "V2Box", ("v2box",)),
    Entity("nekobox", "client", "NekoBox", ("nekobox", "نکوباکس")),
    Entity("nekoray", "client", "Nekoray", ("nekoray", "نکوری")),
)


@cache
def _patterns() -> tuple[tuple[Entity, re.Pattern[str]], ...]:
    """Whole-word patterns per entity; «v2rayn» must not match inside «v2rayng»."""
    out = []
    for entity in ENTITIES:
        alternatives = "|".join(re.escape(fold(s)) for s in sorted(entity.spellings, key=len, reverse=True))
        out.append((entity, re.compile(rf"(?<![\w]){alternatives}(?![\w])")))
    return tuple(out)


def mentions(text: str) -> frozenset[str]:
    """Keys of the entities ``text`` names."""
    folded = fold(text)
    return frozenset(entity.key for entity, pattern in _patterns() if pattern.search(folded))


def kind_of(key: str) -> Kind:
    """The entity's kind; ``StopIteration`` for a key not in :data:`ENTITIES`."""
    return next(e.kind for e in ENTITIES if e.key == key)


def name_of(key: str) -> str:
    return next(e.name_fa for e in ENTITIES if e.key == key)


def conflicts(query: frozenset[str], document: frozenset[str]) -> bool:
    """True when the document is about another ISP or client than the query names (a document that
    names none of that kind is general and never conflicts)."""
    for kind in ("isp", "client"):
        asked = {k for k in query if kind_of(k) == kind}
        offered = {k for k in document if kind_of(k) == kind}
        if asked and offered and not asked & offered:
            return True
    return False
