"""/agents: the CRT team roster.

Who may do what (the issue reads "/agents (admin): add, deactivate, change role"):

* Supervisors and admins may *view* the roster — supervisors run the team day to day and the list
  changes nothing. The router admits agents only (representatives and strangers never reach it);
  ``/agents`` needs supervisor+, so for a plain agent it stays an unknown command.
* Only admins may *change* it: add an agent (Telegram id → name → role), deactivate/reactivate, and
  move an agent to the next role (agent → supervisor → admin → agent). Every change handler checks
  admin on its own; any other agent pressing an admin button (an old or forged one) is told it is
  not allowed, and one demoted in the middle of adding an agent is stopped and the flow cleared.
* An admin cannot deactivate themselves nor change their own role, so the team cannot lose its last
  admin by a mis-tap. A deactivated agent is a stranger from their very next update (identity
  resolution reads ``active`` on every update).
"""

from __future__ import annotations

import re

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from ai.text.persian import normalize, to_ascii_digits
from bot import commands, keyboards
from bot.callbacks import AgentAdmin, Choice
from bot.filters import IsAgent
from bot.keyboards import LivePrompt
from bot.render import esc
from bot.texts import Texts
from crm.db import UnitOfWork
from crm.enums import AgentRole, values
from crm.errors import AlreadyExists
from crm.schemas.people import AgentCreate, AgentDTO
from crm.services import agents
from crm.services.access import Identity

router = Router(name=__name__)
router.message.filter(IsAgent())
router.callback_query.filter(IsAgent())
SUPERVISOR = IsAgent(AgentRole.SUPERVISOR)
ADMIN = IsAgent(AgentRole.ADMIN)

MAX_NAME_CHARS = 120  # the column's length
TELEGRAM_ID = re.compile(r"[0-9]{1,15}")
LISTED = 30  # two buttons each (Telegram allows 100 a keyboard), and the text stays under 4096 characters
SHOWN_NAME = 60


class AddAgent(StatesGroup):
    telegram_id = State()
    name = State()
    role = State()


def _short(name: str) -> str:
    return name if len(name) <= SHOWN_NAME else name[: SHOWN_NAME - 1] + "…"


async def _team(uow: UnitOfWork) -> tuple[list[AgentDTO], int]:
    """The first LISTED agents by name, names shortened for display, and how many were left out."""
    team = await agents.list_all(uow)
    shown = [agent.model_copy(update={"full_name": _short(agent.full_name)}) for agent in team[:LISTED]]
    return shown, len(team) - len(shown)


def _roster(texts: Texts, team: list[AgentDTO], hidden: int) -> str:
    lines = [texts.t("agents.title")]
    for agent in team:
        lines.append(
            "• "
            + texts.t(
                "agents.item",
                name=esc(agent.full_name),
                role=texts.t(f"role.{agent.role.value}"),
                inactive="" if agent.active else texts.t("agents.inactive"),
            )
        )
    if hidden:
        lines.append(texts.t("agents.more", count=hidden))
    return "\n".join(lines)


@router.message(Command("agents"), SUPERVISOR)
async def roster(
    message: Message, uow: UnitOfWork, identity: Identity, texts: Texts, state: FSMContext
) -> None:
    assert identity.agent is not None
    await state.clear()
    team, hidden = await _team(uow)
    markup = keyboards.agents_admin(texts, team) if identity.agent.role == AgentRole.ADMIN else None
    await message.answer(_roster(texts, team, hidden), reply_markup=markup)


# Changes (admin only)


CHANGE = F.action.in_({"on", "off"}) | ((F.action == "role") & F.role.in_(values(AgentRole)))


@router.callback_query(AgentAdmin.filter(CHANGE), ADMIN)
async def change(
    callback: CallbackQuery,
    callback_data: AgentAdmin,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    bot: Bot,
) -> None:
    assert identity.agent is not None
    if callback_data.agent_id == identity.agent.id:
        await callback.answer(texts.t("agents.self"), show_alert=True)
        return
    if callback_data.action == "role":
        agent = await agents.set_role(
            uow, callback_data.agent_id, AgentRole(callback_data.role), identity.actor
        )
    else:
        agent = await agents.set_active(
            uow, callback_data.agent_id, callback_data.action == "on", identity.actor
        )
    team, hidden = await _team(uow)
    if isinstance(callback.message, Message):
        await callback.message.edit_text(
            _roster(texts, team, hidden), reply_markup=keyboards.agents_admin(texts, team)
        )
    await callback.answer(
        texts.t(
            "agents.updated",
            name=_short(agent.full_name),
            role=texts.t(f"role.{agent.role.value}"),
            inactive="" if agent.active else texts.t("agents.inactive"),
        )
    )
    await commands.publish_for(bot, agent)  # their menu follows their new role (or goes)


@router.callback_query(AgentAdmin.filter(F.action == "add"), ADMIN)
async def begin_add(callback: CallbackQuery, texts: Texts, state: FSMContext, bot: Bot) -> None:
    await state.set_state(AddAgent.telegram_id)
    await state.set_data({})
    await keyboards.ask(
        bot, callback.from_user.id, state, texts.t("agents.ask_id"), keyboards.cancel_only(texts)
    )
    await callback.answer()


@router.message(AddAgent.telegram_id, F.text, ADMIN)
async def add_telegram_id(
    message: Message, uow: UnitOfWork, texts: Texts, state: FSMContext, bot: Bot
) -> None:
    raw = to_ascii_digits(message.text or "").strip()
    if not TELEGRAM_ID.fullmatch(raw) or int(raw) == 0:
        await message.answer(texts.t("error.expected_number"))
        return
    if await agents.get_by_telegram_id(uow, int(raw)) is not None:
        await message.answer(texts.t("agents.exists"))
        return
    await keyboards.retire(bot, message.chat.id, (await state.get_data()).get(keyboards.PROMPT))
    await state.update_data({"telegram_id": int(raw)})
    await state.set_state(AddAgent.name)
    await keyboards.ask(bot, message.chat.id, state, texts.t("agents.ask_name"), keyboards.cancel_only(texts))


@router.message(AddAgent.name, F.text & ~F.text.startswith("/"), ADMIN)
async def add_name(message: Message, texts: Texts, state: FSMContext, bot: Bot) -> None:
    typed = await keyboards.step_text(message, texts, MAX_NAME_CHARS, required=True)
    if typed is None:
        return
    name = normalize(typed)
    await keyboards.retire(bot, message.chat.id, (await state.get_data()).get(keyboards.PROMPT))
    await state.update_data({"name": name})
    await state.set_state(AddAgent.role)
    options = [(r.value, texts.t(f"role.{r.value}")) for r in AgentRole]
    await keyboards.ask(
        bot,
        message.chat.id,
        state,
        texts.t("agents.ask_role"),
        keyboards.choices(texts, "role", options, columns=3),
    )


@router.callback_query(
    AddAgent.role, Choice.filter((F.field == "role") & F.value.in_(values(AgentRole))), LivePrompt(), ADMIN
)
async def add_role(
    callback: CallbackQuery,
    callback_data: Choice,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    state: FSMContext,
    bot: Bot,
) -> None:
    data = await state.get_data()
    role = AgentRole(callback_data.value)
    try:
        async with keyboards.final_step(state):
            agent = await agents.create(
                uow,
                AgentCreate(telegram_user_id=data["telegram_id"], full_name=data["name"], role=role),
                identity.actor,
            )
    except AlreadyExists:  # registered by someone else since the id step
        await keyboards.advance(callback, texts.t("agents.exists"))
        return
    await keyboards.advance(
        callback, texts.t("agents.added", name=esc(agent.full_name), role=texts.t(f"role.{role.value}"))
    )
    await commands.publish_for(bot, agent)


# Non-admins who reach a change: an old or forged button, or a role lost mid-flow.


@router.callback_query(AgentAdmin.filter(), ~ADMIN)
async def not_admin(callback: CallbackQuery, texts: Texts) -> None:
    await callback.answer(texts.t("error.forbidden"), show_alert=True)


@router.message(StateFilter(AddAgent), ~ADMIN)
async def not_admin_in_flow(message: Message, texts: Texts, state: FSMContext) -> None:
    await state.clear()
    await message.answer(texts.t("error.forbidden"))
