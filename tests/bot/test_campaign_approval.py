"""Supervisors approve nudge campaigns on the bot's card; agents cannot; double taps, stale cards,
cancelled and deleted campaigns get clear alerts and change nothing. Representatives' replies reach
their agent with a Reply button, the answer goes back and is logged, and /stop skips what is queued."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy import func, select

from bot.callbacks import CampaignAction
from bot.texts.fa import FA
from chronos.emulators import EmulatedUser, StoredMessage
from crm.db import UnitOfWork
from crm.enums import AgentRole
from crm.models import AuditLog, Interaction, NudgeCampaign, NudgeMessage, Representative
from crm.schemas.nudges import CampaignCreate, CampaignDTO, NudgePolicy
from crm.schemas.people import AgentDTO
from crm.schemas.types import Actor
from crm.services import nudges
from tests.bot.harness import BotHarness, alerts, sent_texts
from tests.factories import make_agent, make_rep

_chats = itertools.count(7_510_001)
TEMPLATE = "سلام {name} عزیز، از مارفانت حالی از کارتان می‌پرسیم.[[ درباره «{topic}» اگر سؤالی هست بپرسید.]]"


async def _campaign(
    db: UnitOfWork, size: int = 5, *, agent_id: int | None = None
) -> tuple[CampaignDTO, list[int]]:
    async with db:
        chats = []
        for n in range(size):
            chat = next(_chats)
            await make_rep(db, name=f"نماینده {n}", telegram_user_id=chat, assigned_agent_id=agent_id)
            chats.append(chat)
        await make_rep(db, name="بدون تلگرام")  # left out: unlinked
        campaign = await nudges.create(
            db, CampaignCreate(name="احوال‌پرسی", purpose="پیگیری نمایندگان", template=TEMPLATE), Actor.cli()
        )
        campaign = await nudges.submit(db, campaign.id, Actor.cli(), policy=NudgePolicy())
    return campaign, chats


async def _supervisor(
    harness: BotHarness, db: UnitOfWork, role: AgentRole = AgentRole.SUPERVISOR
) -> tuple[AgentDTO, EmulatedUser]:
    async with db:
        agent = await make_agent(db, role=role)
    return agent, harness.emulator.user(agent.telegram_user_id, "Sup")


async def _open_card(harness: BotHarness, user: EmulatedUser, campaign: CampaignDTO) -> StoredMessage:
    await harness.text(user, "/campaigns")
    await harness.press(user, harness.last(user), _data(campaign, "open"))
    return harness.last(user)


def _data(campaign: CampaignDTO, action: str, offset: int = 0) -> str:
    return CampaignAction(
        action=action, campaign_id=campaign.id, revision=campaign.revision, offset=offset
    ).pack()


async def _status(db: UnitOfWork, campaign_id: int) -> Any:
    async with db:
        return await db.session.scalar(select(NudgeCampaign.status).where(NudgeCampaign.id == campaign_id))


async def _count(db: UnitOfWork, model: Any, *where: Any) -> int:
    async with db:
        return int(await db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_card_shows_purpose_audience_exclusions_samples_and_approval_is_idempotent(
    harness: BotHarness, db: UnitOfWork
) -> None:
    campaign, _ = await _campaign(db, 5)
    _, sup = await _supervisor(harness, db)
    [listing] = sent_texts(await harness.text(sup, "/campaigns"))
    assert "احوال‌پرسی" in listing
    await harness.press(sup, harness.last(sup), _data(campaign, "open"))
    card = harness.last(sup)
    text = card.text or ""
    assert "پیگیری نمایندگان" in text
    assert "۵ نماینده" in text
    assert "بدون تلگرام ۱" in text  # exclusion reason and count
    # Every distinct text is on the card (here one, to all five, the name shown as {name}), not samples.
    assert "(۱ تا ۱ از ۱ متن متفاوت" in text
    assert "برای ۵ نماینده" in text
    assert "سلام {name} عزیز" in text
    assert text.count("برای لغو پیام‌ها /stop را بفرستید") == 1

    calls = await harness.press(sup, harness.last(sup), _data(campaign, "ok"))
    assert alerts(calls)[0].startswith("✅ کارزار")
    assert await _status(db, campaign.id) == "scheduled"
    # The second tap (an old client still showing the button): harmless.
    calls = await harness.press(sup, card, _data(campaign, "ok"), check=False)
    assert alerts(calls) == [FA["nudge.already"]]
    assert await _count(db, AuditLog, AuditLog.action == "nudge_campaign.approve") == 1


async def test_agent_pressing_approve_is_refused_and_audited(harness: BotHarness, db: UnitOfWork) -> None:
    campaign, _ = await _campaign(db, 2)
    _, agent_user = await _supervisor(harness, db, AgentRole.AGENT)
    await harness.text(agent_user, "/start")
    calls = await harness.press(agent_user, harness.last(agent_user), _data(campaign, "ok"), check=False)
    assert alerts(calls) == [FA["nudge.forbidden"]]
    assert await _status(db, campaign.id) == "pending_approval"
    assert (
        await _count(db, AuditLog, AuditLog.action == "access.refused", AuditLog.entity == "nudge_campaign")
        == 1
    )
    # /campaigns is not an agent's command.
    assert sent_texts(await harness.text(agent_user, "/campaigns")) == [FA["error.unknown_command"]]


async def test_cancelled_and_deleted_campaigns_get_a_clear_alert(harness: BotHarness, db: UnitOfWork) -> None:
    cancelled, _ = await _campaign(db, 2)
    deleted, _ = await _campaign(db, 2)
    _, sup = await _supervisor(harness, db)
    await harness.text(sup, "/campaigns")
    listing = harness.last(sup)
    async with db:
        await nudges.cancel(db, cancelled.id, Actor.cli())
        await nudges.delete_campaign(db, deleted.id, Actor.cli())
    assert alerts(await harness.press(sup, listing, _data(cancelled, "ok"), check=False)) == [
        FA["nudge.cancelled"]
    ]
    assert alerts(await harness.press(sup, listing, _data(deleted, "ok"), check=False)) == [FA["nudge.gone"]]
    assert alerts(await harness.press(sup, listing, _data(deleted, "open"), check=False)) == [
        FA["nudge.gone"]
    ]
    assert await _status(db, cancelled.id) == "cancelled"


async def test_reject_needs_a_reason_and_is_recorded(harness: BotHarness, db: UnitOfWork) -> None:
    campaign, _ = await _campaign(db, 2)
    _, sup = await _supervisor(harness, db)
    card = await _open_card(harness, sup, campaign)
    await harness.press(sup, card, _data(campaign, "no"))
    assert "دلیل رد کارزار" in (harness.last(sup).text or "")
    [answer] = sent_texts(await harness.text(sup, "لحن پیام مناسب نیست"))
    assert "رد شد" in answer
    async with db:
        row = (await db.session.execute(select(NudgeCampaign.status, NudgeCampaign.rejection_reason))).first()
    assert tuple(row or ()) == ("rejected", "لحن پیام مناسب نیست")


async def test_template_failing_guardrails_is_refused_then_an_edit_needs_new_approval(
    harness: BotHarness, db: UnitOfWork
) -> None:
    campaign, _ = await _campaign(db, 3)
    _, sup = await _supervisor(harness, db)
    _, colleague = await _supervisor(harness, db)
    listing = await _open_card(harness, sup, campaign)
    await harness.press(sup, listing, _data(campaign, "edit"))
    [refused] = sent_texts(await harness.text(sup, "سلام {name}، فقط امروز فرصت دارید! عجله کنید"))
    assert refused.startswith("این قالب پذیرفته نشد")
    assert "«فقط امروز»" in refused
    assert "«عجله کنید»" in refused
    assert "فشار یا فوریت کاذب" in refused  # the reason in the supervisor's language, not English
    assert "pressure" not in refused
    calls = await harness.text(sup, "سلام {name} عزیز، هر سؤالی دارید همین‌جا بپرسید.")
    texts = sent_texts(calls)
    assert texts[0] == FA["nudge.template_saved"]
    assert "هر سؤالی دارید" in texts[1]  # the new card
    # The new revision needs a decision: the other supervisors get its card too, with its buttons.
    pushed = harness.last(colleague)
    assert "هر سؤالی دارید" in pushed.text
    assert pushed.reply_markup is not None
    async with db:
        fresh = await nudges.get(db, campaign.id)
        bodies = list(await db.session.scalars(select(NudgeMessage.body)))
    assert fresh.revision == campaign.revision + 1
    assert fresh.status == "pending_approval"
    assert all("هر سؤالی دارید" in body for body in bodies)
    # The old card's Approve names the old revision: refused, and the fresh card is sent.
    calls = await harness.press(sup, listing, _data(campaign, "ok"), check=False)
    assert alerts(calls) == [FA["nudge.stale"]]
    assert await _status(db, campaign.id) == "pending_approval"
    # An edit after approval sends the campaign back for approval.
    approver, _ = await _supervisor(harness, db)
    async with db:
        await nudges.approve(db, campaign.id, fresh.revision, Actor.agent(approver.id), policy=NudgePolicy())
        again = await nudges.edit_template(db, campaign.id, "درود {name}، در خدمتیم.", Actor.cli())
    assert again.status == "pending_approval"
    assert again.decided_by_agent_id is None


async def test_rep_reply_reaches_the_agent_who_answers_and_stop_skips_the_queue(
    harness: BotHarness, db: UnitOfWork
) -> None:
    async with db:
        agent = await make_agent(db)
    campaign, chats = await _campaign(db, 2, agent_id=agent.id)
    agent_user = harness.emulator.user(agent.telegram_user_id, "Agent")
    rep_user = harness.emulator.user(chats[0], "Rep")
    # The first message was sent (as the dispatcher would record it).
    async with db:
        await db.session.execute(
            NudgeMessage.__table__.update()
            .where(NudgeMessage.chat_id == chats[0])
            .values(status="sent", sent_at=dt.datetime.now(dt.UTC), telegram_message_id=1)
        )
        await db.commit()
    calls = await harness.text(rep_user, "ممنون، سرور آلمان هنوز کند است")
    forwarded = [c for c in calls if c.method == "sendMessage" and c.params["chat_id"] == agent_user.id]
    assert len(forwarded) == 1
    assert "سرور آلمان" in str(forwarded[0].params["text"])
    async with db:
        replied = await db.session.scalar(
            select(NudgeMessage.replied_at).where(NudgeMessage.chat_id == chats[0])
        )
    assert replied is not None

    forwarded_message = harness.last(agent_user)
    await harness.press(agent_user, forwarded_message, harness.button(forwarded_message, "پاسخ"))
    calls = await harness.text(agent_user, "سلام، بررسی می‌کنیم و خبر می‌دهیم")
    to_rep = [c for c in calls if c.method == "sendMessage" and c.params["chat_id"] == rep_user.id]
    assert [str(c.params["text"]) for c in to_rep] == ["سلام، بررسی می‌کنیم و خبر می‌دهیم"]
    assert (
        await _count(db, Interaction, Interaction.direction == "outbound", Interaction.agent_id == agent.id)
        == 1
    )

    # /stop: opted out at once, the queued message skipped, the nudge noted.
    other = harness.emulator.user(chats[1], "Rep2")
    await harness.text(other, "/stop")
    async with db:
        row = (
            await db.session.execute(
                select(NudgeMessage.status, NudgeMessage.last_error).where(NudgeMessage.chat_id == chats[1])
            )
        ).first()
        opted = await db.session.scalar(
            select(Representative.nudges_opt_out_at).where(Representative.telegram_user_id == chats[1])
        )
    assert tuple(row or ()) == ("skipped", "opted out")
    assert opted is not None
    assert campaign.id


async def test_two_supervisors_editing_the_same_card_the_second_is_told_it_changed(
    harness: BotHarness, db: UnitOfWork
) -> None:
    campaign, _ = await _campaign(db, 2)
    _, first = await _supervisor(harness, db)
    _, second = await _supervisor(harness, db)
    first_card = await _open_card(harness, first, campaign)
    second_card = await _open_card(harness, second, campaign)
    await harness.press(first, first_card, _data(campaign, "edit"))
    await harness.press(second, second_card, _data(campaign, "edit"))
    await harness.text(first, "سلام {name} عزیز، هر سؤالی دارید همین‌جا بپرسید.")
    [answer] = sent_texts(await harness.text(second, "درود {name}، در خدمتیم."))
    assert answer == FA["nudge.stale"]
    async with db:
        current = await nudges.get(db, campaign.id)
    assert current.template.startswith("سلام {name} عزیز، هر سؤالی")  # the first edit stands
    assert current.revision == campaign.revision + 1


async def test_card_and_approval_notice_name_the_same_sending_window(
    harness: BotHarness, db: UnitOfWork
) -> None:
    campaign, _ = await _campaign(db, 3)
    _, sup = await _supervisor(harness, db)
    card = await _open_card(harness, sup, campaign)
    window = next(line for line in card.text.splitlines() if line.startswith("🕘"))
    assert "ساعت معمول همان نماینده" in window
    assert any(line.strip().startswith("•") and "پیام" in line for line in card.text.splitlines())
    calls = await harness.press(sup, card, _data(campaign, "ok"))
    [notice] = alerts(calls)
    start, finish = window.split("از ", 1)[1].split(" تا حدود ")
    assert start in notice
    assert finish.split(" (")[0] in notice
    assert window in harness.emulator.message(sup.id, card.message_id).text  # type: ignore[union-attr]


async def test_the_template_and_reason_steps_can_be_cancelled(harness: BotHarness, db: UnitOfWork) -> None:
    """The edit-template step had no cancel button."""
    campaign, _ = await _campaign(db, 2)
    _, sup = await _supervisor(harness, db)
    card = await _open_card(harness, sup, campaign)
    for action in ("edit", "no"):
        await harness.press(sup, card, _data(campaign, action))
        prompt = harness.last(sup)
        cancel = harness.button(prompt, "انصراف")
        assert sent_texts(await harness.press(sup, prompt, cancel)) == [FA["cancelled"]]
        # What comes next is no template and no rejection reason.
        assert sent_texts(await harness.text(sup, "سلام {name} عزیز")) == [FA["error.unknown_command"]]
    assert await _status(db, campaign.id) == "pending_approval"
