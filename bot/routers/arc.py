"""The rep card's «Emotional arc» button: the arc as a PNG (sendPhoto) with the summary and its evidence
as the caption. Agents only (router-level filter); a representative's or stranger's press never gets
here. The service audits every view and refuses opted-out representatives; this handler renders.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Final

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message

from ai.charts import ArcChart, ArcChartLabels, ChartMarker, ChartPoint, render_arc_png
from ai.text.calendar import format_date
from bot import keyboards
from bot.callbacks import RepAction
from bot.filters import IsAgent
from bot.render import esc
from bot.texts import Texts
from crm.db import UnitOfWork
from crm.schemas.sentiment import ArcDTO, ArcView, EvidenceRef, TriggerDTO
from crm.services import emotional_arc
from crm.services.access import Identity

router = Router(name=__name__)
router.message.filter(IsAgent())
router.callback_query.filter(IsAgent())

CAPTION_LIMIT: Final = 1024
IDS_SHOWN: Final = 3
TREND_DAYS: Final = 90  # ai.coaching.ArcConfig.trend_window_days
# Rendering is CPU-bound (a few hundred ms): in worker threads, two at a time on the shared cores.
_RENDER_SLOTS = asyncio.Semaphore(2)


@router.callback_query(RepAction.filter(F.action == "arc"))
async def show_arc(
    callback: CallbackQuery,
    callback_data: RepAction,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    bot: Bot,
) -> None:
    view = await emotional_arc.view(uow, callback_data.rep_id, identity.actor)
    await callback.answer()
    message = callback.message
    if not isinstance(message, Message):  # the card is too old for Telegram to show it
        return
    back = InlineKeyboardMarkup(inline_keyboard=[[keyboards.back_to_card(texts, view.representative_id)]])
    name = esc(view.full_name)
    if view.arc is None:
        await message.answer(texts.t("arc.opted_out", name=name), reply_markup=back)
        return
    if not view.arc.series:
        await message.answer(
            texts.t("arc.empty", name=name, days=(view.generated_at - view.since).days), reply_markup=back
        )
        return
    await bot.send_chat_action(message.chat.id, ChatAction.UPLOAD_PHOTO)
    lines = summary_lines(view.arc, texts)
    chart = ArcChart(
        points=chart_points(view.arc),
        markers=[ChartMarker(m.at, m.kind) for m in view.arc.markers],
        labels=chart_labels(view, texts, lines),
        locale=texts.locale,
        now=view.generated_at,
    )
    async with _RENDER_SLOTS:
        png = await asyncio.to_thread(render_arc_png, chart)
    await message.answer_photo(
        BufferedInputFile(png, filename=f"arc-{view.code}.png"),
        caption=caption(view, lines, texts),
        reply_markup=back,
    )


def chart_points(arc: ArcDTO) -> list[ChartPoint]:
    series = arc.series
    return [ChartPoint(*point) for point in zip(series.at, series.score, series.smoothed, strict=True)]


def chart_labels(view: ArcView, texts: Texts, summary: Sequence[str]) -> ArcChartLabels:
    return ArcChartLabels(
        title=texts.t("arc.title", name=view.full_name, code=view.code),
        score_axis=texts.t("arc.axis"),
        points=texts.t("arc.points"),
        smoothed=texts.t("arc.smoothed"),
        ticket=texts.t("arc.tickets"),
        payment=texts.t("arc.payments"),
        outage=texts.t("arc.outages"),
        empty=texts.t("arc.no_data"),
        summary=tuple(summary),
    )


def _score(value: float, texts: Texts) -> str:
    return texts.signed(value)


def summary_lines(arc: ArcDTO, texts: Texts) -> list[str]:
    """Three plain-text lines: the current state, the trend, the main trigger (caption and picture)."""
    if arc.current is None or arc.current_label is None or arc.last_scored_at is None:
        lines = [texts.t("arc.no_data")]
    else:
        lines = [
            texts.t(
                "arc.now",
                state=texts.t(f"arc.state.{arc.current_label.value}"),
                score=_score(arc.current, texts),
                when=format_date(arc.last_scored_at, texts.locale),
            )
        ]
    trend = arc.trend
    if trend.direction == "unknown":
        lines.append(texts.t("arc.trend_unknown", days=TREND_DAYS))
    else:
        lines.append(
            texts.t(
                "arc.trend",
                days=TREND_DAYS,
                direction=texts.t(f"arc.direction.{trend.direction}"),
                slope=_score(trend.slope_per_30d, texts),
            )
        )
    drops = arc.negative_shift_count
    if arc.main_trigger is not None:
        lines.append(
            texts.t(
                "arc.trigger",
                trigger=trigger_name(arc.main_trigger, texts),
                count=arc.main_trigger.count,
                total=drops,
            )
        )
    elif drops:
        lines.append(texts.t("arc.no_trigger", total=drops))
    else:
        lines.append(texts.t("arc.no_drops"))
    return lines


def trigger_name(trigger: TriggerDTO, texts: Texts) -> str:
    kind, _, detail = trigger.key.partition(":")
    if kind == "ticket":
        return texts.t("arc.key.ticket", category=texts.t(f"category.{detail or 'other'}"))
    if kind == "outage":
        return texts.t("arc.key.slow" if detail == "slow_connection" else "arc.key.outage")
    if kind == "payment":
        return texts.t("arc.key.payment")
    if kind == "topic" and detail in emotional_arc.TOPIC_SIGNALS:
        return texts.t(f"arc.topic.{detail}")
    return trigger.key


def _refs(refs: Sequence[EvidenceRef], texts: Texts) -> str:
    """Tappable ``/i_12``, ``/t_3``, ``/p_7`` (ASCII digits): the call-prep router opens the record."""
    shown = [texts.t(f"arc.ref.{r.kind}", id=str(r.id)) for r in refs[:IDS_SHOWN]]
    return texts.t("arc.list_sep").join(shown)


def caption(view: ArcView, lines: Sequence[str], texts: Texts) -> str:
    """The summary in HTML, then where each line comes from (records an agent can open with a tap)."""
    arc = view.arc
    assert arc is not None
    recent = [EvidenceRef(kind="interaction", id=i) for i in reversed(arc.series.interaction_ids)]
    evidence = [texts.t("arc.evidence.now", refs=_refs(recent, texts))]
    if arc.trend.evidence:
        ends = (
            [arc.trend.evidence[0], arc.trend.evidence[-1]]
            if len(arc.trend.evidence) > 1
            else arc.trend.evidence
        )
        evidence.append(texts.t("arc.evidence.trend", refs=_refs(ends, texts)))
    if arc.main_trigger is not None:
        evidence.append(texts.t("arc.evidence.trigger", refs=_refs(arc.main_trigger.evidence, texts)))
        evidence.append(texts.t("arc.evidence.drops", refs=_refs(arc.main_trigger.shifts, texts)))
    head = [texts.t("arc.caption_title", name=esc(view.full_name), code=esc(view.code)), *map(esc, lines)]
    text = "\n".join([*head, texts.t("arc.evidence", items=texts.t("arc.group_sep").join(evidence))])
    # Cutting HTML could split a tag or an entity; a caption too long (a very long name) loses its
    # evidence line instead, which the audit-free DTO still holds.
    return text if len(text) <= CAPTION_LIMIT else "\n".join(head)[:CAPTION_LIMIT]
