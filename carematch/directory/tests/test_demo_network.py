"""The demo network: synthetic, deterministic, valid by the same rules as any import."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt

import pytest

from carematch.accounts.demo import seed_demo_accounts
from carematch.accounts.models import Role
from carematch.directory.demo import demo_records, seed_demo_network
from carematch.directory.models import Provider
from carematch.directory.validation import build_provider_record
from carematch.lib import vocab

TODAY = dt.date(2026, 11, 26)


def as_values(record):
    values = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    values["availability"] = values.pop("windows")
    for name in ("self_pay_rate", "min_notice_hours"):
        values[name] = str(values[name])
    values["accepting_new"] = "yes" if record.accepting_new else "no"
    return values


def test_the_same_seed_gives_the_same_network_and_another_seed_another():
    assert demo_records(count=300, seed=7, today=TODAY) == demo_records(count=300, seed=7, today=TODAY)
    assert demo_records(count=300, seed=7, today=TODAY) != demo_records(count=300, seed=8, today=TODAY)


def test_every_demo_provider_passes_the_import_rules():
    for record in demo_records(count=400, today=TODAY):
        rebuilt, problems = build_provider_record(as_values(record))
        assert problems == [], (record.npi, problems)
        assert rebuilt == record


def test_the_network_covers_every_state_weighted_by_population_with_realistic_spreads():
    records = demo_records(count=2000, today=TODAY)
    homes = collections.Counter(r.licenses[0].state for r in records)
    assert set(homes) == set(vocab.STATES)
    assert homes["CA"] > homes["CO"] > homes["WY"]
    share = lambda test: sum(map(test, records)) / len(records)  # noqa: E731
    assert 0.1 < share(lambda r: "es" in r.languages) < 0.4
    assert 0.8 < share(lambda r: "telehealth" in r.formats) < 0.98
    assert 0.2 < share(lambda r: "in_person" in r.formats) < 0.6
    assert 0.01 < share(lambda r: any(lic.expires <= TODAY + dt.timedelta(days=60) for lic in r.licenses)) < 0.1
    assert len({r.npi for r in records}) == 2000
    assert len({r.credentials for r in records}) >= 6


@pytest.mark.django_db
def test_seeding_twice_creates_once_and_links_the_demo_provider_account():
    provider_user = next(u for u, _ in seed_demo_accounts() if u.role == Role.PROVIDER)
    first = seed_demo_network(count=40, seed=3, today=TODAY, provider_account=provider_user)
    second = seed_demo_network(count=40, seed=3, today=TODAY, provider_account=provider_user)
    assert first == "Demo network: 40 providers created, 0 updated."
    assert second == "Demo network already present (40 providers); left as it is."
    assert Provider.objects.count() == 40
    assert Provider.objects.get(user=provider_user).npi == demo_records(count=1, seed=3, today=TODAY)[0].npi
