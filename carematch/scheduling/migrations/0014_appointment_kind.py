"""Appointments have a kind: a session (an hour) or a free consultation call (15 minutes, by
phone or video; the phone only for a consultation). With claims of two lengths, no two active
claims of one provider or of one client may overlap, on either database
(carematch/scheduling/overlap.py): SQLite triggers, and on PostgreSQL an exclusion constraint
for the client beside the provider's of 0002."""

from django.db import migrations, models

from carematch.scheduling import overlap


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(overlap.POSTGRES_CLIENT_EXCLUSION)
    overlap.ensure_sqlite_triggers(schema_editor.connection)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(overlap.POSTGRES_CLIENT_EXCLUSION_DROP)
    overlap.drop_sqlite_triggers(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('scheduling', '0013_series_and_attendance'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='appointment',
            name='appointment_format_valid',
        ),
        migrations.AddField(
            model_name='appointment',
            name='kind',
            field=models.CharField(choices=[('session', 'Session'), ('consultation', 'Free 15-minute consultation')], default='session', help_text='A session (an hour) or a free consultation call (15 minutes).', max_length=12),
        ),
        migrations.AlterField(
            model_name='appointment',
            name='format',
            field=models.CharField(choices=[('telehealth', 'Online (video)'), ('in_person', 'In person'), ('phone', 'By phone')], max_length=12),
        ),
        migrations.AddConstraint(
            model_name='appointment',
            constraint=models.CheckConstraint(condition=models.Q(('format__in', ['telehealth', 'in_person', 'phone'])), name='appointment_format_valid'),
        ),
        migrations.AddConstraint(
            model_name='appointment',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['session', 'consultation'])), name='appointment_kind_valid'),
        ),
        migrations.AddConstraint(
            model_name='appointment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('format', 'phone'), _negated=True), ('kind', 'consultation'), _connector='OR'), name='appointment_phone_only_consultation'),
        ),
        migrations.RunPython(forwards, backwards),
    ]
