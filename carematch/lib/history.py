"""Clinical history that the database itself keeps from being overwritten.

A clinical row (a goal's version, a check-in, an assessment, a note's version...) is written
once. What may change later is only what the workflow adds to it: a timestamp set once (an
alert acknowledged, a check-in removed), a reference to a person cleared when that person's
account is purged, and an encrypted column re-encrypted under a new key by
`carematch rotate_keys`. Everything else is refused by a BEFORE UPDATE trigger, on SQLite and
on PostgreSQL alike, so neither a bug nor a hand-written UPDATE can rewrite history.

Key rotation is told apart by a row in `care_reencryption` that `rotate_keys` inserts and
deletes inside each of its own transactions: no other connection ever sees that row, so for
everyone else encrypted columns stay frozen.

Deletes are not refused here: removal in the app is soft (`deleted_at`), and only the
retention purge deletes rows, once their retention period has ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

REENCRYPTION_TABLE = "care_reencryption"


@dataclass(frozen=True)
class Guard:
    """Which columns of `table` may change after insert, and how."""

    table: str
    frozen: tuple[str, ...] = ()
    # A reference to a person: may only be cleared (their account purged), never changed.
    refs: tuple[str, ...] = ()
    # Empty (NULL) until the workflow sets it once; then fixed (a person reference may still be cleared).
    set_once: tuple[str, ...] = ()
    set_once_refs: tuple[str, ...] = ()
    # Encrypted: fixed, except re-encryption under a new key.
    encrypted: tuple[str, ...] = ()
    # Encrypted and '' until set once; then fixed, except re-encryption under a new key.
    encrypted_set_once: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.table}_history_guard"

    def condition(self, vendor: str) -> str:
        """SQL that is true when an UPDATE would rewrite history."""
        differ = "IS DISTINCT FROM" if vendor == "postgresql" else "IS NOT"
        rotating = f"EXISTS (SELECT 1 FROM {REENCRYPTION_TABLE})"  # noqa: S608 - fixed identifiers, no input
        parts = [f"OLD.{c} {differ} NEW.{c}" for c in self.frozen]
        parts += [f"(NEW.{c} IS NOT NULL AND OLD.{c} {differ} NEW.{c})" for c in self.refs]
        parts += [f"(OLD.{c} IS NOT NULL AND OLD.{c} {differ} NEW.{c})" for c in self.set_once]
        parts += [
            f"(OLD.{c} IS NOT NULL AND NEW.{c} IS NOT NULL AND OLD.{c} {differ} NEW.{c})" for c in self.set_once_refs
        ]
        parts += [f"(OLD.{c} {differ} NEW.{c} AND NOT {rotating})" for c in self.encrypted]
        parts += [
            f"(OLD.{c} <> '' AND OLD.{c} {differ} NEW.{c} AND NOT {rotating})" for c in self.encrypted_set_once
        ]
        return " OR ".join(parts) or "FALSE"

    def message(self) -> str:
        return f"{self.table} keeps clinical history: this change would overwrite a recorded value"

    def create_sql(self, vendor: str) -> list[str]:
        if vendor == "postgresql":
            return [
                f"""CREATE OR REPLACE FUNCTION {self.name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {self.condition(vendor)} THEN
        RAISE EXCEPTION '{self.message()}' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$""",
                f"CREATE TRIGGER {self.name} BEFORE UPDATE ON {self.table} FOR EACH ROW EXECUTE FUNCTION {self.name}()",
            ]
        if vendor == "sqlite":
            return [
                f"""CREATE TRIGGER {self.name} BEFORE UPDATE ON {self.table} FOR EACH ROW
WHEN {self.condition(vendor)}
BEGIN SELECT RAISE(ABORT, '{self.message()}'); END"""
            ]
        raise NotImplementedError(f"History guards are written for SQLite and PostgreSQL, not {vendor}.")

    def drop_sql(self, vendor: str) -> list[str]:
        if vendor == "postgresql":
            return [f"DROP TRIGGER IF EXISTS {self.name} ON {self.table}", f"DROP FUNCTION IF EXISTS {self.name}()"]
        return [f"DROP TRIGGER IF EXISTS {self.name}"]


def guards_operation(*guards: Guard) -> Any:
    """A reversible migration operation that installs the guards' triggers (and drops them
    when unapplied). Written per database, as the two trigger languages differ."""
    from django.db import migrations

    def install(apps: Any, schema_editor: Any) -> None:
        vendor = schema_editor.connection.vendor
        for guard in guards:
            for sql in guard.create_sql(vendor):
                schema_editor.execute(sql, params=None)

    def remove(apps: Any, schema_editor: Any) -> None:
        vendor = schema_editor.connection.vendor
        for guard in guards:
            for sql in guard.drop_sql(vendor):
                schema_editor.execute(sql, params=None)

    return migrations.RunPython(install, remove, elidable=False)


def replace_guards_operation(old: tuple[Guard, ...], new: tuple[Guard, ...]) -> Any:
    """Swap installed guards for new ones (a table gained a column), reversibly."""
    from django.db import migrations

    def swap(drop: tuple[Guard, ...], create: tuple[Guard, ...]) -> Any:
        def run(apps: Any, schema_editor: Any) -> None:
            vendor = schema_editor.connection.vendor
            for guard in drop:
                for sql in guard.drop_sql(vendor):
                    schema_editor.execute(sql, params=None)
            for guard in create:
                for sql in guard.create_sql(vendor):
                    schema_editor.execute(sql, params=None)
        return run

    return migrations.RunPython(swap(old, new), swap(new, old), elidable=False)
