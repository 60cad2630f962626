"""The directory's version: one token that the database changes with every change to the rows
the match engine's snapshot is built from (carematch/matching/snapshot.py).

Every process keeps a snapshot of the directory and builds it again only when the version
it was built at is no longer the stored one. The token is kept by triggers on the tables
in VERSIONED_TABLES, on SQLite and PostgreSQL alike, so any change is noticed: through
the services, the admin, a migration or a hand-written `UPDATE`. No caller has anything to
remember.

What the version is:

- `directory_directoryversion.token` (one row): replaced by a random value in the same
  transaction as the change, so it commits or rolls back with it. It is random rather
  than a counter so that a state of the directory that was rolled back can never leave its
  token behind for another: a process that read the rolled-back token (its own transaction
  can see its own writes before they commit, as every test does) may have kept a snapshot
  at it, and a counter would hand the same number to the next change.
- On PostgreSQL, also the transaction-local setting `carematch.directory_change`. Replacing
  one row for every row written would leave one dead version of it per row written in the
  same transaction, which PostgreSQL then has to step over on each next update (an import
  of 20,000 providers would take minutes). So there the token is replaced once per
  transaction (at its first change, while the setting is still empty), and every change
  sets the setting to a new random value instead: it is seen only by the transaction
  itself, returns to its earlier value when a savepoint is rolled back and is forgotten at
  the end of the transaction, so it tells apart exactly the states the transaction's own
  reads can see. Other connections see only the committed token.

Triggers fire per row (SQLite has no other kind; on PostgreSQL it means a statement that
changes no row changes nothing) and each does one small write: on SQLite the token, on
PostgreSQL the setting (and the token once per transaction). On PostgreSQL a TRUNCATE
changes the version too (SQLite has none).

Time off is not versioned: it changes all the time, so the snapshot does not hold it and
each request reads it for its short list of providers.

Beside the version, the same changes are logged by provider in `directory_directorychange`
(models.DirectoryChange): which providers changed, so that the snapshot can be brought up to
date by re-reading only those (carematch/matching/snapshot.py). On SQLite a trigger per row
logs the provider (both, when a row moves from one provider to another); on PostgreSQL a
trigger per statement logs each provider its rows touched once, from the statement's
transition tables, so a bulk import writes one log row a provider, not one a row, and a
TRUNCATE logs "every provider" (an empty provider id).

A migration that remakes one of these tables on SQLite (most changes of a column do) drops
its triggers with the old table: such a migration ends with `version_triggers_operation()`,
which installs them again (it first drops any that are left), and
carematch/directory/tests/test_directory_version.py checks that they exist after migrating.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

VERSION_TABLE = "directory_directoryversion"
# The tables the match engine's snapshot reads from the directory.
VERSIONED_TABLES = ("directory_provider", "directory_license", "directory_availabilitywindow")
# PostgreSQL: the transaction-local setting that every change in a transaction renews.
LOCAL_CHANGE_SETTING = "carematch.directory_change"
_EVENTS = ("insert", "update", "delete")
_POSTGRES_FUNCTION = "directory_version_bump"


def trigger_names(vendor: str) -> list[str]:
    """The names of the triggers that keep the version, as the database lists them."""
    if vendor == "postgresql":
        return [name for table in VERSIONED_TABLES for name in (f"{table}_version", f"{table}_version_truncate")]
    return [f"{table}_version_{event}" for table in VERSIONED_TABLES for event in _EVENTS]


def create_sql(vendor: str) -> list[str]:
    """The statements that install the triggers on `vendor` (dropping any left before)."""
    statements = drop_sql(vendor)
    if vendor == "sqlite":
        bump = (
            f"INSERT INTO {VERSION_TABLE} (id, token) VALUES (1, lower(hex(randomblob(16)))) "  # noqa: S608 - fixed names
            "ON CONFLICT (id) DO UPDATE SET token = excluded.token;"
        )
        statements += [
            f"CREATE TRIGGER {table}_version_{event} AFTER {event.upper()} ON {table} FOR EACH ROW BEGIN {bump} END"
            for table in VERSIONED_TABLES for event in _EVENTS
        ]
        return statements
    if vendor == "postgresql":
        statements.append(f"""CREATE FUNCTION {_POSTGRES_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('{LOCAL_CHANGE_SETTING}', true), '') = '' THEN
        INSERT INTO {VERSION_TABLE} (id, token) VALUES (1, replace(gen_random_uuid()::text, '-', ''))
        ON CONFLICT (id) DO UPDATE SET token = excluded.token;
    END IF;
    PERFORM set_config('{LOCAL_CHANGE_SETTING}', gen_random_uuid()::text, true);
    RETURN NULL;
END
$$""")  # noqa: S608 - fixed names
        for table in VERSIONED_TABLES:
            statements += [
                f"CREATE TRIGGER {table}_version AFTER INSERT OR UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {_POSTGRES_FUNCTION}()",
                f"CREATE TRIGGER {table}_version_truncate AFTER TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {_POSTGRES_FUNCTION}()",
            ]
        return statements
    raise NotImplementedError(f"The directory's version triggers are written for SQLite and PostgreSQL, not {vendor}.")


def drop_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            *(f"DROP TRIGGER IF EXISTS {table}{suffix} ON {table}"
              for table in VERSIONED_TABLES for suffix in ("_version", "_version_truncate")),
            f"DROP FUNCTION IF EXISTS {_POSTGRES_FUNCTION}()",
        ]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in trigger_names(vendor)]


CHANGE_TABLE = "directory_directorychange"
# The column of each versioned table that names the provider a row belongs to.
_PROVIDER_COLUMN = {"directory_provider": "id", "directory_license": "provider_id",
                    "directory_availabilitywindow": "provider_id"}


def change_trigger_names(vendor: str) -> list[str]:
    """The names of the triggers that log which providers changed."""
    names = [f"{table}_changes_{event}" for table in VERSIONED_TABLES for event in _EVENTS]
    if vendor == "postgresql":
        names += [f"{table}_changes_truncate" for table in VERSIONED_TABLES]
    return names


def change_create_sql(vendor: str) -> list[str]:
    """The statements that install the change log's triggers (dropping any left before)."""
    statements = change_drop_sql(vendor)
    if vendor == "sqlite":
        for table, column in _PROVIDER_COLUMN.items():
            rows = {"insert": f"SELECT NEW.{column}", "delete": f"SELECT OLD.{column}",
                    "update": f"SELECT NEW.{column} UNION SELECT OLD.{column}"}
            statements += [
                f"CREATE TRIGGER {table}_changes_{event} AFTER {event.upper()} ON {table} FOR EACH ROW BEGIN "
                f"INSERT INTO {CHANGE_TABLE} (provider_id) {rows[event]}; END"
                for event in _EVENTS
            ]
        return statements
    if vendor == "postgresql":
        xid = "pg_current_xact_id()::text::bigint"
        for table, column in _PROVIDER_COLUMN.items():
            statements.append(f"""CREATE FUNCTION {table}_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {CHANGE_TABLE} (provider_id, transaction_id) SELECT DISTINCT {column}, {xid} FROM new_rows;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO {CHANGE_TABLE} (provider_id, transaction_id)
        SELECT {column}, {xid} FROM new_rows UNION SELECT {column}, {xid} FROM old_rows;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO {CHANGE_TABLE} (provider_id, transaction_id) SELECT DISTINCT {column}, {xid} FROM old_rows;
    ELSE
        INSERT INTO {CHANGE_TABLE} (provider_id, transaction_id) VALUES (NULL, {xid});
    END IF;
    RETURN NULL;
END
$$""")  # noqa: S608 - fixed names
            referencing = {"insert": "NEW TABLE AS new_rows", "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                           "delete": "OLD TABLE AS old_rows"}
            statements += [
                f"CREATE TRIGGER {table}_changes_{event} AFTER {event.upper()} ON {table} "
                f"REFERENCING {referencing[event]} FOR EACH STATEMENT EXECUTE FUNCTION {table}_changes()"
                for event in _EVENTS
            ]
            statements.append(f"CREATE TRIGGER {table}_changes_truncate AFTER TRUNCATE ON {table} "
                              f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_changes()")
        return statements
    raise NotImplementedError(f"The directory's change log is written for SQLite and PostgreSQL, not {vendor}.")


def change_drop_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            *(f"DROP TRIGGER IF EXISTS {name} ON {name.rsplit('_changes_', 1)[0]}"
              for name in change_trigger_names(vendor)),
            *(f"DROP FUNCTION IF EXISTS {table}_changes()" for table in VERSIONED_TABLES),
        ]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in change_trigger_names(vendor)]


def version_triggers_operation() -> Any:
    """A migration operation that (re)installs the version triggers, and drops them when
    unapplied. Idempotent: a migration that remakes a versioned table on SQLite ends with it."""
    from django.db import migrations

    def install(apps: Any, schema_editor: Any) -> None:
        vendor = schema_editor.connection.vendor
        for sql in create_sql(vendor):
            schema_editor.execute(sql, params=None)
        # The change log's triggers too, once its table exists (migration 0013 on).
        if CHANGE_TABLE in schema_editor.connection.introspection.table_names():
            for sql in change_create_sql(vendor):
                schema_editor.execute(sql, params=None)

    def remove(apps: Any, schema_editor: Any) -> None:
        vendor = schema_editor.connection.vendor
        for sql in drop_sql(vendor) + change_drop_sql(vendor):
            schema_editor.execute(sql, params=None)

    return migrations.RunPython(install, remove, elidable=False)


def version_sql() -> str:
    """A scalar SQL expression for the directory's version as this connection sees it, to be
    read with other values in one query."""
    token = f"(SELECT token FROM {VERSION_TABLE} WHERE id = 1)"  # noqa: S608 - fixed names
    if connection.vendor == "postgresql":
        return f"{token} || coalesce(current_setting('{LOCAL_CHANGE_SETTING}', true), '')"
    return token


def directory_version() -> str | None:
    """The directory's version now; None when there is no version row (a database emptied
    by hand, until the next change)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {version_sql()}")
        (version,) = cursor.fetchone()
    return version


def change_triggers_operation() -> Any:
    """A migration operation that installs the change log's triggers (and drops them when unapplied)."""
    from django.db import migrations

    def install(apps: Any, schema_editor: Any) -> None:
        for sql in change_create_sql(schema_editor.connection.vendor):
            schema_editor.execute(sql, params=None)

    def remove(apps: Any, schema_editor: Any) -> None:
        for sql in change_drop_sql(schema_editor.connection.vendor):
            schema_editor.execute(sql, params=None)

    return migrations.RunPython(install, remove, elidable=False)
