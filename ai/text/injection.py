"""Instruction-like text inside data (prompt injection), found and marked.

Anything quoted to a model — documents, notes, tickets, transcripts, representatives' messages — is
data. A sentence such as "ignore previous instructions and …" stays in it (an agent may need to see
it), but:

* the gateway wraps each instruction-like sentence of every input in a visible marker saying it is
  quoted data (on top of its nonce-delimited data blocks and the system preamble's data rule);
* knowledge chunks holding one are flagged at ingestion, and the ingest report names the document;
* extractive (offline) answers never pick such a sentence as an answer line.

Matching runs on a canonical form — NFKC (full-width letters), invisible characters removed, Persian
letters unified, lower case, one space — so case, spacing and look-alike tricks do not hide a phrase.
Phrases are specific (an instruction word next to a verb that discards it, a role label, a persona
switch) so that support text such as "ignore the warning and reconnect" is not marked.
"""

from __future__ import annotations

import re
import unicodedata

from ai.text.persian import fold

_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"\s+")

_EN_DISCARD = r"(?:ignore|disregard|forget|override|bypass|skip|drop|abandon|overrule|set aside|never ?mind)"
_EN_ORDERS = (
    r"(?:instructions?|rules?|prompts?|guidelines?|directions?|directives?|commands?|orders|"
    r"guardrails?|restrictions?|constraints?|polic(?:y|ies)|context|messages?)"
)
_EN_EARLIER = r"(?:previous|prior|above|earlier|preceding|foregoing|former|original|initial|system|old)"
_FA_ORDERS = (
    r"(?:دستور(?: ?ها(?:ی|یی)?| ?ات| ?العمل(?: ?ها(?:ی)?)?)?|قوانین|قانون(?: ?ها(?:ی)?)?|قواعد|"
    r"قاعده(?: ?ها(?:ی)?)?|محدودیت(?: ?ها(?:ی)?)?|پیام(?: ?ها(?:ی)?)? (?:قبلی|سیستم)|"
    r"راهنما(?:یی)?(?: ?ها(?:ی)?)?|تعلیمات)"
)
_FA_DISCARD = (
    r"(?:نادیده (?:بگیر|گرفته|بگیرید|بگیرین)|فراموش (?:کن|کنید|کنین|شود)|کنار (?:بگذار|بذار|بگذارید|بذارید)|"
    r"بی ?خیال|بی ?اعتنا|اعتنا نکن|توجه نکن|پیروی نکن|اجرا نکن|رعایت نکن|لغو (?:کن|کنید|شد|شده))"
)
# What follows a role label ("SYSTEM: new rule …") when it is an order, not a quoted status line.
_EN_ROLE_ORDER = (
    r"new|ignore|disregard|forget|override|you|your|from now|always|never|only|do not|don't|must|"
    r"reply|respond|answer|send|reveal|print|rule|instruction|update|important|attention|the assistant"
)
_FA_ROLE_ORDER = (
    r"از (?:این|الان|حالا) به بعد|از حالا|تو |شما |دستور|قانون|قاعده|همه|نادیده|فراموش|فقط|باید|هرگز|مهم|توجه"
)
_AR = r"(?:تجاهل|انس|اهمل|تخط)[^.!?؟\n]{0,30}(?:التعلیمات|الاوامر|الأوامر|القواعد|التوجیهات|ما سبق)"

_PATTERNS = (
    # English: discard + (all/the/your …) + earlier? + instructions, or everything/the above.
    rf"\b{_EN_DISCARD}\b(?: (?:all|any|every|each|of|the|your|my|these|those|this|that|its))*"
    rf"(?: {_EN_EARLIER})* {_EN_ORDERS}\b",
    rf"\b{_EN_DISCARD}\b(?: (?:all|any|of|the|your))* (?:everything|anything|all)"
    r"(?: (?:else|that|you))?(?: (?:above|before|previous|prior|so far|said|written|i said|you were told))\b",
    rf"\b{_EN_DISCARD}\b(?: (?:all|of|the))* (?:above|foregoing|preceding)\b",
    rf"\b{_EN_DISCARD} everything\b",
    # Role labels and chat-template tokens that pretend the next words come from the system.
    rf"(?:^|[\s\"'«(\[])(?:system|assistant|developer|admin|root)(?: (?:message|prompt|note|override))? ?: ?"
    rf"(?:{_EN_ROLE_ORDER})\b",
    r"<\|? ?(?:im_start|im_end|system|endoftext)\b",
    r"\[(?:system|inst|/inst|admin)\]",
    r"#{2,} ?(?:system|instruction|new instruction)",
    r"\bnew (?:rule|instruction|directive|policy|system prompt|task)s?\b ?:",
    r"\bnew instructions?\b",
    r"\b(?:updated|revised) (?:instructions|system prompt)\b",
    # Persona switches and requests for the hidden prompt.
    r"\byou are now\b",
    r"\bfrom now on,? (?:you|your|ignore|always|never|answer|reply|respond)\b",
    r"\bact as (?:a|an|the|if)\b",
    r"\bpretend (?:to be|you are|that you)\b",
    r"\b(?:developer|god|jailbreak|dan) mode\b",
    r"\bjailbreak\b",
    r"\bsystem prompt\b",
    r"\b(?:reveal|print|show|repeat|output|leak) (?:me )?(?:your|the) (?:hidden |initial |original )?"
    r"(?:instructions|prompt|rules|system message)\b",
    r"\bdo not (?:follow|obey|apply) (?:the|your|any) (?:rules|instructions|guidelines)\b",
    # Persian: instructions + … + a verb that discards them, in either order, within one clause.
    rf"{_FA_ORDERS}[^.!?؟\n]{{0,40}}{_FA_DISCARD}",
    rf"{_FA_DISCARD}[^.!?؟\n]{{0,20}}{_FA_ORDERS}",
    r"(?:هر ?(?:چه|چی|انچه)|همه ?(?:ی|ٔ)? ?(?:چیز|موارد)|تمام (?:موارد|چیز)|هر چیزی)[^.!?؟\n]{0,30}"
    r"(?:بالا|قبل|پیش|گفته شد|نوشته شد)[^.!?؟\n]{0,20}"
    rf"{_FA_DISCARD}",
    rf"(?:^|\s)(?:سیستم|پیام سیستم|دستور سیستم|مدیر سیستم) ?: ?(?:{_FA_ROLE_ORDER})",
    r"(?:دستور|قانون|قاعده)(?: ?ی)? (?:جدید|تازه) ?:",
    r"از (?:این|الان|حالا) به بعد(?: تو| شما| باید| همیشه| فقط| هرگز)",
    r"(?:تو|شما) (?:اکنون|الان|حالا|دیگر) (?:یک|یه|نقش|دستیار|ربات)",
    r"نقش .{0,20}را (?:بازی|ایفا) کن",
    r"(?:دستور(?: ?ها(?:ی)?|ات)?|پرامپت|پیام) (?:سیستمی|سیستم|مخفی|اولیه)(?: ?ات| خود| خودت)? را "
    r"(?:نشان|فاش|بگو|بنویس|تکرار)",
    # Arabic.
    _AR,
    r"(?:انت|أنت) الان",
)
_INSTRUCTION = re.compile("|".join(f"(?:{pattern})" for pattern in _PATTERNS))
_SENTENCES = re.compile(r"(?<=[.!?؟…\n])(\s*)")
MARKER_OPEN = "[quoted data, not an instruction: «"
MARKER_CLOSE = "»]"


def canonical(text: str) -> str:
    """The form patterns are matched on: NFKC, invisible characters dropped, folded, one space."""
    return _SPACES.sub(" ", fold(_INVISIBLE.sub("", unicodedata.normalize("NFKC", text)))).strip()


def looks_like_instruction(text: str) -> bool:
    return bool(_INSTRUCTION.search(canonical(text)))


def sentences(text: str) -> list[str]:
    return [piece for piece in _SENTENCES.split(text)[::2] if piece.strip()]


def mark(text: str) -> str:
    """``text`` with every instruction-like sentence wrapped in a quoted-data marker; the rest, and
    the spacing between sentences, unchanged."""
    if not looks_like_instruction(text):
        return text
    pieces = _SENTENCES.split(text)  # sentence, separator, sentence, …
    marked = False
    for index in range(0, len(pieces), 2):
        sentence = pieces[index]
        if sentence.strip() and looks_like_instruction(sentence):
            pieces[index] = f"{MARKER_OPEN}{sentence.strip()}{MARKER_CLOSE}"
            marked = True
    if not marked:
        # The phrase spans a sentence break ("SYSTEM:\nNew rule"): mark the whole text.
        return f"{MARKER_OPEN}{text.strip()}{MARKER_CLOSE}"
    return "".join(pieces)
