"""record() writes who, what, the action, when, from where and the outcome, and nothing else:
no content, no query string, no path, no secret."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.utils import timezone

from carematch.access import audit
from carematch.access.models import AccessEvent
from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.scheduling.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

EVENT_FIELDS = {"id", "occurred_at", "actor_id", "actor_email", "actor_role", "action", "resource_type",
                "resource_id", "client_id", "outcome", "result", "address", "channel"}


def api_request(user, path="/api/v1/clients/7/goals?token=s3cret-in-query", address="203.0.113.9"):
    request = RequestFactory().get(path, REMOTE_ADDR=address)
    request.user = user
    return request


def test_an_event_holds_who_what_when_where_and_the_outcome():
    provider = UserFactory(role=Role.PROVIDER, email="pat.provider@example.test")
    person = ClientFactory()
    before = timezone.now()
    event = audit.record(api_request(provider), action="view", resource_type="goals", resource_id=person.pk,
                         client=person)
    stored = AccessEvent.objects.filter(pk=event.pk).values().get()
    assert set(stored) == EVENT_FIELDS
    assert stored | {"id": None, "occurred_at": None} == {
        "id": None, "occurred_at": None, "actor_id": provider.pk, "actor_email": "pat.provider@example.test",
        "actor_role": "provider", "action": "view", "resource_type": "goals", "resource_id": str(person.pk),
        "client_id": person.pk, "outcome": "allowed", "result": "", "address": "203.0.113.9", "channel": "api",
    }
    assert before <= stored["occurred_at"] <= timezone.now()


def test_nothing_of_the_address_query_string_or_path_is_stored():
    event = audit.record(api_request(UserFactory()), action="view", resource_type="goals", resource_id=7, client=7)
    stored = " ".join(str(value) for value in AccessEvent.objects.filter(pk=event.pk).values().get().values())
    assert "s3cret" not in stored and "/api/" not in stored and "token" not in stored


@pytest.mark.parametrize("content", ["I feel hopeless most days", "goals?x=1", "a" * 41, "", "7 8"])
def test_a_resource_id_that_is_not_a_short_identifier_is_refused(content):
    with pytest.raises(ValueError, match="resource_id"):
        audit.record(None, action="view", resource_type="goals", resource_id=content)
    assert not AccessEvent.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("action", "read"), ("outcome", "maybe"), ("resource_type", "Goals!")])
def test_unknown_actions_outcomes_and_resource_types_are_refused(field, value):
    arguments = {"action": "view", "resource_type": "goals", "outcome": "allowed", field: value}
    with pytest.raises(ValueError, match=field):
        audit.record(None, **arguments)
    assert not AccessEvent.objects.exists()


def test_without_a_request_the_actor_is_the_system_or_the_one_given():
    system = audit.record(None, action="export", resource_type="client_record", resource_id=3, client="3")
    assert (system.actor_id, system.actor_email, system.actor_role, system.channel, system.address) == (
        None, "", "system", "command", "")
    assert system.client_id == 3
    admin = UserFactory(role=Role.ADMIN)
    by_admin = audit.record(None, action="export", resource_type="client_record", resource_id=3, actor=admin)
    assert (by_admin.actor_id, by_admin.actor_email, by_admin.actor_role) == (admin.pk, admin.email, "admin")


def test_a_request_without_an_account_is_anonymous_and_a_page_is_a_page():
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/questionnaires/link/abc/", REMOTE_ADDR="198.51.100.4")
    request.user = AnonymousUser()
    event = audit.record(request, action="view", resource_type="questionnaire_request", resource_id=5)
    assert (event.actor_id, event.actor_role, event.channel, event.address) == (None, "anonymous", "page",
                                                                               "198.51.100.4")


def test_the_log_outlives_the_account_and_the_client():
    person = ClientFactory()
    user = person.user
    event = audit.record(api_request(user), action="view", resource_type="care_record", resource_id=person.pk,
                         client=person)
    client_id, user_id, email = person.pk, user.pk, user.email
    person.delete()
    user.delete()
    kept = AccessEvent.objects.get(pk=event.pk)
    assert (kept.client_id, kept.actor_id, kept.actor_email) == (client_id, user_id, email)


def test_a_denied_access_is_recorded_as_denied():
    event = audit.record(api_request(UserFactory()), action="view", resource_type="goals", resource_id=99,
                         outcome="denied")
    assert AccessEvent.objects.get(pk=event.pk).outcome == "denied"
