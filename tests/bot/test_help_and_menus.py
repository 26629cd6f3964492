"""Each role's /help lists what that role can do, and the bot's command menu is set per person (a chat
scope per agent, in their language; a default menu for representatives): both from bot.commands."""

from __future__ import annotations

from bot import commands
from bot.callbacks import AgentAdmin
from crm.db import UnitOfWork
from crm.enums import AgentRole
from crm.services import agents
from tests.bot.harness import BotHarness, sent_texts
from tests.factories import make_agent, make_rep


def _menu(harness: BotHarness, chat_id: int, language: str = "") -> list[str]:
    scope = {"type": "chat", "chat_id": chat_id}
    return [c["command"] for c in harness.emulator.commands(scope, language)]


async def test_help_lists_every_feature_of_the_role(harness: BotHarness, db: UnitOfWork) -> None:
    """/help used to show /find, /help and /lang only."""
    async with db:
        agent = await make_agent(db)
        supervisor = await make_agent(db, role=AgentRole.SUPERVISOR)
        admin = await make_agent(db, role=AgentRole.ADMIN)
        await make_rep(db, telegram_user_id=7_700_001)
    replies = {}
    for who, person in (("agent", agent), ("supervisor", supervisor), ("admin", admin)):
        user = harness.emulator.user(person.telegram_user_id, who)
        [replies[who]] = sent_texts(await harness.text(user, "/help"))
    for name in ("/find", "/prep", "/ask", "/fix", "/draft", "/lang", "/cancel", "/i_", "/t_"):
        assert all(name in text for text in replies.values()), name
    for name in ("/campaigns", "/faq", "/agents"):
        assert name not in replies["agent"]
        assert name in replies["supervisor"]
    assert "/aistatus" in replies["admin"]
    assert "/aistatus" not in replies["supervisor"]
    [rep_help] = sent_texts(await harness.text(harness.emulator.user(7_700_001, "Rep"), "/help"))
    assert "/stop" in rep_help
    assert "/find" not in rep_help


async def test_menus_are_set_per_person_and_follow_role_and_language_changes(
    harness: BotHarness, db: UnitOfWork
) -> None:
    async with db:
        agent = await make_agent(db)
        admin = await make_agent(db, role=AgentRole.ADMIN)
        team = await agents.list_all(db)
    await commands.publish_all(harness.bot, team)
    assert _menu(harness, agent.telegram_user_id) == list(commands.AGENT)
    assert _menu(harness, admin.telegram_user_id) == list(commands.ADMIN)
    default = [c["command"] for c in harness.emulator.commands({"type": "default"})]
    assert default == list(commands.REPRESENTATIVE)
    english = harness.emulator.commands({"type": "default"}, "en")
    assert english[0]["description"] == "help"
    # /lang: the agent's menu is now English.
    user = harness.emulator.user(agent.telegram_user_id, "Agent")
    await harness.text(user, "/lang")
    descriptions = harness.emulator.commands({"type": "chat", "chat_id": agent.telegram_user_id})
    assert descriptions[0]["description"].startswith("find a representative")
    # The admin makes the agent a supervisor: their menu gains the supervisor commands.
    admin_user = harness.emulator.user(admin.telegram_user_id, "Admin")
    await harness.text(admin_user, "/agents")
    roster = harness.last(admin_user)
    await harness.press(
        admin_user,
        roster,
        AgentAdmin(action="role", agent_id=agent.id, role=AgentRole.SUPERVISOR.value).pack(),
    )
    assert _menu(harness, agent.telegram_user_id) == list(commands.SUPERVISOR)
    await harness.press(admin_user, roster, AgentAdmin(action="off", agent_id=agent.id).pack(), check=False)
    assert _menu(harness, agent.telegram_user_id) == []  # deactivated: no menu of their own
