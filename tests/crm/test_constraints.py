"""Each rule the data must keep is enforced by the database itself, not only by the DTOs."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from crm.db import UnitOfWork
from tests.factories import make_agent, make_rep, make_tier

REP = "INSERT INTO representative (code, full_name, name_key, name_trigrams{cols}) VALUES ('{code}', 'نام', 'نام', ARRAY['نام']{vals})"


async def _rejects(uow: UnitOfWork, sql: str, constraint: str) -> None:
    with pytest.raises((IntegrityError, DBAPIError)) as err:
        async with uow.session.begin_nested():
            await uow.session.execute(text(sql))
    assert constraint in str(err.value), str(err.value)


async def _base(uow: UnitOfWork) -> dict[str, int]:
    agent = await make_agent(uow)
    rep = await make_rep(uow)
    tier = await make_tier(uow)
    return {"agent": agent.id, "rep": rep.id, "tier": tier.id}


BAD_ROWS = [
    (
        "INSERT INTO crt_agent (telegram_user_id, full_name, role) VALUES (1, 'x', 'boss')",
        "ck_crt_agent_role",
    ),
    (
        "INSERT INTO crt_agent (telegram_user_id, full_name, locale) VALUES (2, 'x', 'de')",
        "ck_crt_agent_locale",
    ),
    (
        "INSERT INTO crt_agent (telegram_user_id, full_name) VALUES (-5, 'x')",
        "ck_crt_agent_telegram_user_id_positive",
    ),
    (
        "INSERT INTO service_tier (code, name, monthly_price_toman, user_limit) VALUES ('Z', 'z', 0, 5)",
        "ck_service_tier_monthly_price_positive",
    ),
    (
        "INSERT INTO service_tier (code, name, monthly_price_toman, user_limit) VALUES ('Z', 'z', 10, 0)",
        "ck_service_tier_user_limit_positive",
    ),
    (REP.format(cols="", vals="", code="bad code"), "ck_representative_code_format"),
    (REP.format(cols=", phone", vals=", '09121234567'", code="R-1"), "ck_representative_phone_e164"),
    (REP.format(cols=", status", vals=", 'sleeping'", code="R-2"), "ck_representative_status"),
    (
        "INSERT INTO representative (code, full_name, name_key, name_trigrams) VALUES ('R-3', '  ', '', ARRAY['x'])",
        "ck_representative_full_name_not_blank",
    ),
    (
        "INSERT INTO interaction (representative_id, channel, direction, occurred_at, source, idempotency_key) VALUES ({rep}, 'fax', 'inbound', now(), 's', 'k1')",
        "ck_interaction_channel",
    ),
    (
        "INSERT INTO interaction (representative_id, channel, direction, occurred_at, source, idempotency_key) VALUES ({rep}, 'call', 'sideways', now(), 's', 'k2')",
        "ck_interaction_direction",
    ),
    (
        "INSERT INTO interaction (representative_id, channel, direction, occurred_at, outcome, source, idempotency_key) VALUES ({rep}, 'call', 'inbound', now(), 'maybe', 's', 'k3')",
        "ck_interaction_outcome",
    ),
    (
        "INSERT INTO interaction (representative_id, channel, direction, occurred_at, sentiment_label, sentiment_score, source, idempotency_key) VALUES ({rep}, 'call', 'inbound', now(), 'negative', 1.5, 's', 'k4')",
        "ck_interaction_sentiment_score_range",
    ),
    (
        "INSERT INTO interaction (representative_id, channel, direction, occurred_at, sentiment_label, source, idempotency_key) VALUES ({rep}, 'call', 'inbound', now(), 'negative', 's', 'k5')",
        "ck_interaction_sentiment_complete",
    ),
    (
        "INSERT INTO interaction (representative_id, channel, direction, occurred_at, source, idempotency_key) VALUES (999999, 'call', 'inbound', now(), 's', 'k6')",
        "fk_interaction_representative_id_representative",
    ),
    (
        "INSERT INTO voice_note (file_unique_id, file_id, size_bytes, status) VALUES ('u1', 'f', -1, 'received')",
        "ck_voice_note_size_non_negative",
    ),
    (
        "INSERT INTO voice_note (file_unique_id, file_id, size_bytes, status) VALUES ('u2', 'f', 1, 'done')",
        "ck_voice_note_done_has_transcript",
    ),
    (
        "INSERT INTO voice_note (file_unique_id, file_id, size_bytes, status) VALUES ('u3', 'f', 1, 'failed')",
        "ck_voice_note_failed_has_error",
    ),
    (
        "INSERT INTO ticket (representative_id, category, subject, opened_at, sla_due_at) VALUES ({rep}, 'weather', 's', now(), now() + interval '1 hour')",
        "ck_ticket_category",
    ),
    (
        "INSERT INTO ticket (representative_id, category, priority, subject, opened_at, sla_due_at) VALUES ({rep}, 'panel', 'meh', 's', now(), now() + interval '1 hour')",
        "ck_ticket_priority",
    ),
    (
        "INSERT INTO ticket (representative_id, category, subject, opened_at, sla_due_at) VALUES ({rep}, 'panel', 's', now(), now() - interval '1 hour')",
        "ck_ticket_sla_after_opening",
    ),
    (
        "INSERT INTO ticket (representative_id, category, subject, status, opened_at, sla_due_at, resolution) VALUES ({rep}, 'panel', 's', 'resolved', now(), now() + interval '1 hour', 'done')",
        "ck_ticket_resolved_at_matches_status",
    ),
    (
        "INSERT INTO ticket (representative_id, category, subject, status, opened_at, sla_due_at, resolved_at) VALUES ({rep}, 'panel', 's', 'resolved', now(), now() + interval '1 hour', now())",
        "ck_ticket_resolution_required",
    ),
    (
        "INSERT INTO invoice (number, representative_id, amount_toman, issued_at, due_at) VALUES ('I1', {rep}, -5, now(), now())",
        "ck_invoice_amount_positive",
    ),
    (
        "INSERT INTO invoice (number, representative_id, amount_toman, issued_at, due_at) VALUES ('I2', {rep}, 5, now(), now() - interval '1 day')",
        "ck_invoice_due_after_issue",
    ),
    (
        "INSERT INTO payment (reference, representative_id, amount_toman, paid_at) VALUES ('P1', {rep}, 0, now())",
        "ck_payment_amount_positive",
    ),
    (
        "INSERT INTO payment (reference, representative_id, amount_toman, paid_at, method) VALUES ('P2', {rep}, 10, now(), 'barter')",
        "ck_payment_method",
    ),
    (
        "INSERT INTO usage_snapshot (representative_id, taken_at, active_users, total_users, traffic_bytes) VALUES ({rep}, now(), 10, 5, 0)",
        "ck_usage_snapshot_total_covers_active",
    ),
    (
        "INSERT INTO usage_snapshot (representative_id, taken_at, active_users, total_users, traffic_bytes) VALUES ({rep}, now(), 1, 5, -1)",
        "ck_usage_snapshot_traffic_non_negative",
    ),
    (
        "INSERT INTO ai_suggestion (kind, engine, content) VALUES ('horoscope', 'offline', '{{}}')",
        "ck_ai_suggestion_kind",
    ),
    (
        "INSERT INTO ai_suggestion (kind, engine, content) VALUES ('draft', ' ', '{{}}')",
        "ck_ai_suggestion_engine_not_blank",
    ),
    (
        "INSERT INTO knowledge_document (doc_id, title, checksum) VALUES ('a.md', 't', 'nothex')",
        "ck_knowledge_document_checksum_sha256",
    ),
    (
        "INSERT INTO nudge_campaign (name, purpose, template, status) VALUES ('n', 'p', 't', 'rejected')",
        "ck_nudge_campaign_rejection_has_reason",
    ),
    (
        "INSERT INTO nudge_campaign (name, purpose, template, status) VALUES ('n', 'p', 't', 'approved')",
        "ck_nudge_campaign_approval_has_decider",
    ),
    (
        "INSERT INTO audit_log (actor_type, action, entity) VALUES ('robot', 'x', 'y')",
        "ck_audit_log_actor_type",
    ),
    (
        "INSERT INTO llm_call (template_id, template_version, model, engine, status) VALUES ('t', '1', 'm', 'e', 'great')",
        "ck_llm_call_status",
    ),
    (
        "INSERT INTO rep_link_token (token_hash, representative_id, expires_at) VALUES ('h', {rep}, now() - interval '1 day')",
        "ck_rep_link_token_expires_after_creation",
    ),
]


@pytest.mark.parametrize(("sql", "constraint"), BAD_ROWS, ids=[c for _, c in BAD_ROWS])
async def test_database_rejects(uow: UnitOfWork, sql: str, constraint: str) -> None:
    async with uow:
        ids = await _base(uow)
        await _rejects(uow, sql.format(**ids), constraint)


async def test_feedback_rules(uow: UnitOfWork) -> None:
    async with uow:
        ids = await _base(uow)
        suggestion = await uow.session.scalar(
            text(
                "INSERT INTO ai_suggestion (kind, engine, content) VALUES ('draft', 'offline', '{}') RETURNING id"
            )
        )
        insert = "INSERT INTO ai_feedback (suggestion_id, agent_id, rating, reason) VALUES ({s}, {a}, {r}, {reason})"
        await _rejects(
            uow, insert.format(s=suggestion, a=ids["agent"], r=0, reason="NULL"), "ck_ai_feedback_rating"
        )
        await _rejects(
            uow,
            insert.format(s=suggestion, a=ids["agent"], r=1, reason="'too_long'"),
            "ck_ai_feedback_reason_only_on_downvote",
        )
        await uow.session.execute(
            text(insert.format(s=suggestion, a=ids["agent"], r=-1, reason="'too_long'"))
        )
        await _rejects(
            uow,
            insert.format(s=suggestion, a=ids["agent"], r=1, reason="NULL"),
            "uq_ai_feedback_suggestion_id_agent_id",
        )


async def test_unique_natural_keys(uow: UnitOfWork) -> None:
    async with uow:
        ids = await _base(uow)
        twice = [
            (
                "INSERT INTO interaction (representative_id, channel, direction, occurred_at, source, idempotency_key) VALUES ({rep}, 'call', 'inbound', now(), 'bot', 'same')",
                "uq_interaction_source_idempotency_key",
            ),
            (
                "INSERT INTO payment (reference, representative_id, amount_toman, paid_at) VALUES ('REF-1', {rep}, 10, now())",
                "uq_payment_reference",
            ),
            (
                "INSERT INTO usage_snapshot (representative_id, taken_at, active_users, total_users, traffic_bytes) VALUES ({rep}, '2025-01-01T00:00:00Z', 1, 1, 1)",
                "uq_usage_snapshot_representative_id_taken_at",
            ),
            (
                "INSERT INTO update_inbox (bot_id, update_id, status, payload) VALUES (1, 77, 'received', '{{}}')",
                "pk_update_inbox",
            ),
            (
                "INSERT INTO voice_note (file_unique_id, file_id, size_bytes) VALUES ('same-file', 'f', 10)",
                "uq_voice_note_file_unique_id",
            ),
        ]
        for sql, constraint in twice:
            await uow.session.execute(text(sql.format(**ids)))
            await _rejects(uow, sql.format(**ids), constraint)
        campaign = await uow.session.scalar(
            text("INSERT INTO nudge_campaign (name, purpose, template) VALUES ('c', 'p', 't') RETURNING id")
        )
        message = (
            f"INSERT INTO nudge_message (campaign_id, representative_id, chat_id, body, not_before) "
            f"VALUES ({campaign}, {ids['rep']}, 5, 'hi', now())"
        )
        await uow.session.execute(text(message))
        await _rejects(uow, message, "uq_nudge_message_campaign_id_representative_id")
