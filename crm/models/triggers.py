"""The triggers the design relies on, declared beside the tables they guard, so that
``Base.metadata.create_all`` builds the schema the migrations build (``tests/crm/test_migrations.py``
compares the two, function bodies included). The migrations that introduced them keep their own copy:
a migration is history, this is the current schema; change both in a new migration.
"""

from __future__ import annotations

from sqlalchemy import DDL, event

from crm.models.base import Base
from crm.models.people import CrtAgent, Representative

# Ticket status moves outside crm.enums.TICKET_TRANSITIONS are refused by the database too
# (migration 20261125_0001).
TICKET_STATUS_TRANSITION_FUNCTION = """
CREATE FUNCTION ticket_status_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND (OLD.status, NEW.status) NOT IN (
        ('open', 'in_progress'), ('open', 'waiting_rep'), ('open', 'resolved'),
        ('in_progress', 'open'), ('in_progress', 'waiting_rep'), ('in_progress', 'resolved'),
        ('waiting_rep', 'in_progress'), ('waiting_rep', 'resolved'),
        ('resolved', 'closed'), ('resolved', 'open')
    ) THEN
        RAISE EXCEPTION 'ticket % cannot move from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ticket_status_transition';
    END IF;
    RETURN NEW;
END
$$;
"""

TICKET_STATUS_TRANSITION_TRIGGER = """
CREATE TRIGGER ticket_status_transition BEFORE UPDATE OF status ON ticket
FOR EACH ROW EXECUTE FUNCTION ticket_status_transition();
"""

# One Telegram account is one person: never both an agent's and a representative's (migration
# 20261208_0401).
TELEGRAM_USER_ID_ONE_PERSON_FUNCTION = """
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


def _one_person_trigger(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_telegram_user_id_one_person "
        f"BEFORE INSERT OR UPDATE OF telegram_user_id ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION telegram_user_id_one_person()"
    )


# After every table exists: a trigger may read another table, and both tables share one function.
for _ddl in (
    TICKET_STATUS_TRANSITION_FUNCTION,
    TICKET_STATUS_TRANSITION_TRIGGER,
    TELEGRAM_USER_ID_ONE_PERSON_FUNCTION,
    *(_one_person_trigger(model.__tablename__) for model in (Representative, CrtAgent)),
):
    # DDL formats its text with %-placeholders; the functions use % in their messages.
    event.listen(Base.metadata, "after_create", DDL(_ddl.replace("%", "%%")))  # type: ignore[no-untyped-call]
