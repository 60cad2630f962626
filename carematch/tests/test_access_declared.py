"""Every page of the clinical apps says how its accesses reach the access log, in a way a
rename cannot undo.

The pages are not listed by hand: every page of the URL resolver whose view lives in care,
measures, scheduling, matching, access or messaging is found, and each must be one of
- declared: its page decorator records its accesses from the declaration it carries
  (`care_page(logged=AccessLogged(...))` sets the view's `access_logged` attribute);
- in RECORD_THEIR_OWN, with the call in its body that records (carematch.access.audit or a
  helper around it), which must be there;
- in NOT_RECORDED, with why: it shows no one's clinical record, only what the visitor
  themselves gave or asked for.

A new page, a page whose declaration is removed and a listed page that is renamed all fail
here until they are declared or listed again, so no page stops recording its reads unnoticed.
`test_client_names_logged.py` then checks what the pages that name clients record.
"""

from __future__ import annotations

import inspect
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from carematch.access.decorators import access_logged_of

CLINICAL_APPS = ("care", "measures", "scheduling", "matching", "access", "messaging", "coverage", "capacity")

# Pages that record their accesses themselves, with the call in the view's body that records
# them (the test checks it is there).
RECORD_THEIR_OWN: dict[str, str] = {
    # coverage: the client's own insurance (read when shown, changed with its result); a
    # coordinator's view of a client's coverage, and the check asked for from it.
    "carematch.coverage.views.my_coverage": "audit.write",
    "carematch.coverage.views.client_eligibility": "audit.clinical_client_or_404",
    # superbills: the list of what can be billed, and each download (an export); a provider's
    # diagnoses of a client, read and changed through the client choke points.
    "carematch.coverage.views.my_superbills": "audit.record",
    "carematch.coverage.views.superbill_download": "audit.record",
    "carematch.coverage.views.diagnoses": "audit.client_write",
    "carematch.coverage.views.diagnosis_remove": "audit.client_write",
    # care: one event per client listed; a check-in or a note looked up (care/access_log.py)
    # and recorded with what became of the change; the notes page records each note shown.
    "carematch.care.views.caseload": "audit.record_many",
    "carematch.care.views.check_in_remove": "check_in_lookup",
    "carematch.care.views.notes": "audit.record_many",
    "carematch.care.views.note_revise": "_note_of",
    "carematch.care.views.note_remove": "_note_of",
    # the journal entries a client shared with the provider reading them: the page, and each entry.
    "carematch.care.toolkit_views.client_journal": "audit.record_many",
    # measures: the questionnaire read and answered (_answer); a link or request that is not
    # the caller's is recorded as denied; results, session ratings, alerts and the provider's
    # client list record what they show, changes their result.
    "carematch.measures.views.questionnaire_link": "_answer",
    "carematch.measures.views.questionnaire_in_account": "audit.checked",
    "carematch.measures.views.questionnaire_result": "audit.record_many",
    "carematch.measures.views.my_questionnaires": "audit.record",
    "carematch.measures.views.session_rating": "audit.write",
    "carematch.measures.views.alerts": "_alerts_page",
    "carematch.measures.views.alert_acknowledge": "_acknowledge",
    # coordinators' alerts, under /staff/: the same page and the same acknowledgement.
    "carematch.measures.views.staff_alerts": "_alerts_page",
    "carematch.measures.views.staff_alert_acknowledge": "_acknowledge",
    "carematch.measures.views.provider_questionnaires": "_questionnaires_page",
    # The schedule is the provider's own; a refused form shows the client list again, recorded there.
    "carematch.measures.views.provider_cadence": "_questionnaires_page",
    "carematch.measures.views.provider_send_now": "audit.write",
    # scheduling: each fetch of a client's calendar feed; the people on the clock and in the
    # crisis queue; each outcome recorded for a crisis request.
    "carematch.scheduling.views.calendar_feed": "audit.record",
    "carematch.scheduling.views.clock_page": "audit.record_many",
    "carematch.scheduling.views.crisis_queue": "_crisis_page",
    # the waitlist: one event per person shown (waiting or lately placed).
    "carematch.matching.waitlist_views.staff_waitlist": "audit.record_many",
    "carematch.scheduling.views.crisis_outcome": "audit.write",
    # matching: an appointment read (_appointment_or_stop records it, through
    # scheduling.access_log.visible_appointment as the API does) or cancelled; a request
    # to be called back from the crisis page.
    "carematch.matching.views.appointment": "_appointment_or_stop",
    "carematch.matching.views.appointment_calendar_file": "_appointment_or_stop",
    "carematch.matching.views.appointment_cancel": "audit.write",
    "carematch.matching.views.appointment_reschedule": "audit.write",
    # The join page: a party's look recorded as a read, anyone else's as denied (joining_party).
    "carematch.matching.join_views.appointment_join": "joining_party",
    # the session page's ongoing care: the session read through _appointment_or_stop (or
    # _changeable, which calls it), each change recorded through audit.write
    "carematch.matching.session_views.appointment_series": "_appointment_or_stop",
    "carematch.matching.session_views.appointment_cancel_rest": "_changeable",
    "carematch.matching.session_views.appointment_attendance": "_appointment_or_stop",
    "carematch.matching.views.help_now": "audit.write",
    # access: a client's downloads of their record (exports) and closing their account
    # (recorded inside closing.account_close); every look at the access log itself.
    "carematch.access.data_views.export_json": "_download",
    "carematch.access.data_views.export_fhir": "_download",
    "carematch.access.data_views.close_account": "closing.account_close",
    "carematch.access.audit_views.audit_log": "audit.record",
    # messaging: each conversation listed (what it is with and when, never its text); each
    # conversation read; a conversation started, a message sent or retracted, with its result.
    "carematch.messaging.views.inbox": "_inbox_page",
    "carematch.messaging.views.start": "audit.write",
    "carematch.messaging.views.conversation": "audit.record",
    "carematch.messaging.views.retract": "audit.write",
    "carematch.messaging.views.mark_read": "audit.write",
}

# Pages that show no one's clinical record, and why. A page addressed by a client's id can
# never be here.
NOT_RECORDED: dict[str, str] = {
    # The coping toolkit's exercises: public pages, the same for everyone (logging one is declared).
    "carematch.care.toolkit_views.toolkit": "the toolkit's list of exercises: no one's record",
    "carematch.care.toolkit_views.toolkit_breathing": "a public breathing exercise: no one's record",
    "carematch.care.toolkit_views.toolkit_grounding": "a public grounding exercise: no one's record",
    "carematch.care.toolkit_views.toolkit_meditation": "a public meditation timer: no one's record",
    "carematch.coverage.views.my_tax_id": "the provider's own tax id, no client's record",
    "carematch.coverage.views.plans": "payers' plans and fee schedules: no one's record",
    "carematch.coverage.views.benefits_import": "loads payers' plans: no one's record",
    "carematch.coverage.views.fees_import": "loads payers' fee schedules: no one's record",
    # The visitor's own answers, kept in their session until they sign up, and what they ask
    # for with them. The hold, the booking and the waitlist place these pages make for the
    # visitor themselves are not in the access log (the API's hold and booking are: _acting_for_client);
    # the appointment page records every read of the appointment once booked.
    "carematch.matching.views.intake_step": "the intake's questions and the visitor's own answers, in their session "
                                            "(their note for the therapist on their own request for care)",
    "carematch.matching.views.results": "providers who fit the visitor's own answers; starts the 48-hour clock",
    "carematch.matching.views.compare": "providers from the visitor's own results, side by side",
    "carematch.matching.views.apply_suggestion": "one change to the visitor's own answers, in their session",
    "carematch.matching.views.join_waitlist": "the visitor joins the waitlist with their own answers",
    "carematch.capacity.views.capacity": "figures over the whole network, never a person's: no one's record is read",
    "carematch.capacity.views.capacity_run": "one forecast's figures over the whole network; names no client",
    "carematch.matching.waitlist_views.staff_waitlist_place": (
        "starts placement in the task worker and shows nothing; each booking it makes is the client's own"
    ),
    "carematch.matching.views.book_opening": "a provider's public opening, held for the visitor",
    "carematch.matching.views.finish_booking": "the visitor's own hold, shown only to them, booked for them",
    # A person's own calendar address (its fetches are recorded: calendar_feed).
    "carematch.scheduling.views.calendar_feed_page": "the person's own calendar address",
    "carematch.scheduling.views.calendar_feed_new": "makes the person's own calendar address",
    "carematch.scheduling.views.calendar_feed_turn_off": "turns the person's own calendar address off",
    # Figures over providers, with no client in them.
    "carematch.measures.views.staff_outcomes": "providers' outcome estimates, no client named",
    # The client's own page about their data and the links to download it (downloads are
    # recorded: export_json, export_fhir), and the page after closing, once logged out.
    "carematch.access.data_views.data_home": "what is held and the download links, for the client themselves",
    "carematch.access.data_views.closed": "the date the closed account is kept until, after logging out",
}


def _patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def dotted(view: Callable[..., Any]) -> str:
    inner = inspect.unwrap(view)
    return f"{inner.__module__}.{inner.__qualname__}"


def clinical_pages() -> dict[str, tuple[Callable[..., Any], list[tuple[str, tuple[str, ...]]]]]:
    """Each page view of the clinical apps by its dotted name, with its routes and their path
    parameters."""
    found: dict[str, Any] = {}
    routes: dict[str, list[tuple[str, tuple[str, ...]]]] = defaultdict(list)
    for route, entry in _patterns(get_resolver()):
        if route.startswith(("admin/", "api/")):
            continue
        name = dotted(entry.callback)
        if name.split(".")[1] not in CLINICAL_APPS:
            continue
        found[name] = entry.callback
        routes[name].append((route, tuple(entry.pattern.regex.groupindex)))
    return {name: (view, routes[name]) for name, view in found.items()}


PAGES = clinical_pages()


def test_the_walk_finds_the_clinical_pages() -> None:
    apps = {name.split(".")[1] for name in PAGES}
    assert apps == set(CLINICAL_APPS)
    assert len(PAGES) >= 45


def test_every_clinical_page_declares_how_its_accesses_are_recorded() -> None:
    problems = []
    for name, (view, _routes) in sorted(PAGES.items()):
        ways = [way for way, yes in (("declared on the view", access_logged_of(view) is not None),
                                     ("in RECORD_THEIR_OWN", name in RECORD_THEIR_OWN),
                                     ("in NOT_RECORDED", name in NOT_RECORDED)) if yes]
        if not ways:
            problems.append(
                f"{name} neither declares its entry in the access log nor is listed. Declare it on the view "
                "(care pages: care_page(logged=AccessLogged(...))), or list it in RECORD_THEIR_OWN with the call "
                "that records its accesses, or in NOT_RECORDED with why it touches no one's record, in "
                "carematch/tests/test_access_declared.py."
            )
        elif len(ways) > 1:
            problems.append(f"{name} is {' and '.join(ways)}: one way only")
    assert not problems, "\n".join(problems)


def test_the_lists_name_only_pages_that_exist() -> None:
    """A renamed or removed page leaves its entry behind: the entry must follow it."""
    stale = sorted((set(RECORD_THEIR_OWN) | set(NOT_RECORDED)) - set(PAGES))
    assert not stale, f"listed but no page has this view (renamed or removed?): {stale}"


def test_a_page_recording_its_own_accesses_makes_the_call_listed() -> None:
    missing = []
    for name, call in sorted(RECORD_THEIR_OWN.items()):
        if name in PAGES and f"{call}(" not in inspect.getsource(inspect.unwrap(PAGES[name][0])):
            missing.append(f"{name} no longer calls {call}()")
    assert not missing, "\n".join(missing)


def test_a_page_addressed_by_a_client_records_its_accesses() -> None:
    unrecorded = [name for name, (_view, routes) in PAGES.items()
                  if name in NOT_RECORDED and any("client_id" in params for _route, params in routes)]
    assert not unrecorded, f"addressed by a client's id, so their record: {unrecorded}"


def test_a_declared_record_id_is_in_every_address_of_the_page() -> None:
    """Otherwise the events would silently name the client instead of the record."""
    wrong = []
    for name, (view, routes) in sorted(PAGES.items()):
        logged = access_logged_of(view)
        if logged is None or not logged.record_id:
            continue
        wrong += [f"{name}: {route} has no <{logged.record_id}>" for route, params in routes
                  if logged.record_id not in params]
    assert not wrong, "\n".join(wrong)
