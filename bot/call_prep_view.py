"""Call prep as Telegram HTML: the briefing by section, and the records it cites.

Evidence is shown as bot commands (``/i_123``), which Telegram makes tappable; each opens the record.
Section titles and notices come from the catalog; the briefing's own text, already in the agent's
language, is escaped here.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from ai.call_prep.schema import SECTIONS, BriefingItem
from ai.text.calendar import relative
from bot.render import esc, interaction_line, ticket_view, when
from bot.texts import Texts
from crm.schemas.call_prep import CallPrepDTO, EvidenceRecord

NUMBERED: Final = frozenset({"talking_points", "questions"})
MAX_REFS: Final = 4  # evidence commands shown per item; the rest are counted
BODY_CHARS: Final = 1500


def refs(item: BriefingItem, texts: Texts) -> str:
    tokens = [f"/{e.token}" for e in item.evidence]
    if not tokens:
        return ""
    shown = " ".join(tokens[:MAX_REFS])
    more = f" {texts.t('prep.more_refs', count=len(tokens) - MAX_REFS)}" if len(tokens) > MAX_REFS else ""
    return f" <i>{shown}{more}</i>"


def _line(name: str, n: int, item: BriefingItem, texts: Texts) -> str:
    bullet = f"{texts.num(n)}." if name in NUMBERED else "•"
    text = f"{bullet} {esc(item.text)}"
    if item.purpose:
        text += f" — <i>{texts.t('prep.purpose', purpose=esc(item.purpose))}</i>"
    if item.pitch:
        text += f"\n   ↳ {texts.t('prep.pitch', pitch=esc(item.pitch))}"
    return text + refs(item, texts)


def briefing(dto: CallPrepDTO, texts: Texts, now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    rep = dto.representative
    lines = [texts.t("prep.title", name=esc(rep.full_name), code=esc(rep.code))]
    engine = (
        texts.t("prep.engine_offline")
        if dto.engine == "offline"
        else texts.t("prep.engine_llm", model=esc(dto.engine))
    )
    if dto.cached:
        engine += " · " + texts.t("prep.cached", relative=relative(dto.created_at, now, texts.locale))
    lines.append(f"<i>{engine}</i>")
    if dto.fallback_reason:
        lines.append(texts.t("prep.fallback", reason=texts.t(f"prep.reason.{dto.fallback_reason}")))
    lines += [texts.t(f"prep.notice.{notice}") for notice in dto.briefing.notices]
    for name in SECTIONS:
        items = dto.briefing.section(name)
        if not items:
            continue
        lines.append("")
        lines.append(f"<b>{texts.t(f'prep.section.{name}')}</b>")
        lines += [_line(name, n, item, texts) for n, item in enumerate(items, 1)]
    lines.append("")
    lines.append(f"<i>{texts.t('prep.evidence_hint')}</i>")
    return "\n".join(lines)


def record(found: EvidenceRecord, texts: Texts, now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    rep = found.representative
    head = texts.t("record.rep", name=esc(rep.full_name), code=esc(rep.code))
    if found.interaction is not None:
        item = found.interaction
        body = (item.body or "").strip()
        if len(body) > BODY_CHARS:
            body = body[: BODY_CHARS - 1] + "…"
        text = texts.t("record.interaction", id=item.id) + "\n" + interaction_line(item, texts)
        if body:
            text += f"\n\n{esc(body)}"
    elif found.ticket is not None:
        text = ticket_view(found.ticket, texts, now)
    elif found.payment is not None:
        p = found.payment
        text = texts.t(
            "record.payment",
            id=p.id,
            amount=p.amount_toman,
            when=when(texts, p.paid_at, with_time=True),
            method=texts.t(f"method.{p.method.value}"),
            reference=esc(p.reference),
        )
    elif found.invoice is not None:
        v = found.invoice
        text = texts.t(
            "record.invoice",
            number=esc(v.number),
            amount=v.amount_toman,
            issued=when(texts, v.issued_at),
            due=when(texts, v.due_at),
            status=texts.t(f"invoice.{v.status.value}"),
        )
    else:
        assert found.usage is not None
        u = found.usage
        gigabytes = round(u.traffic_bytes / 1_000_000_000)
        text = texts.t(
            "record.usage",
            when=when(texts, u.taken_at),
            active=u.active_users,
            total=u.total_users,
            gb=gigabytes,
        )
    return f"{head}\n{text}"
