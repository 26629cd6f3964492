"""Nudge campaigns in the bot: the supervisor's approval card and /campaigns results, and the agent's
"Reply" to a representative's message.

Only supervisors (and admins) decide: an agent pressing a card button is refused and the refusal is
audited. Every decision goes through ``crm.services.nudges`` (which checks the role again and audits).
Refusals get a clear alert: the campaign is gone, cancelled, already approved (a double tap changes
nothing), or changed since the card was drawn (a fresh card is sent).
"""

from __future__ import annotations

import functools
import logging

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from ai.knowledge.hub import KnowledgeHub
from ai.llm import LLMGateway
from ai.nudges.knowledge import HubLookup
from bot import keyboards
from bot.callbacks import CampaignAction, RepReply
from bot.campaign_card import (
    card_keyboard,
    recipients,
    render_card,
    schedule,
    send_card,
    send_to_supervisors,
    when,
)
from bot.delivery import BotSender
from bot.filters import IsAgent
from bot.render import esc
from bot.texts import Texts
from crm import audit
from crm.db import UnitOfWork
from crm.enums import AgentRole, CampaignStatus
from crm.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from crm.schemas.nudges import NudgePolicy
from crm.schemas.outbox import Delivery
from crm.services import nudge_replies, nudge_results, nudges
from crm.services.access import Identity
from crm.services.nudge_drafting import drafter_factory
from crm.services.nudges import StaleRevision, TemplateRefused

log = logging.getLogger(__name__)
router = Router(name=__name__)
router.message.filter(IsAgent())
router.callback_query.filter(IsAgent())
SUPERVISOR = IsAgent(AgentRole.SUPERVISOR)

MAX_REASON_CHARS = 1000
MAX_TEMPLATE_CHARS = 3000
MAX_ANSWER_CHARS = 3500


class CampaignFlow(StatesGroup):
    reason = State()
    template = State()


class AnswerFlow(StatesGroup):
    text = State()


def _policy(nudge_policy: NudgePolicy | None) -> NudgePolicy:
    return nudge_policy or NudgePolicy()


def _refusal(exc: DomainError, texts: Texts) -> str:
    if isinstance(exc, NotFound):
        return texts.t("nudge.gone")
    if isinstance(exc, PermissionDenied):
        return texts.t("nudge.forbidden")
    if isinstance(exc, StaleRevision):
        return texts.t("nudge.stale")
    if isinstance(exc, InvalidTransition):
        status = str(exc.params.get("from_status", ""))
        if status == CampaignStatus.CANCELLED.value:
            return texts.t("nudge.cancelled")
        label = texts.t(f"nudge.status.{status}") if status in {s.value for s in CampaignStatus} else status
        return texts.t("nudge.not_pending", status=label)
    return texts.t("error.stale")


# Results and the list of campaigns awaiting approval


@router.message(Command("campaigns"), SUPERVISOR)
async def campaigns(message: Message, uow: UnitOfWork, texts: Texts, state: FSMContext) -> None:
    await state.clear()
    stats = await nudge_results.stats(uow, limit=10)
    lines = [texts.t("nudge.results_title")] if stats else [texts.t("nudge.results_empty")]
    for s in stats:
        sentiment = ", ".join(
            f"{texts.t(f'nudge.sentiment.{label}')} {texts.num(count)}"
            for label, count in sorted(s.reply_sentiment.items())
        )
        lines.append(
            texts.t(
                "nudge.results_item",
                id=s.campaign_id,
                name=esc(s.name),
                status=texts.t(f"nudge.status.{s.status.value}"),
                sent=s.sent,
                delivered=s.delivered,
                unconfirmed=s.unconfirmed,
                failed=s.failed,
                skipped=s.skipped,
                replied=s.replied,
                opted_out=s.opted_out,
                sentiment=sentiment or "—",
            )
        )
    pending = await nudge_results.pending_approval(uow)
    markup = None
    if pending:
        lines.append(texts.t("nudge.pending_title"))
        markup = InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=texts.t("btn.nudge_open", id=c.id, name=c.name[:40]),
                        callback_data=CampaignAction(
                            action="open", campaign_id=c.id, revision=c.revision
                        ).pack(),
                    )
                ]
                for c in pending[:20]
            ]
        )
    await message.answer("\n\n".join(lines)[:4000], reply_markup=markup)


# Card buttons


async def _refuse_agent(callback: CallbackQuery, uow: UnitOfWork, identity: Identity, texts: Texts) -> None:
    audit.record(
        uow.session, identity.actor, "access.refused", "nudge_campaign", None, after={"what": callback.data}
    )
    await uow.commit()
    await callback.answer(texts.t("nudge.forbidden"), show_alert=True)


@router.callback_query(CampaignAction.filter(), ~SUPERVISOR)
async def not_supervisor(callback: CallbackQuery, uow: UnitOfWork, identity: Identity, texts: Texts) -> None:
    await _refuse_agent(callback, uow, identity, texts)


@router.callback_query(CampaignAction.filter(F.action.in_({"open", "more"})), SUPERVISOR)
async def open_card(
    callback: CallbackQuery,
    callback_data: CampaignAction,
    uow: UnitOfWork,
    texts: Texts,
    nudge_policy: NudgePolicy | None = None,
) -> None:
    try:
        card = await nudge_results.card(
            uow, callback_data.campaign_id, _policy(nudge_policy), offset=callback_data.offset
        )
    except DomainError as exc:
        await callback.answer(_refusal(exc, texts), show_alert=True)
        return
    if callback_data.action == "more" and isinstance(callback.message, Message):
        await callback.message.edit_text(render_card(card, texts), reply_markup=card_keyboard(card, texts))
    elif isinstance(callback.message, Message):
        await callback.message.answer(render_card(card, texts), reply_markup=card_keyboard(card, texts))
    await callback.answer()


@router.callback_query(CampaignAction.filter(F.action == "ok"), SUPERVISOR)
async def approve(
    callback: CallbackQuery,
    callback_data: CampaignAction,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    bot: Bot,
    nudge_policy: NudgePolicy | None = None,
) -> None:
    policy = _policy(nudge_policy)
    try:
        decision = await nudges.approve(
            uow, callback_data.campaign_id, callback_data.revision, identity.actor, policy=policy
        )
    except StaleRevision as exc:
        await callback.answer(_refusal(exc, texts), show_alert=True)
        card = await nudge_results.card(uow, callback_data.campaign_id, policy)
        await send_card(bot, callback.from_user.id, card, texts)
        return
    except DomainError as exc:
        await callback.answer(_refusal(exc, texts), show_alert=True)
        return
    if not decision.changed:
        await callback.answer(texts.t("nudge.already"), show_alert=True)
        return
    card = await nudge_results.card(uow, decision.campaign.id, policy)
    if isinstance(callback.message, Message) and callback.message.html_text:
        await callback.message.edit_text(
            callback.message.html_text + texts.t("nudge.approved_by", schedule=schedule(card, texts)),
            reply_markup=None,
        )
    notice = texts.t(
        "nudge.approved",
        id=decision.campaign.id,
        start=when(texts, card.first_send_at),
        finish=when(texts, card.estimated_finish_at),
    )
    await callback.answer(notice, show_alert=True)


@router.callback_query(CampaignAction.filter(F.action.in_({"no", "edit"})), SUPERVISOR)
async def ask_reason_or_template(
    callback: CallbackQuery, callback_data: CampaignAction, uow: UnitOfWork, texts: Texts, state: FSMContext
) -> None:
    try:
        campaign = await nudges.get(uow, callback_data.campaign_id)
    except DomainError as exc:
        await callback.answer(_refusal(exc, texts), show_alert=True)
        return
    if campaign.revision != callback_data.revision:
        await callback.answer(texts.t("nudge.stale"), show_alert=True)
        return
    await state.set_state(CampaignFlow.reason if callback_data.action == "no" else CampaignFlow.template)
    await state.set_data({"campaign_id": campaign.id, "revision": campaign.revision})
    if callback_data.action == "no":
        text = texts.t("nudge.ask_reason", id=campaign.id)
    else:
        text = texts.t("nudge.ask_template", id=campaign.id, template=esc(campaign.template))
    if isinstance(callback.message, Message):
        await callback.message.answer(text, reply_markup=keyboards.cancel_only(texts))
    await callback.answer()


def template_problems(exc: TemplateRefused, texts: Texts) -> str:
    """Each reason a template was refused, in the supervisor's language."""
    found = exc.params.get("problems")
    lines = []
    for problem in found if isinstance(found, list) else []:
        params = {k: esc(v) if isinstance(v, str) else v for k, v in problem.items() if k != "code"}
        lines.append("• " + texts.t(f"nudge.problem.{problem['code']}", **params))
    return "\n".join(lines)


@router.message(CampaignFlow.reason, F.text & ~F.text.startswith("/"), SUPERVISOR)
async def reject_with_reason(
    message: Message, uow: UnitOfWork, identity: Identity, texts: Texts, state: FSMContext
) -> None:
    typed = await keyboards.step_text(message, texts, MAX_REASON_CHARS)
    if typed is None:
        return
    reason = typed.strip()
    data = await state.get_data()
    await state.clear()
    try:
        decision = await nudges.reject(uow, data["campaign_id"], data["revision"], reason, identity.actor)
    except DomainError as exc:
        await message.answer(_refusal(exc, texts))
        return
    await message.answer(texts.t("nudge.rejected", id=decision.campaign.id, reason=esc(reason)))


@router.message(CampaignFlow.template, F.text & ~F.text.startswith("/"), SUPERVISOR)
async def edit_template(
    message: Message,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    state: FSMContext,
    bot: Bot,
    nudge_policy: NudgePolicy | None = None,
    gateway: LLMGateway | None = None,
    knowledge: KnowledgeHub | None = None,
) -> None:
    template = await keyboards.step_text(message, texts, MAX_TEMPLATE_CHARS)
    if template is None:
        return
    data = await state.get_data()
    try:
        nudges.check_template(template)  # a refused template is answered before any redrafting
        if gateway is not None and gateway.config.enabled:  # model drafting takes a while: say so
            await message.answer(texts.t("nudge.redrafting"))
        drafter = drafter_factory(gateway, functools.partial(HubLookup, knowledge) if knowledge else None)
        campaign = await nudges.edit_template(
            uow,
            data["campaign_id"],
            template,
            identity.actor,
            drafter_factory=drafter,
            expected_revision=data.get("revision"),  # another supervisor's edit since the card: refused
        )
    except TemplateRefused as exc:
        await message.answer(texts.t("nudge.template_refused", problems=template_problems(exc, texts)))
        return  # the step stays: send a better template
    except DomainError as exc:
        await state.clear()
        await message.answer(_refusal(exc, texts))
        return
    await state.clear()
    await message.answer(texts.t("nudge.template_saved"))
    card = await nudge_results.card(uow, campaign.id, _policy(nudge_policy))
    # The new revision needs a decision: every supervisor gets its card (the editor included).
    await send_to_supervisors(bot, card, await recipients(uow))


@router.message(StateFilter(CampaignFlow), ~SUPERVISOR)
async def lost_supervisor_role(message: Message, texts: Texts, state: FSMContext) -> None:
    await state.clear()
    await message.answer(texts.t("nudge.forbidden"))


# An agent answers a representative


@router.callback_query(RepReply.filter())
async def ask_answer(
    callback: CallbackQuery, callback_data: RepReply, uow: UnitOfWork, texts: Texts, state: FSMContext
) -> None:
    try:
        rep = await nudge_replies.answer_target(uow, callback_data.rep_id)
    except NotFound:
        await callback.answer(texts.t("error.stale"), show_alert=True)
        return
    except DomainError:
        await callback.answer(texts.t("nudge.answer_unlinked"), show_alert=True)
        return
    await state.set_state(AnswerFlow.text)
    await state.set_data({"rep_id": rep.id})
    if isinstance(callback.message, Message):
        await callback.message.answer(texts.t("nudge.ask_answer", name=esc(rep.full_name)))
    await callback.answer()


@router.message(AnswerFlow.text, F.text & ~F.text.startswith("/"))
async def send_answer(
    message: Message, uow: UnitOfWork, identity: Identity, texts: Texts, state: FSMContext, bot: Bot
) -> None:
    assert identity.agent is not None
    typed = await keyboards.step_text(message, texts, MAX_ANSWER_CHARS)
    if typed is None:
        return
    body = typed.strip()
    rep_id = int((await state.get_data())["rep_id"])
    await state.clear()
    rep = await nudge_replies.answer_target(uow, rep_id)
    key = f"answer:{message.chat.id}:{message.message_id}"  # this message of the agent's, sent once
    result = await nudge_replies.send_answer(uow, rep, identity.agent.id, body, key, BotSender(bot))
    name = esc(rep.full_name)
    if result.delivery == Delivery.REFUSED:
        await message.answer(texts.t("nudge.answer_failed", name=name))
        return
    sent = result.delivery in {Delivery.SENT, Delivery.ALREADY_SENT}
    await message.answer(
        texts.t("nudge.answer_sent" if sent else "nudge.answer_unconfirmed", name=name),
        reply_markup=keyboards.to_card(texts, rep.id),
    )
