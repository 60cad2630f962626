"""On PostgreSQL, no two active claims (held or booked) of one provider may overlap in time.

The unique index of 0001 covers equal start times on every database; this exclusion
constraint (btree_gist) also refuses overlapping ranges, e.g. a reschedule to 09:30 over a
09:00-10:00 booking. SQLite has no exclusion constraints; there the service's opening
check and IMMEDIATE transactions keep ranges apart.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE scheduling_appointment
  ADD CONSTRAINT no_overlapping_active_claims_per_provider
  EXCLUDE USING gist (provider_id WITH =, tstzrange(start, "end", '[)') WITH &&)
  WHERE (status IN ('held', 'booked'));
"""
DROP = "ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS no_overlapping_active_claims_per_provider;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
