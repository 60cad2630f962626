import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import carematch.lib.crypto


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_client_closed_at'),
    ]

    operations = [
        migrations.AlterField(
            model_name='loginattempt',
            name='kind',
            field=models.CharField(choices=[('log_in', 'Log in'), ('sign_up', 'Sign up'), ('mfa', 'Authentication code')], max_length=8),
        ),
        migrations.CreateModel(
            name='MfaDevice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('secret', carematch.lib.crypto.EncryptedTextField()),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('confirmed_at', models.DateTimeField(blank=True, null=True)),
                ('last_used_step', models.BigIntegerField(blank=True, editable=False, help_text='The latest 30-second time step whose code was accepted.', null=True)),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='mfa_device', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'authenticator app',
            },
        ),
        migrations.CreateModel(
            name='RecoveryCode',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('digest', models.CharField(max_length=64)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('used_at', models.DateTimeField(blank=True, null=True)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='recovery_codes', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('user', 'digest'), name='recoverycode_user_digest_unique')],
            },
        ),
    ]
