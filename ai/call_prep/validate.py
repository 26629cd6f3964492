"""One validation for every engine: evidence must name records the engine was shown.

* An evidence token outside ``known`` (or not a token at all) is dropped, and the drop is logged.
* An item that cited evidence and lost all of it rested only on invented records: it is dropped too.
  Items that cite nothing are kept only in sections that may speak without records (calendar notes,
  onboarding points, open questions, profile facts).
* For a representative who opted out of profiling the emotional and personality sections are emptied
  and the briefing says so.
* Section sizes are capped (talking points 3–5 are produced; at most 5 survive).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from ai.call_prep.schema import (
    NOTICE_PROFILING_OPT_OUT,
    PROFILING_SECTIONS,
    SECTIONS,
    Briefing,
    BriefingItem,
    EvidenceRef,
)

log = logging.getLogger(__name__)

MAX_ITEMS: Final = dict.fromkeys(SECTIONS, 8) | {"talking_points": 5, "questions": 5, "best_time": 1}
# Sections whose items must rest on at least one record, whoever wrote them.
GROUNDED: Final = frozenset(
    {"emotional_state", "avoid", "pleased", "empathy_prompts", "risks", "opportunities"}
)


@dataclass(frozen=True)
class Validated:
    briefing: Briefing
    dropped_evidence: tuple[str, ...] = ()
    dropped_items: int = 0
    cited: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def invented_share(self) -> float:
        return len(self.dropped_evidence) / self.cited if self.cited else 0.0


def validate(
    briefing: Briefing,
    known: Iterable[str],
    *,
    profiling_opt_out: bool,
    engine: str,
    unparsable: Iterable[str] = (),
) -> Validated:
    """Check ``briefing`` against the record tokens in ``known``; see the module docstring."""
    allowed = frozenset(known)
    dropped: list[str] = list(unparsable)
    cited = len(dropped)
    dropped_items = 0
    sections: dict[str, list[BriefingItem]] = {}
    for name in SECTIONS:
        if profiling_opt_out and name in PROFILING_SECTIONS:
            sections[name] = []
            continue
        kept: list[BriefingItem] = []
        for item in briefing.section(name):
            cited += len(item.evidence)
            good: dict[str, EvidenceRef] = {}
            for evidence in item.evidence:
                if evidence.token in allowed:
                    good.setdefault(evidence.token, evidence)
                else:
                    dropped.append(evidence.token)
            lost_all = bool(item.evidence) and not good
            if lost_all or (name in GROUNDED and not good):
                dropped_items += 1
                continue
            kept.append(item.model_copy(update={"evidence": list(good.values())}))
        sections[name] = kept[: MAX_ITEMS[name]]
    notices = list(dict.fromkeys(briefing.notices))
    if profiling_opt_out and NOTICE_PROFILING_OPT_OUT not in notices:
        notices.insert(0, NOTICE_PROFILING_OPT_OUT)
    if dropped:
        log.warning(
            "call prep (%s): dropped %d evidence id(s) not in the context: %s; %d item(s) removed",
            engine,
            len(dropped),
            ", ".join(sorted(set(dropped))[:20]),
            dropped_items,
        )
    return Validated(
        briefing=Briefing(**sections, notices=notices),
        dropped_evidence=tuple(dropped),
        dropped_items=dropped_items,
        cited=cited,
    )
