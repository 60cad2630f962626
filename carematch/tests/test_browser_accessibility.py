"""axe-core finds no serious or critical violation on the pages of the journey (home, every
intake step, help now, results, a profile, booking, the hold and sign-up, a booked session,
log-in and sign-up) and on the forms people fill in, with their errors shown, at desktop
width and on a 390 px phone.

Adding a page is one line in PAGES: a name and a function that brings a `Scene` (a browser
page; a provider in Colorado with openings every hour; a client with a booked session; a
coordinator) to it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from importlib import import_module
from typing import Any

import pytest
from django.conf import settings
from django.test import Client as DjangoClient
from django.utils import timezone
from playwright.sync_api import Page

from carematch.accounts.models import Client, Role, User
from carematch.accounts.tests.factories import UserFactory
from carematch.coverage.models import Fee, Plan
from carematch.directory.models import Provider
from carematch.directory.tests.factories import LicenseFactory, ProviderFactory, WindowFactory
from carematch.matching import intake
from carematch.measures import links
from carematch.measures import services as measures_services
from carematch.measures.tests.factories import appointment
from carematch.scheduling import services as scheduling_services
from carematch.scheduling.tests.factories import ClientFactory
from carematch.tests.axe import assert_no_serious_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The answers of an anxious client in Denver, paying with Aetna, who fits the scene's provider.
ANSWERS: dict[str, Any] = {
    "in_danger": "no", "concerns": ["anxiety"], "approaches": [], "format": "telehealth", "max_distance_miles": "25",
    "state": "CO", "zip": "80202", "date_of_birth": "1990-05-17", "languages": ["en"], "provider_gender": "",
    "payment": "aetna", "self_pay_max": None, "times_of_day": ["evening"], "plan_id": "AET-20",
    "deductible_left_usd": "12",
}
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@dataclass
class Scene:
    page: Page
    base_url: str
    provider: Provider
    client: Client
    coordinator: User

    def visit(self, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.status < 500, (url, response and response.status)
        self.page.wait_for_load_state("load")

    def sign_in(self, user: User) -> None:
        """The browser takes over a signed-in session (the second step passed, as force_login does)."""
        django_client = DjangoClient()
        django_client.force_login(user)
        self._take_session(django_client.cookies[settings.SESSION_COOKIE_NAME].value)

    def answered(self, **changes: Any) -> None:
        """The browser's session holds intake answers (ANSWERS with `changes`), as if typed."""
        store = import_module(settings.SESSION_ENGINE).SessionStore()
        store[intake.SESSION_KEY] = {**ANSWERS, **changes}
        store.save()
        self._take_session(str(store.session_key))

    def _take_session(self, key: str) -> None:
        self.page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": key, "url": self.base_url}])

    def submit(self, button: str | None = None) -> None:
        """Press the page's (first) submit button, or the one named `button`, with the form as it is."""
        main = self.page.locator("main")
        target = (main.get_by_role("button", name=button) if button
                  else main.locator("form:not(.inline-form) [type=submit]").first)
        target.click()
        self.page.wait_for_load_state("load")

    def submit_with_errors(self, button: str | None = None) -> None:
        """Submit, and check the page came back with its form's error summary."""
        self.submit(button)
        assert self.page.locator("[data-error-summary]").count(), f"no error summary on {self.page.url}"

    def opening_url(self) -> str:
        """The address of the provider's first bookable opening, as their profile links it."""
        self.visit(f"/providers/{self.provider.pk}/")
        href = self.page.locator(f'main a[href^="/book/{self.provider.pk}/"]').first.get_attribute("href")
        assert href, "the profile links no opening"
        return href

    def hold(self) -> None:
        """Hold the provider's first opening, signed out: the finish-booking (sign-up) page."""
        self.visit(self.opening_url())
        # A format already known from the intake, or the only one offered, is a hidden field.
        formats = self.page.locator('main input[name="format"][type="radio"]')
        if formats.count() and not self.page.locator('main input[name="format"]:checked').count():
            formats.first.check()
        self.submit("Hold this time and continue")
        assert "/book/hold/" in self.page.url, self.page.url

    def questionnaire_link(self) -> str:
        request = measures_services.questionnaire_send_now(
            client=self.client, instruments=["phq9"], by=self.provider.user, provider=self.provider)
        return links.questionnaire_path(request.salt)


def _intake_step(slug: str) -> Callable[[Scene], None]:
    if slug == "plan":  # asked only once the person has said they pay with insurance
        return lambda s: (s.answered(), s.visit(f"/find/{slug}/"))
    return lambda s: s.visit(f"/find/{slug}/")


def _coverage_page(path: str, *, errors: bool = False) -> Callable[[Scene], None]:
    def bring(s: Scene) -> None:
        s.sign_in(s.coordinator)
        s.visit(path)
        if errors:
            s.submit_with_errors()
    return bring


def _results(s: Scene) -> None:
    s.answered()
    s.visit("/find/results/")
    assert s.page.get_by_text("Robin Vale").count(), "the results list the provider who fits"


def _help_now(s: Scene, *, errors: bool = False) -> None:
    s.answered(in_danger="yes")
    s.visit("/find/help-now/")
    if errors:
        s.submit_with_errors("Ask a coordinator to reach out")


def _session(s: Scene) -> None:
    start = (timezone.now() + dt.timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    booked = appointment(s.provider, s.client, start=start)
    s.sign_in(s.client.user)
    s.visit(f"/sessions/{booked.pk}/")


def _provider_sends_nothing(s: Scene) -> None:
    appointment(s.provider, s.client)  # a client in their care, so the sending form is there
    s.sign_in(s.provider.user)
    s.visit("/provider/questionnaires/")
    s.submit_with_errors("Send the questionnaire")


def _crisis_queue_with_errors(s: Scene) -> None:
    scheduling_services.crisis_request_create(channel="page", name="Rowan", phone="(720) 555-0101", state="CO",
                                              now=timezone.now() - dt.timedelta(minutes=5))
    s.sign_in(s.coordinator)
    s.visit("/staff/crisis/")
    s.submit_with_errors()


def _audit_log(s: Scene, query: str = "") -> None:
    s.sign_in(s.coordinator)
    s.visit("/staff/")  # a few events to list
    s.visit(f"/staff/audit/{query}")
    if query:
        assert s.page.locator("[data-error-summary]").count(), "the filter's error is summarised"


def _goal_with_errors(s: Scene) -> None:
    appointment(s.provider, s.client)
    s.sign_in(s.client.user)
    s.visit("/progress/goals/new/")
    s.submit_with_errors()


def _finish_booking_with_errors(s: Scene) -> None:
    s.hold()
    s.submit_with_errors("Book this session")


def _questionnaire_with_errors(s: Scene) -> None:
    s.visit(s.questionnaire_link())
    s.submit_with_errors("Send my answers")


def _compare(s: Scene) -> None:
    other = ProviderFactory(first_name="Kai", last_name="Moreno", concerns=["anxiety"], formats=["telehealth"],
                            insurance=["aetna"], min_notice_hours=0, sliding_scale_min=60, sliding_scale_max=110,
                            self_pay_rate=140, communities=["lgbtq_affirming"])
    LicenseFactory(provider=other, state="CO", expires=timezone.localdate() + dt.timedelta(days=365))
    for day in range(7):
        WindowFactory(provider=other, weekday=day, start=dt.time(0), end=dt.time(23))
    s.answered()
    s.visit(f"/find/compare/?p={s.provider.pk}&p={other.pk}")
    assert s.page.get_by_role("table").count(), "compare shows the two side by side"


def _session_page(suffix: str) -> Callable[[Scene], None]:
    def bring(s: Scene) -> None:
        _session(s)
        s.visit(s.page.url.rstrip("/") + "/" + suffix)
    return bring


def _cancelled(s: Scene) -> None:
    _session(s)
    s.visit(s.page.url.rstrip("/") + "/cancel/")
    s.submit("Yes, cancel this session")


def _series_form(s: Scene) -> None:
    start = (timezone.now() + dt.timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    booked = appointment(s.provider, s.client, start=start)
    s.sign_in(s.provider.user)
    s.visit(f"/sessions/{booked.pk}/series/")
    assert s.page.get_by_label("How often").count(), "the provider's series form"


def _conversation(s: Scene, *, crisis: bool = False) -> None:
    """A client's conversation with their provider, one message each way (and, with `crisis`,
    the page right after a message that mentions self-harm: the crisis resources first)."""
    from carematch.messaging import services as messaging

    appointment(s.provider, s.client)
    conversation, _ = messaging.conversation_start(by=s.client.user, with_user=s.provider.user)
    messaging.message_send(conversation=conversation, sender=s.client.user, body="Can we move Thursday?")
    messaging.message_send(conversation=conversation, sender=s.provider.user, body="Friday at 4 works.")
    s.sign_in(s.client.user)
    s.visit(f"/messages/{conversation.pk}/")
    if crisis:
        s.page.get_by_label("Your message").fill("I keep thinking I want to kill myself")
        s.submit("Send")
        assert s.page.get_by_role("heading", name="You deserve support right now").count()


def _lost_hold(s: Scene) -> None:
    s.answered()
    s.visit("/book/hold/999999/")
    assert s.page.locator("h1").count(), "a lost hold gets a page of its own"


PAGES: list[tuple[str, Callable[[Scene], None]]] = [
    ("home", lambda s: s.visit("/")),
    *[(f"intake step {step.slug}", _intake_step(step.slug)) for step in intake.STEPS],
    ("help now", _help_now),
    ("results", _results),
    ("public profile", lambda s: s.visit(f"/providers/{s.provider.pk}/")),
    ("booking", lambda s: s.visit(s.opening_url())),
    ("hold and sign-up", lambda s: s.hold()),
    ("booked session", _session),
    ("compare", _compare),
    ("cancel confirmation", _session_page("cancel/")),
    ("session cancelled, next openings", _cancelled),
    ("choose another time", _session_page("reschedule/")),
    ("a hold that is not there", _lost_hold),
    ("join page before the room opens", _session_page("join/")),
    ("booking a series", _series_form),
    ("log-in", lambda s: s.visit("/accounts/login/")),
    ("sign-up", lambda s: s.visit("/accounts/signup/")),
    ("access log", _audit_log),
    ("plans and fee schedules", _coverage_page("/staff/coverage/")),
    ("a conversation", _conversation),
    ("a conversation, after a message about self-harm", lambda s: _conversation(s, crisis=True)),
    # Forms with their errors shown.
    ("intake safety, nothing chosen", lambda s: (s.visit("/find/"), s.submit_with_errors())),
    ("intake concerns, nothing chosen", lambda s: (s.visit("/find/help/"), s.submit_with_errors())),
    ("intake place, nothing chosen", lambda s: (s.visit("/find/place/"), s.submit_with_errors())),
    ("help now, no way to reach you", lambda s: _help_now(s, errors=True)),
    ("finish booking, nothing typed", _finish_booking_with_errors),
    ("log-in, nothing typed", lambda s: (s.visit("/accounts/login/"), s.submit_with_errors("Log in"))),
    ("sign-up, nothing typed", lambda s: (s.visit("/accounts/signup/"), s.submit_with_errors())),
    ("questionnaire, nothing answered", _questionnaire_with_errors),
    ("sending a questionnaire, nothing chosen", _provider_sends_nothing),
    ("crisis follow-up, nothing recorded", _crisis_queue_with_errors),
    ("a goal, nothing typed", _goal_with_errors),
    ("access log, a date that is not one", lambda s: _audit_log(s, "?since=not-a-date")),
    ("import plans, no file chosen", _coverage_page("/staff/coverage/benefits/import/", errors=True)),
]


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def sized_page(request: pytest.FixtureRequest, chromium: Any, live_server: Any) -> Iterator[Page]:
    phone = request.param == "phone"
    context = chromium.new_context(viewport=WIDTHS[request.param], base_url=live_server.url,
                                   is_mobile=phone, has_touch=phone, device_scale_factor=2 if phone else 1)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def scene(sized_page: Page, live_server: Any) -> Scene:
    provider = ProviderFactory(first_name="Robin", last_name="Vale", concerns=["anxiety", "sleep"],
                               approaches=["cbt"], formats=["telehealth"], insurance=["aetna"], min_notice_hours=0,
                               timezone="America/Denver", user=UserFactory(role=Role.PROVIDER))
    LicenseFactory(provider=provider, state="CO", expires=timezone.localdate() + dt.timedelta(days=365))
    for day in range(7):
        WindowFactory(provider=provider, weekday=day, start=dt.time(0), end=dt.time(23))
    client = ClientFactory(state="CO", timezone="America/Denver")
    now = timezone.now()
    Plan.objects.create(payer_id="aetna", plan_id="AET-20", name="Open Choice 20%", copay_usd=None,
                        coinsurance_pct=Decimal(20), deductible_usd=Decimal(1500), deductible_applies=True,
                        oop_max_usd=Decimal(4000), updated_at=now)
    for cpt, allowed in (("90791", 180), ("90837", 150)):
        Fee.objects.create(payer_id="aetna", plan_id="*", cpt=cpt, allowed_usd=Decimal(allowed), state="*",
                           updated_at=now)
    return Scene(page=sized_page, base_url=live_server.url, provider=provider, client=client,
                 coordinator=UserFactory(role=Role.COORDINATOR))


@pytest.mark.parametrize("name, bring", PAGES, ids=[name for name, _ in PAGES])
def test_no_serious_or_critical_axe_violation(scene, name, bring):
    bring(scene)
    assert_no_serious_axe_violations(scene.page, name)


def test_the_check_finds_what_it_should_under_the_sites_policy(browser_page):
    """axe-core really runs on carematch's pages, under their Content-Security-Policy: an input
    without a label, added to the home page, is reported with its rule, element and help page."""
    page = browser_page
    page.goto("/")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<input id=\"nameless\">')")
    with pytest.raises(pytest.fail.Exception) as failed:
        assert_no_serious_axe_violations(page, "home with a nameless input")
    message = str(failed.value)
    assert "home with a nameless input" in message and "label (critical)" in message
    assert "#nameless" in message and "https://dequeuniversity.com/rules/axe/" in message
