"""The coping toolkit (/toolkit/: breathing, grounding, a meditation timer; public to practise,
logged by a signed-in client as a check-in of their plan) and the client's private journal
(/journal/; entries they share with a provider at /caseload/<client_id>/journal/).
Rules live in services and the access policy."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from carematch.access import audit, policy
from carematch.access.decorators import AccessLogged
from carematch.access.models import Action
from carematch.accounts.http import AuthedHttpRequest
from carematch.directory.selectors import provider_of
from carematch.lib.errors import DomainError, Forbidden, NotFound
from carematch.lib.timezones import zone

from . import selectors, services
from .forms import JournalEntryForm, PracticeForm, ShareForm
from .models import ActivityKind, JournalEntry
from .services import PRACTICE_KIND, ChooseActivity, Practice
from .views import Subject, _day, _service, care_page

MOODS = list(range(11))

# The practice pages: the template of each, by practice.
PRACTICE_PAGES = {
    Practice.BREATHING: ("care/toolkit/breathing.html", "toolkit_breathing"),
    Practice.GROUNDING: ("care/toolkit/grounding.html", "toolkit_grounding"),
    Practice.MEDITATION: ("care/toolkit/meditation.html", "toolkit_meditation"),
}


# The grounding exercise, one sense at a time.
GROUNDING_STEPS = [
    {"title": gettext_lazy("5 things you can see"),
     "text": gettext_lazy("Look around you. Name five things you can see: a colour, a shape, "
                          "something small you had not noticed.")},
    {"title": gettext_lazy("4 things you can touch"),
     "text": gettext_lazy("Notice four things you can feel: your feet on the floor, the "
                          "chair, the fabric of your clothes, the air on your skin.")},
    {"title": gettext_lazy("3 things you can hear"),
     "text": gettext_lazy("Listen for three sounds, near or far: traffic, a fan, your own breathing.")},
    {"title": gettext_lazy("2 things you can smell"),
     "text": gettext_lazy("Find two smells. If nothing comes, move somewhere else or remember two smells you like.")},
    {"title": gettext_lazy("1 thing you can taste"),
     "text": gettext_lazy("Notice one taste in your mouth, or take a sip of water and notice that.")},
]


def _wants_json(request: HttpRequest) -> bool:
    """The toolkit's script logs a practice in place and asks for a short answer."""
    return request.headers.get("X-Requested-With") == "fetch"


# --- The toolkit -----------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def toolkit(request: HttpRequest) -> HttpResponse:
    return render(request, "care/toolkit/index.html", {"practices": [
        {"name": Practice(practice).label, "url": reverse(f"care:{url_name}"), "practice": practice}
        for practice, (_, url_name) in PRACTICE_PAGES.items()
    ]})


def toolkit_words() -> str:
    """What the toolkit's script shows and announces, in the page's language, for a data
    attribute (static/js/toolkit.js reads it; the script itself holds no words). `{n}`-style
    names are filled in by the script."""
    return json.dumps({
        "breatheIn": gettext("Breathe in"), "hold": gettext("Hold"), "breatheOut": gettext("Breathe out"),
        "holdEmpty": gettext("Hold, lungs empty"), "breatheInNose": gettext("Breathe in through your nose"),
        "breatheOutMouth": gettext("Breathe out through your mouth"),
        "roundOf": gettext("Round {round} of {rounds}"),
        "stepFor": gettext("{step} for {seconds}"), "stepForRound": gettext("{step} for {seconds}, round {round}"),
        "doneRounds": gettext("Done: four rounds. Notice how you feel. You can log it below."),
        "pause": gettext("Pause"), "resume": gettext("Resume"), "paused": gettext("Paused"),
        "resumedStep": gettext("Resumed: {step}"), "resumed": gettext("Resumed"),
        "stopped": gettext("Stopped. Start again whenever you like."),
        "finish": gettext("Finish"), "nextStep": gettext("Next step"), "startAgain": gettext("Start again"),
        "stepOf": gettext("Step {step} of {steps}"), "stepOfTitled": gettext("Step {step} of {steps}: {title}"),
        "notesCleared": gettext("Your notes are cleared."),
        "meditating": gettext("Breathe naturally. Rest your attention on your breath."),
        "started": gettext("Started: {minutes} minutes. Rest your attention on your breath."),
        "oneMinute": gettext("One minute left. Keep coming back to the breath."),
        "oneMinuteShort": gettext("One minute left."),
        "timeUp": gettext("Time is up. Take a deeper breath, open your eyes, and notice how you feel."),
        "logging": gettext("Logging…"),
    })


def _practice_page(request: HttpRequest, practice: str) -> HttpResponse:
    template, _ = PRACTICE_PAGES[Practice(practice)]
    return render(request, template, {
        "practice": practice, "practice_name": Practice(practice).label,
        "kind": ActivityKind(PRACTICE_KIND[practice]).label,
        "log_url": reverse("care:toolkit_log"), "moods": MOODS,
        "is_client": policy.has_role(request.user, "client"),
        "steps": GROUNDING_STEPS if practice == Practice.GROUNDING else [], "toolkit_words": toolkit_words(),
    })


@require_http_methods(["GET", "HEAD"])
def toolkit_breathing(request: HttpRequest) -> HttpResponse:
    return _practice_page(request, Practice.BREATHING)


@require_http_methods(["GET", "HEAD"])
def toolkit_grounding(request: HttpRequest) -> HttpResponse:
    return _practice_page(request, Practice.GROUNDING)


@require_http_methods(["GET", "HEAD"])
def toolkit_meditation(request: HttpRequest) -> HttpResponse:
    return _practice_page(request, Practice.MEDITATION)


def _logged_message(result: services.PracticeLogged) -> str:
    check_in = result.check_in
    activity = check_in.activity
    text = gettext("Logged: %(activity)s, feeling %(mood)s out of 10. It is on your progress page, "
                   "where your provider sees it too.") % {"activity": activity.label, "mood": check_in.mood}
    if result.activity_added:
        text += " " + gettext("%(kind)s is now in your plan, daily; you can change that there.") % {
            "kind": ActivityKind(activity.kind).label}
    return text


@require_POST
@care_page(logged=AccessLogged("check_ins", change=Action.CREATE))
def toolkit_log(request: AuthedHttpRequest, subject: Subject) -> HttpResponse:
    """'I did this': a check-in today on the plan activity the practice is (see
    services.toolkit_practice_log); when several may be it, the client is asked which."""
    practice = request.POST.get("practice", "")
    activities = (
        [(a.pk, a.label) for a in selectors.toolkit_activities(client=subject.client, kind=PRACTICE_KIND[practice])]
        if practice in Practice.values else []
    )
    form = PracticeForm(request.POST, activities=activities)
    choose = False
    result = None
    with subject.write(request, form=form):
        if form.is_valid():
            try:
                result = services.toolkit_practice_log(client=subject.client, by=request.user, **form.cleaned_data)
            except ChooseActivity:
                choose = True
                form.add_error(None, gettext("Which activity of your plan was this? Choose one, then log it."))
            except Forbidden:
                raise
            except DomainError as exc:
                form.add_service_errors(exc)
    if result is not None:
        message = _logged_message(result)
        if _wants_json(request):
            return JsonResponse({"message": message, "progress_url": subject.progress_url})
        messages.success(request, message)
        page = PRACTICE_PAGES[Practice(practice)][1]
        return redirect(f"{reverse(f'care:{page}')}#log")
    return render(request, "care/toolkit/log_form.html", {
        "form": form, "choose": choose or bool(form.data.get("activity_id")), "activities": activities,
        "practice_name": Practice(practice).label if practice in Practice.values else "",
        "back_url": reverse(f"care:{PRACTICE_PAGES[Practice(practice)][1]}") if practice in Practice.values
        else reverse("care:toolkit"),
    }, status=200 if choose else 400)


# --- The private journal ---------------------------------------------------------------------------


def _entry_of(request: AuthedHttpRequest, subject: Subject, entry_id: int) -> JournalEntry:
    entry = selectors.visible_journal_entry(user=request.user, entry_id=entry_id)
    if entry.client_id != subject.client.pk or not subject.mine:
        raise NotFound(gettext("No journal entry with that id."))
    return entry


def _journal_url() -> str:
    return reverse("care:my_journal")


@require_http_methods(["GET", "POST"])
@care_page(logged=AccessLogged("journal", change=Action.CREATE))
def journal(request: AuthedHttpRequest, subject: Subject) -> HttpResponse:
    client = subject.client
    form = JournalEntryForm(request.POST or None)
    if request.method == "POST":
        with subject.write(request, form=form):
            if form.is_valid():
                _service(form, lambda: services.journal_entry_write(client=client, by=request.user,
                                                                    body=form.cleaned_data["body"]))
        if form.is_valid():
            messages.success(request, gettext("Your entry is saved. Only you can read it."))
            return redirect(_journal_url())
    tz = zone(client.timezone)
    providers = [(p.pk, p.display_name) for p in selectors.journal_providers(client=client)]
    return render(request, "care/journal.html", {
        "form": form, "providers": providers,
        "entries": [
            {
                "entry": entry, "written": f"{_day(entry.created_at.astimezone(tz).date())}, "
                                           f"{entry.created_at.astimezone(tz):%H:%M}",
                "shared_with": entry.shared_with.display_name if entry.shared_with else "",
                "share_url": reverse("care:my_journal_share", kwargs={"entry_id": entry.pk}),
                "unshare_url": reverse("care:my_journal_unshare", kwargs={"entry_id": entry.pk}),
                "remove_url": reverse("care:my_journal_remove", kwargs={"entry_id": entry.pk}),
            }
            for entry in selectors.journal_entries_for(client=client)
        ],
    }, status=400 if form.is_bound and not form.is_valid() else 200)


def _journal_change(request: AuthedHttpRequest, subject: Subject, entry_id: int, change: Any, done: str,
                    form: Any = None) -> HttpResponse:
    entry = _entry_of(request, subject, entry_id)
    try:
        with subject.write(request, form=form):
            if form is None or form.is_valid():
                change(entry)
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect(f"{_journal_url()}#entry-{entry.pk}")
    if form is not None and not form.is_valid():
        messages.error(request, gettext("Choose one of your providers to share this entry with."))
        return redirect(f"{_journal_url()}#entry-{entry.pk}")
    messages.success(request, done)
    return redirect(f"{_journal_url()}#entry-{entry.pk}")


@require_POST
@care_page(logged=AccessLogged("journal_entry", change=Action.UPDATE, record_id="entry_id"))
def journal_share(request: AuthedHttpRequest, subject: Subject, entry_id: int) -> HttpResponse:
    providers = [(p.pk, p.display_name) for p in selectors.journal_providers(client=subject.client)]
    form = ShareForm(request.POST, providers=providers)
    return _journal_change(
        request, subject, entry_id,
        lambda entry: services.journal_entry_share(entry=entry, by=request.user,
                                                   provider_id=form.cleaned_data["provider_id"]),
        "This entry is shared. Your provider can read it until you stop sharing it.", form=form,
    )


@require_POST
@care_page(logged=AccessLogged("journal_entry", change=Action.UPDATE, record_id="entry_id"))
def journal_unshare(request: AuthedHttpRequest, subject: Subject, entry_id: int) -> HttpResponse:
    return _journal_change(request, subject, entry_id,
                           lambda entry: services.journal_entry_unshare(entry=entry, by=request.user),
                           "This entry is private again: only you can read it.")


@require_POST
@care_page(logged=AccessLogged("journal_entry", change=Action.DELETE, record_id="entry_id"))
def journal_remove(request: AuthedHttpRequest, subject: Subject, entry_id: int) -> HttpResponse:
    return _journal_change(request, subject, entry_id,
                           lambda entry: services.journal_entry_remove(entry=entry, by=request.user),
                           "The entry is removed.")


@require_http_methods(["GET", "HEAD"])
@care_page(logged=None)  # records its own accesses: the page, and one event per entry shown
def client_journal(request: AuthedHttpRequest, subject: Subject) -> HttpResponse:
    """A provider reads the entries their client has shared with them, and only those."""
    client = subject.client
    if subject.mine or not policy.shared_journal_visible(request.user, client):
        audit.denied(request, action=Action.VIEW, resource_type="journal_entries", resource_id=client.pk,
                     client=client)
        raise NotFound(gettext("No such page."), recorded=True)
    provider = provider_of(user=request.user)
    entries = selectors.journal_entries_shared_with(provider=provider, client=client) if provider else []
    audit.record(request, action=Action.VIEW, resource_type="journal_entries", resource_id=client.pk, client=client)
    audit.record_many(request, action=Action.VIEW, resource_type="journal_entry",
                      items=[(entry.pk, client) for entry in entries])
    tz = zone(client.timezone)
    return render(request, "care/client_journal.html", {
        "subject": subject, "client": client,
        "entries": [{"entry": entry, "written": _day(entry.created_at.astimezone(tz).date()),
                     "shared": _day(entry.shared_at.astimezone(tz).date()) if entry.shared_at else ""}
                    for entry in entries],
    })
