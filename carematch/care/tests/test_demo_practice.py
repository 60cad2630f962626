"""The demo's practice in motion (carematch/care/demo.py): seeded through the services, so every
rule holds; the same every time for a seed; seeded once (a second run changes nothing); and
enough of it for each page a newcomer opens to show something real."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from carematch.accounts.models import Client, User
from carematch.care.models import CheckIn, Goal
from carematch.matching.models import WaitlistEntry
from carematch.measures.models import Alert, Assessment
from carematch.measures.selectors import outcome_table
from carematch.messaging.models import Message
from carematch.scheduling.clock import clock_figures, clock_records
from carematch.scheduling.models import Appointment, CareRequest, CrisisRequest, Status

pytestmark = pytest.mark.django_db

DEMO_PROVIDER = "provider@demo.carematch.test"


def seed():
    call_command("seed_demo", providers=10, force=True, verbosity=0)


def snapshot():
    return {
        "users": User.objects.count(), "appointments": Appointment.objects.count(),
        "assessments": Assessment.objects.count(), "alerts": Alert.objects.count(), "goals": Goal.objects.count(),
        "check_ins": CheckIn.objects.count(), "messages": Message.objects.count(),
        "requests": CareRequest.objects.count(), "crisis": CrisisRequest.objects.count(),
        "waitlist": WaitlistEntry.objects.count(),
    }


def test_the_demo_provider_has_a_caseload_in_motion_and_a_second_run_changes_nothing():
    seed()
    provider = User.objects.get(email=DEMO_PROVIDER).provider
    caseload = Client.objects.filter(user__email__startswith="caseload-")
    assert caseload.count() == 6
    assert set(Client.objects.filter(appointments__provider=provider).distinct()) > set(caseload)
    # Someone new booked a free consultation call with the demo provider, who offers them.
    consultation = Appointment.objects.get(kind="consultation")
    assert consultation.provider == provider and consultation.start > timezone.now()
    sessions = Appointment.objects.filter(provider=provider)
    assert sessions.filter(status=Status.COMPLETED).count() >= 25
    assert sessions.filter(status=Status.BOOKED).count() >= 6  # each client's next session, one as a series
    assert sessions.filter(series__isnull=False).count() >= 4
    # One open safety alert, about the client whose scores got worse; the others improved.
    alert = Alert.objects.get(acknowledged_at=None)
    assert alert.provider == provider
    worse = list(Assessment.objects.filter(client=alert.client, instrument="phq9").order_by("completed_at")
                 .values_list("total", flat=True))
    assert worse[-1] > worse[0]
    improved = [c for c in caseload if c != alert.client and Assessment.objects.filter(client=c, instrument="phq9")
                .count() >= 2]
    for client in improved:
        totals = list(Assessment.objects.filter(client=client, instrument="phq9").order_by("completed_at")
                      .values_list("total", flat=True))
        assert totals[-1] < totals[0]
    assert Goal.objects.filter(client__in=caseload).count() >= 5 and CheckIn.objects.count() >= 20
    assert Message.objects.count() == 3

    # The coordinator's side: a crisis request, people waiting (one near 48 hours), a waitlist,
    # a month of the clock's figures and outcome estimates with intervals behind them.
    assert CrisisRequest.objects.filter(status="open").count() == 1
    assert WaitlistEntry.objects.count() == 2
    now = timezone.now()
    figures = clock_figures(clock_records(now=now), now=now)
    assert figures.share_within is not None and 0.5 <= figures.share_within < 1
    rows, _ = outcome_table()
    assert sum(1 for row in rows if row.enough) >= 4

    before = snapshot()
    seed()
    assert snapshot() == before
