"""Assessments, session ratings and alerts keep their history: triggers refuse any UPDATE
that would overwrite a recorded value (carematch/lib/history.py). An alert's
acknowledgement (time, person, note) is set once."""

from django.db import migrations

from carematch.lib.history import Guard, guards_operation

# The columns as they are at this migration.
GUARDS = (
    Guard("measures_assessment",
          frozen=("id", "client_id", "instrument", "answers", "difficulty", "total", "severity", "completed_at"),
          refs=("provider_id", "request_id", "entered_by_id")),
    Guard("measures_sessionrating", frozen=("id", "appointment_id", "client_id", "provider_id", "score", "rated_at")),
    Guard("measures_alert", frozen=("id", "kind", "client_id", "assessment_id", "session_rating_id", "created_at"),
          refs=("provider_id",), set_once=("acknowledged_at",), set_once_refs=("acknowledged_by_id",),
          encrypted_set_once=("note",)),
)


class Migration(migrations.Migration):

    dependencies = [
        ('measures', '0002_encrypt_alert_note'),
        ('care', '0003_provider_notes_soft_delete_history'),  # the re-encryption marker table the guards read
    ]

    operations = [
        guards_operation(*GUARDS),
    ]
