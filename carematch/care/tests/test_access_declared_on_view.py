"""A care page's entry in the access log comes from the declaration on the view, never from
the view's name: renaming a page keeps its reads and changes recorded."""

from __future__ import annotations

import pytest
from django.http import Http404, HttpResponse
from django.test import RequestFactory

from carematch.access.decorators import AccessLogged, access_logged_of
from carematch.access.models import AccessEvent
from carematch.care.views import Subject, care_page

from .factories import ClientFactory, provider_of

pytestmark = pytest.mark.django_db


def events():
    return list(AccessEvent.objects.order_by("id").values_list(
        "actor_id", "action", "resource_type", "resource_id", "client_id", "outcome", "result"))


@care_page(logged=AccessLogged("goal", change="update", record_id="goal_id"))
def a_page_under_any_name(request, subject: Subject, goal_id: int) -> HttpResponse:
    if request.method == "POST":
        with subject.write(request):
            pass
    return HttpResponse("shown")


def test_a_care_page_under_a_name_never_listed_records_its_read_from_its_declaration():
    person = ClientFactory()
    provider = provider_of(person)
    request = RequestFactory().get("/")
    request.user = provider.user
    assert a_page_under_any_name(request, client_id=person.pk, goal_id=7).status_code == 200
    assert events() == [(provider.user.pk, "view", "goal", "7", person.pk, "allowed", "")]


def test_its_change_is_recorded_as_declared_with_its_result():
    person = ClientFactory()
    request = RequestFactory().post("/")
    request.user = person.user
    assert a_page_under_any_name(request, goal_id=7).status_code == 200
    assert events() == [(person.user.pk, "update", "goal", "7", person.pk, "allowed", "succeeded")]


def test_a_client_it_may_not_see_is_recorded_as_denied_with_the_declared_resource():
    person = ClientFactory()
    stranger = provider_of(ClientFactory())
    request = RequestFactory().get("/")
    request.user = stranger.user
    with pytest.raises(Http404):
        a_page_under_any_name(request, client_id=person.pk, goal_id=7)
    assert events() == [(stranger.user.pk, "view", "goal", "7", person.pk, "denied", "")]


def test_the_declaration_is_on_the_view_the_address_resolves_to():
    assert access_logged_of(a_page_under_any_name) == AccessLogged("goal", change="update", record_id="goal_id")


@pytest.mark.parametrize(("resource_type", "change"), [("Goal Notes", ""), ("goal", "view"), ("goal", "export")])
def test_a_declaration_the_access_log_could_not_record_is_refused_at_once(resource_type, change):
    with pytest.raises(ValueError):
        AccessLogged(resource_type, change=change)
