"""When a license counts on a date, and when it is in force, is one rule (carematch/lib/licenses.py).
Everything that reads licenses gives its answers, for every status, expiry and day, under
either choice of the deployment: the database filters behind the directory search and the
expiring list, the License methods, the staff pages' standing, and the match engine's
directory."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carematch.directory import selectors
from carematch.directory.models import License, LicenseStatus, licenses_counting_on, licenses_in_force_on
from carematch.directory.views import license_standing
from carematch.lib import licenses as rule
from carematch.matching.engine.zones import day_number
from carematch.matching.snapshot import build_snapshot

from .factories import LicenseFactory, ProviderFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2027, 3, 10)
STATES = ("CO", "NY")


def counts(lic: License, day: dt.date, match_unverified: bool) -> bool:
    return rule.license_counts_on(status=lic.status, expires=lic.expires, day=day, match_unverified=match_unverified)


def in_force(lic: License, day: dt.date) -> bool:
    return rule.in_force_on(status=lic.status, expires=lic.expires, day=day)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(st.integers(0, 2), st.sampled_from(STATES), st.sampled_from(LicenseStatus.values),
                            st.integers(-3, 3)), min_size=1, max_size=6),
    day_offset=st.integers(-1, 1),
    match_unverified=st.booleans(),
)
def test_every_reader_of_licenses_gives_the_answers_of_the_one_rule(rows, day_offset, match_unverified):
    day = DAY + dt.timedelta(days=day_offset)
    with transaction.atomic(), override_settings(MATCH_UNVERIFIED_LICENSES=match_unverified):
        providers = [ProviderFactory() for _ in range(3)]
        licenses = [
            LicenseFactory(provider=providers[at], state=state, status=status, expires=DAY + dt.timedelta(days=days))
            for at, state, status, days in rows
        ]
        counting = {lic for lic in licenses if counts(lic, day, match_unverified)}
        forced = {lic for lic in licenses if in_force(lic, day)}

        assert set(License.objects.filter(licenses_counting_on(day))) == counting
        assert set(License.objects.filter(licenses_in_force_on(day))) == forced
        for lic in licenses:
            assert lic.counts_on(day) == (lic in counting)
            assert lic.in_force_on(day) == (lic in forced)
            assert lic.expired_on(day) == (not rule.unexpired_on(lic.expires, day))
            assert license_standing(lic, today=day, match_unverified=match_unverified).counts == (lic in counting)
        assert set(selectors.licenses_expiring(within_days=2, today=day)) == {
            lic for lic in forced if lic.expires <= day + dt.timedelta(days=2)
        }

        directory = build_snapshot()
        for state in STATES:
            searched = set(selectors.provider_search(state=state, on=day))
            assert searched == {lic.provider for lic in counting if lic.state == state}
            searched = set(selectors.provider_search(state=state, on=day, awaiting_verification_too=True))
            assert searched == {lic.provider for lic in forced if lic.state == state}
            # The engine keeps the latest expiry among the licenses there that may count, and
            # tests it against the day as _candidates and candidate_slots do.
            there = directory.licenses.get(state)
            engine = set() if there is None else set(directory.ids[
                there.providers[rule.unexpired_on(there.expires, day_number(day))]
            ].tolist())
            assert engine == {lic.provider_id for lic in counting if lic.state == state}
        transaction.set_rollback(True)


def test_the_expiry_date_is_the_last_day_a_license_is_in_force():
    assert rule.unexpired_on(DAY, DAY) and not rule.unexpired_on(DAY, DAY + dt.timedelta(days=1))
    days = np.array([day_number(DAY) - 1, day_number(DAY), day_number(DAY) + 1])
    assert rule.unexpired_on(days, day_number(DAY)).tolist() == [False, True, True]
    assert rule.in_force_on(status=rule.UNVERIFIED, expires=DAY, day=DAY)
    assert not rule.in_force_on(status=rule.REJECTED, expires=DAY, day=DAY)
    assert rule.statuses_that_count(match_unverified=True) == rule.IN_FORCE_STATUSES
    assert rule.statuses_that_count(match_unverified=False) == {rule.VERIFIED}
