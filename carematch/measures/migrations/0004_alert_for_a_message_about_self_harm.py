"""Alerts gain a kind: a client's message that mentions suicide or self-harm. SQLite remakes
the table to change its check, which drops the alert's history guard (measures 0003), so the
guard is installed again at the end (on PostgreSQL it is replaced by the same)."""

from django.conf import settings
from django.db import migrations, models

from carematch.lib.history import Guard, replace_guards_operation

# The alert's guard as measures 0003 installed it; its columns have not changed.
ALERT_GUARD = Guard(
    "measures_alert", frozen=("id", "kind", "client_id", "assessment_id", "session_rating_id", "created_at"),
    refs=("provider_id",), set_once=("acknowledged_at",), set_once_refs=("acknowledged_by_id",),
    encrypted_set_once=("note",),
)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_crisis_follow_up'),
        ('directory', '0008_provider_clients_book_series'),
        ('measures', '0003_history_guards'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='alert',
            name='measures_alert_kind_valid',
        ),
        migrations.AlterField(
            model_name='alert',
            name='kind',
            field=models.CharField(choices=[('suicidal_ideation', 'Thoughts of death or self-harm (PHQ-9 item 9)'), ('low_session_rating', 'A session rated 6 or below'), ('message_self_harm', 'A message that mentions suicide or self-harm')], max_length=24),
        ),
        migrations.AddConstraint(
            model_name='alert',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['suicidal_ideation', 'low_session_rating', 'message_self_harm'])), name='measures_alert_kind_valid'),
        ),
        replace_guards_operation((ALERT_GUARD,), (ALERT_GUARD,)),
    ]
