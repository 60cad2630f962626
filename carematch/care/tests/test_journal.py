"""The private journal: encrypted at rest, read by the client alone, one entry shared with one
provider at a time (and unshared) with every access logged, exported with the client's data,
kept for the retention period after removal, and erased with the account."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from carematch.access.export import client_export_json
from carematch.access.models import AccessEvent
from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.care import services
from carematch.care.models import JournalEntry
from carematch.lib import crypto
from carematch.lib.errors import Conflict, Forbidden, InvalidInput

from .factories import ClientFactory, provider_of

pytestmark = pytest.mark.django_db

WORDS = "Panicked on the bus again but counted the windows until it passed"


def stored_body(entry_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM care_journalentry WHERE id = %s", [entry_id])
        return cursor.fetchone()[0]


def test_the_journal_column_holds_no_plaintext():
    me = ClientFactory()
    entry = services.journal_entry_write(client=me, by=me.user, body=WORDS)
    stored = stored_body(entry.pk)
    assert stored.startswith(crypto.PREFIX)
    for word in WORDS.split():
        if len(word) > 3:
            assert word not in stored
    assert JournalEntry.objects.get(pk=entry.pk).body == WORDS


def test_the_client_writes_through_the_page_and_reads_their_own_entries(client):
    me = ClientFactory()
    client.force_login(me.user)
    answer = client.post(reverse("care:my_journal"), {"body": WORDS})
    assert answer.status_code == 302
    page = client.get(reverse("care:my_journal"))
    assert WORDS in page.content.decode()
    assert "Private: only you can read it." in page.content.decode()


def test_an_empty_entry_gets_a_form_error_and_nothing_is_written(client):
    me = ClientFactory()
    client.force_login(me.user)
    answer = client.post(reverse("care:my_journal"), {"body": "   "})
    assert answer.status_code == 400
    assert "There is a problem" in answer.content.decode()
    assert not JournalEntry.objects.exists()
    with pytest.raises(InvalidInput) as problem:
        services.journal_entry_write(client=me, by=me.user, body="x" * 10_001)
    assert "body" in problem.value.fields


def test_the_database_refuses_an_empty_entry_and_rewriting_one():
    me = ClientFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalEntry.objects.create(client=me, body="", created_at=timezone.now())
    entry = services.journal_entry_write(client=me, by=me.user, body=WORDS)
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalEntry.objects.filter(pk=entry.pk).update(body=crypto.encrypt("something else"))


def test_a_shared_entry_is_visible_to_that_provider_only(client):
    me = ClientFactory()
    mine = provider_of(me)
    other_of_mine = provider_of(me)
    stranger = provider_of(ClientFactory())
    coordinator = UserFactory(role=Role.COORDINATOR)
    admin = UserFactory(role=Role.ADMIN)
    shared = services.journal_entry_write(client=me, by=me.user, body=WORDS)
    private = services.journal_entry_write(client=me, by=me.user, body="Nobody reads this one but me")
    client.force_login(me.user)
    assert client.post(reverse("care:my_journal_share", kwargs={"entry_id": shared.pk}),
                       {"provider_id": mine.pk}).status_code == 302
    assert JournalEntry.objects.get(pk=shared.pk).shared_with_id == mine.pk

    page = reverse("care:client_journal", kwargs={"client_id": me.pk})
    client.force_login(mine.user)
    progress = client.get(reverse("care:client_progress", kwargs={"client_id": me.pk})).content.decode()
    assert f'href="{page}">Journal entries shared with you' in progress
    seen = client.get(page)
    assert seen.status_code == 200
    assert WORDS in seen.content.decode() and "Nobody reads this one" not in seen.content.decode()
    events = AccessEvent.objects.filter(resource_type="journal_entry", resource_id=str(shared.pk),
                                        action="view", actor_id=mine.user.pk)
    assert events.count() == 1 and events.get().client_id == me.pk

    # Another provider of the same client sees the page, but not the entry shared with someone else.
    client.force_login(other_of_mine.user)
    other = client.get(page)
    assert other.status_code == 200 and WORDS not in other.content.decode()
    # A provider without this client, coordinators and admins: not there at all.
    for outsider in (stranger.user, coordinator, admin):
        client.force_login(outsider)
        answer = client.get(page)
        assert answer.status_code == 404, outsider.role
        assert WORDS.encode() not in answer.content
    assert AccessEvent.objects.filter(outcome="denied", client_id=me.pk).count() == 3  # each refusal logged
    # Nor through the client's own page.
    client.force_login(mine.user)
    assert client.get(reverse("care:my_journal")).status_code == 403
    assert private.pk not in [e.pk for e in JournalEntry.objects.filter(shared_with=mine)]


def test_sharing_is_revocable_and_the_provider_then_sees_nothing(client):
    me = ClientFactory()
    mine = provider_of(me)
    entry = services.journal_entry_write(client=me, by=me.user, body=WORDS)
    services.journal_entry_share(entry=entry, by=me.user, provider_id=mine.pk)
    client.force_login(me.user)
    assert client.post(reverse("care:my_journal_unshare", kwargs={"entry_id": entry.pk})).status_code == 302
    client.force_login(mine.user)
    assert WORDS not in client.get(reverse("care:client_journal", kwargs={"client_id": me.pk})).content.decode()
    logged = AccessEvent.objects.filter(resource_type="journal_entry", resource_id=str(entry.pk), action="update",
                                        result="succeeded")
    assert logged.count() == 1  # the unsharing through the page
    with pytest.raises(Conflict):
        services.journal_entry_unshare(entry=entry, by=me.user)


def test_only_the_client_shares_and_only_with_their_own_provider():
    me = ClientFactory()
    mine = provider_of(me)
    stranger = provider_of(ClientFactory())
    entry = services.journal_entry_write(client=me, by=me.user, body=WORDS)
    with pytest.raises(InvalidInput) as problem:
        services.journal_entry_share(entry=entry, by=me.user, provider_id=stranger.pk)
    assert problem.value.fields == {"provider_id": "must be one of your providers"}
    with pytest.raises(InvalidInput):
        services.journal_entry_share(entry=entry, by=me.user, provider_id="1")
    with pytest.raises(Forbidden):
        services.journal_entry_share(entry=entry, by=mine.user, provider_id=mine.pk)
    with pytest.raises(Forbidden):
        services.journal_entry_write(client=me, by=mine.user, body="Written by someone else")
    assert JournalEntry.objects.get(pk=entry.pk).shared_with_id is None


def test_another_client_cannot_touch_an_entry(client):
    me = ClientFactory()
    entry = services.journal_entry_write(client=me, by=me.user, body=WORDS)
    client.force_login(ClientFactory().user)
    for name in ("care:my_journal_share", "care:my_journal_unshare", "care:my_journal_remove"):
        assert client.post(reverse(name, kwargs={"entry_id": entry.pk}), {"provider_id": 1}).status_code == 404
    assert JournalEntry.shown.filter(pk=entry.pk, shared_with__isnull=True).exists()


def test_the_journal_is_in_the_clients_export():
    me = ClientFactory()
    services.journal_entry_write(client=me, by=me.user, body=WORDS)
    exported = client_export_json(me)
    assert [row["body"] for row in exported["journal_entries"]] == [WORDS]


def test_a_removed_entry_is_hidden_then_erased_after_the_retention_period():
    me = ClientFactory()
    mine = provider_of(me)
    entry = services.journal_entry_write(client=me, by=me.user, body=WORDS)
    services.journal_entry_share(entry=entry, by=me.user, provider_id=mine.pk)
    services.journal_entry_remove(entry=entry, by=me.user)
    assert not JournalEntry.shown.filter(pk=entry.pk).exists()
    kept = JournalEntry.objects.get(pk=entry.pk)
    assert kept.body == WORDS and kept.shared_with_id is None  # removing ends the sharing
    services.removed_entries_purge(before=timezone.now() - dt.timedelta(days=1))
    assert JournalEntry.objects.filter(pk=entry.pk).exists()
    deleted, _ = services.removed_entries_purge(before=timezone.now() + dt.timedelta(seconds=1))
    assert deleted["care.JournalEntry"] == 1
    assert not JournalEntry.objects.filter(pk=entry.pk).exists()


def test_the_journal_is_erased_with_the_rest_of_the_care_record():
    me = ClientFactory()
    services.journal_entry_write(client=me, by=me.user, body=WORDS)
    deleted = services.care_records_purge_for_client(client_id=me.pk)
    assert deleted["care.JournalEntry"] == 1
    assert not JournalEntry.objects.filter(client=me).exists()


def test_rotate_keys_moves_journal_entries_to_the_new_key():
    from io import StringIO

    from cryptography.fernet import Fernet
    from django.core.management import call_command
    from django.test import override_settings

    old_keys = list(crypto._keys())
    me = ClientFactory()
    entry = services.journal_entry_write(client=me, by=me.user, body=WORDS)
    before = stored_body(entry.pk)
    new_key = Fernet.generate_key().decode()
    with override_settings(ENCRYPTION_KEYS=[new_key, *old_keys]):
        out = StringIO()
        call_command("rotate_keys", stdout=out)
        assert "care.JournalEntry.body: 1 re-encrypted" in out.getvalue()
    after = stored_body(entry.pk)
    assert after != before and after.startswith(crypto.PREFIX)
    with override_settings(ENCRYPTION_KEYS=[new_key]):
        assert JournalEntry.objects.get(pk=entry.pk).body == WORDS
