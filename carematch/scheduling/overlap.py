"""No two active claims (held or booked) of one provider, nor of one client, overlap in time,
whatever their kinds (an hour's session, a 15-minute consultation), on either database.

PostgreSQL: exclusion constraints over time ranges (btree_gist): the provider's since
migration 0002, the client's since 0014. SQLite has no exclusion constraints: triggers
refuse an insert or update that would make an active claim overlap another active claim of
the same provider or client. Django stores SQLite datetimes as UTC text of one shape
("YYYY-MM-DD HH:MM:SS[.ffffff]"), which sorts as the instants do.

SQLite drops a table's triggers when a migration rebuilds the table (as adding or altering a
column of scheduling_appointment does), so besides migration 0014 creating them,
`ensure_sqlite_triggers` runs after every `migrate` (apps.py) and creates any that are missing.
"""

from __future__ import annotations

from typing import Any

ACTIVE_SQL = "('held', 'booked')"


def _sqlite_trigger(name: str, event: str, column: str, message: str) -> str:
    # Only the constant names below are put in; nothing comes from outside.
    return f"""
CREATE TRIGGER IF NOT EXISTS {name}
BEFORE {event} ON scheduling_appointment
WHEN NEW.status IN {ACTIVE_SQL} AND NEW.{column} IS NOT NULL
BEGIN
  SELECT RAISE(ABORT, '{message}')
  WHERE EXISTS (
    SELECT 1 FROM scheduling_appointment AS other
    WHERE other.id != NEW.id AND other.{column} = NEW.{column} AND other.status IN {ACTIVE_SQL}
      AND other.start < NEW."end" AND other."end" > NEW.start
  );
END;
"""  # noqa: S608


SQLITE_TRIGGERS = {
    "appointment_no_provider_overlap_insert": _sqlite_trigger(
        "appointment_no_provider_overlap_insert", "INSERT", "provider_id",
        "no_overlapping_active_claims_per_provider"),
    "appointment_no_provider_overlap_update": _sqlite_trigger(
        "appointment_no_provider_overlap_update", 'UPDATE OF status, start, "end", provider_id', "provider_id",
        "no_overlapping_active_claims_per_provider"),
    "appointment_no_client_overlap_insert": _sqlite_trigger(
        "appointment_no_client_overlap_insert", "INSERT", "client_id",
        "no_overlapping_active_claims_per_client"),
    "appointment_no_client_overlap_update": _sqlite_trigger(
        "appointment_no_client_overlap_update", 'UPDATE OF status, start, "end", client_id', "client_id",
        "no_overlapping_active_claims_per_client"),
}

POSTGRES_CLIENT_EXCLUSION = """
ALTER TABLE scheduling_appointment
  ADD CONSTRAINT no_overlapping_active_claims_per_client
  EXCLUDE USING gist (client_id WITH =, tstzrange(start, "end", '[)') WITH &&)
  WHERE (status IN ('held', 'booked') AND client_id IS NOT NULL);
"""
POSTGRES_CLIENT_EXCLUSION_DROP = (
    "ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS no_overlapping_active_claims_per_client;"
)


def ensure_sqlite_triggers(connection: Any) -> None:
    """Create the overlap triggers that are missing (SQLite only; nothing elsewhere)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        if "scheduling_appointment" not in tables:
            return
        for sql in SQLITE_TRIGGERS.values():
            cursor.execute(sql)


def drop_sqlite_triggers(connection: Any) -> None:
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for name in SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
