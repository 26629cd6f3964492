"""Role filters, set at router level so a whole feature is closed to the wrong audience."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from crm.enums import AgentRole
from crm.services.access import Identity, IdentityKind

_RANK = {AgentRole.AGENT: 0, AgentRole.SUPERVISOR: 1, AgentRole.ADMIN: 2}


class IsAgent(Filter):
    """An active CRT agent with at least ``min_role``."""

    def __init__(self, min_role: AgentRole = AgentRole.AGENT) -> None:
        self.min_role = min_role

    async def __call__(self, event: TelegramObject, identity: Identity | None = None) -> bool:
        if identity is None or identity.agent is None:
            return False
        return _RANK[identity.agent.role] >= _RANK[self.min_role]


class IsRepresentative(Filter):
    async def __call__(self, event: TelegramObject, identity: Identity | None = None) -> bool:
        return identity is not None and identity.kind == IdentityKind.REPRESENTATIVE
