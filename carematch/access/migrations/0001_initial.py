import django.utils.timezone
from django.db import migrations, models

# The access log is append-only in the database itself, whatever the connection: triggers
# refuse every UPDATE and DELETE (and TRUNCATE on PostgreSQL). Only emptying a whole test
# database between tests gets past them (carematch.access.audit.whole_log_erasure): on
# SQLite the DELETE trigger asks carematch_audit_erasable(), a function carematch gives its
# own connections (any other connection has no such function, so its DELETE fails too); on
# PostgreSQL, TRUNCATE is let through when the session setting carematch.audit_erasable is
# 'on'. carematch itself never sets either.

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
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS access_accessevent_no_update",
    "DROP TRIGGER IF EXISTS access_accessevent_no_delete",
]

POSTGRES_CREATE = [
    """
    CREATE FUNCTION access_accessevent_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' AND current_setting('carematch.audit_erasable', true) = 'on' THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION 'access_accessevent is append-only: % is refused', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END
    $$
    """,
    """
    CREATE TRIGGER access_accessevent_no_update_delete BEFORE UPDATE OR DELETE ON access_accessevent
    FOR EACH ROW EXECUTE FUNCTION access_accessevent_refuse_change()
    """,
    """
    CREATE TRIGGER access_accessevent_no_truncate BEFORE TRUNCATE ON access_accessevent
    FOR EACH STATEMENT EXECUTE FUNCTION access_accessevent_refuse_change()
    """,
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS access_accessevent_no_truncate ON access_accessevent",
    "DROP TRIGGER IF EXISTS access_accessevent_no_update_delete ON access_accessevent",
    "DROP FUNCTION IF EXISTS access_accessevent_refuse_change()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(
                f"the access log needs its append-only triggers; {schema_editor.connection.vendor} is not supported"
            )
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="AccessEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("occurred_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("actor_id", models.BigIntegerField(blank=True, editable=False, help_text="The user's id; empty for the system or a request without an account.", null=True)),
                ("actor_email", models.CharField(blank=True, editable=False, max_length=254)),
                ("actor_role", models.CharField(editable=False, max_length=16)),
                ("action", models.CharField(choices=[("view", "Viewed"), ("create", "Created"), ("update", "Changed"), ("export", "Exported"), ("delete", "Deleted")], editable=False, max_length=8)),
                ("resource_type", models.CharField(editable=False, max_length=40)),
                ("resource_id", models.CharField(blank=True, editable=False, max_length=40)),
                ("client_id", models.BigIntegerField(blank=True, editable=False, help_text="The client whose record it is, when there is one.", null=True)),
                ("outcome", models.CharField(choices=[("allowed", "Allowed"), ("denied", "Denied")], editable=False, max_length=8)),
                ("address", models.CharField(blank=True, editable=False, help_text="The IPv4 or IPv6 address the request came from.", max_length=45)),
                ("channel", models.CharField(choices=[("page", "Web page"), ("api", "API"), ("command", "Command or task")], editable=False, max_length=8)),
            ],
            options={
                "ordering": ["-occurred_at", "-id"],
                "indexes": [
                    models.Index(fields=["client_id", "-occurred_at"], name="accessevent_client_time"),
                    models.Index(fields=["actor_id", "-occurred_at"], name="accessevent_actor_time"),
                    models.Index(fields=["actor_email"], name="accessevent_actor_email"),
                    models.Index(fields=["-occurred_at"], name="accessevent_time"),
                ],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("action__in", ["view", "create", "update", "export", "delete"])), name="accessevent_action_valid"),
                    models.CheckConstraint(condition=models.Q(("outcome__in", ["allowed", "denied"])), name="accessevent_outcome_valid"),
                    models.CheckConstraint(condition=models.Q(("channel__in", ["page", "api", "command"])), name="accessevent_channel_valid"),
                ],
            },
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
            elidable=False,
        ),
    ]
