"""Every form renders through one accessible include (templates/includes/form.html and
field.html), and these tests keep it so for every form class carematch has, found from the
source, so a new form is checked the day it is written:

- a radio or checkbox group is a fieldset whose legend is the question, holding every answer;
- a single input has a label naming it; a single checkbox comes before its label;
- with errors, each invalid input is marked `aria-invalid="true"` and described by its error
  (and help), and the error summary at the top has a heading and links each error to its
  field (for a group, to its first answer).

The pages themselves: the intake's and the booking page's groups, the title's "Error: " on
pages whose form is not called `form`, and the questionnaire-sending form's summary."""

from __future__ import annotations

import copy
import datetime as dt
import importlib
from pathlib import Path

import pytest
from django import forms
from django.forms import BaseForm
from django.http import QueryDict
from django.template.loader import render_to_string
from django.test.html import Element, parse_html
from django.utils import timezone

import carematch
from carematch.lib.form_rendering import summary_line
from carematch.measures.tests.factories import in_care
from carematch.scheduling.selectors import provider_openings
from carematch.scheduling.tests.factories import weekday_provider
from carematch.tests.helpers import error_summary

ROOT = Path(carematch.__file__).parent
# The groups the intake and the booking page ask (issue: "forms anyone can use").
NAMED_GROUPS = {"in_danger", "concerns", "approaches", "format", "languages", "provider_gender", "times_of_day"}


def admin_only_forms() -> set[type[BaseForm]]:
    """Forms only Django's admin renders, with its own templates (carematch/accounts/admin.py)."""
    from carematch.accounts import admin

    used = {admin.UserAdmin.form, admin.UserAdmin.add_form, admin.UserAdmin.change_password_form}
    return used | {cls for cls in vars(admin).values() if isinstance(cls, type) and cls.__name__.startswith("Admin")}


ADMIN_ONLY: set[type[BaseForm]] = set()


def form_classes() -> list[type[BaseForm]]:
    """Every form class defined in carematch's own (non-test) modules."""
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts or "Form" not in path.read_text(encoding="utf-8"):
            continue
        importlib.import_module(".".join(("carematch", *path.relative_to(ROOT).with_suffix("").parts)))
    ADMIN_ONLY.update(admin_only_forms())
    found: list[type[BaseForm]] = []
    waiting: list[type[BaseForm]] = [BaseForm]
    while waiting:
        cls = waiting.pop()
        waiting.extend(cls.__subclasses__())
        if (cls.__module__.startswith("carematch.") and ".tests" not in cls.__module__ and cls.base_fields
                and cls not in ADMIN_ONLY):
            found.append(cls)
    return sorted(set(found), key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def rendered(cls: type[BaseForm]) -> tuple[BaseForm, Element]:
    """A form with the fields of `cls`, submitted empty, rendered as pages render forms. A group
    whose answers its constructor sets (a provider's formats, say) gets two stand-in answers."""
    fields = copy.deepcopy(dict(cls.base_fields))
    for field in fields.values():
        if is_group(field) and not list(field.choices):
            field.choices = [("first", "First answer"), ("second", "Second answer")]
    form_class = type(cls.__name__, (forms.Form,), fields)
    form = form_class(QueryDict(""))
    form.is_valid()
    return form, parse_html(render_to_string("includes/form.html", {"form": form}))


def elements(node: Element | str, name: str | None = None) -> list[Element]:
    if isinstance(node, str):
        return []
    found = [node] if node.name and (name is None or node.name == name) else []
    for child in node.children:
        found.extend(elements(child, name))
    return found


def attr(node: Element, name: str) -> str | None:
    return dict(node.attributes).get(name)


def text(node: Element | str) -> str:
    if isinstance(node, str):
        return node
    return " ".join(" ".join(text(child) for child in node.children).split())


def is_group(field: forms.Field) -> bool:
    return bool(field.widget.use_fieldset and getattr(field.widget, "input_type", "") in {"radio", "checkbox"})


CLASSES = form_classes()


def test_the_walk_finds_the_forms_of_every_area():
    names = {cls.__name__ for cls in CLASSES}
    assert {"SafetyForm", "ConcernsForm", "FormatForm", "PreferencesForm", "TimesForm", "SendNowForm",
            "CrisisOutcomeForm"} <= names, names
    groups = {name for cls in CLASSES for name, field in cls.base_fields.items() if is_group(field)}
    assert groups >= NAMED_GROUPS, NAMED_GROUPS - groups


@pytest.mark.django_db  # a model choice field lists its rows
@pytest.mark.parametrize("cls", CLASSES, ids=[f"{cls.__module__}.{cls.__qualname__}" for cls in CLASSES])
def test_every_field_is_named_and_every_error_is_tied_to_its_field_and_linked_from_the_summary(cls):
    form, tree = rendered(cls)
    inputs = [e for e in elements(tree) if e.name in {"input", "select", "textarea"}]
    fieldsets = elements(tree, "fieldset")
    summary_links = {attr(a, "href"): text(a) for a in elements(tree, "a")}
    for bound in form.visible_fields():
        own = [e for e in inputs if attr(e, "name") == bound.html_name]
        assert own, f"{bound.name} renders no input"
        if is_group(bound.field):
            [group] = [f for f in fieldsets if any(attr(i, "name") == bound.html_name for i in elements(f))]
            legend = group.children[0]
            assert isinstance(legend, Element) and legend.name == "legend", f"{bound.name}: legend first"
            assert text(legend) == str(bound.label), (text(legend), bound.label)
            assert len([i for i in elements(group) if attr(i, "name") == bound.html_name]) == len(own)
            described = (attr(group, "aria-describedby") or "").split()
            if bound.help_text:
                assert f"{bound.auto_id}_helptext" in described, bound.name
        else:
            [label] = [e for e in elements(tree, "label") if attr(e, "for") == bound.id_for_label]
            assert text(label) == str(bound.label), (text(label), bound.label)
            if getattr(bound.field.widget, "input_type", "") == "checkbox":
                order = elements(tree)
                assert order.index(own[0]) < order.index(label), f"{bound.name}: the checkbox comes first"
            described = (attr(own[0], "aria-describedby") or "").split()
            if bound.help_text:
                assert f"{bound.auto_id}_helptext" in described, bound.name
        if bound.errors:
            error_id = f"{bound.auto_id}_error"
            assert error_id in described, f"{bound.name}: the error describes the field"
            [shown] = [e for e in elements(tree) if attr(e, "id") == error_id]
            assert text(shown) == " ".join(str(e) for e in bound.errors)
            for element in own:
                assert attr(element, "aria-invalid") == "true", bound.name
                assert error_id in (attr(element, "aria-describedby") or "").split(), bound.name
            first = attr(own[0], "id")
            assert summary_links.get(f"#{first}") == summary_line(bound.label, bound.errors[0]), bound.name
    if form.errors:
        [summary] = [e for e in elements(tree, "div") if "error-summary" in (attr(e, "class") or "").split()]
        assert attr(summary, "tabindex") == "-1" and "There is a problem" in text(summary)


def test_errors_of_the_whole_form_come_first_in_the_same_summary():
    class Pair(forms.Form):
        start = forms.IntegerField(label="Start")

        def clean(self):
            raise forms.ValidationError("The end must come after the start.")

    form = Pair(QueryDict(""))
    html = render_to_string("includes/form.html", {"form": form})
    summary = error_summary(html)
    assert summary.index("The end must come after the start.") < summary.index('<a href="#id_start">Start: ')


# --- The pages -------------------------------------------------------------------------------------


def legend_of(html: str, name: str) -> str:
    """The legend of the fieldset that holds the inputs named `name`."""
    tree = parse_html(html[html.index("<main"):html.index("</main>") + len("</main>")])
    [group] = [f for f in elements(tree, "fieldset") if any(attr(i, "name") == name for i in elements(f, "input"))]
    assert isinstance(group.children[0], Element) and group.children[0].name == "legend"
    return text(group.children[0])


@pytest.mark.django_db
def test_the_intake_asks_each_group_as_a_question(client):
    pages = {"/find/": ["in_danger"], "/find/help/": ["concerns", "approaches"], "/find/meeting/": ["format"],
             "/find/preferences/": ["languages", "provider_gender"], "/find/times/": ["times_of_day"]}
    questions = {}
    for url, names in pages.items():
        html = client.get(url).content.decode()
        questions.update({name: legend_of(html, name) for name in names})
    assert questions == {
        "in_danger": "Are you in danger right now, or having thoughts of ending your life or hurting yourself or "
                     "someone else?",
        "concerns": "What would you like help with?",
        "approaches": "Do you prefer a particular kind of therapy? (optional)",
        "format": "How would you like to meet?",
        "languages": "Which languages could your sessions be in?",
        "provider_gender": "Would you prefer a therapist of a particular gender? (optional)",
        "times_of_day": "What times of day suit you? (optional)",
    }


@pytest.mark.django_db
def test_an_empty_intake_step_says_error_in_the_title_and_links_the_question(client):
    html = client.post("/find/", {}).content.decode()
    assert "<title>Error: First, your safety" in html
    summary = error_summary(html)
    assert "There is a problem" in summary and 'href="#id_in_danger_0"' in summary
    assert "Please choose yes or no." in summary
    assert "<title>First, your safety" in client.get("/find/").content.decode()


@pytest.mark.django_db
def test_the_booking_page_asks_the_format_as_a_question(client):
    provider = weekday_provider(formats=["telehealth", "in_person"])
    now = timezone.now()
    start = provider_openings(provider=provider, start=now, end=now + dt.timedelta(days=14))[0]
    html = client.get(f"/book/{provider.pk}/?start={start.isoformat().replace('+', '%2B')}").content.decode()
    assert legend_of(html, "format")


@pytest.mark.django_db
def test_sending_a_questionnaire_with_nothing_chosen_shows_the_summary_and_says_error_in_the_title(client):
    person, provider = in_care()
    client.force_login(provider.user)
    response = client.post("/provider/questionnaires/send/", {"client": person.pk})
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count('class="error-summary"') == 1
    assert 'href="#id_instruments_0"' in error_summary(html)
    assert "<title>Error: Questionnaires" in html
    assert "<title>Questionnaires" in client.get("/provider/questionnaires/").content.decode()


@pytest.mark.django_db
def test_a_page_of_rows_each_with_a_form_says_error_in_the_title(client):
    from carematch.accounts.models import Role
    from carematch.accounts.tests.factories import UserFactory
    from carematch.scheduling import services

    waiting = services.crisis_request_create(channel="page", name="Rowan", phone="(720) 555-0101", state="CO")
    client.force_login(UserFactory(role=Role.COORDINATOR))
    html = client.post(f"/staff/crisis/{waiting.pk}/outcome/", {}).content.decode()
    assert "<title>Error: Crisis follow-up" in html
    assert f'href="#id_crisis-{waiting.pk}-outcome_0"' in error_summary(html)
