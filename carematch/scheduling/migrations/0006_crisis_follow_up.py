"""Crisis follow-up: a person who asked to be contacted is a CrisisRequest (with a way to
reach them, a state, how it came in, their message encrypted, and a status), and every try
to reach them a CrisisAttempt. Contact details that care requests held until now move into
open crisis requests, so the people who left them appear in the coordinators' queue (nobody
had been shown them); migration 0007 then drops those columns from care requests.

Attempts are written once, and a request's message, arrival and closing are kept: triggers
refuse UPDATEs that would overwrite them (carematch/lib/history.py)."""

import carematch.lib.crypto
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from carematch.lib.history import Guard, guards_operation

GUARDS = (
    Guard("scheduling_crisisrequest", frozen=("id", "requested_at", "channel", "state"), refs=("care_request_id",),
          set_once=("closed_at", "escalated_at", "contact_erased_at"), set_once_refs=("client_id",),
          encrypted=("message",)),
    Guard("scheduling_crisisattempt", frozen=("id", "crisis_request_id", "outcome", "at"), refs=("by_id",),
          encrypted=("note",)),
)


def contacts_to_crisis_requests(apps, schema_editor):
    """Each care request that holds a contact becomes an open crisis request (from the page,
    the only place that took one), with the client's state when there is a client."""
    CareRequest = apps.get_model("scheduling", "CareRequest")
    CrisisRequest = apps.get_model("scheduling", "CrisisRequest")
    with_contact = (CareRequest.objects.exclude(contact_phone="", contact_email="")
                    .select_related("client").order_by("pk"))
    CrisisRequest.objects.bulk_create([
        CrisisRequest(
            care_request_id=request.pk, client_id=request.client_id, requested_at=request.requested_at,
            channel="page", name=request.contact_name[:100], phone=request.contact_phone[:20],
            email=request.contact_email, state=request.client.state if request.client_id else "", status="open",
        )
        for request in with_contact.iterator()
    ])


def crisis_requests_to_contacts(apps, schema_editor):
    CareRequest = apps.get_model("scheduling", "CareRequest")
    CrisisRequest = apps.get_model("scheduling", "CrisisRequest")
    for crisis in CrisisRequest.objects.filter(care_request__isnull=False).order_by("requested_at"):
        CareRequest.objects.filter(pk=crisis.care_request_id).update(
            contact_name=crisis.name, contact_phone=crisis.phone, contact_email=crisis.email,
        )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_sign_up_request'),
        ('scheduling', '0005_care_request_contact'),
        ('care', '0003_provider_notes_soft_delete_history'),  # the re-encryption marker table the guards read
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CrisisRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('requested_at', models.DateTimeField()),
                ('channel', models.CharField(choices=[('page', 'Web page'), ('api', 'API')], max_length=8)),
                ('name', models.CharField(blank=True, help_text='What to call them, as they gave it.', max_length=100)),
                ('phone', models.CharField(blank=True, help_text='E.164, e.g. +13035550142.', max_length=20)),
                ('email', models.EmailField(blank=True, max_length=254)),
                ('state', models.CharField(blank=True, help_text='USPS code of where they are.', max_length=2)),
                ('message', carematch.lib.crypto.EncryptedTextField(blank=True, help_text='What they wanted the coordinator to know.')),
                ('status', models.CharField(choices=[('open', 'Open'), ('closed', 'Closed')], default='open', max_length=8)),
                ('closed_at', models.DateTimeField(blank=True, null=True)),
                ('escalated_at', models.DateTimeField(blank=True, help_text='When it was emailed again for want of any contact attempt.', null=True)),
                ('contact_erased_at', models.DateTimeField(blank=True, help_text="When the person's account was closed and their contact details erased.", null=True)),
                ('care_request', models.ForeignKey(blank=True, help_text='The request for care of the intake or match this came from, when there is one.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='crisis_requests', to='scheduling.carerequest')),
                ('client', models.ForeignKey(blank=True, help_text='Empty while the person has no account.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='crisis_requests', to='accounts.client')),
            ],
            options={
                'ordering': ['requested_at', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='CrisisAttempt',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('outcome', models.CharField(choices=[('reached', 'Reached the person'), ('no_answer', 'No answer (stays open)'), ('referred_emergency', 'Referred to emergency services')], max_length=20)),
                ('note', carematch.lib.crypto.EncryptedTextField(help_text='What was done, by the coordinator.')),
                ('at', models.DateTimeField()),
                ('by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('crisis_request', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='attempts', to='scheduling.crisisrequest')),
            ],
            options={
                'ordering': ['at', 'pk'],
            },
        ),
        migrations.AddIndex(
            model_name='crisisrequest',
            index=models.Index(fields=['status', 'requested_at'], name='crisisrequest_status_time'),
        ),
        migrations.AddConstraint(
            model_name='crisisrequest',
            constraint=models.CheckConstraint(condition=models.Q(('channel__in', ['page', 'api'])), name='crisisrequest_channel_valid'),
        ),
        migrations.AddConstraint(
            model_name='crisisrequest',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['open', 'closed'])), name='crisisrequest_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='crisisrequest',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('closed_at__isnull', True), ('status', 'open')), models.Q(('closed_at__isnull', False), ('status', 'closed')), _connector='OR'), name='crisisrequest_closed_when_status_closed'),
        ),
        migrations.AddConstraint(
            model_name='crisisrequest',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('phone', ''), _negated=True), models.Q(('email', ''), _negated=True), ('contact_erased_at__isnull', False), _connector='OR'), name='crisisrequest_has_a_way_to_reach'),
        ),
        migrations.AddConstraint(
            model_name='crisisrequest',
            constraint=models.CheckConstraint(condition=models.Q(('contact_erased_at__isnull', True), ('status', 'closed'), _connector='OR'), name='crisisrequest_erased_only_when_closed'),
        ),
        migrations.AddConstraint(
            model_name='crisisrequest',
            constraint=models.CheckConstraint(condition=models.Q(('state', ''), ('state__in', ['AL', 'AK', 'AZ', 'AR', 'CA', 'CO', 'CT', 'DE', 'DC', 'FL', 'GA', 'HI', 'ID', 'IL', 'IN', 'IA', 'KS', 'KY', 'LA', 'ME', 'MD', 'MA', 'MI', 'MN', 'MS', 'MO', 'MT', 'NE', 'NV', 'NH', 'NJ', 'NM', 'NY', 'NC', 'ND', 'OH', 'OK', 'OR', 'PA', 'RI', 'SC', 'SD', 'TN', 'TX', 'UT', 'VT', 'VA', 'WA', 'WV', 'WI', 'WY']), _connector='OR'), name='crisisrequest_state_valid'),
        ),
        migrations.AddIndex(
            model_name='crisisattempt',
            index=models.Index(fields=['crisis_request', 'at'], name='crisisattempt_request_time'),
        ),
        migrations.AddConstraint(
            model_name='crisisattempt',
            constraint=models.CheckConstraint(condition=models.Q(('outcome__in', ['reached', 'no_answer', 'referred_emergency'])), name='crisisattempt_outcome_valid'),
        ),
        migrations.AddConstraint(
            model_name='crisisattempt',
            constraint=models.CheckConstraint(condition=models.Q(('note', ''), _negated=True), name='crisisattempt_has_a_note'),
        ),
        migrations.RunPython(contacts_to_crisis_requests, crisis_requests_to_contacts, elidable=False),
        guards_operation(*GUARDS),
    ]
