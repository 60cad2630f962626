"""Released holds get their own status, and appointments an iCalendar SEQUENCE.

Until now, closing an account released the person's holds by cancelling them, and a
cancelled appointment makes the provider the client's provider. A hold that is released
now becomes `released` (beside `lapsed`), and only a booked appointment may be cancelled
(a check constraint). Rows already written are corrected here: a cancelled row that was
never booked (`booked_at` is empty; the services set it on every booking, and such rows
still carry the hold's expiry) was a released hold.

SEQUENCE starts where the calendar files left it (1 after a reschedule, else 0), one higher
for a cancelled appointment, so no calendar sees an event's sequence go down.

Undoing this turns released holds into lapsed ones (never cancelled ones again).
The PostgreSQL exclusion constraint of 0002 covers held and booked rows only, so released
holds, like lapsed ones, never stand in the way of a new claim; it needs no change.
"""

from django.db import migrations, models
from django.db.models import Case, IntegerField, Q, Value, When


def _checked_now(schema_editor):
    # On PostgreSQL, rows updated here would leave deferred foreign-key checks pending, and
    # the table could then not be altered in the same transaction: check them at once.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _deferred_again(schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


def forwards(apps, schema_editor):
    Appointment = apps.get_model("scheduling", "Appointment")
    _checked_now(schema_editor)
    Appointment.objects.filter(status="cancelled", booked_at__isnull=True).update(status="released")
    Appointment.objects.update(sequence=Case(
        When(Q(rescheduled_from__isnull=False, status="cancelled"), then=Value(2)),
        When(Q(rescheduled_from__isnull=False) | Q(status="cancelled"), then=Value(1)),
        default=Value(0), output_field=IntegerField(),
    ))
    _deferred_again(schema_editor)


def backwards(apps, schema_editor):
    Appointment = apps.get_model("scheduling", "Appointment")
    _checked_now(schema_editor)
    Appointment.objects.filter(status="released").update(status="lapsed")
    _deferred_again(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('scheduling', '0008_calendarfeed_revoked_reason'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='appointment',
            name='appointment_status_valid',
        ),
        migrations.RemoveConstraint(
            model_name='appointment',
            name='only_session_holds_lack_a_client',
        ),
        migrations.AddField(
            model_name='appointment',
            name='hold_address',
            field=models.CharField(blank=True, help_text='Keyed digest of the network address a hold before sign-up came from (never the address): holds per address are limited.', max_length=64),
        ),
        migrations.AddField(
            model_name='appointment',
            name='sequence',
            field=models.PositiveIntegerField(default=0, help_text='The iCalendar SEQUENCE: raised by every reschedule and by the cancellation.'),
        ),
        migrations.AlterField(
            model_name='appointment',
            name='cancelled_at',
            field=models.DateTimeField(blank=True, help_text='When a booking was cancelled or a hold released.', null=True),
        ),
        migrations.AlterField(
            model_name='appointment',
            name='status',
            field=models.CharField(choices=[('held', 'Held'), ('booked', 'Booked'), ('cancelled', 'Cancelled'), ('lapsed', 'Hold lapsed'), ('released', 'Hold released'), ('no_show', 'No-show'), ('completed', 'Completed')], max_length=12),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
        migrations.AddIndex(
            model_name='appointment',
            index=models.Index(condition=models.Q(('hold_address', ''), _negated=True), fields=['hold_address', 'hold_expires_at'], name='appointment_hold_address'),
        ),
        migrations.AddConstraint(
            model_name='appointment',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['held', 'booked', 'cancelled', 'lapsed', 'released', 'no_show', 'completed'])), name='appointment_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='appointment',
            constraint=models.CheckConstraint(condition=models.Q(('client__isnull', False), models.Q(('status__in', ('held', 'lapsed', 'released')), models.Q(('hold_session', ''), _negated=True)), _connector='OR'), name='only_session_holds_lack_a_client'),
        ),
        migrations.AddConstraint(
            model_name='appointment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'cancelled'), _negated=True), ('booked_at__isnull', False), _connector='OR'), name='only_booked_appointments_are_cancelled'),
        ),
    ]
