"""Composition rules: how matched cues and modifiers combine into weighted contributions.

* negation: a negated verb after a cue («راضی نیستم», «بد نبود», «وصل نشد») or a negator before it
  («بدون قطعی», «نمیتونم وصل بشم») flips it. Negating a positive gives its full opposite; negating a
  negative gives only half of the opposite («بد نبود» is mildly positive, not praise). Persian has
  negative concord («هیچوقت قطع نشد»), so two negators on one cue are still one negation.
* intensifiers and diminishers multiply the next polar cue within three words of the same clause;
  «باز/هنوز/دوباره» multiply only a negative one and add frustration.
* «ولی/اما» weigh everything before them down; «با اینکه» weighs its own clause down.
* in a question, positive cues are hedged («خوبه؟» asks, it does not praise); «!» amplifies its sentence.
* sarcasm: thanks or praise next to a clear complaint with «!», or with an explicit marker («مرسی که…»,
  «چه عالی», 🙂), is read as its opposite: «دستتون درد نکنه، سه روزه قطعه!».
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

from ai.sentiment.lexicon import PUNCT, Hit, Tok
from ai.sentiment.schema import Effect, Emotion, Signal

NEGATED_POSITIVE: Final = 1.0  # share of a positive cue's strength that a negation turns negative
NEGATED_STATE: Final = 1.8  # an outcome that did not happen («وصل نشد», «نتونستم وصل بشم») weighs more
NEGATED_NEGATIVE: Final = 0.5  # share of a negative cue's strength that a negation turns positive
MOD_WINDOW: Final = 3  # words between a modifier and the cue it modifies
NEG_AFTER_WINDOW: Final = 2  # words between a cue and a negated verb after it
QUESTION_HEDGE: Final = 0.4
SARCASM_FLIP: Final = 0.8
SARCASM_MIN_COMPLAINT: Final = 1.5  # summed negative strength needed before thanks can be sarcasm
SARCASM_MARKED_COMPLAINT: Final = 0.8  # the same when an explicit marker («مرسی که», 🙂) is present
_SCALING = frozenset({"intensify", "diminish", "repeat"})


@dataclass
class WorkingCue:
    hit: Hit
    sentence: int
    clause: int
    mult: float = 1.0
    weight: float = 1.0
    negated: bool = False
    sarcastic: bool = False
    repeat: float = 1.0  # «باز/هنوز» factor, applied only if the cue ends up negative
    valence: float | None = None  # set for a failure verb standing on its own
    value: float = 0.0  # the final contribution, frozen once composition is done
    modifiers: list[tuple[Hit, Effect]] = field(default_factory=list)

    @property
    def base(self) -> float:
        return self.hit.entry.valence if self.valence is None else self.valence

    @property
    def repeated(self) -> bool:
        return self.repeat > 1.0 and self._signed() < 0

    def _signed(self) -> float:
        base = self.base * self.mult * self.weight
        if self.sarcastic:
            return -SARCASM_FLIP * abs(base)
        if self.negated and base > 0:
            return -base * (NEGATED_STATE if "state" in self.hit.entry.tags else NEGATED_POSITIVE)
        if self.negated:
            return -base * NEGATED_NEGATIVE
        return base

    @property
    def contribution(self) -> float:
        signed = self._signed()
        return signed * self.repeat if signed < 0 else signed

    def effect(self) -> Effect:
        if self.sarcastic:
            return "sarcasm"
        if self.negated and self.base:
            return "negated"
        c = self.value
        if c > 0:
            return "positive"
        if c < 0:
            return "negative"
        if self.hit.entry.emotions:
            return "emotion"
        return "polite" if "polite" in self.hit.entry.tags else "signal"

    def emotion_weights(self) -> Iterator[tuple[Emotion, float]]:
        s = min(1.6, max(0.3, self.mult * self.weight))
        if self.sarcastic:
            yield from (("anger", 0.8 * s), ("frustration", 0.3 * s))
        elif self.negated and self.base > 0 and "state" in self.hit.entry.tags:
            yield ("frustration", 0.8 * s)  # «وصل نشد»: an outcome that did not happen
        elif self.negated and self.base > 0:
            yield from (("disappointment", 0.8 * s), ("frustration", 0.2 * s))  # «راضی نیستم»
        elif self.negated and self.base < 0:
            yield ("satisfaction", 0.3 * s)
        elif self.valence is not None:
            yield ("frustration", 0.5 * s)
        elif not self.negated:
            yield from ((e, w * s) for e, w in self.hit.entry.emotions)
        if self.repeated:
            yield ("frustration", 0.5)


@dataclass
class Composition:
    cues: list[WorkingCue]
    contrasts: list[Hit]
    bangs: int  # «!» characters
    questions: int  # «؟» characters
    extra_signals: frozenset[Signal]
    clause_net: dict[int, float]
    sentence_net: dict[int, float]
    contrast_at: dict[int, int]
    """Per sentence, the token where its last «ولی/اما» stands: what comes before it is conceded."""


def _positions(toks: list[Tok], hits: list[Hit]) -> tuple[list[int], list[int]]:
    """Sentence and clause number of every token. Clauses also break at «ولی» and «با اینکه»."""
    breaks = {h.first for h in hits if h.entry.kind in ("contrast", "shift", "concede")}
    sentence, clause = [0] * len(toks), [0] * len(toks)
    s = c = 0
    for i, t in enumerate(toks):
        if i in breaks:
            c += 1
        sentence[i], clause[i] = s, c
        if t.kind in PUNCT:
            c += 1
            if t.kind != "comma":
                s += 1
    return sentence, clause


def compose(toks: list[Tok], hits: list[Hit], detected: list[Hit]) -> Composition:
    sentence, clause = _positions(toks, hits)
    cues: list[WorkingCue] = []
    pending: list[Hit] = []  # modifiers waiting for the next polar cue
    contrasts: list[Hit] = []
    concessions: list[Hit] = []
    used: set[int] = set()  # first-token indices of modifiers that modified something
    for hit in hits:
        kind = hit.entry.kind
        if kind == "cue":
            cue = WorkingCue(hit, sentence[hit.first], clause[hit.first], negated=hit.self_negated)
            if hit.self_negated:
                cue.modifiers.append((hit, "negator"))
            if cue.base:
                applied = _apply_pending(cue, pending, clause)
                used.update(applied)
                # a «نمیتونم» that skipped a negative cue may still reach the next one
                pending = [m for m in pending if m.entry.kind == "negate_before" and m.first not in applied]
            cues.append(cue)
        elif kind in _SCALING or kind == "negate_before":
            pending.append(hit)
        elif kind == "negate_after" and _negate_previous(hit, cues, pending, clause):
            used.add(hit.first)
        elif kind in ("contrast", "shift"):
            contrasts.append(hit)
        elif kind == "concede":
            concessions.append(hit)
    for hit in hits:  # «هر کاری کردم نشد», «نمیتونن لاگین کنن»: a failure verb standing alone
        if hit.entry.alone and hit.entry.kind != "cue" and hit.first not in used:
            cues.append(WorkingCue(hit, sentence[hit.first], clause[hit.first], valence=hit.entry.alone))
    cues.sort(key=lambda c: c.hit.first)
    _weigh(toks, cues, contrasts, concessions, (sentence, clause))
    _sarcasm(toks, cues, detected, [c for c in contrasts if c.entry.kind == "contrast"])
    clause_net: dict[int, float] = defaultdict(float)
    sentence_net: dict[int, float] = defaultdict(float)
    for cue in cues:
        cue.value = cue.contribution
        clause_net[cue.clause] += cue.value
        sentence_net[cue.sentence] += cue.value
    extra: set[Signal] = set()
    if any(t.kind == "question" for t in toks) or any(
        h.entry.kind == "question" and (h.first == 0 or toks[h.first - 1].kind in PUNCT) for h in detected
    ):
        extra.add("question")
    return Composition(
        cues=cues,
        contrasts=contrasts,
        bangs=sum(len(t.key) for t in toks if t.kind == "bang"),
        questions=sum(len(t.key) for t in toks if t.kind == "question"),
        extra_signals=frozenset(extra),
        clause_net=dict(clause_net),
        sentence_net=dict(sentence_net),
        contrast_at={sentence[h.first]: h.first for h in contrasts if h.entry.kind == "contrast"},
    )


def _apply_pending(cue: WorkingCue, pending: list[Hit], clause: list[int]) -> set[int]:
    """Apply waiting modifiers to ``cue``; returns the first-token indices of those that applied."""
    used: set[int] = set()
    for mod in pending:
        kind = mod.entry.kind
        window = int(mod.entry.factor) if kind == "negate_before" else MOD_WINDOW + (kind == "repeat")
        if clause[mod.last] != clause[cue.hit.first] or cue.hit.first - mod.last - 1 > window:
            continue
        if kind == "negate_before" and mod.entry.alone < 0 and cue.base < 0:
            continue  # «نمیتونم با این وضع…»: «can't» does not turn a complaint into praise
        used.add(mod.first)
        if kind == "negate_before":
            cue.negated = True
            cue.modifiers.append((mod, "negator"))
        elif kind == "repeat":  # decided once the cue's final sign is known
            cue.repeat *= mod.entry.factor
            cue.modifiers.append((mod, "intensifier"))
        else:
            cue.mult *= mod.entry.factor
            cue.modifiers.append((mod, "intensifier" if mod.entry.factor > 1 else "diminisher"))
    return used


def _negate_previous(neg: Hit, cues: list[WorkingCue], pending: list[Hit], clause: list[int]) -> bool:
    here = clause[neg.first]
    for cue in reversed(cues):
        if clause[cue.hit.last] != here or neg.first - cue.hit.last - 1 > NEG_AFTER_WINDOW:
            return False
        if not cue.base:
            continue
        cue.negated = True
        cue.modifiers.append((neg, "negator"))
        if "scope" in cue.hit.entry.tags:  # «از قطعی گله نکرده»: the complaint's object goes too
            for other in reversed(cues):
                if clause[other.hit.first] != here:
                    break
                if other is not cue and other.base < 0:
                    other.negated = True
                    other.modifiers.append((neg, "negator"))
        for mod in pending:  # «راضی اصلاً نیستم»: the intensifier sits between cue and negator
            if mod.entry.kind == "intensify" and cue.hit.last < mod.first < neg.first:
                cue.mult *= mod.entry.factor
                cue.modifiers.append((mod, "intensifier"))
        pending.clear()
        return True
    return False


def _weigh(
    toks: list[Tok],
    cues: list[WorkingCue],
    contrasts: list[Hit],
    concessions: list[Hit],
    where: tuple[list[int], list[int]],
) -> None:
    sentence, clause = where
    question_sentences = {sentence[i] for i, t in enumerate(toks) if t.kind == "question"}
    bang_sentences: dict[int, int] = defaultdict(int)
    for i, t in enumerate(toks):
        if t.kind == "bang":
            bang_sentences[sentence[i]] += len(t.key)
    after_pos, after_neg = _contrast_factors(cues, contrasts)
    starts = [c.first for c in contrasts]
    conceded: dict[int, tuple[int, float]] = {clause[c.first]: (c.first, c.entry.factor) for c in concessions}
    for cue in cues:
        signed = cue.contribution
        if signed:
            k = bisect_right(starts, cue.hit.last)
            cue.weight *= after_pos[k] if signed > 0 else after_neg[k]
        opened = conceded.get(cue.clause)
        if opened and opened[0] < cue.hit.first:
            cue.weight *= opened[1]
        if cue.sentence in question_sentences and cue.base > 0 and not cue.negated:
            cue.weight *= QUESTION_HEDGE
        bangs = bang_sentences.get(cue.sentence, 0)
        if bangs:
            cue.weight *= 1.3 if bangs > 1 else 1.15


def _contrast_factors(cues: list[WorkingCue], contrasts: list[Hit]) -> tuple[list[float], list[float]]:
    """What «ولی» number k and those after it do to an earlier positive (or negative) cue.

    A contrast only weighs down what it contrasts with: cues of the opposite sign to everything
    that follows it. «حل شد، الان همه وصلن» keeps its praise; «حل شد، الان باز قطعه» loses it.
    """
    positions = [c.hit.first for c in cues]
    suffix = [0.0] * (len(cues) + 1)
    for i in range(len(cues) - 1, -1, -1):
        suffix[i] = suffix[i + 1] + cues[i].contribution
    after_pos = [1.0] * (len(contrasts) + 1)
    after_neg = [1.0] * (len(contrasts) + 1)
    for k in range(len(contrasts) - 1, -1, -1):
        following = suffix[bisect_right(positions, contrasts[k].first)]
        factor = contrasts[k].entry.factor
        after_pos[k] = after_pos[k + 1] * (factor if following < 0 else 1.0)
        after_neg[k] = after_neg[k + 1] * (factor if following > 0 else 1.0)
    return after_pos, after_neg


def _sarcasm(toks: list[Tok], cues: list[WorkingCue], detected: list[Hit], contrasts: list[Hit]) -> None:
    """Thanks or praise read as sarcasm when the rest of its «ولی»-free stretch is a clear complaint.

    Evidence needed: a «!» with a strong complaint, or a weaker complaint with an explicit marker
    (🙂, «چه عالی», …), or thanks followed by «که / از اینکه» and a complaint («ممنون که جواب ندادید»).
    """
    markers = [h for h in detected if h.entry.kind == "sarcasm"]
    bangs = any(t.kind == "bang" for t in toks)
    starts = [c.first for c in contrasts]
    complaint: dict[int, float] = defaultdict(float)  # per stretch between two «ولی»
    for c in cues:
        if c.contribution < 0:
            complaint[bisect_right(starts, c.hit.first)] -= c.contribution
    for t in cues:
        if t.base <= 0 or t.negated:
            continue
        if not ({"thanks", "praise"} & t.hit.entry.tags or _inside(t, markers)):
            continue
        that = _that_clause(toks, t.hit.last)
        if markers or that:
            needed = SARCASM_MARKED_COMPLAINT
        elif bangs:
            needed = SARCASM_MIN_COMPLAINT
        else:
            continue
        if complaint[bisect_right(starts, t.hit.first)] >= needed:
            t.sarcastic = True
            t.modifiers.extend((m, "sarcasm") for m in markers)


_THAT: Final = frozenset({"که", "اینکه"})


def _that_clause(toks: list[Tok], last: int) -> bool:
    """«ممنون که…», «مرسی از اینکه…»: thanks that introduce what they thank for."""
    return any(toks[k].key in _THAT for k in range(last + 1, min(last + 4, len(toks))))


def _inside(cue: WorkingCue, markers: list[Hit]) -> bool:
    return any(m.first <= cue.hit.first <= m.last for m in markers)
