"""ORM models. Importing this package registers every table on ``Base.metadata``."""

from crm.models import triggers  # noqa: F401 - registers the triggers with their tables
from crm.models.activity import Interaction, Ticket, TicketEvent, VoiceNote
from crm.models.base import Base
from crm.models.finance import Invoice, Payment, UsageSnapshot
from crm.models.intelligence import AIFeedback, AISuggestion, KnowledgeDocument, LLMCall
from crm.models.outreach import NudgeCampaign, NudgeMessage
from crm.models.people import CrtAgent, RepLinkToken, Representative, ServiceTier, Subscription
from crm.models.system import AuditLog, OutboundMessage, UpdateInbox

__all__ = [
    "AIFeedback",
    "AISuggestion",
    "AuditLog",
    "Base",
    "CrtAgent",
    "Interaction",
    "Invoice",
    "KnowledgeDocument",
    "LLMCall",
    "NudgeCampaign",
    "NudgeMessage",
    "OutboundMessage",
    "Payment",
    "RepLinkToken",
    "Representative",
    "ServiceTier",
    "Subscription",
    "Ticket",
    "TicketEvent",
    "UpdateInbox",
    "UsageSnapshot",
    "VoiceNote",
]
