"""A change that touches few providers updates the published snapshot in place of a whole
rebuild (carematch/matching/snapshot.py `_incremental`, engine/store.py `patch_directory`):
the providers the database's change log names are read again and spliced into the arrays of
the snapshot before. The result must be the directory a whole rebuild gives, provider for
provider, whatever the change. Data is committed in the database tests (transaction=True): on
PostgreSQL a change of a transaction still open counts as made after any mark."""

from __future__ import annotations

import datetime as dt
import random
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carematch.directory.models import AvailabilityWindow, DirectoryChange, License, LicenseStatus, Provider
from carematch.directory.services import directory_changes_prune
from carematch.directory.tests.factories import LicenseFactory, ProviderFactory, WindowFactory
from carematch.matching import snapshot
from carematch.matching.engine.directory import LicenseRow, WindowRow, build_directory
from carematch.matching.engine.store import directory_rows, load_directory, patch_directory, read_meta

from .test_engine_openings import provider_row

# --- The splice itself, on directories built in memory --------------------------------------------

PAYERS = ["aetna", "cigna", "kaiser", "medicaid_co"]
LANGUAGES = ["en", "es", "vi", "zh"]
ZONES = ["America/Denver", "America/New_York", "America/Chicago"]


@st.composite
def provider_rows(draw, provider_id):
    located = draw(st.booleans())
    row = provider_row(
        provider_id,
        npi=f"{provider_id:010d}", first_name=draw(st.sampled_from(["Ada", "Bo", "Élodie"])),
        credentials=draw(st.lists(st.sampled_from(["LPC", "PhD", "LCSW"]), max_size=2, unique=True)),
        languages=draw(st.lists(st.sampled_from(LANGUAGES), min_size=1, unique=True)),
        insurance=draw(st.lists(st.sampled_from(PAYERS), unique=True)),
        concerns=draw(st.lists(st.sampled_from(["anxiety", "depression", "grief"]), min_size=1, unique=True)),
        timezone=draw(st.sampled_from(ZONES)), accepting_new=draw(st.booleans()),
        min_notice_hours=draw(st.sampled_from([0, 2, 24])), self_pay_rate=draw(st.integers(50, 250)),
        latitude=39.7 if located else None, longitude=-104.9 if located else None,
    )
    licenses = [LicenseRow(provider_id, state, dt.date(2027 + years, 1, 1), status)
                for state, years, status in draw(st.lists(st.tuples(
                    st.sampled_from(["CO", "NY", "TX"]), st.integers(0, 5),
                    st.sampled_from(["verified", "unverified", "rejected"])), max_size=3))]
    windows = [WindowRow(provider_id, day, dt.time(start), dt.time(start + length))
               for day, start, length in draw(st.lists(st.tuples(
                   st.integers(0, 6), st.integers(6, 15), st.integers(1, 6)), max_size=3))]
    return row, licenses, windows


@st.composite
def changes(draw):
    before = {n: draw(provider_rows(n)) for n in draw(st.lists(st.integers(1, 30), unique=True, max_size=20))}
    after = dict(before)
    touched = draw(st.lists(st.integers(1, 34), unique=True, max_size=6))
    for n in touched:
        if n in after and draw(st.booleans()):
            del after[n]  # removed
        else:
            after[n] = draw(provider_rows(n))  # added or changed
    return before, after, touched


def built(rows, effects=None):
    return build_directory(
        providers=[row for row, _, _ in rows.values()], licenses=[lic for _, lics, _ in rows.values() for lic in lics],
        windows=[w for _, _, ws in rows.values() for w in ws], effects=effects, match_unverified=False,
    )


@settings(max_examples=120, deadline=None)
@given(changes())
def test_splicing_the_changed_providers_gives_the_directory_built_afresh(change):
    before, after, touched = change
    effects = {n: {"depression": (1.5 * n % 7 - 3, 10, 0.4)} for n in range(1, 35, 3)}
    old = built(before, effects)
    fresh = built({n: after[n] for n in touched if n in after}, effects)
    patched = patch_directory(old, np.array(sorted(touched), dtype=np.int64), fresh)
    assert directory_rows(patched) == directory_rows(built(after, effects))


# --- The snapshot, from the database's change log ---------------------------------------------------


@pytest.fixture
def published(settings, tmp_path, monkeypatch):
    settings.MATCH_SNAPSHOT_REFRESH = "background"
    settings.MATCH_SNAPSHOT_DIR = tmp_path / "snapshots"
    monkeypatch.setattr(snapshot, "_kept", snapshot._Kept())
    return tmp_path / "snapshots"


def newest(folder: Path) -> Path:
    return max((p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)


def random_change(rng: random.Random, providers: list[Provider]) -> str:
    """One change of the kinds a directory sees, to a provider picked at random."""
    provider = rng.choice(providers)
    kind = rng.choice(["add", "remove", "hours", "licence", "accepting", "profile"])
    if kind == "add":
        added = ProviderFactory(concerns=rng.sample(["anxiety", "depression", "grief"], 2),
                                insurance=[rng.choice(["aetna", "cigna", "kaiser_new_payer"])],
                                languages=[rng.choice(["en", "es", "fr"])], timezone=rng.choice(ZONES))
        LicenseFactory(provider=added, state=rng.choice(["CO", "NY"]))
        WindowFactory(provider=added, weekday=rng.randint(0, 6), start=dt.time(rng.randint(7, 12)), end=dt.time(17))
        providers.append(added)
    elif kind == "remove":
        providers.remove(provider)
        License.objects.filter(provider=provider).delete()
        AvailabilityWindow.objects.filter(provider=provider).delete()
        provider.delete()
    elif kind == "hours":
        AvailabilityWindow.objects.filter(provider=provider).delete()
        for day in rng.sample(range(7), rng.randint(0, 3)):
            WindowFactory(provider=provider, weekday=day, start=dt.time(rng.randint(6, 12)),
                          end=dt.time(rng.randint(13, 20)))
    elif kind == "licence":
        lic = License.objects.filter(provider=provider).first()
        if lic is None or rng.random() < 0.3:
            LicenseFactory(provider=provider, state=rng.choice(["CO", "NY", "TX"]))
        else:
            lic.status = rng.choice([LicenseStatus.VERIFIED, LicenseStatus.REJECTED, LicenseStatus.UNVERIFIED])
            lic.expires = lic.expires + dt.timedelta(days=rng.randint(-400, 400))
            lic.save()
    elif kind == "accepting":
        provider.accepting_new = not provider.accepting_new
        provider.save()
    else:
        provider.concerns = rng.sample(["anxiety", "depression", "grief", "trauma"], rng.randint(1, 3))
        provider.min_notice_hours = rng.choice([0, 2, 24])
        provider.save()
    return kind


@pytest.mark.django_db(transaction=True)
def test_each_small_change_updates_the_snapshot_to_what_a_whole_rebuild_reads(published):
    rng = random.Random(20)
    providers = []
    for n in range(12):
        provider = ProviderFactory(timezone=ZONES[n % 3], languages=["en", "es"][: 1 + n % 2])
        LicenseFactory(provider=provider)
        WindowFactory(provider=provider, weekday=n % 7)
        providers.append(provider)
    snapshot.snapshot_refresh()
    assert read_meta(newest(published))["built"] == "whole"
    for step in range(25):
        kind = random_change(rng, providers)
        assert snapshot.snapshot_refresh() is not None, kind
        folder = newest(published)
        assert read_meta(folder)["built"] == "incremental", (step, kind)
        assert directory_rows(load_directory(folder)) == directory_rows(snapshot.build_snapshot()), (step, kind)
    assert snapshot._kept.incremental_builds == 25


@pytest.mark.django_db(transaction=True)
def test_more_changed_providers_than_allowed_or_another_setting_rebuild_the_whole_snapshot(
    published, settings, monkeypatch,
):
    for _ in range(3):
        LicenseFactory()
    snapshot.snapshot_refresh()
    monkeypatch.setattr(snapshot, "INCREMENTAL_LEAST", 2)
    assert snapshot.incremental_most(3) == 2
    Provider.objects.update(min_notice_hours=24)  # three providers: more than 2
    snapshot.snapshot_refresh()
    assert read_meta(newest(published))["built"] == "whole"
    Provider.objects.filter(pk=Provider.objects.order_by("pk")[0].pk).update(min_notice_hours=2)
    snapshot.snapshot_refresh()
    assert read_meta(newest(published))["built"] == "incremental"
    # A snapshot built under the other license setting is never the base of one.
    settings.MATCH_UNVERIFIED_LICENSES = not settings.MATCH_UNVERIFIED_LICENSES
    snapshot.snapshot_refresh()
    assert read_meta(newest(published))["built"] == "whole"


@pytest.mark.django_db(transaction=True)
def test_the_change_log_names_each_provider_a_change_touched_and_is_pruned_after_a_day():
    provider, other = ProviderFactory(), ProviderFactory()
    mark = snapshot.change_mark()
    WindowFactory(provider=provider)
    LicenseFactory(provider=other)
    Provider.objects.filter(pk=other.pk).update(self_pay_rate=90)
    assert snapshot.changed_since(mark, most=10) == sorted([provider.pk, other.pk])
    assert snapshot.changed_since(mark, most=1) is None
    assert DirectoryChange.objects.exists()
    assert directory_changes_prune(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=2)) > 0
    assert not DirectoryChange.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_one_change_at_a_few_thousand_providers_is_read_again_alone_and_faster_than_a_rebuild(published):
    from carematch.directory import services as directory

    from .test_match_service import record

    directory.providers_upsert(records=[record(n) for n in range(1, 3001)])
    began = time.perf_counter()
    snapshot.snapshot_refresh()
    whole_s = time.perf_counter() - began
    provider = Provider.objects.order_by("pk").first()
    provider.self_pay_rate = 95
    provider.save()
    began = time.perf_counter()
    snapshot.snapshot_refresh()
    incremental_s = time.perf_counter() - began
    folder = newest(published)
    assert read_meta(folder)["built"] == "incremental"
    assert directory_rows(load_directory(folder)) == directory_rows(snapshot.build_snapshot())
    print(f"3,000 providers: whole rebuild {whole_s:.2f} s, one change {incremental_s:.2f} s")  # noqa: T201
    assert incremental_s < whole_s
