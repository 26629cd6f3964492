"""/draft: the drafting co-pilot.

Flow: kind (buttons) → representative (text search, pick, or skip) → goal (text) → tone (buttons)
→ the draft, under it ✂️ shorter / 🎩 more formal / 🤗 warmer, 📤 send (when the representative has
a linked Telegram account; asks for confirmation), and 👍/👎. Each version is its own
``ai_suggestion``, and buttons carry its id, so they keep working after a restart; sending goes through
the outbox of one-off messages: at most once per version, logged as an interaction on the
representative (a send cut off by a crash is reported unconfirmed, never repeated).
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from ai.knowledge.drafting import MAX_GOAL_CHARS, Draft, DraftKind, DraftTone, Revision
from ai.knowledge.hub import KnowledgeHub
from ai.llm import OFFLINE_ENGINE, LLMGateway
from bot import keyboards
from bot.callbacks import Choice, KnowledgeAction
from bot.delivery import BotSender
from bot.filters import IsAgent
from bot.keyboards import LivePrompt
from bot.render import esc
from bot.routers import feedback
from bot.texts import Texts
from crm.db import UnitOfWork
from crm.schemas.knowledge import DraftDTO
from crm.schemas.outbox import Delivery
from crm.services import knowledge_assist, representatives
from crm.services.access import Identity

router = Router(name=__name__)
router.message.filter(IsAgent())
router.callback_query.filter(IsAgent())

KINDS: tuple[DraftKind, ...] = ("telegram", "support_reply", "email")
TONES: tuple[DraftTone, ...] = ("friendly", "formal", "warm")
REVISIONS: dict[str, Revision] = {"shorter": "shorter", "formal": "formal", "warmer": "warmer"}
MAX_REP_QUERY = 100
SKIP = "-"
SENT_TEXT = {Delivery.SENT: "kb.draft.sent", Delivery.ALREADY_SENT: "kb.draft.already_sent"}
TEXT = F.text & ~F.text.startswith("/")


class DraftStates(StatesGroup):
    kind = State()
    rep = State()
    goal = State()
    tone = State()


def render_draft(texts: Texts, dto: DraftDTO) -> str:
    request = dto.draft.request
    lines = [
        texts.t(
            "kb.draft.title",
            kind=texts.t(f"kb.draft.kind.{request.kind}"),
            tone=texts.t(f"kb.draft.tone.{request.tone}"),
        )
    ]
    if dto.rep_name:
        lines.append(texts.t("kb.draft.for_rep", name=esc(dto.rep_name)))
    lines += crm_notes(texts, dto.draft)
    engine = (
        texts.t("kb.draft.engine_offline")
        if dto.engine == OFFLINE_ENGINE
        else texts.t("kb.engine_llm", model=esc(dto.engine))
    )
    lines += ["", esc(dto.draft.text), "", engine]
    return "\n".join(lines)


def crm_notes(texts: Texts, draft: Draft) -> list[str]:
    """For the agent only: what the draft says because of the representative's record or a guide."""
    facts, guide = draft.request.facts, draft.request.guide
    open_ticket, resolved = facts.open_service_ticket(), facts.resolved_service_ticket()
    unpaid = min(facts.unpaid_invoices, key=lambda i: i.due_at) if facts.unpaid_invoices else None
    params: dict[str, dict[str, object]] = {
        "ticket_open": {"id": open_ticket.id if open_ticket else 0},
        "ticket_resolved": {"id": resolved.id if resolved else 0},
        "invoice_due": {"number": esc(unpaid.number) if unpaid else ""},
        "guide": {"title": esc(guide.title) if guide else ""},
    }
    return [texts.t(f"kb.draft.note.{note}", **params.get(note, {})) for note in draft.crm_notes]


def draft_markup(texts: Texts, dto: DraftDTO) -> InlineKeyboardMarkup:
    def button(label: str, action: str, **params: object) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=texts.t(label, **params),
            callback_data=KnowledgeAction(action=action, id=dto.suggestion_id).pack(),
        )

    rows = [
        [
            button("btn.kb_shorter", "shorter"),
            button("btn.kb_formal", "formal"),
            button("btn.kb_warmer", "warmer"),
        ]
    ]
    if dto.rep_linked and dto.rep_name:
        rows.append([button("btn.kb_send", "send", name=dto.rep_name[:40])])
    rows.append(feedback.buttons(texts, dto.suggestion_id))
    return InlineKeyboardMarkup(inline_keyboard=rows)


@router.message(Command("draft"))
async def begin(message: Message, texts: Texts, state: FSMContext, bot: Bot) -> None:
    await state.clear()
    await state.set_state(DraftStates.kind)
    options = [(kind, texts.t(f"kb.draft.kind.{kind}")) for kind in KINDS]
    await keyboards.ask(
        bot,
        message.chat.id,
        state,
        texts.t("kb.draft.ask_kind"),
        keyboards.choices(texts, "kb_kind", options, columns=1),
    )


@router.callback_query(
    DraftStates.kind, Choice.filter((F.field == "kb_kind") & F.value.in_(set(KINDS))), LivePrompt()
)
async def pick_kind(callback: CallbackQuery, callback_data: Choice, texts: Texts, state: FSMContext) -> None:
    await state.update_data({"kind": callback_data.value})
    await state.set_state(DraftStates.rep)
    await keyboards.advance(
        callback, texts.t("kb.draft.ask_rep"), keyboards.choices(texts, "kb_rep", [], skip=True)
    )


async def _ask_goal(bot: Bot, chat_id: int, texts: Texts, state: FSMContext) -> None:
    await state.set_state(DraftStates.goal)
    await keyboards.ask(bot, chat_id, state, texts.t("kb.draft.ask_goal"), keyboards.cancel_only(texts))


@router.message(DraftStates.rep, TEXT)
async def find_rep(message: Message, uow: UnitOfWork, texts: Texts, state: FSMContext, bot: Bot) -> None:
    query = (message.text or "").strip()[:MAX_REP_QUERY]
    hits = await representatives.find(uow, query, limit=6)
    prompt_id = (await state.get_data()).get(keyboards.PROMPT)
    await keyboards.retire(bot, message.chat.id, prompt_id)
    if not hits:
        await keyboards.ask(
            bot,
            message.chat.id,
            state,
            texts.t("kb.draft.rep_none", query=esc(query)),
            keyboards.choices(texts, "kb_rep", [], skip=True),
        )
        return
    if len(hits) == 1:
        await state.update_data({"rep_id": hits[0].representative.id})
        await _ask_goal(bot, message.chat.id, texts, state)
        return
    options = [
        (str(hit.representative.id), f"{hit.representative.full_name} · {hit.representative.code}")
        for hit in hits
    ]
    await keyboards.ask(
        bot,
        message.chat.id,
        state,
        texts.t("kb.draft.rep_pick"),
        keyboards.choices(texts, "kb_rep", options, columns=1, skip=True),
    )


@router.callback_query(DraftStates.rep, Choice.filter(F.field == "kb_rep"), LivePrompt())
async def pick_rep(
    callback: CallbackQuery, callback_data: Choice, uow: UnitOfWork, texts: Texts, state: FSMContext
) -> None:
    if callback_data.value != SKIP:
        rep = await representatives.get(uow, int(callback_data.value))
        await state.update_data({"rep_id": rep.id})
    await state.set_state(DraftStates.goal)
    await keyboards.advance(callback, texts.t("kb.draft.ask_goal"), keyboards.cancel_only(texts))


@router.message(DraftStates.goal, TEXT)
async def goal(message: Message, texts: Texts, state: FSMContext, bot: Bot) -> None:
    typed = await keyboards.step_text(message, texts, MAX_GOAL_CHARS)
    if typed is None:
        return
    text = " ".join(typed.split())
    await keyboards.retire(bot, message.chat.id, (await state.get_data()).get(keyboards.PROMPT))
    await state.update_data({"goal": text})
    await state.set_state(DraftStates.tone)
    options = [(tone, texts.t(f"kb.draft.tone.{tone}")) for tone in TONES]
    await keyboards.ask(
        bot,
        message.chat.id,
        state,
        texts.t("kb.draft.ask_tone"),
        keyboards.choices(texts, "kb_tone", options, columns=3),
    )


@router.callback_query(
    DraftStates.tone, Choice.filter((F.field == "kb_tone") & F.value.in_(set(TONES))), LivePrompt()
)
async def pick_tone(
    callback: CallbackQuery,
    callback_data: Choice,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    state: FSMContext,
    knowledge: KnowledgeHub | None = None,
    gateway: LLMGateway | None = None,
) -> None:
    assert identity.agent is not None
    await callback.answer(texts.t("kb.draft.working"))  # before the model call, within Telegram's window
    data = await state.get_data()
    kind = next(k for k in KINDS if k == data["kind"])
    tone = next(t for t in TONES if t == callback_data.value)
    async with keyboards.final_step(state):
        dto = await knowledge_assist.draft(
            uow,
            kind=kind,
            tone=tone,
            goal=str(data["goal"]),
            agent_id=identity.agent.id,
            rep_id=data.get("rep_id"),
            hub=knowledge,
            gateway=gateway,
        )
    await keyboards.replace_prompt(callback, render_draft(texts, dto), draft_markup(texts, dto))


@router.callback_query(KnowledgeAction.filter(F.action.in_(set(REVISIONS))))
async def revise(
    callback: CallbackQuery,
    callback_data: KnowledgeAction,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    gateway: LLMGateway | None = None,
) -> None:
    assert identity.agent is not None
    await callback.answer(texts.t("kb.draft.working"))  # before the model call, within Telegram's window
    dto = await knowledge_assist.revise_draft(
        uow, callback_data.id, REVISIONS[callback_data.action], agent_id=identity.agent.id, gateway=gateway
    )
    await keyboards.replace_prompt(callback, render_draft(texts, dto), draft_markup(texts, dto))


@router.callback_query(KnowledgeAction.filter(F.action == "send"))
async def confirm_send(
    callback: CallbackQuery, callback_data: KnowledgeAction, uow: UnitOfWork, texts: Texts
) -> None:
    rep_name = await knowledge_assist.draft_recipient(uow, callback_data.id)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=texts.t("btn.kb_confirm_send"),
                    callback_data=KnowledgeAction(action="confirm", id=callback_data.id).pack(),
                )
            ],
            keyboards.cancel_row(texts),
        ]
    )
    if isinstance(callback.message, Message):
        await callback.message.answer(texts.t("kb.draft.confirm", name=esc(rep_name)), reply_markup=markup)
    await callback.answer()


@router.callback_query(KnowledgeAction.filter(F.action == "confirm"))
async def send(
    callback: CallbackQuery,
    callback_data: KnowledgeAction,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    bot: Bot,
) -> None:
    rep_name = await knowledge_assist.draft_recipient(uow, callback_data.id)
    result = await knowledge_assist.send_draft(uow, callback_data.id, BotSender(bot), identity.actor)
    if result.delivery == Delivery.REFUSED:  # blocked the bot or chat gone: nothing logged
        await keyboards.advance(callback, texts.t("kb.draft.send_failed", name=esc(rep_name)))
        return
    await keyboards.advance(
        callback,
        texts.t(SENT_TEXT.get(result.delivery, "kb.draft.unconfirmed"), name=esc(rep_name)),
        keyboards.to_card(texts, result.rep_id),
    )
