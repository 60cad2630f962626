"""Payers become data: the table, seeded with the fourteen national payers carematch used to
list in code, so every provider's `insurance` slugs keep naming a payer."""

from django.db import migrations, models
from django.utils import timezone

# Frozen here: what this migration seeds, whatever the code says later.
SEED = (
    ("aetna", "Aetna"),
    ("ambetter", "Ambetter"),
    ("anthem", "Anthem"),
    ("bcbs", "Blue Cross Blue Shield"),
    ("cigna", "Cigna"),
    ("humana", "Humana"),
    ("kaiser", "Kaiser Permanente"),
    ("medicaid", "Medicaid"),
    ("medicare", "Medicare"),
    ("molina", "Molina Healthcare"),
    ("optum", "Optum"),
    ("oscar", "Oscar Health"),
    ("tricare", "TRICARE"),
    ("uhc", "UnitedHealthcare"),
)


def seed_payers(apps, schema_editor, *, using=None):
    payer = apps.get_model("directory", "Payer")
    known = set(payer.objects.using(using or schema_editor.connection.alias).values_list("slug", flat=True))
    now = timezone.now()
    payer.objects.using(using or schema_editor.connection.alias).bulk_create(
        [payer(slug=slug, name=name, source="seed", created_at=now) for slug, name in SEED if slug not in known]
    )


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0008_provider_clients_book_series'),
    ]

    operations = [
        migrations.CreateModel(
            name='Payer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.SlugField(max_length=40, unique=True)),
                ('name', models.CharField(max_length=200)),
                ('source', models.CharField(choices=[('seed', 'Shipped with carematch'), ('roster', 'Roster import'), ('fhir', 'FHIR directory import'), ('staff', 'Added by a coordinator')], default='staff', max_length=10)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'ordering': ['name'],
                'constraints': [models.CheckConstraint(condition=models.Q(('name', ''), _negated=True), name='payer_has_a_name'), models.CheckConstraint(condition=models.Q(('slug__regex', '^[a-z0-9][a-z0-9_-]*$')), name='payer_slug_is_lowercase')],
            },
        ),
        migrations.RunPython(seed_payers, migrations.RunPython.noop),
    ]
