"""Online sessions on Jitsi Meet (token authentication), or on the provider's own video link.

Each appointment has its own unguessable room (`Appointment.video_room`). Each party gets
their own signed token (HS256 with the app secret, as Jitsi's prosody `token` authentication
expects): `aud` "jitsi", `iss` the app id, `sub` the domain, `room`, `nbf` and `exp` the join
window, and `context.user` with the name shown in the room and `moderator`, true for the
provider only, so that the client waits in the lobby until the provider lets them in.

The room address with its token is handed over only on the join page (and its API twin), to
the session's two parties, inside the window [start - 10 minutes, end + 30 minutes). Emails
and calendar files link to the join page, never to a room or a token.

Pure: from an appointment, the settings and the time to what the join page says.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

import jwt
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext, gettext_noop, ngettext

from carematch.lib.errors import Conflict

from .models import Appointment, Format, Status

OPENS_BEFORE = dt.timedelta(minutes=10)
CLOSES_AFTER = dt.timedelta(minutes=30)
NO_VIDEO_SENTENCE = gettext_noop("Your therapist will send you a link.")  # translated where it is shown
AUDIENCE = "jitsi"
ALGORITHM = "HS256"
# RFC 2606 and RFC 6761 names that never reach a real service: a demo configured with one says so.
_EXAMPLE_SUFFIXES = (".test", ".example", ".invalid", ".localhost", "example.com", "example.net", "example.org")


@dataclass(frozen=True)
class JitsiConfig:
    domain: str
    app_id: str
    app_secret: str

    @property
    def is_example(self) -> bool:
        """A domain reserved for examples (the demo's): rooms there will not connect."""
        host = self.domain.split(":")[0]
        return any(host == suffix.lstrip(".") or host.endswith(suffix if suffix.startswith(".") else "." + suffix)
                   for suffix in _EXAMPLE_SUFFIXES)


def jitsi_config() -> JitsiConfig | None:
    """Jitsi Meet as the settings configure it, or None unless all three settings are given."""
    domain, app_id, secret = settings.JITSI_DOMAIN, settings.JITSI_APP_ID, settings.JITSI_APP_SECRET
    if domain and app_id and secret:
        return JitsiConfig(domain=domain, app_id=app_id, app_secret=secret)
    return None


def jitsi_missing_settings() -> list[str]:
    """The names of the Jitsi settings not given (all three, when Jitsi is not configured at all)."""
    given = {"CAREMATCH_JITSI_DOMAIN": settings.JITSI_DOMAIN, "CAREMATCH_JITSI_APP_ID": settings.JITSI_APP_ID,
             "CAREMATCH_JITSI_APP_SECRET": settings.JITSI_APP_SECRET}
    return [name for name, value in given.items() if not value]


def join_window(*, start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """When the room opens and closes: [opens_at, closes_at)."""
    return start - OPENS_BEFORE, end + CLOSES_AFTER


class Party(enum.StrEnum):
    CLIENT = "client"
    PROVIDER = "provider"


def display_name(appointment: Appointment, party: Party) -> str:
    """The name shown in the room: the client's preferred (else first) name; the provider's
    name with their credentials."""
    if party == Party.PROVIDER:
        return appointment.provider.display_name
    client = appointment.client
    if client is None:
        return "Client"
    return client.user.preferred_name.strip() or client.first_name


def room_claims(*, config: JitsiConfig, room: str, start: dt.datetime, end: dt.datetime, name: str,
                moderator: bool) -> dict[str, Any]:
    opens_at, closes_at = join_window(start=start, end=end)
    return {
        "aud": AUDIENCE,
        "iss": config.app_id,
        "sub": config.domain,
        "room": room,
        "nbf": int(opens_at.timestamp()),
        "exp": int(closes_at.timestamp()),
        "context": {"user": {"name": name, "moderator": moderator}},
    }


def room_token(*, config: JitsiConfig, appointment: Appointment, party: Party) -> str:
    """One party's signed token for the appointment's room."""
    claims = room_claims(config=config, room=appointment.video_room, start=appointment.start, end=appointment.end,
                         name=display_name(appointment, party), moderator=party == Party.PROVIDER)
    return jwt.encode(claims, config.app_secret, algorithm=ALGORITHM)


def room_url(*, config: JitsiConfig, room: str, token: str) -> str:
    return f"https://{config.domain}/{room}?jwt={token}"


class JoinState(enum.StrEnum):
    OPEN = "open"
    TOO_EARLY = "too_early"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    IN_PERSON = "in_person"
    NO_VIDEO = "no_video"  # online, but neither Jitsi nor the provider's own link: the provider sends one


class Via(enum.StrEnum):
    JITSI = "jitsi"
    OWN_LINK = "own_link"
    NONE = "none"


@dataclass(frozen=True)
class Join:
    state: JoinState
    opens_at: dt.datetime
    closes_at: dt.datetime
    via: Via
    url: str = ""  # only when state is OPEN
    example: bool = False  # the demo's example Jitsi domain: the room will not connect


def video_via(appointment: Appointment, config: JitsiConfig | None) -> Via:
    """Where an online session happens: the provider's own link first, else Jitsi, else nowhere yet."""
    if appointment.provider.video_link:
        return Via.OWN_LINK
    if config is not None:
        return Via.JITSI
    return Via.NONE


def join_for(*, appointment: Appointment, party: Party, now: dt.datetime,
             config: JitsiConfig | None) -> Join:
    """What the join page gives `party` at `now`: the room address (with their own token on
    Jitsi) only inside the window of a session that is online and not cancelled."""
    opens_at, closes_at = join_window(start=appointment.start, end=appointment.end)
    via = video_via(appointment, config) if appointment.format == Format.TELEHEALTH else Via.NONE
    example = via == Via.JITSI and config is not None and config.is_example

    def answer(state: JoinState, url: str = "") -> Join:
        return Join(state=state, opens_at=opens_at, closes_at=closes_at, via=via, url=url, example=example)

    if appointment.status == Status.CANCELLED:
        return answer(JoinState.CANCELLED)
    if appointment.format != Format.TELEHEALTH:
        return answer(JoinState.IN_PERSON)
    if now >= closes_at:
        return answer(JoinState.CLOSED)
    if now < opens_at:
        return answer(JoinState.TOO_EARLY)
    if via == Via.OWN_LINK:
        return answer(JoinState.OPEN, appointment.provider.video_link)
    if via == Via.JITSI and config is not None:
        token = room_token(config=config, appointment=appointment, party=party)
        return answer(JoinState.OPEN, room_url(config=config, room=appointment.video_room, token=token))
    return answer(JoinState.NO_VIDEO)


def join_refusal(join: Join) -> Conflict | None:
    """The API's answer when `join` hands over no room (409, one code per reason); None when it does."""
    opens, closes = join.opens_at.isoformat(), join.closes_at.isoformat()
    if join.state == JoinState.OPEN:
        return None
    if join.state == JoinState.TOO_EARLY:
        return Conflict(f"The session room opens at {opens}, 10 minutes before the start.", code="too_early",
                        fields={"opens_at": opens})
    if join.state == JoinState.CLOSED:
        return Conflict(f"The session has ended: its room closed at {closes}.", code="closed",
                        fields={"closes_at": closes})
    if join.state == JoinState.CANCELLED:
        return Conflict("This session was cancelled: there is no room to join.", code="cancelled")
    if join.state == JoinState.IN_PERSON:
        return Conflict("This session is in person: there is no video room.", code="in_person")
    return Conflict(NO_VIDEO_SENTENCE + " carematch has no video room for this session.", code="no_video_link")


def _units(count: int, unit: str, *, shown: str | None = None) -> str:
    """"1 day", "2 hours", "5 minutes" in the active language (`shown` in place of the number)."""
    num = {"num": count if shown is None else shown}
    if unit == "day":
        return ngettext("%(num)s day", "%(num)s days", count) % num
    if unit == "hour":
        return ngettext("%(num)s hour", "%(num)s hours", count) % num
    return ngettext("%(num)s minute", "%(num)s minutes", count) % num


def _in(time: str) -> str:
    return gettext("in %(time)s") % {"time": time}


def countdown_words(delta: dt.timedelta) -> str:
    """How long until the room opens, in words a person reads: "in 2 hours 5 minutes", "in
    3 days 4 hours", "in less than a minute" (static/js/join_countdown.js says it the same way,
    with the words of countdown_phrases)."""
    minutes = max(0, int(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _in(_units(days, "day") + (f" {_units(hours, 'hour')}" if hours else ""))
    if hours:
        return _in(_units(hours, "hour") + (f" {_units(minutes, 'minute')}" if minutes else ""))
    if minutes:
        return _in(_units(minutes, "minute"))
    return gettext("in less than a minute")


def countdown_phrases() -> dict[str, object]:
    """The countdown's words in the active language for the page's script, which fills in
    {n} and {time}: "in", each unit for one and for several, and "in less than a minute"."""
    return {
        "in": _in("{time}"),
        "units": {unit: [_units(1, unit, shown="{n}"), _units(2, unit, shown="{n}")]
                  for unit in ("day", "hour", "minute")},
        "soon": gettext("in less than a minute"),
    }


def join_page(appointment: Appointment) -> tuple[str, bool]:
    """The address of an online session's join page for emails and calendar files (never its
    room or a token: the page hands those over to the two parties in the session's window),
    and whether there is a room at all: False when neither a video service is configured nor
    the provider gave their own link, so the therapist sends the link themselves."""
    link = settings.SITE_URL + reverse("matching:appointment_join", args=[appointment.pk])
    return link, video_via(appointment, jitsi_config()) != Via.NONE
