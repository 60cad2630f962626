"""On small random directories and requests, the engine (through match_find) and the plain
reference matcher give the same answers, and every provider and opening either returns
obeys every hard rule, checked here again against the database on its own terms. Some
providers have clients with PHQ-9 and GAD-7 histories, so outcome estimates rank them too.
Licenses are verified, not yet verified or rejected, and the deployment matches unverified
licenses or not: both matchers follow the same rule either way."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from carematch.directory.models import LicenseStatus, Provider
from carematch.directory.tests.factories import LicenseFactory, ProviderFactory, TimeOffFactory, WindowFactory
from carematch.lib import geo
from carematch.lib.timezones import zone
from carematch.matching.engine.types import MatchRequest, time_of_day
from carematch.matching.reference import reference_match
from carematch.matching.services import match_find
from carematch.measures import services as measures
from carematch.measures.selectors import provider_effects
from carematch.measures.tests.factories import appointment, gad7, phq9
from carematch.scheduling.models import Appointment, CareRequest, Status
from carematch.scheduling.services import check_bookable
from carematch.scheduling.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

# Before the spring and autumn clock changes, Thanksgiving week, New Year, an ordinary week.
NOWS = [
    dt.datetime(2026, 3, 6, 15, tzinfo=dt.UTC), dt.datetime(2026, 10, 30, 20, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 24, 13, tzinfo=dt.UTC), dt.datetime(2026, 12, 30, 22, tzinfo=dt.UTC),
    dt.datetime(2027, 1, 5, 15, 20, 7, 125, tzinfo=dt.UTC),
]
ZIPS = ["80202", "80501", "80903", "10001"]
ZONES = ["America/Denver", "America/New_York", "America/Phoenix", "America/Los_Angeles"]
STATES = ["CO", "NY", "TX"]
SESSION = dt.timedelta(hours=1)


def subset(items, *, at_least=0):
    return st.lists(st.sampled_from(items), min_size=at_least, max_size=len(items), unique=True)


provider_shapes = st.fixed_dictionaries({
    "languages": st.sampled_from([["en"], ["en"], ["en", "es"], ["es"], ["fr", "en"]]),
    "concerns": subset(["anxiety", "depression", "grief"], at_least=1),
    "approaches": subset(["cbt", "dbt", "emdr"]),
    "specialties": subset(["anxiety", "depression", "grief"]),
    "populations": st.sampled_from([
        ["adults"], ["adults", "teens"], ["children", "teens"], ["adults", "seniors"],
        ["children", "teens", "adults", "seniors"],
    ]),
    "formats": st.sampled_from([["telehealth"], ["in_person"], ["telehealth", "in_person"]]),
    "insurance": subset(["aetna", "cigna"]),
    "self_pay_rate": st.sampled_from([80, 120, 150, 200]),
    "accepting_new": st.sampled_from([True, True, True, False]),
    "timezone": st.sampled_from(ZONES),
    "min_notice_hours": st.sampled_from([0, 2, 24]),
    "works_holidays": st.booleans(),
    "gender": st.sampled_from(["female", "male", "nonbinary", "not_stated"]),
    "zip": st.sampled_from(ZIPS),
    "licenses": st.lists(st.tuples(
        st.sampled_from(["CO", *STATES]), st.sampled_from([*LicenseStatus.values, "verified"]),
        st.sampled_from([400, 400, 400, -3, 0, 1, 2, 3, 5, 8]),
    ), min_size=1, max_size=2),
    "windows": st.lists(st.tuples(
        st.integers(0, 6), st.one_of(st.integers(7, 18), st.integers(0, 21)), st.sampled_from([0, 30]),
        st.integers(1, 8),
    ), min_size=1, max_size=5, unique_by=lambda w: (w[0], w[1], w[2])),
    "time_off": st.lists(st.tuples(st.integers(-24, 96), st.integers(1, 48)), max_size=1),
    "claims": st.lists(st.tuples(
        st.integers(0, 100), st.sampled_from(["booked", "held", "held_expired", "cancelled"]),
    ), max_size=3, unique_by=lambda c: c[0]),
    "recent": st.lists(st.integers(1, 20), max_size=2),
    # Clients' first and latest scores with the provider: fewer than 5 inform the network but back no estimate.
    "measured": st.one_of(st.just([]), st.lists(st.tuples(st.integers(8, 21), st.integers(0, 21)), min_size=3,
                                                max_size=6)),
    "instruments": st.sampled_from([("phq9",), ("gad7",), ("phq9", "gad7")]),
})
ANSWERS = {"phq9": phq9, "gad7": gad7}

requests = st.fixed_dictionaries({
    "state": st.sampled_from(["CO", *STATES]),
    "age": st.sampled_from([30, 30, 9, 15, 70]),
    "concerns": subset(["anxiety", "depression", "grief"], at_least=1).map(tuple),
    "approaches": subset(["cbt", "dbt"]).map(tuple),
    "format": st.sampled_from(["any", "any", "telehealth", "in_person"]),
    "zip": st.sampled_from(["80202", None, "10001"]),
    "max_distance_miles": st.sampled_from([10.0, 25.0, 50.0]),
    "languages": st.sampled_from([("en",), ("en",), ("es",), ("fr", "en")]),
    "provider_gender": st.sampled_from([None, "female", "male"]),
    "insurance": st.sampled_from([None, None, "aetna"]),
    "self_pay_max": st.sampled_from([None, 100, 150, 200]),
    "within_hours": st.sampled_from([24, 48, 72, 168]),
    "limit": st.integers(1, 5),
    "times_of_day": subset(["morning", "afternoon", "evening"]).map(tuple),
    "client_timezone": st.sampled_from(ZONES),
})


POPULATION_OF_AGE = {9: "children", 15: "teens", 30: "adults", 70: "seniors"}


@st.composite
def scenarios(draw):
    """A request and a directory in which about half the providers are made to fit it
    (and then differ in everything else), so that most examples have matches to rank."""
    asked = draw(requests)
    if asked["format"] == "in_person" and asked["zip"] is None:
        asked = {**asked, "zip": "80202"}
    shapes = []
    for _ in range(draw(st.integers(2, 7))):
        shape = draw(provider_shapes)
        if draw(st.booleans()):
            shape = {
                **shape,
                "accepting_new": True,
                "languages": sorted({*shape["languages"], asked["languages"][0]}),
                "populations": sorted({*shape["populations"], POPULATION_OF_AGE[asked["age"]]}),
                "concerns": sorted({*shape["concerns"], asked["concerns"][0]}),
                "insurance": sorted({*shape["insurance"], *([asked["insurance"]] if asked["insurance"] else [])}),
                "self_pay_rate": min(shape["self_pay_rate"], asked["self_pay_max"] or 10_000),
                "formats": sorted({*shape["formats"], "telehealth" if asked["format"] != "in_person" else "in_person"}),
                # Fits in every way, but its license there may still wait for verification.
                "licenses": [(asked["state"], draw(st.sampled_from(["verified", "verified", "unverified"])), 400),
                             *shape["licenses"][:1]],
                "windows": [*shape["windows"], *[(day, draw(st.integers(7, 17)), 0, 3) for day in range(7)
                                                  if day not in {w[0] for w in shape["windows"]}]],
            }
        shapes.append(shape)
    return shapes, asked


def build(shapes, now):
    """The directory and the calendar around it, written with the factories."""
    for shape in shapes:
        client = ClientFactory() if shape["claims"] or shape["recent"] else None
        located = geo.zip_location(shape["zip"])
        provider = ProviderFactory(
            **{k: shape[k] for k in ("languages", "concerns", "specialties", "approaches", "populations", "formats",
                                     "insurance", "self_pay_rate", "accepting_new", "timezone", "min_notice_hours",
                                     "works_holidays", "gender", "zip")},
            latitude=located[0], longitude=located[1],
        )
        for state, status, days in shape["licenses"]:
            LicenseFactory(provider=provider, state=state, status=status, expires=now.date() + dt.timedelta(days=days))
        for weekday, hour, minute, hours in shape["windows"]:
            end_minutes = min(23 * 60 + 59, hour * 60 + minute + hours * 60)
            end = dt.time(end_minutes // 60, end_minutes % 60)
            WindowFactory(provider=provider, weekday=weekday, start=dt.time(hour, minute), end=end)
        for offset, hours in shape["time_off"]:
            start = now + dt.timedelta(hours=offset)
            TimeOffFactory(provider=provider, start=start, end=start + dt.timedelta(hours=hours))
        whole_hour = now.replace(minute=0, second=0, microsecond=0)
        for hours, kind in shape["claims"]:
            start = whole_hour + dt.timedelta(hours=hours)
            Appointment.objects.create(
                provider=provider, client=None if kind.startswith("held") else client, start=start,
                end=start + SESSION, format="telehealth", hold_session="session" if kind.startswith("held") else "",
                status={"booked": Status.BOOKED, "cancelled": Status.CANCELLED}.get(kind, Status.HELD),
                hold_expires_at=now + (dt.timedelta(minutes=5) if kind == "held" else -dt.timedelta(minutes=5))
                if kind.startswith("held") else None,
                booked_at=now - dt.timedelta(days=1),
            )
        for days_ago in shape["recent"]:
            start = whole_hour - dt.timedelta(days=days_ago, hours=1)
            session = Appointment.objects.create(
                provider=provider, client=client, start=start, end=start + SESSION, format="telehealth",
                status=Status.COMPLETED, booked_at=start - dt.timedelta(hours=2),
            )
            CareRequest.objects.create(client=client, requested_at=start - dt.timedelta(days=1),
                                       first_appointment=session, first_start=start)
        for baseline, latest in shape["measured"]:
            measured = ClientFactory()
            appointment(provider, measured, start=now - dt.timedelta(days=60), status=Status.COMPLETED)
            for days_ago, total in ((59, baseline), (3, latest)):
                measures.assessments_record(
                    client=measured, by=None, now=now - dt.timedelta(days=days_ago),
                    responses=[measures.Response(code, ANSWERS[code](total), None) for code in shape["instruments"]],
                )


def assert_same(engine, reference):
    assert [m.provider_id for m in engine.matches] == [m.provider_id for m in reference.matches]
    for mine, theirs in zip(engine.matches, reference.matches, strict=True):
        assert abs(mine.score - theirs.score) <= 1e-9
        assert (mine.npi, mine.name, mine.credentials, mine.openings, mine.reasons) == (
            theirs.npi, theirs.name, theirs.credentials, theirs.openings, theirs.reasons,
        )
    assert engine.suggestions == reference.suggestions
    assert engine.shared == reference.shared


def assert_hard_rules(answer, request, now, *, match_unverified):
    """Every rule of the specification, for every match and opening, from the stored rows."""
    may_count = {LicenseStatus.VERIFIED, LicenseStatus.UNVERIFIED} if match_unverified else {LicenseStatus.VERIFIED}
    population = {9: "children", 15: "teens", 30: "adults", 70: "seniors"}[request.age]
    assert len(answer.matches) <= request.limit
    for match in answer.matches:
        provider = Provider.objects.get(pk=match.provider_id)
        assert provider.accepting_new
        assert set(provider.languages) & set(request.languages)
        assert population in provider.populations
        assert set(provider.concerns) & set(request.concerns)
        if request.insurance:
            assert request.insurance in provider.insurance
        elif request.self_pay_max is not None:
            assert provider.self_pay_rate <= request.self_pay_max
        starts = [opening.start for opening in match.openings]
        chosen = [start for start in starts if time_of_day(start, request.client_timezone) in request.times_of_day]
        # At the times of day asked for first, then the others, each soonest first.
        assert 1 <= len(starts) <= 3 and starts == sorted(chosen) + sorted(set(starts) - set(chosen))
        for opening in match.openings:
            assert request.earliest <= opening.start < request.earliest + dt.timedelta(hours=request.within_hours)
            assert opening.start >= now + dt.timedelta(hours=provider.min_notice_hours)
            assert opening.end == opening.start + SESSION
            assert opening.formats
            for format in opening.formats:
                assert request.format in ("any", format)
                if format == "in_person":
                    client = geo.zip_location(request.zip)
                    assert geo.miles_between(client[0], client[1], provider.latitude, provider.longitude) <= \
                        request.max_distance_miles
                check_bookable(provider=provider, client=None, start=opening.start, format=format, now=now)
            days = {
                moment.astimezone(zone(name)).date()
                for name in (provider.timezone, request.client_timezone)
                for moment in (opening.start, opening.end)
            }
            assert any(
                lic.state == request.state and lic.status in may_count and lic.expires >= max(days)
                for lic in provider.licenses.all()
            )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(scenario=scenarios(), now=st.sampled_from(NOWS), lead_minutes=st.integers(-30, 30 * 60),
       match_unverified=st.booleans())
def test_engine_and_reference_agree_and_never_break_a_hard_rule(scenario, now, lead_minutes, match_unverified):
    shapes, asked = scenario
    request = MatchRequest(earliest=now + dt.timedelta(minutes=lead_minutes), **asked)
    with transaction.atomic(), override_settings(MATCH_UNVERIFIED_LICENSES=match_unverified):
        build(shapes, now)
        engine = match_find(request=request, now=now)
        reference = reference_match(request=request, now=now)
        assert_same(engine, reference)
        event(f"{len(engine.matches)} matches, {len(engine.suggestions)} suggestions")
        estimated = len(provider_effects())
        event(f"providers with an outcome estimate: {'none' if not estimated else 'one' if estimated == 1 else 'some'}")
        praised = any(reason.startswith("Clients working on") for match in engine.matches for reason in match.reasons)
        event(f"an outcome reason shown: {praised}")
        event(f"unverified licenses match: {match_unverified}")
        assert_hard_rules(engine, request, now, match_unverified=match_unverified)
        transaction.set_rollback(True)


@pytest.mark.parametrize("match_unverified", [False, True])
def test_a_license_waiting_for_verification_counts_for_both_matchers_only_where_the_network_allows(
    settings, match_unverified,
):
    now = NOWS[-1]
    waiting = ProviderFactory(formats=["telehealth"])
    LicenseFactory(provider=waiting, state="CO", status=LicenseStatus.UNVERIFIED, expires=dt.date(2030, 1, 1))
    rejected = ProviderFactory(formats=["telehealth"])
    LicenseFactory(provider=rejected, state="CO", status=LicenseStatus.REJECTED, expires=dt.date(2030, 1, 1))
    for provider in (waiting, rejected):
        for day in range(7):
            WindowFactory(provider=provider, weekday=day, start=dt.time(8), end=dt.time(18))
    settings.MATCH_UNVERIFIED_LICENSES = match_unverified
    request = MatchRequest(state="CO", age=30, concerns=("anxiety",), earliest=now, client_timezone="America/Denver")

    engine, reference = match_find(request=request, now=now), reference_match(request=request, now=now)

    assert_same(engine, reference)
    assert [m.provider_id for m in engine.matches] == ([waiting.pk] if match_unverified else [])
