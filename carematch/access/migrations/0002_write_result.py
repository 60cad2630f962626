from django.db import migrations, models

# The result of an allowed change (succeeded or rejected), beside the access decision.
#
# On SQLite, adding a NOT NULL column and check constraints rebuilds the table, and the
# append-only triggers of 0001 go with the old table. They are created again once the table
# is rebuilt, and, when this migration is reversed, once the column is gone again (the first
# operation runs last in reverse). PostgreSQL alters the table in place and keeps its triggers.
# The statements are those of 0001, copied so that this migration does not change if 0001's do.

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS access_accessevent_no_update",
    "DROP TRIGGER IF EXISTS access_accessevent_no_delete",
]
SQLITE_CREATE = [
    """
    CREATE TRIGGER access_accessevent_no_update BEFORE UPDATE ON access_accessevent
    BEGIN SELECT RAISE(ABORT, 'access_accessevent is append-only: UPDATE is refused'); END
    """,
    """
    CREATE TRIGGER access_accessevent_no_delete BEFORE DELETE ON access_accessevent
    WHEN coalesce(carematch_audit_erasable(), 0) = 0
    BEGIN SELECT RAISE(ABORT, 'access_accessevent is append-only: DELETE is refused'); END
    """,
]


def sqlite_triggers_again(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in [*SQLITE_DROP, *SQLITE_CREATE]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("access", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, sqlite_triggers_again, elidable=False),
        migrations.AddField(
            model_name="accessevent",
            name="result",
            field=models.CharField(blank=True, choices=[("succeeded", "Succeeded"), ("rejected", "Rejected")], db_default="", default="", editable=False, help_text="For an allowed change, whether it succeeded or was rejected; empty otherwise.", max_length=9),
        ),
        migrations.AddConstraint(
            model_name="accessevent",
            constraint=models.CheckConstraint(condition=models.Q(("result__in", ["", "succeeded", "rejected"])), name="accessevent_result_valid"),
        ),
        migrations.AddConstraint(
            model_name="accessevent",
            constraint=models.CheckConstraint(condition=models.Q(("result", ""), models.Q(("action__in", ["create", "delete", "update"]), ("outcome", "allowed")), _connector="OR"), name="accessevent_result_only_for_allowed_writes"),
        ),
        migrations.RunPython(sqlite_triggers_again, migrations.RunPython.noop, elidable=False),
    ]
