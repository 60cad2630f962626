"""Encrypt the client's words at rest: goal texts, own coping steps and check-in notes.

Each column is first a plain TextField (the coping step was a 200-character varchar, too
short for a token), its rows are encrypted in place, then it becomes an EncryptedTextField.
Reversible: unapplying decrypts the rows back."""

import carematch.lib.crypto
from django.db import migrations, models

from carematch.lib.crypto import encrypt_column_operation


class Migration(migrations.Migration):

    dependencies = [
        ('care', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='activity',
            name='text',
            field=models.TextField(blank=True, help_text="In the client's words; required for an activity of their own.", max_length=200),
        ),
        encrypt_column_operation('care', 'GoalVersion', 'text'),
        encrypt_column_operation('care', 'Activity', 'text'),
        encrypt_column_operation('care', 'CheckIn', 'note'),
        migrations.AlterField(
            model_name='goalversion',
            name='text',
            field=carematch.lib.crypto.EncryptedTextField(help_text="The goal in the client's words."),
        ),
        migrations.AlterField(
            model_name='activity',
            name='text',
            field=carematch.lib.crypto.EncryptedTextField(blank=True, help_text="In the client's words; required for an activity of their own.", max_length=200),
        ),
        migrations.AlterField(
            model_name='checkin',
            name='note',
            field=carematch.lib.crypto.EncryptedTextField(blank=True),
        ),
    ]
