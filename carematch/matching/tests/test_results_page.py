"""The results page gives a person something to choose by: what sets each match apart, what
they all share said once, compare, refine, and one-change suggestions as buttons."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages

from carematch.directory.tests.factories import LicenseFactory, ProviderFactory, WindowFactory
from carematch.matching import intake
from carematch.matching.selectors import first_line, match_cards

pytestmark = pytest.mark.django_db

ANSWERS = {
    "in_danger": "no", "concerns": ["anxiety"], "approaches": ["cbt"], "format": "telehealth",
    "max_distance_miles": "25", "state": "CO", "zip": "", "date_of_birth": "1990-05-17",
    "languages": ["en"], "provider_gender": "", "payment": "aetna", "self_pay_max": None,
    "times_of_day": ["evening"],
}


def therapist(first_name, *, hours=(dt.time(0), dt.time(23, 59)), **fields):
    values = {"first_name": first_name, "last_name": "Example", "formats": ["telehealth"], "insurance": ["aetna"],
              "concerns": ["anxiety"], "approaches": [], "min_notice_hours": 0, **fields}
    provider = ProviderFactory(**values)
    LicenseFactory(provider=provider, state="CO", expires=dt.date(2099, 1, 1))
    for day in range(7):
        WindowFactory(provider=provider, weekday=day, start=hours[0], end=hours[1])
    return provider


def with_answers(client, **changes):
    session = client.session
    session[intake.SESSION_KEY] = {**ANSWERS, **changes}
    session.save()


def cards_of(html):
    """Each card's html by the provider's name."""
    blocks = html.split('<li class="match-card">')[1:]
    return {re.search(r'<h2 id="match-\d+"><a [^>]*>([^<]+)</a>', block).group(1): block for block in blocks}


def text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_each_card_says_what_sets_the_provider_apart_and_the_shared_line_says_the_rest_once(client):
    therapist("Robin", approaches=["cbt"], specialties=["anxiety"], pronouns="she/her",
              bio="I help people who worry too much find calm again. Second sentence.",
              sliding_scale_min=60, sliding_scale_max=100)
    therapist("Kai", languages=["en", "es"])
    with_answers(client)

    page = client.get("/find/results/")
    html = page.content.decode()
    assert page.status_code == 200
    shared = re.search(r'<p class="shared-line"[^>]*>(.*?)</p>', html).group(1)
    assert shared == ("All of these therapists are licensed in Colorado, are in network with Aetna, treat anxiety, "
                      "have evening openings in the next 48 hours, and can see you online within 48 hours.")
    cards = cards_of(html)
    robin, kai = text(cards["Robin Example"]), text(cards["Kai Example"])
    assert "Specialises in anxiety" in robin and "Offers CBT, which you asked for" in robin
    assert "she/her" in robin and "“I help people who worry too much find calm again.”" in robin
    assert "In network with Aetna" in robin  # the card's fees line: the person pays with Aetna
    # Nothing shared is repeated on a card; Kai has nothing of his own but his soonest time.
    for card in (robin, kai):
        assert "Licensed in Colorado" not in card and "Treats anxiety" not in card
    assert re.search(r"Why Kai Example Can see you \w{3} \d+ \w{3}, \d+:\d\d [AP]M M[SD]T", kai)
    # Evening openings first, marked, in the client's zone.
    assert "Evening, as you asked" in robin
    assert 'name="p"' in html and 'action="/find/compare/"' in html


def test_the_card_shows_a_photo_when_there_is_one_and_initials_otherwise(client):
    therapist("Robin", photo="RobinVale0123456789abc-400.jpg", photo_small="RobinVale0123456789abc-96.jpg")
    therapist("Kai")
    with_answers(client, payment=intake.PAYMENT_SELF)
    html = client.get("/find/results/").content.decode()
    assert re.search(r'<img class="avatar avatar-photo" src="/media/photos/RobinVale0123456789abc-96.jpg" alt=""', html)
    assert '<div class="avatar" aria-hidden="true">KE</div>' in html
    assert "$120 a session" in html


def test_the_card_data_is_read_in_one_query(django_assert_num_queries):
    ids = [therapist(name).pk for name in ("Robin", "Kai", "Ash")]
    with django_assert_num_queries(1):
        cards = match_cards(provider_ids=ids)
    assert sorted(cards) == sorted(ids)


def test_the_first_line_of_a_statement_is_its_first_sentence_cut_at_a_word():
    assert first_line("I listen. Then we plan.") == "I listen."
    assert first_line("No full stop at all") == "No full stop at all"
    long = "word " * 60
    cut = first_line(long)
    assert len(cut) <= 140 and cut.endswith("word…")
    assert first_line("") == ""


def test_compare_shows_two_chosen_matches_side_by_side(client):
    robin = therapist("Robin", approaches=["cbt"], communities=["lgbtq_affirming"], sliding_scale_min=60,
                      sliding_scale_max=100)
    kai = therapist("Kai", languages=["en", "es"])
    with_answers(client)
    page = client.get(f"/find/compare/?p={robin.pk}&p={kai.pk}")
    html = page.content.decode()
    assert page.status_code == 200
    for header in ("Fees", "Specialties", "Approaches", "Communities", "Languages", "Sessions", "Soonest times"):
        assert f'<th scope="row">{header}</th>' in html
    assert "Noticing the thoughts and habits that keep you stuck" in html  # CBT, explained
    assert "LGBTQ+ affirming" in html and "Sliding scale $60\u2013$100" in html
    assert html.count(f"/book/{robin.pk}/?start=") == 3 and html.count(f"/book/{kai.pk}/?start=") == 3
    assert 'role="region"' in html and 'tabindex="0"' in html


@pytest.mark.parametrize("query", ["", "?p=1", "?p=1&p=2&p=3&p=4", "?p=x&p=2", "?p=1&p=1"])
def test_compare_needs_two_or_three_and_says_so_on_the_results(client, query):
    therapist("Robin")
    with_answers(client)
    response = client.get(f"/find/compare/{query}")
    assert response.status_code == 302 and response["Location"].startswith("/find/results/")
    assert any("choose two or three therapists" in str(m) for m in get_messages(response.wsgi_request))


def test_only_providers_in_the_current_results_can_be_compared(client):
    robin = therapist("Robin")
    elsewhere = ProviderFactory(first_name="Nope")  # no license in Colorado, so not in the results
    with_answers(client)
    page = client.get(f"/find/compare/?p={robin.pk}&p={elsewhere.pk}")
    assert page.status_code == 200
    assert "not among your results any more" in page.content.decode()
    assert "Nope" not in page.content.decode()


def test_compare_without_answers_goes_to_the_intake(client):
    response = client.get("/find/compare/?p=1&p=2")
    assert response.status_code == 302 and response["Location"] == "/find/safety/"


def test_refining_updates_the_stored_answers_and_re_renders(client):
    therapist("Robin", languages=["en", "es"])
    therapist("Kai")
    with_answers(client)
    response = client.post("/find/results/", {"format": "telehealth", "provider_gender": "female",
                                              "times_of_day": ["morning"], "languages": ["es"]})
    assert response.status_code == 302
    stored = client.session[intake.SESSION_KEY]
    assert (stored["provider_gender"], stored["times_of_day"], stored["languages"]) == ("female", ["morning"], ["es"])
    html = client.get("/find/results/").content.decode()
    assert "Robin Example" in html and "Kai Example" not in html


def test_refining_with_a_bad_value_is_a_form_error_and_changes_nothing(client):
    therapist("Robin")
    with_answers(client, payment=intake.PAYMENT_SELF)
    page = client.post("/find/results/", {"format": "in_person", "languages": [], "self_pay_max": "-5",
                                          "times_of_day": ["midnight"]})
    html = page.content.decode()
    assert page.status_code == 200
    assert "<title>Error: " in html
    errors = page.context["refine"].errors
    assert set(errors) == {"format", "languages", "self_pay_max", "times_of_day"}
    assert "We need your ZIP code" in errors["format"][0]
    assert client.session[intake.SESSION_KEY]["format"] == "telehealth"


def test_refine_groups_are_fieldsets_with_legends(client):
    therapist("Robin")
    with_answers(client)
    html = client.get("/find/results/").content.decode()
    refine = html[html.index('id="refine-heading"'):]
    for legend in ("How would you like to meet?", "Therapist&#x27;s gender (optional)", "Times of day (optional)",
                   "Languages your sessions could be in"):
        assert f"<legend>{legend}</legend>" in refine
    assert "self_pay_max" not in refine  # paying with insurance: no self-pay limit to set


def test_when_nothing_fits_each_single_change_is_a_button_that_applies_it(client):
    therapist("Robin", hours=(dt.time(0), dt.time(23, 59)), insurance=[])
    with_answers(client)  # asks for Aetna: nobody
    html = client.get("/find/results/").content.decode()
    assert "No one fits yet" in html
    assert "Pay for sessions yourself: 1 more therapist" in html
    assert html.index("One change that would find someone") < html.index("Join the waitlist")
    token = re.search(r'name="change" value="([^"]+)"', html).group(1).replace("&quot;", '"')
    response = client.post("/find/results/change/", {"change": token})
    assert response.status_code == 302
    assert client.session[intake.SESSION_KEY]["payment"] == intake.PAYMENT_SELF
    assert "Robin Example" in client.get("/find/results/").content.decode()


def test_a_change_that_was_not_offered_is_refused_politely(client):
    therapist("Robin")
    with_answers(client)
    response = client.post("/find/results/change/", {"change": '{"state":"NY"}'})
    assert response.status_code == 302
    assert client.session[intake.SESSION_KEY]["state"] == "CO"
    assert any("no longer fits" in str(m) for m in get_messages(response.wsgi_request))


def test_looking_further_ahead_is_kept_with_the_answers(client):
    late = therapist("Robin")
    with_answers(client)
    assert "Robin Example" in client.get("/find/results/").content.decode()
    answers = {**ANSWERS, "within_hours": 168}
    assert intake.match_request(answers, now=dt.datetime(2026, 12, 7, tzinfo=dt.UTC)).within_hours == 168
    assert intake.match_request({**answers, "within_hours": 5000},
                                now=dt.datetime(2026, 12, 7, tzinfo=dt.UTC)).within_hours == 48
    assert late.pk


def test_a_stored_photo_name_carematch_did_not_make_shows_initials_not_an_error(client):
    therapist("Robin", photo="photos/robin.jpg", photo_small="photos/robin-96.jpg")
    with_answers(client, payment=intake.PAYMENT_SELF)
    response = client.get("/find/results/")
    assert response.status_code == 200
    assert '<div class="avatar" aria-hidden="true">RE</div>' in response.content.decode()
