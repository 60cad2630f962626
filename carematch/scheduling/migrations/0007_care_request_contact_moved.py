"""Contact details now live in crisis requests (migration 0006): care requests drop theirs."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('scheduling', '0006_crisis_follow_up'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='carerequest',
            name='contact_email',
        ),
        migrations.RemoveField(
            model_name='carerequest',
            name='contact_name',
        ),
        migrations.RemoveField(
            model_name='carerequest',
            name='contact_phone',
        ),
        migrations.RemoveField(
            model_name='carerequest',
            name='followed_up_at',
        ),
        migrations.RemoveField(
            model_name='carerequest',
            name='followed_up_by',
        ),
        migrations.AlterField(
            model_name='carerequest',
            name='crisis',
            field=models.BooleanField(default=False, help_text='They said they were in danger. Asking to be contacted is a CrisisRequest of its own.'),
        ),
    ]
