"""One-time deep links that connect a representative's Telegram account to their CRM row."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select

from crm import audit
from crm.db import UnitOfWork
from crm.errors import AlreadyExists, DomainError, NotFound, PermissionDenied
from crm.models import CrtAgent, RepLinkToken, Representative
from crm.schemas.people import RepresentativeDTO
from crm.schemas.types import Actor

LINK_TTL = dt.timedelta(hours=48)
TOKEN_BYTES = 18  # 24 url-safe characters; "link-" + token fits Telegram's 64-character start payload


class LinkInvalid(DomainError):
    code = "link_invalid"


class AlreadyLinked(DomainError):
    """The representative has a Telegram account already: a new link would silently turn that account
    into a stranger. (Moving a representative to another account is not done through links.)"""

    code = "already_linked"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(
    uow: UnitOfWork, rep_id: int, actor: Actor, *, now: dt.datetime | None = None
) -> tuple[str, dt.datetime]:
    """A fresh single-use token (only its hash is stored) and its expiry, for a representative who has
    no Telegram account yet (checked here, not only by hiding the button)."""
    rep = await uow.session.get(Representative, rep_id)
    if rep is None:
        raise NotFound(f"representative {rep_id} not found", rep_id=rep_id)
    if rep.telegram_user_id is not None:
        raise AlreadyLinked(f"representative {rep_id} is linked already", rep_id=rep_id)
    now = now or dt.datetime.now(dt.UTC)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = now + LINK_TTL
    uow.session.add(
        RepLinkToken(
            token_hash=_hash(token),
            representative_id=rep_id,
            created_by_agent_id=actor.id if actor.type == "agent" else None,
            expires_at=expires_at,
            created_at=now,
        )
    )
    audit.record(uow.session, actor, "representative.link_token", "representative", rep_id)
    await uow.commit()
    return token, expires_at


async def redeem(
    uow: UnitOfWork, token: str, telegram_user_id: int, *, now: dt.datetime | None = None
) -> RepresentativeDTO:
    now = now or dt.datetime.now(dt.UTC)
    link = await uow.session.scalar(
        select(RepLinkToken).where(RepLinkToken.token_hash == _hash(token)).with_for_update()
    )
    if link is None or link.used_at is not None or link.expires_at <= now:
        raise LinkInvalid("link is unknown, used or expired")
    if await uow.session.scalar(select(CrtAgent.id).where(CrtAgent.telegram_user_id == telegram_user_id)):
        raise PermissionDenied("an agent's Telegram account cannot be linked to a representative")
    rep = await uow.session.get(Representative, link.representative_id, with_for_update=True)
    if rep is None:
        raise LinkInvalid("the representative no longer exists")
    holder = await uow.session.scalar(
        select(Representative.id).where(Representative.telegram_user_id == telegram_user_id)
    )
    if holder is not None and holder != rep.id:
        raise AlreadyExists("this Telegram account is linked to another representative")
    if rep.telegram_user_id is not None and rep.telegram_user_id != telegram_user_id:
        raise AlreadyLinked("the representative was linked to another account since", rep_id=rep.id)
    before = rep.telegram_user_id
    rep.telegram_user_id = telegram_user_id
    link.used_at = now
    await uow.session.flush()
    audit.record(
        uow.session,
        Actor(type="representative", id=rep.id),
        "representative.link",
        "representative",
        rep.id,
        before={"telegram_user_id": before},
        after={"telegram_user_id": telegram_user_id},
    )
    dto = RepresentativeDTO.model_validate(rep)
    await uow.commit()
    return dto
