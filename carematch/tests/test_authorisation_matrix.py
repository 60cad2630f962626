"""The authorisation matrix: every page and every API operation, for every kind of caller,
answers as the access policy (carematch/access/policy.py) says.

The endpoints are not listed by hand: pages come from Django's URL resolver and API
operations from the OpenAPI document, so a new endpoint that is missing from POLICY (pages)
or API_POLICY (operations) fails `test_every_endpoint_has_a_policy` and each of its cases,
with a message saying how to add it.

One world is built once for the module (inside a transaction rolled back at the end; each
case runs in its own savepoint, so what one case writes, no other sees):
client A with a booked appointment with provider PA, a goal, a plan activity with a
check-in, a note by PA, a PHQ-9 that opened a safety alert, a questionnaire request, a rated past session,
a calendar feed, a second API token and a hold (of an opening with provider PB: a hold is not an appointment),
and a hold with provider PR that client A released (as closing an account releases holds: a
released hold is not an appointment either, so PR's only link to A shows PR nothing);
client B with their own provider PB and goal; a coordinator; an admin. Every record id in
the addresses belongs to client A (or provider A), so client B and provider B asking for
them is the check that nobody reads another person's record by changing an id.

Callers: anonymous, client A, client B, provider of A, another provider, the provider of a
released hold, coordinator, admin.
Expected answers: ALLOWED (2xx, a redirect that is not to a log-in page, or a 4xx about the
input from a caller who was let in), NOT_FOUND (a record the caller may not see: 404, never
403, so its existence does not leak), FORBIDDEN (a page or operation for another role,
decided by the role alone: 403), LOGIN (anonymous: sent to log in on pages, 401 on the API).
No answer anywhere may be a 500.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from carematch.api import api
from carematch.tests.helpers import assert_error_shape

# --- Callers -----------------------------------------------------------------------------------

ANON = "anonymous"
CLIENT_A = "client_a"
CLIENT_B = "client_b"
PROVIDER_A = "provider_of_a"
PROVIDER_B = "other_provider"
PROVIDER_RELEASED = "provider_of_a_released_hold"
COORDINATOR = "coordinator"
ADMIN = "admin"
ROLES = (ANON, CLIENT_A, CLIENT_B, PROVIDER_A, PROVIDER_B, PROVIDER_RELEASED, COORDINATOR, ADMIN)

SIGNED_IN = frozenset(ROLES) - {ANON}
CLIENTS = frozenset({CLIENT_A, CLIENT_B})
PROVIDERS = frozenset({PROVIDER_A, PROVIDER_B, PROVIDER_RELEASED})
STAFF = frozenset({COORDINATOR, ADMIN})  # admins are staff: they see what coordinators see
CARE_TEAM_OF_A = frozenset({CLIENT_A, PROVIDER_A}) | STAFF

# --- Answers -----------------------------------------------------------------------------------

ALLOWED = "allowed"
NOT_FOUND = "404 not found"
FORBIDDEN = "403 forbidden"
LOGIN = "log in (page redirect, API 401)"
ADMIN_LOGIN = "the Django admin's log-in page"


@dataclass(frozen=True)
class Policy:
    """Who may use a page or an operation.

    `roles`: the signed-in roles it is for; anyone else gets `refused` (403: decided by the
    role alone, before any record is looked at). `sees`: for an address naming a record of
    client A (or provider A), who may see that record; the others of `roles` get 404.
    `acts`: of those who see the record, who may do this; the others get 403.
    """

    name: str
    roles: frozenset[str]
    sees: frozenset[str] | None = None
    acts: frozenset[str] | None = None
    anonymous: str = LOGIN
    refused: str = FORBIDDEN


def expected(policy: Policy, role: str) -> str:
    """The answer `role` must get from an endpoint with `policy`, for client A's records."""
    if role == ANON:
        return policy.anonymous
    if role not in policy.roles:
        return policy.refused
    if policy.sees is not None and role not in policy.sees:
        return NOT_FOUND
    if policy.acts is not None and role not in policy.acts:
        return FORBIDDEN
    return ALLOWED


PUBLIC = Policy("public", SIGNED_IN, anonymous=ALLOWED)
TOKEN = Policy("whoever holds the private link (the token is the key)", SIGNED_IN, anonymous=ALLOWED)
ANY_SIGNED_IN = Policy("any signed-in person, for themselves", SIGNED_IN)
STAFF_ONLY = Policy("staff (coordinators and admins)", STAFF)
PROVIDERS_ONLY = Policy("providers, for themselves", PROVIDERS)
PROVIDERS_AND_STAFF = Policy("providers (their own clients) and staff", PROVIDERS | STAFF)
CLIENTS_ONLY = Policy("clients, for themselves", CLIENTS)
CLIENT_OWN = Policy("a client's own record, under the client's own pages", CLIENTS, sees=frozenset({CLIENT_A}))
PROVIDER_OWN = Policy("a provider's own record (hours, time off)", PROVIDERS, sees=frozenset({PROVIDER_A}))
# Profiles are public, so another provider is refused (403) rather than told it is not there.
PROVIDER_SELF_OR_STAFF = Policy("a provider's own profile: the provider themself, or staff", PROVIDERS | STAFF,
                                acts=frozenset({PROVIDER_A}) | STAFF)
CARE_TEAM = Policy("the client's record: the client, their provider, staff", SIGNED_IN, sees=CARE_TEAM_OF_A)
CARE_PLANNERS = Policy("seen by the care team; changed by the client and their provider", SIGNED_IN,
                       sees=CARE_TEAM_OF_A, acts=frozenset({CLIENT_A, PROVIDER_A}))
CLIENT_ACTS = Policy("seen by the care team; done by the client only", SIGNED_IN,
                     sees=CARE_TEAM_OF_A, acts=frozenset({CLIENT_A}))
CLIENT_OR_STAFF_ACTS = Policy("seen by the care team; done by the client or staff", SIGNED_IN,
                              sees=CARE_TEAM_OF_A, acts=frozenset({CLIENT_A}) | STAFF)
PROVIDER_OR_STAFF_ACTS = Policy("seen by the care team; done by the client's provider or staff", SIGNED_IN,
                                sees=CARE_TEAM_OF_A, acts=frozenset({PROVIDER_A}) | STAFF)
# A session's video room: its client and its provider, nobody else (staff see the session, but
# are not in it): 404 for everyone else, as for a record they may not see.
SESSION_PARTIES = Policy("a session's video room: the client and their provider only", SIGNED_IN,
                         sees=frozenset({CLIENT_A, PROVIDER_A}))
NOTES = Policy("a provider's notes: the provider who wrote them, and admins", SIGNED_IN,
              sees=frozenset({PROVIDER_A, ADMIN}))
NOTE_AUTHOR = Policy("a provider's notes: seen by their author and admins; written by their author only",
                     SIGNED_IN, sees=frozenset({PROVIDER_A, ADMIN}), acts=frozenset({PROVIDER_A}))
# A client's journal entry shared with a provider: that provider alone (not staff, not other providers).
SHARED_JOURNAL = Policy("journal entries a client shared: the provider they shared them with", SIGNED_IN,
                        sees=frozenset({PROVIDER_A}))
NO_NOTES_HERE = Policy("a client's own pages, which never show notes about them", CLIENTS, sees=frozenset())
ALERT = Policy("a safety alert: the client's provider and staff", PROVIDERS | STAFF,
               sees=frozenset({PROVIDER_A}) | STAFF)
MATCH_FOR_CLIENT = Policy("matching: clients for themselves, staff for a client", CLIENTS | STAFF,
                          sees=frozenset({CLIENT_A}) | STAFF)
HOLD = Policy("a hold: only the client (or the browser) that made it", SIGNED_IN,
              sees=frozenset({CLIENT_A}), anonymous=NOT_FOUND)
OWN_TOKEN = Policy("a person's own API token: only its owner sees it", SIGNED_IN, sees=frozenset({CLIENT_A}))
# The member id and subscriber identify a person to their insurer: the client and staff, not providers.
COVERAGE = Policy("a client's insurance coverage and eligibility: the client and staff", SIGNED_IN,
                  sees=frozenset({CLIENT_A}) | STAFF)
# A client's diagnosis codes (for superbills): entered and seen by the provider of their sessions.
DIAGNOSES = Policy("a client's diagnoses: the provider who has them in care", PROVIDERS,
                   sees=frozenset({PROVIDER_A}))
CRISIS_REQUEST = Policy("a crisis request: coordinators and admins; to anyone else it is not there", SIGNED_IN,
                        sees=STAFF)
# Messages: a conversation with a provider is its client's and that provider's alone (staff have
# their own conversation with the client); a message is retracted by its sender, marked read by
# the side it was sent to; a client starts a conversation with a provider they have an appointment with.
CONVERSATION = Policy("a conversation with a provider: its client and that provider only", SIGNED_IN,
                      sees=frozenset({CLIENT_A, PROVIDER_A}))
MESSAGE_SENDER = Policy("a message: seen by its conversation's two parties; retracted by its sender only",
                        SIGNED_IN, sees=frozenset({CLIENT_A, PROVIDER_A}), acts=frozenset({CLIENT_A}))
MESSAGE_RECIPIENT = Policy("a message: seen by its conversation's two parties; marked read by its recipient",
                           SIGNED_IN, sees=frozenset({CLIENT_A, PROVIDER_A}), acts=frozenset({PROVIDER_A}))
START_WITH_PROVIDER_A = Policy("writing to provider A: their clients (a hold is not an appointment)", SIGNED_IN,
                               sees=frozenset({CLIENT_A}))
NOTHING = Policy("nothing is here, for anyone", frozenset(), anonymous=NOT_FOUND, refused=NOT_FOUND)
DJANGO_ADMIN = Policy("the Django admin: staff", STAFF, anonymous=ADMIN_LOGIN, refused=ADMIN_LOGIN)
DJANGO_ADMIN_ACCOUNTS = Policy("the Django admin's accounts: admins manage accounts", STAFF,
                               acts=frozenset({ADMIN}), anonymous=ADMIN_LOGIN, refused=ADMIN_LOGIN)


@dataclass(frozen=True)
class Page:
    policy: Policy
    method: str = "GET"  # POST for pages that only take POST


# Every named URL pattern (by its namespaced name) -> its policy. The API's own patterns are
# checked through API_POLICY below, one entry per operation.
POLICY: dict[str, Page] = {
    "home": Page(PUBLIC),
    "find": Page(PUBLIC),
    "set_language": Page(PUBLIC, "POST"),  # the language switch on every page
    # accounts
    "accounts:home": Page(ANY_SIGNED_IN),
    "accounts:signup": Page(PUBLIC),
    "accounts:signup_confirm": Page(TOKEN),
    "accounts:login": Page(PUBLIC),
    "accounts:login_code": Page(PUBLIC),  # a step of logging in: without a password just given, back to it
    "accounts:mfa": Page(ANY_SIGNED_IN),
    "accounts:mfa_setup": Page(ANY_SIGNED_IN),
    "accounts:logout": Page(PUBLIC, "POST"),
    "accounts:logout_everywhere": Page(ANY_SIGNED_IN, "POST"),
    "accounts:password_reset": Page(PUBLIC),
    "accounts:password_reset_done": Page(PUBLIC),
    "accounts:password_reset_confirm": Page(TOKEN),
    "accounts:password_reset_complete": Page(PUBLIC),
    "staff_home": Page(STAFF_ONLY),
    "access_audit:log": Page(STAFF_ONLY),
    # a client's own data: export and closing the account (no ids: always one's own)
    "access_data:home": Page(CLIENTS_ONLY),
    "access_data:export_json": Page(CLIENTS_ONLY),
    "access_data:export_fhir": Page(CLIENTS_ONLY),
    "access_data:close": Page(CLIENTS_ONLY),
    "access_data:closed": Page(PUBLIC),
    # a person's own API tokens (GET asks to confirm a revocation; POST does it)
    "account_tokens:list": Page(ANY_SIGNED_IN),
    "account_tokens:revoke": Page(OWN_TOKEN),
    "account_tokens:revoke_all": Page(ANY_SIGNED_IN),
    # directory
    "directory:public_profile": Page(PUBLIC),
    "directory:my_profile": Page(PROVIDERS_ONLY),
    "directory:profile_claim": Page(TOKEN),
    "directory:my_licence": Page(PROVIDERS_ONLY),
    "directory:my_photo": Page(PROVIDERS_ONLY, "POST"),
    "directory:my_photo_remove": Page(PROVIDERS_ONLY, "POST"),
    "directory:photo": Page(PUBLIC),
    # The public Plan-Net directory: no log-in, as CMS requires of directories.
    "fhir:metadata": Page(PUBLIC),
    "fhir:search": Page(PUBLIC),
    "fhir:read": Page(PUBLIC),
    "fhir:unknown": Page(NOTHING),
    "directory:my_availability": Page(PROVIDERS_ONLY),
    "directory:window_add": Page(PROVIDERS_ONLY, "POST"),
    "directory:window_remove": Page(PROVIDER_OWN, "POST"),
    "directory:time_off_add": Page(PROVIDERS_ONLY, "POST"),
    "directory:time_off_remove": Page(PROVIDER_OWN, "POST"),
    "directory:staff_directory": Page(STAFF_ONLY),
    "directory:roster_import": Page(STAFF_ONLY),
    "directory:roster_template": Page(STAFF_ONLY),
    "coverage:plans": Page(STAFF_ONLY),
    "coverage:benefits_import": Page(STAFF_ONLY),
    "coverage:fees_import": Page(STAFF_ONLY),
    "directory:staff_payers": Page(STAFF_ONLY),
    "directory:staff_provider": Page(STAFF_ONLY),
    "directory:staff_provider_invite": Page(STAFF_ONLY, "POST"),
    "directory:staff_provider_contact": Page(STAFF_ONLY, "POST"),
    "directory:staff_provider_profile": Page(STAFF_ONLY, "POST"),
    "directory:staff_provider_photo": Page(STAFF_ONLY, "POST"),
    "directory:staff_provider_photo_remove": Page(STAFF_ONLY, "POST"),
    "directory:licenses_expiring": Page(STAFF_ONLY),
    "directory:staff_networks": Page(STAFF_ONLY),
    "directory:staff_network_payer": Page(STAFF_ONLY, "POST"),
    "directory:license_status": Page(STAFF_ONLY, "POST"),
    # matching and booking
    "matching:help_now": Page(PUBLIC),
    "matching:results": Page(PUBLIC),
    "matching:compare": Page(PUBLIC),
    "matching:apply_suggestion": Page(PUBLIC, "POST"),
    "matching:join_waitlist": Page(PUBLIC),
    "matching:intake_step": Page(PUBLIC),
    "matching:book_opening": Page(PUBLIC),
    "matching:finish_booking": Page(HOLD),
    "matching:appointment": Page(CARE_TEAM),
    "matching:appointment_ics": Page(CARE_TEAM),
    "matching:appointment_cancel": Page(CARE_TEAM),  # GET asks to confirm; POST cancels
    "matching:appointment_reschedule": Page(CARE_TEAM),  # GET offers the provider's openings; POST moves
    "matching:appointment_join": Page(SESSION_PARTIES),  # the room (in its window) or why not
    "matching:appointment_series": Page(PROVIDER_OR_STAFF_ACTS),  # GET the form; POST books a series
    "matching:appointment_cancel_rest": Page(CARE_TEAM),  # no series here: sent back to the session
    "matching:appointment_attendance": Page(PROVIDER_OR_STAFF_ACTS, "POST"),
    "matching:staff_waitlist": Page(STAFF_ONLY),
    "matching:staff_waitlist_place": Page(STAFF_ONLY, "POST"),
    "capacity:capacity": Page(STAFF_ONLY),
    "capacity:run": Page(STAFF_ONLY),
    # scheduling
    "scheduling:calendar_feed_page": Page(ANY_SIGNED_IN),
    "scheduling:calendar_feed_new": Page(ANY_SIGNED_IN, "POST"),
    "scheduling:calendar_feed_turn_off": Page(ANY_SIGNED_IN, "POST"),
    "scheduling:calendar_feed": Page(TOKEN),
    "scheduling:clock": Page(STAFF_ONLY),
    "scheduling:crisis_queue": Page(STAFF_ONLY),
    "scheduling:crisis_outcome": Page(STAFF_ONLY, "POST"),
    # measures
    "measures:questionnaire_link": Page(TOKEN),
    "measures:my_questionnaires": Page(CLIENTS_ONLY),
    "measures:questionnaire": Page(CLIENT_OWN),
    "measures:result": Page(PUBLIC),
    "measures:session_rating": Page(CLIENT_OWN),
    "measures:alerts": Page(PROVIDERS_AND_STAFF),
    "measures:alert_acknowledge": Page(ALERT, "POST"),
    "measures:staff_alerts": Page(STAFF_ONLY),
    "measures:staff_alert_acknowledge": Page(STAFF_ONLY, "POST"),
    "measures:provider_questionnaires": Page(PROVIDERS_ONLY),
    "measures:provider_cadence": Page(PROVIDERS_ONLY, "POST"),
    "measures:provider_send_now": Page(PROVIDERS_ONLY, "POST"),
    "measures:staff_outcomes": Page(STAFF_ONLY),
    # care: the client's own pages, and the same pages of a client for their provider and staff
    "care:caseload": Page(PROVIDERS_AND_STAFF),
    "care:my_progress": Page(CLIENTS_ONLY),
    "care:my_goal_add": Page(CLIENTS_ONLY),
    "care:my_goal_revise": Page(CLIENT_OWN),
    "care:my_goal_rating": Page(CLIENT_OWN),
    "care:my_activity_add": Page(CLIENTS_ONLY),
    "care:my_activity_end": Page(CLIENT_OWN, "POST"),
    "care:my_check_in": Page(CLIENT_OWN),
    "care:my_check_in_remove": Page(CLIENT_OWN, "POST"),
    "care:my_notes": Page(NO_NOTES_HERE),
    "care:my_note_revise": Page(NO_NOTES_HERE),
    "care:my_note_remove": Page(NO_NOTES_HERE, "POST"),
    "care:client_progress": Page(CARE_TEAM),
    "care:client_goal_add": Page(CARE_PLANNERS),
    "care:client_goal_revise": Page(CARE_PLANNERS),
    "care:client_goal_rating": Page(CARE_PLANNERS),
    "care:client_activity_add": Page(CARE_PLANNERS),
    "care:client_activity_end": Page(CARE_PLANNERS, "POST"),
    "care:client_check_in": Page(CLIENT_ACTS),
    "care:client_check_in_remove": Page(CLIENT_ACTS, "POST"),
    "care:client_notes": Page(NOTES),
    "care:client_note_revise": Page(NOTE_AUTHOR),
    "care:client_note_remove": Page(NOTE_AUTHOR, "POST"),
    # the coping toolkit: public to practise; logging a practice is a client's own check-in
    "care:toolkit": Page(PUBLIC),
    "care:toolkit_breathing": Page(PUBLIC),
    "care:toolkit_grounding": Page(PUBLIC),
    "care:toolkit_meditation": Page(PUBLIC),
    "care:toolkit_log": Page(CLIENTS_ONLY, "POST"),
    # the private journal: the client's alone; an entry they share, its provider's
    "care:my_journal": Page(CLIENTS_ONLY),
    "care:my_journal_share": Page(CLIENT_OWN, "POST"),
    "care:my_journal_unshare": Page(CLIENT_OWN, "POST"),
    "care:my_journal_remove": Page(CLIENT_OWN, "POST"),
    "care:client_journal": Page(SHARED_JOURNAL),
    # messaging
    "messaging:inbox": Page(ANY_SIGNED_IN),
    "messaging:start": Page(ANY_SIGNED_IN, "POST"),  # an empty form: its errors, for anyone signed in
    "messaging:conversation": Page(CONVERSATION),  # GET reads; POST sends
    "messaging:mark_read": Page(CONVERSATION, "POST"),  # the page's script; without up_to, a 400
    "messaging:retract": Page(MESSAGE_SENDER, "POST"),
    # coverage: the client's own insurance; a coordinator's view of a client's, with a check now
    "coverage:mine": Page(CLIENTS_ONLY),
    "coverage:staff_client": Page(STAFF_ONLY),
    "coverage:superbills": Page(CLIENTS_ONLY),
    "coverage:superbill_pdf": Page(CLIENTS_ONLY),  # without dates: a page saying what to choose (409)
    "coverage:diagnoses": Page(DIAGNOSES),
    "coverage:diagnosis_remove": Page(DIAGNOSES, "POST"),
    "coverage:my_tax_id": Page(PROVIDERS_ONLY),
    # the library: public pages (drafts are not there for anyone); staff write and review articles
    "learn:library": Page(PUBLIC),
    "learn:feed": Page(PUBLIC),
    "learn:article": Page(PUBLIC),
    "learn:staff_list": Page(STAFF_ONLY),
    "learn:staff_create": Page(STAFF_ONLY),
    "learn:staff_edit": Page(STAFF_ONLY),
    "learn:staff_publish": Page(STAFF_ONLY, "POST"),
    "learn:staff_versions": Page(STAFF_ONLY),
    # the newsletter: sign-up for anyone; the emailed links are the key to a subscription
    "newsletter:subscribe": Page(PUBLIC),
    "newsletter:sent": Page(PUBLIC),
    "newsletter:confirm": Page(TOKEN),
    "newsletter:confirmed": Page(PUBLIC),
    "newsletter:preferences": Page(TOKEN),
    "newsletter:unsubscribe": Page(TOKEN),
    "newsletter:one_click": Page(TOKEN, "POST"),
    # the API's own pages
    "api-v1:api-root": Page(NOTHING),
    "api-v1:openapi-json": Page(PUBLIC),
    "api-v1:openapi-view": Page(PUBLIC),
    # the Django admin: its front page and one model list stand for the rest of it
    "admin:index": Page(DJANGO_ADMIN),
    "admin:accounts_user_changelist": Page(DJANGO_ADMIN_ACCOUNTS),
}

# Every API operation ("METHOD /path" as in the OpenAPI document) -> its policy.
API_POLICY: dict[str, Policy] = {
    "GET /api/v1/health": PUBLIC,
    "GET /api/v1/me": ANY_SIGNED_IN,
    "POST /api/v1/tokens/current/revoke": ANY_SIGNED_IN,
    "GET /api/v1/me/tokens": ANY_SIGNED_IN,
    "DELETE /api/v1/me/tokens/{token_id}": OWN_TOKEN,
    "GET /api/v1/me/export": CLIENTS_ONLY,
    "POST /api/v1/me/close": CLIENTS_ONLY,
    "GET /api/v1/audit-events": STAFF_ONLY,
    "GET /api/v1/audit-events/fhir": STAFF_ONLY,
    "POST /api/v1/users": STAFF_ONLY,
    "GET /api/v1/users/{user_id}": STAFF_ONLY,
    "GET /api/v1/providers": ANY_SIGNED_IN,
    "GET /api/v1/providers/{provider_id}": ANY_SIGNED_IN,
    "POST /api/v1/providers/{provider_id}/photo": PROVIDER_SELF_OR_STAFF,
    "DELETE /api/v1/providers/{provider_id}/photo": PROVIDER_SELF_OR_STAFF,
    "PUT /api/v1/providers/{provider_id}/video-link": PROVIDER_SELF_OR_STAFF,
    "GET /api/v1/providers/{provider_id}/openings": ANY_SIGNED_IN,
    "POST /api/v1/licenses/{license_id}/status": STAFF_ONLY,
    "POST /api/v1/clients": STAFF_ONLY,
    "GET /api/v1/clients/{client_id}": CARE_TEAM,
    "POST /api/v1/holds": CLIENT_OR_STAFF_ACTS,
    "POST /api/v1/appointments": CLIENT_OR_STAFF_ACTS,
    "GET /api/v1/appointments/{appointment_id}": CARE_TEAM,
    "POST /api/v1/appointments/{appointment_id}/cancel": CARE_TEAM,
    "POST /api/v1/appointments/{appointment_id}/reschedule": CARE_TEAM,
    "POST /api/v1/appointments/{appointment_id}/no-show": PROVIDER_OR_STAFF_ACTS,
    "POST /api/v1/appointments/{appointment_id}/series": PROVIDER_OR_STAFF_ACTS,
    "POST /api/v1/appointments/{appointment_id}/cancel-rest": CARE_TEAM,
    "POST /api/v1/appointments/{appointment_id}/attendance": PROVIDER_OR_STAFF_ACTS,
    "GET /api/v1/appointments/{appointment_id}/ics": CARE_TEAM,
    "GET /api/v1/appointments/{appointment_id}/join": SESSION_PARTIES,
    "POST /api/v1/appointments/{appointment_id}/session-rating": CLIENT_ACTS,
    "POST /api/v1/match": MATCH_FOR_CLIENT,
    "POST /api/v1/crisis-requests": PUBLIC,
    "GET /api/v1/crisis-requests": STAFF_ONLY,
    "POST /api/v1/crisis-requests/{crisis_request_id}/outcome": CRISIS_REQUEST,
    "POST /api/v1/clients/{client_id}/assessments": CLIENT_OR_STAFF_ACTS,
    "GET /api/v1/clients/{client_id}/assessments": CARE_TEAM,
    "POST /api/v1/clients/{client_id}/questionnaire-requests": PROVIDER_OR_STAFF_ACTS,
    "GET /api/v1/alerts": PROVIDERS_AND_STAFF,
    "POST /api/v1/alerts/{alert_id}/acknowledge": ALERT,
    "GET /api/v1/clients/{client_id}/goals": CARE_TEAM,
    "POST /api/v1/clients/{client_id}/goals": CARE_PLANNERS,
    "POST /api/v1/goals/{goal_id}/revise": CARE_PLANNERS,
    "POST /api/v1/goals/{goal_id}/ratings": CARE_PLANNERS,
    "GET /api/v1/clients/{client_id}/plan/activities": CARE_TEAM,
    "POST /api/v1/clients/{client_id}/plan/activities": CARE_PLANNERS,
    "POST /api/v1/plan/activities/{activity_id}/end": CARE_PLANNERS,
    "POST /api/v1/plan/activities/{activity_id}/check-ins": CLIENT_ACTS,
    "POST /api/v1/check-ins/{check_in_id}/remove": CLIENT_ACTS,
    "GET /api/v1/clients/{client_id}/notes": NOTES,
    "POST /api/v1/clients/{client_id}/notes": NOTE_AUTHOR,
    "POST /api/v1/notes/{note_id}/revise": NOTE_AUTHOR,
    "POST /api/v1/notes/{note_id}/remove": NOTE_AUTHOR,
    "GET /api/v1/conversations": ANY_SIGNED_IN,
    "POST /api/v1/conversations": START_WITH_PROVIDER_A,
    "GET /api/v1/conversations/{conversation_id}/messages": CONVERSATION,
    "POST /api/v1/conversations/{conversation_id}/messages": CONVERSATION,
    "POST /api/v1/messages/{message_id}/read": MESSAGE_RECIPIENT,
    "POST /api/v1/messages/{message_id}/retract": MESSAGE_SENDER,
    "GET /api/v1/clients/{client_id}/coverage": COVERAGE,
    "PUT /api/v1/clients/{client_id}/coverage": COVERAGE,
    "POST /api/v1/clients/{client_id}/eligibility": COVERAGE,
    "GET /api/v1/clients/{client_id}/eligibility": COVERAGE,
    "GET /api/v1/articles": PUBLIC,
    "POST /api/v1/newsletter/subscriptions": PUBLIC,
}

# A minimal valid body for each operation that takes one, so that the answer is about who
# asks, not about the body (ninja validates the body before the handler runs).
GOAL = {"text": "Sleep through the night most nights", "measure": "self_rating", "target": 7,
        "target_date": "2027-06-01"}
COVERAGE_BODY = {"payer": "aetna", "plan_id": "GOLD-PPO", "member_id": "W123456789", "subscriber_first_name": "Sam",
                 "subscriber_last_name": "Rivera", "subscriber_birth_date": "1985-03-02", "relationship": "self"}
API_BODIES: dict[str, Callable[[World], dict[str, Any]]] = {
    "POST /api/v1/users": lambda w: {"email": "new.person@example.test", "role": "client"},
    "POST /api/v1/me/close": lambda w: {"password": "not the password", "confirmation": "close my account"},
    "POST /api/v1/licenses/{license_id}/status": lambda w: {"status": "verified"},
    # sent as multipart/form-data, as its document declares (see ask())
    "POST /api/v1/providers/{provider_id}/photo": lambda w: {"photo": w.ids["photo_png"]},
    "PUT /api/v1/providers/{provider_id}/video-link": lambda w: {"video_link": "https://meet.example.org/a-room"},
    "POST /api/v1/clients": lambda w: {
        "email": "new.client@example.test", "first_name": "Riley", "last_name": "Example",
        "date_of_birth": "1991-02-03", "state": "CO", "zip": "80202", "timezone": "America/Denver",
    },
    "POST /api/v1/holds": lambda w: {"provider_id": w.ids["provider_id"], "client_id": w.ids["client_id"],
                                     "start": "2027-01-06T16:00:00+00:00", "format": "telehealth"},
    "POST /api/v1/appointments": lambda w: {"provider_id": w.ids["provider_id"], "client_id": w.ids["client_id"],
                                            "start": "2027-01-06T16:00:00+00:00", "format": "telehealth"},
    "POST /api/v1/appointments/{appointment_id}/reschedule": lambda w: {"start": "2027-01-07T16:00:00+00:00"},
    "POST /api/v1/appointments/{appointment_id}/session-rating": lambda w: {"score": 8},
    "POST /api/v1/appointments/{appointment_id}/series": lambda w: {"every_weeks": 1, "count": 2},
    "POST /api/v1/appointments/{appointment_id}/attendance": lambda w: {"attended": True},
    "POST /api/v1/match": lambda w: {"state": "CO", "age": 35, "concerns": ["anxiety"], "format": "telehealth",
                                     "client_id": w.ids["client_id"]},
    "POST /api/v1/crisis-requests": lambda w: {"name": "Ash", "phone": "(303) 555-0142", "state": "CO"},
    "POST /api/v1/crisis-requests/{crisis_request_id}/outcome": lambda w: {
        "outcome": "no_answer", "note": "Rang twice, no voicemail; trying again in an hour."},
    "POST /api/v1/clients/{client_id}/assessments": lambda w: {"instrument": "gad7", "answers": [1, 1, 1, 0, 0, 0, 0]},
    "POST /api/v1/clients/{client_id}/questionnaire-requests": lambda w: {"instruments": ["gad7"]},
    "POST /api/v1/alerts/{alert_id}/acknowledge": lambda w: {"note": "Called the client; they are safe tonight."},
    "POST /api/v1/clients/{client_id}/goals": lambda w: GOAL,
    "POST /api/v1/goals/{goal_id}/revise": lambda w: GOAL,
    "POST /api/v1/goals/{goal_id}/ratings": lambda w: {"rating": 6},
    "POST /api/v1/clients/{client_id}/plan/activities": lambda w: {"kind": "exercise", "times": 3, "period": "week"},
    "POST /api/v1/plan/activities/{activity_id}/check-ins": lambda w: {"mood": 6},
    "POST /api/v1/clients/{client_id}/notes": lambda w: {"body": "Talked through the week; plan holds."},
    "POST /api/v1/notes/{note_id}/revise": lambda w: {"body": "Talked through the week; the plan holds."},
    "POST /api/v1/conversations": lambda w: {"with_user_id": w.ids["provider_user_id"]},
    "POST /api/v1/conversations/{conversation_id}/messages": lambda w: {"body": "Running five minutes late."},
    "PUT /api/v1/clients/{client_id}/coverage": lambda w: COVERAGE_BODY,
    "POST /api/v1/newsletter/subscriptions": lambda w: {"email": "reader@example.test", "topics": ["coping"]},
}

HOW_TO_ADD = (
    "Add it to {table} in carematch/tests/test_authorisation_matrix.py with the policy its code "
    "implements (a Policy above, or a new one built from carematch/access/policy.py){extra}."
)

# --- Enumerating endpoints ---------------------------------------------------------------------

ADMIN_PAGES = {"admin:index": "/admin/", "admin:accounts_user_changelist": "/admin/accounts/user/"}


@dataclass(frozen=True)
class Endpoint:
    key: str  # the pattern's name, or "METHOD /path" for an API operation
    api: bool
    params: tuple[str, ...]  # path parameters to fill in
    method: str = "GET"


def _patterns(resolver: URLResolver, namespace: str = "", prefix: str = "") -> Iterator[tuple[str, str, Any]]:
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry, inner, route)
        elif isinstance(entry, URLPattern):
            yield route, f"{namespace}{entry.name}" if entry.name else "", entry


def page_endpoints() -> list[Endpoint]:
    """Every named page from the resolver, but the Django admin's own pages (two of which
    stand for it) and the API's operations (enumerated from the OpenAPI document)."""
    found = []
    for route, name, entry in _patterns(get_resolver()):
        if route.startswith(("admin/", settings.STATIC_URL.lstrip("/"))):
            continue
        if route.startswith("api/") and name not in POLICY:
            continue  # an API operation: see api_endpoints() and test_api_patterns_are_all_documented
        params = tuple(entry.pattern.regex.groupindex)
        method = POLICY[name].method if name in POLICY else "GET"
        found.append(Endpoint(name or f"<unnamed: {route}>", False, params, method))
    found += [Endpoint(name, False, ()) for name in ADMIN_PAGES]
    return found


DOCUMENT = api.get_openapi_schema()
OPERATIONS = {f"{method.upper()} {path}": operation
              for path, operations in DOCUMENT["paths"].items() for method, operation in operations.items()}


def api_endpoints() -> list[Endpoint]:
    found = []
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            params = tuple(p["name"] for p in operation.get("parameters", []) if p.get("in") == "path")
            found.append(Endpoint(f"{method.upper()} {path}", True, params, method.upper()))
    return found


ENDPOINTS = page_endpoints() + api_endpoints()
CASES = [pytest.param(endpoint, role, id=f"{endpoint.key}|{role}") for endpoint in ENDPOINTS for role in ROLES]


def policy_of(endpoint: Endpoint) -> Policy | None:
    if endpoint.api:
        return API_POLICY.get(endpoint.key)
    page = POLICY.get(endpoint.key)
    return page.policy if page else None


# --- The world ---------------------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, Any]
    api_tokens: dict[str, str]
    ids: dict[str, Any]  # path parameter -> value (client A's records)
    by_name: dict[str, dict[str, Any]] = field(default_factory=dict)  # page name -> its own parameters

    def kwargs_for(self, endpoint: Endpoint) -> dict[str, Any]:
        own = self.by_name.get(endpoint.key, {})
        missing = [p for p in endpoint.params if p not in own and p not in self.ids]
        if missing:
            pytest.fail(
                f"{endpoint.key}: no value for path parameter(s) {missing}. Add client A's record for it to "
                "build_world() (World.ids, or World.by_name for a token of this page) in "
                "carematch/tests/test_authorisation_matrix.py.", pytrace=False,
            )
        return {p: own.get(p, self.ids.get(p)) for p in endpoint.params}


def build_world() -> World:
    from carematch.accounts.models import Role
    from carematch.accounts.services import api_token_issue as token_issue
    from carematch.accounts.tests.factories import UserFactory, token_for
    from carematch.care import services as care
    from carematch.care.tests.factories import appointment, goal
    from carematch.directory.tests.factories import TimeOffFactory
    from carematch.measures import links
    from carematch.measures import services as measures
    from carematch.measures.models import PROVIDER_ALERT_KINDS, Alert
    from carematch.measures.tests.factories import phq9, record
    from carematch.scheduling import services as scheduling
    from carematch.scheduling.models import Status
    from carematch.scheduling.tests.factories import ClientFactory, weekday_provider

    coordinator = UserFactory(role=Role.COORDINATOR)
    admin = UserFactory(role=Role.ADMIN)
    provider_a = weekday_provider(user=UserFactory(role=Role.PROVIDER))
    provider_b = weekday_provider(user=UserFactory(role=Role.PROVIDER))
    provider_released = weekday_provider(user=UserFactory(role=Role.PROVIDER))
    client_a = ClientFactory()
    client_b = ClientFactory()

    booked = appointment(provider_a, client_a)
    appointment(provider_b, client_b)
    # Client A holds an opening with provider B: a hold is not an appointment, so B sees nothing of A.
    hold = appointment(provider_b, client_a, status=Status.HELD)
    # Client A held an opening with provider PR and let it go, through the same service that
    # closing an account uses: PR's only link to A is a released hold, which shows PR nothing.
    scheduling.appointment_cancel(appointment=appointment(provider_released, client_a, status=Status.HELD),
                                  by=client_a.user)
    # A past session with provider A, rated by the client.
    now = timezone.now()
    past = appointment(provider_a, client_a, status=Status.COMPLETED, start=now - dt.timedelta(days=2))
    measures.session_rate(appointment=past, client=client_a, score=9)

    goal_a = goal(client_a)
    goal(client_b)
    activity = care.activity_add(client=client_a, by=client_a.user, kind="exercise", times=3, period="week")
    check_in = care.check_in_record(activity=activity, by=client_a.user, mood=6)
    note = care.provider_note_create(client=client_a, by=provider_a.user, body="First session: sleep and worry.")
    entry = care.journal_entry_write(client=client_a, by=client_a.user, body="A hard day, and a walk helped.")
    care.journal_entry_share(entry=entry, by=client_a.user, provider_id=provider_a.pk)
    from carematch.messaging import services as messaging

    conversation, _ = messaging.conversation_start(by=client_a.user, with_user=provider_a.user)
    message = messaging.message_send(conversation=conversation, sender=client_a.user,
                                     body="Can we move Thursday to Friday?").message
    record(client_a, "phq9", phq9(12, item9=1))
    alert = Alert.objects.filter(client=client_a, kind__in=PROVIDER_ALERT_KINDS).order_by("id").first()
    assert alert is not None, "a PHQ-9 with item 9 above 0 opens a safety alert for the client's provider"
    request = measures.questionnaire_send_now(client=client_a, instruments=["gad7"], by=provider_a.user,
                                              provider=provider_a)
    _, feed_token = scheduling.calendar_feed_issue(user=client_a.user)
    from carematch.scheduling import services as scheduling

    crisis = scheduling.crisis_request_create(channel="page", name="Ash", phone="(303) 555-0142", state="CO",
                                              client=client_a)

    from carematch.coverage.services import coverage_set, diagnosis_add
    from carematch.directory.services import provider_photo_set

    coverage_set(client=client_a, **COVERAGE_BODY)
    diagnosis = diagnosis_add(client=client_a, provider=provider_a, code="F41.1", by=provider_a.user)

    with_photo = provider_photo_set(provider=provider_a, file=io.BytesIO(_png()))
    from carematch.learn.tests.factories import article
    from carematch.newsletter import services as newsletter

    reading = article(slug="matrix-article")
    from carematch.capacity.forecast import Options
    from carematch.capacity.services import capacity_run_create

    capacity_run = capacity_run_create(options=Options(), user=coordinator)
    newsletter.subscription_request(email="reader@example.test", topics=["coping"], address="192.0.2.1")
    subscriber = newsletter.subscription_confirm(token=_confirmation_token(), address="192.0.2.1")
    users = {
        CLIENT_A: client_a.user, CLIENT_B: client_b.user, PROVIDER_A: provider_a.user,
        PROVIDER_B: provider_b.user, PROVIDER_RELEASED: provider_released.user, COORDINATOR: coordinator,
        ADMIN: admin,
    }
    return World(
        users=users,
        api_tokens={role: token_for(user) for role, user in users.items()},
        ids={
            "client_id": client_a.pk, "appointment_id": booked.pk, "hold_id": hold.pk, "goal_id": goal_a.pk,
            "activity_id": activity.pk, "check_in_id": check_in.pk, "note_id": note.pk, "alert_id": alert.pk,
            "entry_id": entry.pk,
            "request_id": request.pk, "crisis_request_id": crisis.pk,
            "conversation_id": conversation.pk, "message_id": message.pk, "provider_user_id": provider_a.user.pk,
            # a second token of client A's (the first is the one client A's requests are sent with)
            "token_id": token_issue(user=client_a.user, name="sync")[0].pk,
            "user_id": client_a.user.pk, "provider_id": provider_a.pk,
            "window_id": provider_a.windows.order_by("id").first().pk,
            "time_off_id": TimeOffFactory(provider=provider_a).pk,
            "license_id": provider_a.licenses.order_by("id").first().pk,
            "network_id": _network_of(provider_a),
            "slug": "safety",
            "diagnosis_id": diagnosis.pk,
            "photo_png": _png(),
        },
        by_name={
            "directory:photo": {"name": with_photo.photo},
            "fhir:search": {"resource_type": "PractitionerRole"},
            "fhir:read": {"resource_type": "Practitioner", "resource_id": provider_a.npi},
            "fhir:unknown": {"rest": "Practitioner/1/_history"},
            "scheduling:calendar_feed": {"token": feed_token},
            # The emailed link's page answers everyone alike (a used or unknown link says so).
            "accounts:signup_confirm": {"token": "an-emailed-link-that-was-never-sent"},
            "learn:article": {"slug": reading.slug},
            "capacity:run": {"run_id": capacity_run.pk},
            "learn:staff_edit": {"article_id": reading.pk},
            "learn:staff_publish": {"article_id": reading.pk},
            "learn:staff_versions": {"article_id": reading.pk},
            # A used or unknown confirmation link says so, to everyone alike.
            "newsletter:confirm": {"token": "an-emailed-link-that-was-never-sent"},
            "newsletter:preferences": {"token": newsletter.manage_token(subscriber)},
            "newsletter:unsubscribe": {"token": newsletter.manage_token(subscriber)},
            "newsletter:one_click": {"token": newsletter.manage_token(subscriber)},
            "directory:profile_claim": {"token": _claim_link(provider_a)},
            "measures:questionnaire_link": {"token": links.token_for_salt(request.salt)},
            "accounts:password_reset_confirm": {
                "uidb64": urlsafe_base64_encode(force_bytes(client_a.user.pk)),
                "token": default_token_generator.make_token(client_a.user),
            },
        },
    )


def _confirmation_token() -> str:
    """The token of the confirmation link just made (its digest is stored; the test swaps in a known one)."""
    from carematch.newsletter.models import Confirmation
    from carematch.newsletter.services import token_digest

    raw = "a-newsletter-confirmation-link-for-the-matrix"
    Confirmation.objects.filter(pk=Confirmation.objects.latest("id").pk).update(token_digest=token_digest(raw))
    return raw


def _network_of(provider: Any) -> int:
    """A payer's network, as imported, with provider A in it."""
    from carematch.directory.models import Network

    network = Network.objects.create(key="Organization/matrix-network", name="Matrix Network", payer_name="Matrix")
    network.providers.add(provider)
    return network.pk


def _claim_link(provider: Any) -> str:
    """The token of an invitation to claim provider A's profile, as emailed."""
    from carematch.accounts.services import token_digest
    from carematch.directory.models import ProfileInvitation

    raw = "a-link-emailed-to-provider-a-to-claim-their-profile"
    ProfileInvitation.objects.create(provider=provider, token_digest=token_digest(raw), sent_to="pa@example.test",
                                     created_at=timezone.now(), expires_at=timezone.now() + dt.timedelta(days=14))
    return raw


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (120, 90), (40, 110, 160)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    """Built once for the module inside a transaction that is rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


# --- Asking ------------------------------------------------------------------------------------


def answer_of(response: Any, endpoint: Endpoint) -> str:
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if status in (301, 302, 303, 307, 308):
        location = response["Location"]
        if location.startswith(resolve_url(settings.LOGIN_URL)) and "next=" in location:
            return LOGIN  # refused until logged in (log-in pages reached on purpose carry no next)
        if location.startswith("/admin/login/"):
            return ADMIN_LOGIN
        return ALLOWED
    if status == 401 and endpoint.api:
        return LOGIN
    if status == 403:
        return FORBIDDEN
    if status == 404:
        return NOT_FOUND
    if status in (401, 405):
        return f"unexpected {status}"
    return ALLOWED  # 2xx, or 400/409/410/422 about the input from a caller who was let in


def ask(endpoint: Endpoint, role: str, world: World) -> Any:
    http = HttpClient()
    kwargs = world.kwargs_for(endpoint)
    if endpoint.api:
        path = endpoint.key.split(" ", 1)[1].format(**kwargs)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {world.api_tokens[role]}"} if role != ANON else {}
        if endpoint.method == "GET":
            return http.get(path, **headers)
        body_for = API_BODIES.get(endpoint.key)
        body = body_for(world) if body_for else None
        if body is not None and "multipart/form-data" in OPERATIONS[endpoint.key].get("requestBody", {}).get(
                "content", {}):
            from django.core.files.uploadedfile import SimpleUploadedFile

            files = {name: SimpleUploadedFile(f"{name}.png", value, "image/png") for name, value in body.items()}
            return http.post(path, files, **headers)
        return http.generic(endpoint.method, path, data=b"" if body is None else _json(body),
                            content_type="application/json", **headers)
    if role != ANON:
        http.force_login(world.users[role])
    path = ADMIN_PAGES.get(endpoint.key) or reverse(endpoint.key, kwargs=kwargs)
    if endpoint.method == "POST":
        return http.post(path, {})
    return http.get(path)


def _json(body: dict[str, Any]) -> bytes:
    import json

    return json.dumps(body).encode()


def assert_declared(endpoint: Endpoint, response: Any) -> None:
    """The answer is one the OpenAPI document declares for the operation: its status, and a
    media type of that status (so that a generated client can read it)."""
    answers = {int(status): answer for status, answer in OPERATIONS[endpoint.key]["responses"].items()}
    assert response.status_code in answers, (
        f"{endpoint.key} answered {response.status_code}, which it does not declare (it declares "
        f"{sorted(answers)}): merge errors({response.status_code}) from carematch/openapi.py into its response={{...}}"
    )
    declared = list(answers[response.status_code].get("content", {}))
    received = response.get("Content-Type", "").split(";")[0].strip()
    if response.content or declared:
        assert received in declared, f"{endpoint.key} {response.status_code}: answered {received}, declares {declared}"


# --- The tests ---------------------------------------------------------------------------------


def test_every_endpoint_has_a_policy() -> None:
    pages = [e.key for e in ENDPOINTS if not e.api and e.key not in POLICY]
    operations = [e.key for e in ENDPOINTS if e.api and e.key not in API_POLICY]
    stale = sorted(set(POLICY) - {e.key for e in ENDPOINTS if not e.api}) + sorted(
        set(API_POLICY) - {e.key for e in ENDPOINTS if e.api}
    )
    problems = []
    if pages:
        problems.append(f"Pages without a policy: {pages}. " + HOW_TO_ADD.format(
            table="POLICY", extra=' (Page(policy, "POST") for a page that only takes POST)'))
    if operations:
        problems.append(f"API operations without a policy: {operations}. " + HOW_TO_ADD.format(
            table="API_POLICY", extra=", and a minimal valid body to API_BODIES if it takes one"))
    if stale:
        problems.append(f"Policies for endpoints that no longer exist: {stale}. Remove them.")
    assert not problems, "\n".join(problems)


def test_every_operation_with_a_body_has_one_here() -> None:
    schema = api.get_openapi_schema()
    needing = {f"{method.upper()} {path}" for path, ops in schema["paths"].items()
               for method, op in ops.items() if op.get("requestBody", {}).get("required")}
    missing = sorted(needing - set(API_BODIES))
    assert not missing, (
        f"Operations that take a body but have none in API_BODIES: {missing}. Add a minimal valid body, so that "
        "the matrix checks who may call them rather than body validation."
    )


def test_api_patterns_are_all_documented() -> None:
    """Every API address the resolver knows is an operation of the OpenAPI document (so that
    enumerating the document enumerates the API)."""
    documented = {path.lstrip("/").replace("{", "<").replace("}", ">") for path in api.get_openapi_schema()["paths"]}
    routes = {route for route, name, _ in _patterns(get_resolver())
              if route.startswith("api/") and name not in POLICY}
    assert routes <= documented, f"API addresses missing from the OpenAPI document: {sorted(routes - documented)}"


def test_the_matrix_covers_every_endpoint_for_every_caller(record_property: Callable[..., None]) -> None:
    pages = sum(not e.api for e in ENDPOINTS)
    operations = sum(e.api for e in ENDPOINTS)
    assert len(CASES) == (pages + operations) * len(ROLES)
    assert pages >= 60 and operations >= 30, (pages, operations)
    record_property("pages", pages)
    record_property("api_operations", operations)
    record_property("cases", len(CASES))


@pytest.mark.django_db
@pytest.mark.parametrize(("endpoint", "role"), CASES)
def test_answer_follows_the_policy(endpoint: Endpoint, role: str, world: World) -> None:
    policy = policy_of(endpoint)
    if policy is None:
        table = "API_POLICY" if endpoint.api else "POLICY"
        pytest.fail(f"{endpoint.key} has no policy. " + HOW_TO_ADD.format(table=table, extra=""), pytrace=False)
    response = ask(endpoint, role, world)
    want = expected(policy, role)
    got = answer_of(response, endpoint)
    assert got == want, (
        f"{endpoint.method} {endpoint.key} as {role} ({policy.name}): expected {want}, got {got} "
        f"(status {response.status_code}, {response.get('Location', '')}{response.content[:200]!r})"
    )
    if endpoint.api and got in (NOT_FOUND, FORBIDDEN, LOGIN):
        assert_error_shape(response, response.status_code)
    if endpoint.api:
        assert_declared(endpoint, response)


def test_the_refusals_of_each_policy_are_declared_by_its_operation() -> None:
    """Each operation declares 401, 403 and 404 where its policy has a caller get them, and 403
    only where its policy refuses a role: the matrix above proves the policy true."""
    implied = {LOGIN: 401, FORBIDDEN: 403, NOT_FOUND: 404}
    problems = []
    for key, policy in API_POLICY.items():
        if key not in OPERATIONS:
            continue  # test_every_endpoint_has_a_policy names it
        declared = {int(status) for status in OPERATIONS[key]["responses"]}
        answers = {expected(policy, role) for role in ROLES}
        needed = {implied[answer] for answer in answers if answer in implied}
        if needed - declared:
            problems.append(f"{key} ({policy.name}): does not declare {sorted(needed - declared)}")
        if 403 in declared and FORBIDDEN not in answers:
            problems.append(f"{key} ({policy.name}): declares 403, which its policy never answers")
    assert not problems, "\n".join(problems)


# --- The Django admin holds no clinical content --------------------------------------------------


def test_the_django_admin_holds_accounts_not_clinical_content() -> None:
    """Admins read clinical content only through the pages and API (the access policy and
    the access log); the Django admin, which logs no reads, has accounts and tokens, provider
    schedules, and when a questionnaire link was sent (to withdraw one sent in error)."""
    from django.contrib import admin
    from django_tasks_db.models import DBTaskResult

    from carematch.access.models import AccessEvent
    from carematch.accounts.models import ApiToken, MfaDevice, User
    from carematch.measures.models import QuestionnaireRequest, QuestionnaireSchedule

    # Reviewed: accounts, tokens and authenticator apps (never their secrets), the access log
    # (who did what to which record, never the record), background tasks (ids and times),
    # provider schedules and when a questionnaire link was sent (never which questionnaires).
    allowed = {User, ApiToken, MfaDevice, AccessEvent, DBTaskResult, QuestionnaireSchedule, QuestionnaireRequest}
    registered = set(admin.site._registry)
    clinical = {model for model in registered if model._meta.app_label == "care"} | {
        model for model in registered
        if model._meta.model_name in {"assessment", "alert", "sessionrating", "note", "goal", "checkin"}
    }
    assert not clinical, f"clinical models in the Django admin: {sorted(m.__name__ for m in clinical)}"
    unknown = {m for m in registered if m not in allowed and m._meta.app_label not in {"auth"}}
    assert not unknown, (
        f"models in the Django admin not reviewed for clinical content: {sorted(m.__name__ for m in unknown)}. "
        "If a model holds no clinical content, add it to `allowed` here."
    )
    request_admin = admin.site._registry[QuestionnaireRequest]
    assert "instruments" in (request_admin.exclude or ())
