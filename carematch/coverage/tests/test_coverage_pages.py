"""The client's insurance page and a coordinator's page of a client's coverage."""

from __future__ import annotations

import pytest

from carematch.access.models import AccessEvent
from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.coverage import services
from carematch.coverage.models import ClientCoverage
from carematch.scheduling.tests.factories import ClientFactory
from carematch.tests.helpers import inline_scripts

pytestmark = pytest.mark.django_db

FORM = {"payer": "aetna", "plan_id": "", "member_id": "W123456789", "relationship": "child",
        "subscriber_first_name": "Sam", "subscriber_last_name": "Rivera", "subscriber_birth_date": "1980-01-31"}


def test_a_client_saves_their_insurance_from_their_account(client):
    person = ClientFactory()
    client.force_login(person.user)
    page = client.get("/account/coverage/")
    html = page.content.decode()
    assert page.status_code == 200 and "<h1>Your insurance</h1>" in html and not inline_scripts(html)
    assert 'for="id_member_id"' in html and "<legend" in html
    response = client.post("/account/coverage/", FORM)
    assert response.status_code == 302
    saved = ClientCoverage.objects.get(client=person)
    assert (saved.member_id, saved.relationship) == ("W123456789", "child")
    assert "W123456789" in client.get("/account/coverage/").content.decode()
    assert list(AccessEvent.objects.filter(client_id=person.pk, resource_type="coverage").order_by("id")
                .values_list("action", "result")) == [("update", "succeeded"), ("view", "")]


def test_a_wrong_member_id_is_shown_on_its_field_and_nothing_is_saved(client):
    person = ClientFactory()
    client.force_login(person.user)
    response = client.post("/account/coverage/", FORM | {"member_id": "W*12~"})
    html = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in html
    assert "A member ID is 2 to 80 letters, digits or hyphens" in html
    assert not ClientCoverage.objects.exists()


def test_a_coordinator_sees_the_coverage_and_is_told_when_checks_are_not_set_up(client):
    person = ClientFactory()
    services.coverage_set(client=person, **FORM)
    client.force_login(UserFactory(role=Role.COORDINATOR))
    page = client.get(f"/staff/clients/{person.pk}/eligibility/")
    assert page.status_code == 200 and "W123456789" in page.content.decode()
    followed = client.post(f"/staff/clients/{person.pk}/eligibility/", follow=True)
    assert "Eligibility checks with payers are not set up on this service." in followed.content.decode()


def test_a_client_who_has_not_added_their_details_is_told_where_they_come_from_not_refused(client):
    client.force_login(UserFactory(role=Role.CLIENT))
    for path, says in (("/account/coverage/", b"have not added them yet"),
                       ("/account/superbills/", b"nothing to claim back"),
                       ("/account/superbills/pdf/", b"nothing to claim back")):
        page = client.get(path)
        assert page.status_code == 200 and says in page.content, path
        assert b'href="/find/"' in page.content
