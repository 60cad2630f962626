"""The directory's version is the directory's own now (directory 0003, kept by triggers)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0003_directory_version_triggers'),
        ('matching', '0002_waitlist'),
    ]

    operations = [
        migrations.DeleteModel(
            name='DirectoryVersion',
        ),
    ]
