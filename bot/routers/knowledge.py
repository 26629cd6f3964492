"""/ask and /fix for agents, /faq review for supervisors.

/ask answers from the knowledge hub with numbered citations and a source list; /fix gives a
step-by-step diagnostic path. Both store an ``ai_suggestion`` and carry the generic 👍/👎 row
(``bot.routers.feedback``). The hub arrives as workflow data ``knowledge``
(``chronos.knowledge_runtime.attach_knowledge``); without it the bot says so instead of failing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from ai.knowledge.hub import KnowledgeHub, query_words
from ai.knowledge.passages import Citation
from ai.llm import OFFLINE_ENGINE, LLMGateway
from ai.text.language import language_of
from bot import keyboards
from bot.callbacks import KnowledgeAction
from bot.filters import IsAgent
from bot.render import esc
from bot.routers import feedback
from bot.sender import send_long
from bot.texts import Texts
from crm.db import UnitOfWork
from crm.enums import AgentRole
from crm.schemas.knowledge import AnswerDTO, DiagnosisDTO, FaqEntryDTO
from crm.services import knowledge as kb_service
from crm.services import knowledge_assist
from crm.services.access import Identity

router = Router(name=__name__)
router.message.filter(IsAgent())
router.callback_query.filter(IsAgent())

MAX_QUESTION_CHARS = 500
FAQ_PAGE = 5
_CITATION = re.compile(r"\[(\d{1,2})\]")
TEXT = F.text & ~F.text.startswith("/")


class KnowledgeStates(StatesGroup):
    question = State()
    problem = State()


def cite(texts: Texts, text: str) -> str:
    """Escape ``text`` and show citation markers in the locale's digits."""
    return _CITATION.sub(lambda m: f"[{texts.num(int(m.group(1)))}]", esc(text))


def source_lines(texts: Texts, citations: Sequence[Citation]) -> list[str]:
    return [texts.t("kb.source_line", n=c.n, title=esc(c.title)) for c in citations]


def engine_line(texts: Texts, engine: str, mode: str) -> str:
    line = (
        texts.t("kb.engine_offline")
        if engine == OFFLINE_ENGINE
        else texts.t("kb.engine_llm", model=esc(engine))
    )
    return line if mode != "lexical" else f"{line}\n{texts.t('kb.lexical_only')}"


def render_answer(texts: Texts, dto: AnswerDTO) -> str:
    value = dto.answer
    if not value.answered:
        lines = [texts.t("kb.no_answer")]
        if value.nearest:
            lines += ["", texts.t("kb.nearest"), *source_lines(texts, value.nearest)]
        return "\n".join(lines)
    return "\n".join(
        [
            texts.t("kb.answer_title"),
            cite(texts, value.text),
            "",
            texts.t("kb.sources"),
            *source_lines(texts, value.citations),
            "",
            engine_line(texts, dto.engine, value.mode),
        ]
    )


def render_path(texts: Texts, dto: DiagnosisDTO) -> str:
    path = dto.path
    if not path.found:
        lines = [texts.t("kb.fix_none")]
        if path.citations:
            lines += ["", texts.t("kb.nearest"), *source_lines(texts, path.citations)]
        return "\n".join(lines)
    lines = [texts.t("kb.fix_title", problem=esc(path.problem)), ""]
    shown_fallback = False
    for number, step in enumerate(path.steps, start=1):
        if step.fallback and not shown_fallback:
            lines.append(texts.t("kb.fix_fallback"))
            shown_fallback = True
        lines.append(texts.t("kb.fix_step", n=number, text=esc(step.text), source=step.source))
    lines += [
        "",
        texts.t("kb.fix_escalate"),
        "",
        texts.t("kb.sources"),
        *source_lines(texts, path.citations),
        "",
        engine_line(texts, dto.engine, "hybrid"),
    ]
    return "\n".join(lines)


def feedback_markup(texts: Texts, suggestion_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[feedback.buttons(texts, suggestion_id)])


async def _ask(
    bot: Bot,
    message: Message,
    question: str,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    hub: KnowledgeHub | None,
    gateway: LLMGateway | None,
) -> None:
    if hub is None:
        await message.answer(texts.t("kb.unavailable"))
        return
    if len(question) > MAX_QUESTION_CHARS:
        await message.answer(texts.t("error.too_long", limit=MAX_QUESTION_CHARS))
        return
    if not query_words(question):
        await message.answer(texts.t("kb.ask_help"))
        return
    assert identity.agent is not None
    dto = await knowledge_assist.ask(
        uow, hub, question, agent_id=identity.agent.id, gateway=gateway, language=language_of(texts.locale)
    )
    await send_long(
        bot,
        message.chat.id,
        render_answer(texts, dto),
        feedback_markup(texts, dto.suggestion_id),
    )


async def _fix(
    bot: Bot,
    message: Message,
    problem: str,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    hub: KnowledgeHub | None,
    gateway: LLMGateway | None,
) -> None:
    if hub is None:
        await message.answer(texts.t("kb.unavailable"))
        return
    if len(problem) > MAX_QUESTION_CHARS:
        await message.answer(texts.t("error.too_long", limit=MAX_QUESTION_CHARS))
        return
    if not query_words(problem):
        await message.answer(texts.t("kb.fix_help"))
        return
    assert identity.agent is not None
    dto = await knowledge_assist.diagnose(
        uow, hub, problem, agent_id=identity.agent.id, gateway=gateway, language=language_of(texts.locale)
    )
    await send_long(
        bot,
        message.chat.id,
        render_path(texts, dto),
        feedback_markup(texts, dto.suggestion_id),
    )


@router.message(Command("ask"))
@router.message(KnowledgeStates.question, TEXT)
async def ask(
    message: Message,
    bot: Bot,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    state: FSMContext,
    command: CommandObject | None = None,
    knowledge: KnowledgeHub | None = None,
    gateway: LLMGateway | None = None,
) -> None:
    """``/ask question``, or ``/ask`` then the question as the next message."""
    await state.clear()
    if command is not None and not command.args:
        await state.set_state(KnowledgeStates.question)
        await message.answer(texts.t("kb.ask_prompt"), reply_markup=keyboards.cancel_only(texts))
        return
    question = command.args if command is not None else message.text
    await _ask(bot, message, (question or "").strip(), uow, identity, texts, knowledge, gateway)


@router.message(Command("fix"))
@router.message(KnowledgeStates.problem, TEXT)
async def fix(
    message: Message,
    bot: Bot,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    state: FSMContext,
    command: CommandObject | None = None,
    knowledge: KnowledgeHub | None = None,
    gateway: LLMGateway | None = None,
) -> None:
    """``/fix problem``, or ``/fix`` then the problem as the next message."""
    await state.clear()
    if command is not None and not command.args:
        await state.set_state(KnowledgeStates.problem)
        await message.answer(texts.t("kb.fix_prompt"), reply_markup=keyboards.cancel_only(texts))
        return
    problem = command.args if command is not None else message.text
    await _fix(bot, message, (problem or "").strip(), uow, identity, texts, knowledge, gateway)


# FAQ review (supervisors)


def faq_card(texts: Texts, entry: FaqEntryDTO) -> tuple[str, InlineKeyboardMarkup]:
    details = f"{esc(entry.details[:600])}\n" if entry.details else ""
    text = texts.t(
        "kb.faq.card",
        question=esc(entry.question[:300]),
        details=details,
        answer=esc(entry.answer[:1500]),
        tickets=texts.digits(", ".join(f"#{t}" for t in entry.ticket_ids[:20])),
    )
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=texts.t("btn.kb_approve"),
                    callback_data=KnowledgeAction(action="faq_ok", id=entry.id).pack(),
                ),
                InlineKeyboardButton(
                    text=texts.t("btn.kb_reject"),
                    callback_data=KnowledgeAction(action="faq_no", id=entry.id).pack(),
                ),
            ]
        ]
    )
    return text, markup


@router.message(Command("faq"), IsAgent(AgentRole.SUPERVISOR))
async def faq_queue(message: Message, uow: UnitOfWork, texts: Texts, state: FSMContext) -> None:
    await state.clear()
    entries, total = await kb_service.pending_faqs(uow, limit=FAQ_PAGE)
    if not entries:
        await message.answer(texts.t("kb.faq.none"))
        return
    await message.answer(texts.t("kb.faq.header", count=total))
    for entry in entries:
        text, markup = faq_card(texts, entry)
        await message.answer(text, reply_markup=markup)


@router.callback_query(
    KnowledgeAction.filter(F.action.in_({"faq_ok", "faq_no"})), IsAgent(AgentRole.SUPERVISOR)
)
async def faq_review(
    callback: CallbackQuery,
    callback_data: KnowledgeAction,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    knowledge: KnowledgeHub | None = None,
) -> None:
    if knowledge is None:
        await callback.answer(texts.t("kb.unavailable"), show_alert=True)
        return
    await callback.answer()  # indexing an approved entry can outlast Telegram's callback window
    approve = callback_data.action == "faq_ok"
    entry = await kb_service.review_faq(
        uow, knowledge, callback_data.id, approve=approve, actor=identity.actor
    )
    verdict = texts.t("kb.faq.approved" if approve else "kb.faq.rejected")
    if isinstance(callback.message, Message):
        text, _ = faq_card(texts, entry)
        await callback.message.edit_text(f"{text}\n\n{verdict}", reply_markup=None)
