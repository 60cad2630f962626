"""Who vouched for a license's verification, and the database's rule that a license not yet
verified has no verifier while a verified or rejected one says when.

Rows written before: a decision with a coordinator is the coordinator's; one without a time
(written around the services) gets the time of this migration, the earliest carematch can
vouch for; a license not yet verified loses any stray verifier or time.
"""

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def record_existing_verifications(apps, schema_editor):
    License = apps.get_model("directory", "License")
    License.objects.filter(status="unverified").update(verified_at=None, verified_by=None)
    decided = License.objects.exclude(status="unverified")
    decided.filter(verified_by__isnull=False).update(verification_source="coordinator")
    decided.filter(verified_at__isnull=True).update(verified_at=timezone.now())


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='license',
            name='verification_source',
            field=models.CharField(blank=True, choices=[('coordinator', 'a coordinator'), ('roster', 'the roster it was imported from'), ('fhir', 'the FHIR directory it was imported from'), ('demo', 'the demo seed (synthetic data)')], help_text='Who vouched for the verification or rejection; blank while not yet verified.', max_length=12),
        ),
        migrations.RunPython(record_existing_verifications, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='license',
            constraint=models.CheckConstraint(condition=models.Q(('verification_source__in', ['', 'coordinator', 'roster', 'fhir', 'demo'])), name='license_verification_source_valid'),
        ),
        migrations.AddConstraint(
            model_name='license',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'unverified'), ('verification_source', ''), ('verified_at__isnull', True), ('verified_by__isnull', True)), models.Q(models.Q(('status', 'unverified'), _negated=True), ('verified_at__isnull', False)), _connector='OR'), name='license_verification_recorded'),
        ),
    ]
