"""/agents end to end: supervisors view, admins add / (de)activate / change role; the edges of each."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import Row, select

from bot.callbacks import AgentAdmin, Cancel, Choice
from bot.routers.agents import LISTED, SHOWN_NAME
from bot.texts.fa import FA
from chronos.emulators import EmulatedUser
from crm.db import UnitOfWork
from crm.enums import AgentRole
from crm.models import AuditLog, CrtAgent
from crm.schemas.people import AgentDTO
from tests.bot.harness import BotHarness, alerts, sent_texts
from tests.factories import make_agent

_new_ids = itertools.count(7_310_001)


async def _admin(harness: BotHarness, db: UnitOfWork) -> tuple[EmulatedUser, AgentDTO, AgentDTO]:
    async with db:
        admin = await make_agent(db, name="مدیر تیم", role=AgentRole.ADMIN)
        agent = await make_agent(db, name="نگار")
    return harness.emulator.user(admin.telegram_user_id, "Admin"), admin, agent


async def _agent_rows(db: UnitOfWork) -> list[Row[Any]]:
    async with db:
        return list(await db.session.execute(select(CrtAgent.__table__).order_by(CrtAgent.id)))


def off(agent_id: int) -> str:
    return AgentAdmin(action="off", agent_id=agent_id).pack()


async def test_admin_sees_roster_with_buttons(harness: BotHarness, db: UnitOfWork) -> None:
    user, admin, agent = await _admin(harness, db)
    [text] = sent_texts(await harness.text(user, "/agents"))
    assert text.startswith(FA["agents.title"])
    assert "• نگار — کارشناس" in text
    roster = harness.last(user)
    assert set(roster.callback_data) >= {
        off(agent.id),
        AgentAdmin(action="role", agent_id=agent.id, role="supervisor").pack(),
        AgentAdmin(action="role", agent_id=admin.id, role="agent").pack(),
        AgentAdmin(action="add").pack(),
    }


async def test_add_agent_happy_path(harness: BotHarness, db: UnitOfWork) -> None:
    user, admin, _ = await _admin(harness, db)
    new_id = next(_new_ids)
    await harness.text(user, "/agents")
    await harness.press(user, harness.last(user), AgentAdmin(action="add").pack())
    assert harness.last(user).text == FA["agents.ask_id"]
    # Persian digits are accepted.
    persian_id = str(new_id).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert sent_texts(await harness.text(user, persian_id)) == [FA["agents.ask_name"]]
    assert sent_texts(await harness.text(user, "  نیما   احمدی ")) == [FA["agents.ask_role"]]
    calls = await harness.press(user, harness.last(user), Choice(field="role", value="supervisor").pack())
    assert sent_texts(calls) == ["✅ نیما احمدی به‌عنوان سرپرست اضافه شد."]

    rows = await _agent_rows(db)
    [added] = [r for r in rows if r.telegram_user_id == new_id]
    assert (added.full_name, added.role, added.active) == ("نیما احمدی", "supervisor", True)
    async with db:
        audit = (
            await db.session.execute(
                select(AuditLog.actor_type, AuditLog.actor_id)
                .where(AuditLog.action == "agent.create")
                .order_by(AuditLog.id.desc())
            )
        ).first()
    assert tuple(audit or ()) == ("agent", admin.id)
    # The new agent can use the bot at once, as a supervisor.
    newcomer = harness.emulator.user(new_id, "Nima")
    assert "/agents" in sent_texts(await harness.text(newcomer, "/start"))[0]


async def test_add_agent_refuses_a_duplicate_id_and_stays_in_the_step(
    harness: BotHarness, db: UnitOfWork
) -> None:
    user, _, agent = await _admin(harness, db)
    await harness.text(user, "/agents")
    await harness.press(user, harness.last(user), AgentAdmin(action="add").pack())
    assert sent_texts(await harness.text(user, str(agent.telegram_user_id))) == [FA["agents.exists"]]
    # Still asking for the id: a fresh one goes on to the name.
    assert sent_texts(await harness.text(user, str(next(_new_ids)))) == [FA["agents.ask_name"]]


async def test_cancel_at_name_step_adds_nobody(harness: BotHarness, db: UnitOfWork) -> None:
    user, _, _ = await _admin(harness, db)
    await harness.text(user, "/agents")
    await harness.press(user, harness.last(user), AgentAdmin(action="add").pack())
    await harness.text(user, str(next(_new_ids)))
    assert sent_texts(await harness.press(user, harness.last(user), Cancel().pack())) == [FA["cancelled"]]
    assert sent_texts(await harness.text(user, "نیما")) == [FA["error.unknown_command"]]
    assert len(await _agent_rows(db)) == 2


async def test_deactivate_takes_effect_on_the_next_update(harness: BotHarness, db: UnitOfWork) -> None:
    user, _, agent = await _admin(harness, db)
    target = harness.emulator.user(agent.telegram_user_id, "Negar")
    assert "نگار" in sent_texts(await harness.text(target, "/start"))[0]
    await harness.text(user, "/agents")
    roster = harness.last(user)

    calls = await harness.press(user, roster, off(agent.id))
    assert [c.method for c in calls] == ["editMessageText", "answerCallbackQuery", "deleteMyCommands"]
    assert "نگار — کارشناس (غیرفعال)" in (harness.last(user).text or "")
    assert AgentAdmin(action="on", agent_id=agent.id).pack() in harness.last(user).callback_data
    assert [r.active for r in await _agent_rows(db) if r.id == agent.id] == [False]

    assert sent_texts(await harness.text(target, "/find x")) == [FA["stranger"]]

    await harness.press(user, harness.last(user), AgentAdmin(action="on", agent_id=agent.id).pack())
    assert [r.active for r in await _agent_rows(db) if r.id == agent.id] == [True]


async def test_role_cycles_agent_supervisor_admin(harness: BotHarness, db: UnitOfWork) -> None:
    user, _, agent = await _admin(harness, db)
    await harness.text(user, "/agents")
    for expected in ("supervisor", "admin", "agent"):
        roster = harness.last(user)
        [button] = [data for data in roster.callback_data if data.startswith(f"a:role:{agent.id}:")]
        await harness.press(user, roster, button)
        assert [r.role for r in await _agent_rows(db) if r.id == agent.id] == [expected]


async def test_admin_cannot_deactivate_or_demote_themselves(harness: BotHarness, db: UnitOfWork) -> None:
    user, admin, _ = await _admin(harness, db)
    await harness.text(user, "/agents")
    roster = harness.last(user)
    assert alerts(await harness.press(user, roster, off(admin.id))) == [FA["agents.self"]]
    demote = AgentAdmin(action="role", agent_id=admin.id, role="agent").pack()
    assert alerts(await harness.press(user, roster, demote)) == [FA["agents.self"]]
    [row] = [r for r in await _agent_rows(db) if r.id == admin.id]
    assert (row.active, row.role) == (True, "admin")


async def test_supervisor_views_but_cannot_change(harness: BotHarness, db: UnitOfWork) -> None:
    async with db:
        supervisor = await make_agent(db, name="سرپرست", role=AgentRole.SUPERVISOR)
        agent = await make_agent(db, name="نگار")
    user = harness.emulator.user(supervisor.telegram_user_id, "Sup")
    [text] = sent_texts(await harness.text(user, "/agents"))
    assert "نگار" in text
    roster = harness.last(user)
    assert roster.inline_keyboard == []
    # An old or forged admin button is refused and changes nothing.
    assert alerts(await harness.press(user, roster, off(agent.id), check=False)) == [FA["error.forbidden"]]
    add = AgentAdmin(action="add").pack()
    assert alerts(await harness.press(user, roster, add, check=False)) == [FA["error.forbidden"]]
    assert all(r.active for r in await _agent_rows(db))


async def test_plain_agent_has_no_agents_command(harness: BotHarness, db: UnitOfWork) -> None:
    async with db:
        agent = await make_agent(db)
    user = harness.emulator.user(agent.telegram_user_id, "Agent")
    assert sent_texts(await harness.text(user, "/agents")) == [FA["error.unknown_command"]]


async def test_admin_demoted_mid_add_flow_is_stopped(harness: BotHarness, db: UnitOfWork) -> None:
    async with db:
        first = await make_agent(db, role=AgentRole.ADMIN)
        second = await make_agent(db, role=AgentRole.ADMIN)
    user = harness.emulator.user(first.telegram_user_id, "First")
    other = harness.emulator.user(second.telegram_user_id, "Second")
    await harness.text(user, "/agents")
    await harness.press(user, harness.last(user), AgentAdmin(action="add").pack())
    await harness.text(other, "/agents")
    demote = AgentAdmin(action="role", agent_id=first.id, role="agent").pack()
    await harness.press(other, harness.last(other), demote)  # the cycle goes admin → agent
    # Now an agent: the id they send is refused, the flow is over, and nobody was added.
    assert sent_texts(await harness.text(user, str(next(_new_ids)))) == [FA["error.forbidden"]]
    assert sent_texts(await harness.text(user, "نیما")) == [FA["error.unknown_command"]]
    assert len(await _agent_rows(db)) == 2


async def test_large_team_is_capped_and_long_names_shortened(harness: BotHarness, db: UnitOfWork) -> None:
    async with db:
        admin = await make_agent(db, name="الف مدیر", role=AgentRole.ADMIN)
        await make_agent(db, name="ب" + "ن" * 119)
        for n in range(LISTED):
            await make_agent(db, name=f"ی کارشناس {n:02d}")
    user = harness.emulator.user(admin.telegram_user_id, "Admin")
    [text] = sent_texts(await harness.text(user, "/agents"))
    assert len(text) < 4096
    assert text.endswith("… و ۲ نفر دیگر")
    assert "ب" + "ن" * (SHOWN_NAME - 2) + "…" in text
    buttons = harness.last(user).callback_data
    assert len(buttons) == 2 * LISTED + 1
