"""Engagement scores and campaign audiences.

Signals per representative come from indexed aggregate queries (one per signal, restricted to the
candidate ids); the score itself is ``ai.nudges.engagement.score``. An audience is the representatives
the rules select, minus those who must never be nudged, counted by reason for the approval card.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text

from ai.nudges.engagement import EngagementScore, EngagementSignals, score
from ai.nudges.topics import topic_key
from crm.db import UnitOfWork
from crm.schemas.nudges import (
    EXCLUSION_REASONS,
    AudienceMember,
    AudiencePreview,
    AudienceRules,
    EngagementDTO,
    ExclusionReason,
    ScoreReason,
)

NEGATIVE_LOOKBACK_DAYS = 30
USAGE_LOOKBACK_DAYS = 60
TOPIC_LOOKBACK_DAYS = 90
BEST_HOUR_MIN_CONTACTS = 3
SUCCESSFUL_OUTCOMES = ("reached", "resolved", "promised_payment", "upsell_interest", "follow_up")

_CANDIDATES = text(
    """
    SELECT r.id, r.code, r.full_name, r.telegram_user_id, r.status, r.nudges_opt_out_at, r.unreachable_at
    FROM representative AS r LEFT JOIN service_tier AS t ON t.id = r.tier_id
    WHERE (cardinality(CAST(:tiers AS text[])) = 0 OR t.code = ANY(CAST(:tiers AS text[])))
      AND (cardinality(CAST(:provinces AS text[])) = 0 OR r.province = ANY(CAST(:provinces AS text[])))
      AND (cardinality(CAST(:agents AS bigint[])) = 0 OR r.assigned_agent_id = ANY(CAST(:agents AS bigint[])))
      AND (cardinality(CAST(:only AS bigint[])) = 0 OR r.id = ANY(CAST(:only AS bigint[])))
    ORDER BY r.id
    """
)
_SIGNAL_QUERIES: dict[str, Any] = {
    "last_contact": text(
        "SELECT representative_id, max(occurred_at) FROM interaction "
        "WHERE representative_id = ANY(CAST(:ids AS bigint[])) GROUP BY 1"
    ),
    "usage": text(
        "SELECT representative_id, (array_agg(active_users ORDER BY taken_at))[1], "
        "(array_agg(active_users ORDER BY taken_at DESC))[1] FROM usage_snapshot "
        "WHERE representative_id = ANY(CAST(:ids AS bigint[])) AND taken_at >= :usage_since "
        "GROUP BY 1 HAVING count(*) >= 2"
    ),
    "negative": text(
        "SELECT i.representative_id, count(*) FROM interaction AS i "
        "WHERE i.representative_id = ANY(CAST(:ids AS bigint[])) AND i.sentiment_label = 'negative' "
        "AND i.occurred_at >= :negative_since AND NOT EXISTS (SELECT 1 FROM interaction AS j "
        "WHERE j.representative_id = i.representative_id AND j.outcome = 'resolved' "
        "AND j.occurred_at > i.occurred_at) GROUP BY 1"
    ),
    "tickets": text(
        "SELECT representative_id, count(*) FROM ticket "
        "WHERE representative_id = ANY(CAST(:ids AS bigint[])) "
        "AND status IN ('open', 'in_progress', 'waiting_rep') GROUP BY 1"
    ),
    "late": text(
        "SELECT representative_id, max(:now - due_at) FROM invoice "
        "WHERE representative_id = ANY(CAST(:ids AS bigint[])) AND status IN ('open', 'overdue') "
        "AND due_at < :now GROUP BY 1"
    ),
}
_OUTAGE = text(
    "SELECT representative_id FROM ticket WHERE representative_id = ANY(CAST(:ids AS bigint[])) "
    "AND category = 'connectivity' AND opened_at >= :since "
    "UNION SELECT representative_id FROM interaction WHERE representative_id = ANY(CAST(:ids AS bigint[])) "
    "AND occurred_at >= :since AND signals @> CAST('[\"outage_report\"]' AS jsonb)"
)
_RECENTLY_NUDGED = text(
    "SELECT DISTINCT representative_id FROM nudge_message "
    "WHERE representative_id = ANY(CAST(:ids AS bigint[])) AND status = 'sent' AND sent_at >= :since"
)
# The latest ticket's structured fields, from which ai.nudges.topics derives a vocabulary topic; no CRM
# text itself ever reaches a nudge. ix_ticket_representative_id_status (representative prefix).
_TOPICS = text(
    """
    SELECT DISTINCT ON (representative_id) representative_id, category, subject FROM ticket
    WHERE representative_id = ANY(CAST(:ids AS bigint[])) AND opened_at >= :since
    ORDER BY representative_id, opened_at DESC
    """
)
_BEST_HOURS = text(
    """
    SELECT representative_id,
           mode() WITHIN GROUP (ORDER BY extract(hour FROM occurred_at AT TIME ZONE 'Asia/Tehran'))
    FROM interaction
    WHERE representative_id = ANY(CAST(:ids AS bigint[]))
      AND (outcome = ANY(CAST(:outcomes AS text[])) OR (direction = 'inbound' AND channel = 'telegram'))
    GROUP BY 1 HAVING count(*) >= :min_contacts
    """
)


async def _pairs(uow: UnitOfWork, query: Any, params: dict[str, Any]) -> dict[int, Any]:
    return {int(row[0]): row[1:] for row in await uow.session.execute(query, params)}


async def _signals(uow: UnitOfWork, ids: list[int], now: dt.datetime) -> dict[int, EngagementSignals]:
    params = {
        "ids": ids,
        "now": now,
        "usage_since": now - dt.timedelta(days=USAGE_LOOKBACK_DAYS),
        "negative_since": now - dt.timedelta(days=NEGATIVE_LOOKBACK_DAYS),
    }
    found = {name: await _pairs(uow, query, params) for name, query in _SIGNAL_QUERIES.items()}
    signals = {}
    for rep_id in ids:
        last = found["last_contact"].get(rep_id)
        usage = found["usage"].get(rep_id)
        change = None
        if usage is not None and usage[0]:
            change = (usage[1] - usage[0]) / usage[0] * 100
        late = found["late"].get(rep_id)
        signals[rep_id] = EngagementSignals(
            days_since_contact=None if last is None else max(0, (now - last[0]).days),
            usage_change_pct=change,
            unresolved_negative=int(found["negative"].get(rep_id, (0,))[0]),
            open_tickets=int(found["tickets"].get(rep_id, (0,))[0]),
            days_payment_late=0 if late is None else max(0, late[0].days),
        )
    return signals


def _reasons(result: EngagementScore) -> list[ScoreReason]:
    return [ScoreReason(code=r.code, points=r.points, value=r.value) for r in result.reasons]


async def engagement(
    uow: UnitOfWork, now: dt.datetime, *, rep_ids: Sequence[int] = (), limit: int | None = None
) -> list[EngagementDTO]:
    """Scores, lowest (least engaged) first."""
    params = {"tiers": [], "provinces": [], "agents": [], "only": list(rep_ids)}
    rows = (await uow.session.execute(_CANDIDATES, params)).all()
    signals = await _signals(uow, [row.id for row in rows], now)
    scored = []
    for row in rows:
        result = score(signals[row.id])
        scored.append(
            EngagementDTO(
                representative_id=row.id,
                code=row.code,
                full_name=row.full_name,
                score=result.score,
                reasons=_reasons(result),
            )
        )
    scored.sort(key=lambda item: (item.score, item.representative_id))
    return scored[:limit] if limit else scored


def _exclusion(row: Any, recently_nudged: set[int], rules: AudienceRules) -> ExclusionReason | None:
    if row.nudges_opt_out_at is not None:
        return "opted_out"
    if row.telegram_user_id is None:
        return "unlinked"
    if row.unreachable_at is not None:
        return "unreachable"
    if row.status not in {status.value for status in rules.statuses}:
        return "inactive"
    if row.id in recently_nudged:
        return "recently_nudged"
    return None


async def preview(
    uow: UnitOfWork, rules: AudienceRules, now: dt.datetime, *, min_days_between: int = 7
) -> AudiencePreview:
    """Who the rules select, who of them may be nudged (scored, with topic and best hour), and why
    the others may not."""
    params = {"tiers": rules.tier_codes, "provinces": rules.provinces, "agents": rules.agent_ids, "only": []}
    rows = (await uow.session.execute(_CANDIDATES, params)).all()
    ids = [row.id for row in rows]
    if rules.outage_within_days is not None and ids:
        since = now - dt.timedelta(days=rules.outage_within_days)
        with_outage = set(await _pairs(uow, _OUTAGE, {"ids": ids, "since": since}))
        rows = [row for row in rows if row.id in with_outage]
        ids = [row.id for row in rows]
    signals = await _signals(uow, ids, now) if ids else {}
    scores = {rep_id: score(value) for rep_id, value in signals.items()}
    if rules.max_score is not None:
        rows = [row for row in rows if scores[row.id].score <= rules.max_score]
    ids = [row.id for row in rows]
    recent_since = now - dt.timedelta(days=min_days_between)
    recently = set(await _pairs(uow, _RECENTLY_NUDGED, {"ids": ids, "since": recent_since})) if ids else set()
    excluded = dict.fromkeys(EXCLUSION_REASONS, 0)
    eligible = []
    for row in rows:
        reason = _exclusion(row, recently, rules)
        if reason is None:
            eligible.append(row)
        else:
            excluded[reason] += 1
    eligible.sort(key=lambda row: (scores[row.id].score, row.id))
    if rules.limit is not None:
        eligible = eligible[: rules.limit]
    member_ids = [row.id for row in eligible]
    topics: dict[int, Any] = {}
    hours: dict[int, Any] = {}
    if member_ids:
        topic_since = now - dt.timedelta(days=TOPIC_LOOKBACK_DAYS)
        topics = await _pairs(uow, _TOPICS, {"ids": member_ids, "since": topic_since})
        hours = await _pairs(
            uow,
            _BEST_HOURS,
            {
                "ids": member_ids,
                "outcomes": list(SUCCESSFUL_OUTCOMES),
                "min_contacts": BEST_HOUR_MIN_CONTACTS,
            },
        )
    members = [
        AudienceMember(
            representative_id=row.id,
            full_name=row.full_name,
            chat_id=row.telegram_user_id,
            score=scores[row.id].score,
            reasons=_reasons(scores[row.id]),
            topic_key=topic_key(*topics[row.id]) if row.id in topics else None,
            best_hour=int(hours[row.id][0]) if row.id in hours else None,
        )
        for row in eligible
    ]
    return AudiencePreview(matched=len(rows), members=members, excluded=excluded)
