"""Encrypt the note that acknowledges an alert (what was done) at rest; reversible."""

import carematch.lib.crypto
from django.db import migrations

from carematch.lib.crypto import encrypt_column_operation


class Migration(migrations.Migration):

    dependencies = [
        ('measures', '0001_initial'),
    ]

    operations = [
        encrypt_column_operation('measures', 'Alert', 'note'),
        migrations.AlterField(
            model_name='alert',
            name='note',
            field=carematch.lib.crypto.EncryptedTextField(blank=True, help_text='What was done, written when the alert was acknowledged.'),
        ),
    ]
