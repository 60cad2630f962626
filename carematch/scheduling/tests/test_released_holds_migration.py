"""The migration that gives released holds their own status corrects rows already written:
a hold that closing an account "cancelled" (never booked) becomes released, so its provider
no longer counts as the client's provider; real cancellations stay; every appointment gets
the iCalendar SEQUENCE its calendar files already showed, one higher once cancelled."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from carematch.access import policy
from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.scheduling.models import Status

from .factories import ClientFactory, weekday_provider

START = dt.datetime(2030, 1, 7, 16, tzinfo=dt.UTC)


def _migration() -> tuple[tuple[str, str], tuple[str, str]]:
    """This migration and the one before it, found by name (so renumbering does not matter)."""
    loader = MigrationExecutor(connection).loader
    key = next(k for k in loader.disk_migrations if k[0] == "scheduling" and k[1].endswith(
        "_released_holds_and_sequence"))
    before = next(parent for parent in loader.graph.node_map[key].parents if parent.key[0] == "scheduling")
    return key, before.key


def _migrate(target: tuple[str, str]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_never_booked_cancelled_rows_become_released_and_sequences_are_kept():
    this, before = _migration()
    provider = weekday_provider(user=UserFactory(role=Role.PROVIDER))
    only_held_with = weekday_provider(user=UserFactory(role=Role.PROVIDER))
    client = ClientFactory()
    try:
        old = _migrate(before).loader.project_state([before]).apps.get_model("scheduling", "Appointment")

        def row(provider_id: int, hours: int, status: str, **fields):
            start = START + dt.timedelta(hours=hours)
            return old.objects.create(provider_id=provider_id, client_id=client.pk, start=start,
                                      end=start + dt.timedelta(hours=1), format="telehealth", status=status,
                                      **fields).pk

        cancelled_hold = row(only_held_with.pk, 0, "cancelled", hold_expires_at=START - dt.timedelta(days=1),
                             cancelled_at=START - dt.timedelta(days=1), cancelled_by_role="client")
        cancelled = row(provider.pk, 1, "cancelled", booked_at=START - dt.timedelta(days=3),
                        cancelled_at=START - dt.timedelta(days=1), cancelled_by_role="provider")
        moved_then_cancelled = row(provider.pk, 2, "cancelled", booked_at=START - dt.timedelta(days=3),
                                   rescheduled_from=START, cancelled_at=START - dt.timedelta(days=1))
        moved = row(provider.pk, 3, "booked", booked_at=START - dt.timedelta(days=3), rescheduled_from=START)
        completed = row(provider.pk, 4, "completed", booked_at=START - dt.timedelta(days=3))
        lapsed = row(only_held_with.pk, 5, "lapsed", hold_expires_at=START - dt.timedelta(days=2))
        assert policy.care_visible(only_held_with.user, client)  # the wrong that is being corrected

        # The model as this migration left it (later migrations add columns it has not got yet).
        new = _migrate(this).loader.project_state([this]).apps.get_model("scheduling", "Appointment")
        now = {a.pk: (a.status, a.sequence) for a in new.objects.all()}
        assert now == {
            cancelled_hold: (Status.RELEASED, 0), cancelled: (Status.CANCELLED, 1),
            moved_then_cancelled: (Status.CANCELLED, 2), moved: (Status.BOOKED, 1),
            completed: (Status.COMPLETED, 0), lapsed: (Status.LAPSED, 0),
        }
        assert new.objects.get(pk=cancelled_hold).cancelled_at == START - dt.timedelta(days=1)
        assert not policy.care_visible(only_held_with.user, client)
        assert policy.care_visible(provider.user, client)

        # Undone, a released hold becomes a lapsed one, never a cancellation again.
        old = _migrate(before).loader.project_state([before]).apps.get_model("scheduling", "Appointment")
        assert old.objects.get(pk=cancelled_hold).status == "lapsed"
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
