"""Erasing closed accounts and removed entries once the retention period has passed."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from carematch.access import closing
from carematch.access.export import client_models
from carematch.access.models import AccessEvent
from carematch.accounts.models import Client, User
from carematch.accounts.tests.factories import PASSWORD
from carematch.care.models import CheckIn, ProviderNote, ProviderNoteVersion
from carematch.measures.tests.factories import at
from carematch.scheduling import services as scheduling

from . import data_records as r

pytestmark = pytest.mark.django_db

RETENTION = dt.timedelta(days=2557)


def _close(record):
    with at(r.NOW):
        closing.account_close(user=record.client.user, password=PASSWORD, confirmation=closing.CONFIRMATION_PHRASE)


def _rows_of(client_pk):
    counts = {}
    for model, lookup in client_models().items():
        if model._meta.label_lower != "access.accessevent":
            counts[model._meta.label_lower] = model._base_manager.filter(**{lookup: client_pk}).count()
    return counts


def test_a_closed_client_is_kept_until_the_retention_period_ends_then_erased_with_every_record():
    closed, still_here = r.full_record(), r.full_record(first_name="Staying")
    _close(closed)
    pk, user_pk = closed.client.pk, closed.client.user.pk
    looked = AccessEvent.objects.filter(client_id=pk).count()

    report = closing.purge_expired(now=r.NOW + RETENTION - dt.timedelta(seconds=1))
    # Only the entries removed (days before the closing) have reached their end.
    assert report.clients == 0
    assert set(report.deleted) == {"care.CheckIn", "care.ProviderNote", "care.ProviderNoteVersion"}
    assert Client.objects.filter(pk=pk).exists() and _rows_of(pk)["scheduling.appointment"] == 4

    report = closing.purge_expired(now=r.NOW + RETENTION + dt.timedelta(seconds=1))
    assert report.clients == 1
    assert report.deleted["accounts.Client"] == 1 and report.deleted["accounts.User"] == 1
    assert report.deleted["scheduling.Appointment"] == 4 and report.deleted["care.ProviderNote"] == 1
    assert not Client.objects.filter(pk=pk).exists() and not User.objects.filter(pk=user_pk).exists()
    assert not any(_rows_of(pk).values())
    # The access log keeps every entry about them, and the erasure itself.
    assert AccessEvent.objects.filter(client_id=pk).count() == looked + 1
    assert AccessEvent.objects.filter(client_id=pk, resource_type="client_record", action="delete").exists()
    # Nobody else's record is touched.
    assert all(_rows_of(still_here.client.pk).values())


def test_the_dry_run_counts_exactly_and_erases_nothing_and_a_second_run_erases_nothing_more():
    record = r.full_record()
    _close(record)
    later = r.NOW + RETENTION + dt.timedelta(days=1)
    before = _rows_of(record.client.pk)

    dry = closing.purge_expired(now=later, dry_run=True)
    assert _rows_of(record.client.pk) == before
    assert Client.objects.filter(pk=record.client.pk).exists()

    real = closing.purge_expired(now=later)
    assert dry.deleted == real.deleted and real.clients == dry.clients == 1
    again = closing.purge_expired(now=later)
    assert again.clients == 0 and not again.deleted


def test_removed_entries_are_erased_once_older_than_the_retention_period():
    record = r.full_record()  # open account: its removed check-in and note are kept for retention
    note_removed, check_in_removed = record.removed_note.deleted_at, record.removed_check_in.deleted_at
    assert note_removed < check_in_removed
    shown = CheckIn.objects.filter(activity__client=record.client, deleted_at__isnull=True).count()

    assert not closing.purge_expired(now=note_removed + RETENTION - dt.timedelta(seconds=1)).deleted
    report = closing.purge_expired(now=note_removed + RETENTION + dt.timedelta(seconds=1))
    assert report.deleted == {"care.ProviderNote": 1, "care.ProviderNoteVersion": 1}
    assert CheckIn.objects.filter(pk=record.removed_check_in.pk).exists()
    report = closing.purge_expired(now=check_in_removed + RETENTION + dt.timedelta(seconds=1))
    assert report.clients == 0
    assert report.deleted == {"care.CheckIn": 1}
    assert not CheckIn.objects.filter(pk=record.removed_check_in.pk).exists()
    assert not ProviderNote.objects.filter(pk=record.removed_note.pk).exists()
    assert not ProviderNoteVersion.objects.filter(note_id=record.removed_note.pk).exists()
    assert CheckIn.objects.filter(activity__client=record.client).count() == shown
    assert Client.objects.get(pk=record.client.pk).closed_at is None


@override_settings(RECORD_RETENTION_DAYS=30)
def test_the_retention_period_comes_from_the_setting():
    record = r.full_record()
    _close(record)
    assert closing.purge_expired(now=r.NOW + dt.timedelta(days=31)).clients == 1


def test_a_client_whose_erasure_fails_is_kept_whole_and_the_others_are_erased():
    first, second = r.full_record(), r.full_record(first_name="Second")
    _close(first)
    _close(second)
    before = _rows_of(first.client.pk)
    real_purge = scheduling.appointments_purge_for_client

    # Fails after the care record, the waitlist and the measures of the first client were erased.
    def fail_for_first(*, client_id):
        if client_id == first.client.pk:
            raise RuntimeError("simulated failure")
        return real_purge(client_id=client_id)

    with mock.patch.object(scheduling, "appointments_purge_for_client", side_effect=fail_for_first):
        report = closing.purge_expired(now=r.NOW + RETENTION + dt.timedelta(days=1))
    assert report.failed == [first.client.pk]
    assert report.clients == 1
    after = _rows_of(first.client.pk)
    # Everything but the entries removed before the closing (erased on their own schedule) is kept.
    removed = {"care.checkin", "care.providernote", "care.providernoteversion"}
    assert {k: v for k, v in after.items() if k not in removed} == {k: v for k, v in before.items() if k not in removed}
    assert Client.objects.filter(pk=first.client.pk).exists() and after["scheduling.appointment"] == 4
    assert not Client.objects.filter(pk=second.client.pk).exists()


def test_the_command_prints_counts_per_model_and_supports_a_dry_run():
    record = r.full_record()
    _close(record)
    moment = (r.NOW + RETENTION + dt.timedelta(days=1)).isoformat()
    out = StringIO()
    call_command("purge_expired", "--dry-run", "--now", moment, stdout=out)
    text = out.getvalue()
    assert "closed client accounts past retention: 1" in text
    assert "would erase 1 accounts.Client" in text and "would erase 4 scheduling.Appointment" in text
    assert Client.objects.filter(pk=record.client.pk).exists()
    # Only model names and counts: nothing from the record itself.
    assert record.client.first_name not in text and r.NOTE_BODY not in text

    out = StringIO()
    call_command("purge_expired", "--now", moment, stdout=out)
    assert "erased 1 accounts.Client" in out.getvalue()
    out = StringIO()
    call_command("purge_expired", "--now", moment, stdout=out)
    assert "nothing to erase" in out.getvalue()

    with pytest.raises(CommandError, match="UTC offset"):
        call_command("purge_expired", "--now", "2034-01-01T00:00:00")
