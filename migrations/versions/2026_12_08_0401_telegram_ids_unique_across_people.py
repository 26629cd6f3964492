"""A Telegram account belongs to one person: an agent or a representative, never both.

Revision ID: 20261208_0401
Revises: 20261207_0304
Create Date: 2026-12-08

Each table's ``telegram_user_id`` is already unique; nothing stopped one account from being an
agent's and a representative's at once (a representatives import did it, and a nudge went to the
agent). A ``BEFORE INSERT OR UPDATE OF telegram_user_id`` trigger on both tables refuses an id the
other table holds, with SQLSTATE 23505 (unique_violation) and the constraint name
``telegram_user_id_one_person`` (also in the message, as PostgreSQL's own unique errors have it). It first takes a transaction-scoped advisory lock on the id (the
two-key form, so it cannot meet the scheduler's one-key lock), so two transactions writing the same
id to the two tables run one after the other and the second sees the first's row (READ COMMITTED,
the default, takes a fresh snapshot per statement).

Rows that already break the rule are repaired: the representative's link is removed (the agent's
account is the deliberate one; a representative links again with a new deep link) and each removal
is written to ``audit_log`` (action ``representative.unlink_agent_account``, the old id in
``before``). The downgrade drops the triggers and the function; it does not restore removed links.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "20261208_0401"
down_revision: str | None = "20261207_0304"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = """
CREATE FUNCTION telegram_user_id_one_person() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.telegram_user_id IS NULL THEN
        RETURN NEW;
    END IF;
    -- 1414998340 is "TGID": the namespace key of these locks.
    PERFORM pg_advisory_xact_lock(1414998340, hashint8(NEW.telegram_user_id));
    IF TG_TABLE_NAME = 'representative' THEN
        IF EXISTS (SELECT 1 FROM crt_agent WHERE telegram_user_id = NEW.telegram_user_id) THEN
            RAISE EXCEPTION USING
                ERRCODE = 'unique_violation',
                CONSTRAINT = 'telegram_user_id_one_person',
                MESSAGE = format('Telegram id %s belongs to a CRT agent; it cannot be a representative''s '
                                 '(constraint "telegram_user_id_one_person")', NEW.telegram_user_id);
        END IF;
    ELSIF EXISTS (SELECT 1 FROM representative WHERE telegram_user_id = NEW.telegram_user_id) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'unique_violation',
            CONSTRAINT = 'telegram_user_id_one_person',
            MESSAGE = format('Telegram id %s belongs to a representative; it cannot be a CRT agent''s '
                             '(constraint "telegram_user_id_one_person")', NEW.telegram_user_id);
    END IF;
    RETURN NEW;
END
$$
"""

AUDIT_UNLINKS = """
INSERT INTO audit_log (actor_type, actor_id, action, entity, entity_id, before, after)
SELECT 'system', NULL, 'representative.unlink_agent_account', 'representative', r.id::text,
       jsonb_build_object('telegram_user_id', r.telegram_user_id, 'agent_id', a.id),
       jsonb_build_object('telegram_user_id', NULL)
FROM representative r JOIN crt_agent a ON a.telegram_user_id = r.telegram_user_id
"""

UNLINK = """
UPDATE representative SET telegram_user_id = NULL, updated_at = now()
WHERE telegram_user_id IN (SELECT telegram_user_id FROM crt_agent)
"""

TABLES = ("representative", "crt_agent")


def upgrade() -> None:
    op.execute(AUDIT_UNLINKS)
    op.execute(UNLINK)
    op.execute(FUNCTION)
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_telegram_user_id_one_person "
            f"BEFORE INSERT OR UPDATE OF telegram_user_id ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION telegram_user_id_one_person()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_telegram_user_id_one_person ON {table}")
    op.execute("DROP FUNCTION telegram_user_id_one_person()")
