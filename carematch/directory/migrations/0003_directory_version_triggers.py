"""The directory keeps its own version: triggers on providers, licenses and weekly windows
replace its token with every change, in the transaction of the change, however it is made
(carematch/directory/version.py). It was matching's table, changed by the directory's
services; matching's migration 0003 drops that one."""

import secrets

from django.db import migrations, models

from carematch.directory.version import version_triggers_operation


def first_version(apps, schema_editor):
    DirectoryVersion = apps.get_model("directory", "DirectoryVersion")
    DirectoryVersion.objects.create(id=1, token=secrets.token_hex(16))


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0002_license_verification_source'),
    ]

    operations = [
        migrations.CreateModel(
            name='DirectoryVersion',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('token', models.CharField(max_length=32)),
            ],
            options={
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='directory_version_single_row')],
            },
        ),
        migrations.RunPython(first_version, migrations.RunPython.noop),
        version_triggers_operation(),
    ]
