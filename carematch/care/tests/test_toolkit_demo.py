"""The demo client's toolkit content: a breathing practice on their plan and two journal
entries (one shared with their provider), written through the services, once."""

from __future__ import annotations

import pytest

from carematch.care.models import ActivityKind, CheckIn, JournalEntry
from carematch.care.toolkit_demo import DEMO_CLIENT_EMAIL, seed_demo_toolkit

from .factories import ClientFactory, provider_of

pytestmark = pytest.mark.django_db


def test_without_a_demo_client_nothing_is_added():
    assert seed_demo_toolkit() == "Toolkit and journal: empty until the demo client books a first session."
    assert not JournalEntry.objects.exists()


def test_the_demo_client_gets_a_practice_and_a_journal_once():
    me = ClientFactory(user__email=DEMO_CLIENT_EMAIL)
    provider = provider_of(me)
    said = seed_demo_toolkit()
    assert said == ("Toolkit demo: a breathing practice, 2 journal entries (one shared with their provider) "
                    "added.")
    assert CheckIn.objects.get().activity.kind == ActivityKind.DEEP_BREATHING
    entries = JournalEntry.objects.filter(client=me)
    assert entries.count() == 2 and [e.shared_with_id for e in entries if e.shared_with_id] == [provider.pk]
    assert all(e.body.startswith("Example entry.") for e in entries)
    assert seed_demo_toolkit() == "Toolkit demo: already there."
    assert CheckIn.objects.count() == 1 and JournalEntry.objects.count() == 2
