"""carematch in Spanish: the catalogue is complete and up to date, and the pages a visitor or
a client can reach speak Spanish when Spanish is asked for.

1. The catalogue (carematch/locale/es/LC_MESSAGES/django.po): every entry without the message
   context "staff" (text a client or a public visitor can see) has a Spanish translation that
   is not marked fuzzy. Staff-only text may stay English.
2. `make messages` would leave it unchanged: makemessages, with the Makefile's options, run on
   a copy of the checkout in a temporary folder, finds the same entries.
3. Every page the anonymous visitor and the client may GET (the endpoints and the world of
   carematch/tests/test_authorisation_matrix.py), fetched with `Accept-Language: es`, shows no
   English left: no text equal to an English message that has a different Spanish translation
   (text rendered without translation), and no text that reads as English (common English
   words; elements marked lang="en", such as the library's English articles, are left out, and
   so are the synthetic fixtures' names and data). The layout around the page (header, crisis
   banner, footer) is checked once for each of the two.
"""

from __future__ import annotations

import html.parser
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import reverse

from carematch.tests.test_authorisation_matrix import (
    ALLOWED,
    ANON,
    CLIENT_A,
    ENDPOINTS,
    POLICY,
    World,
    expected,
    world,  # noqa: F401 - the matrix's world, built once for this module too
)

ROOT = Path(settings.BASE_DIR)
CATALOGUE = ROOT / "carematch" / "locale" / "es" / "LC_MESSAGES" / "django.po"
STAFF = "staff"


def _catalogue() -> polib.POFile:
    return polib.pofile(str(CATALOGUE))


# --- 1. Every client-facing entry is translated -----------------------------------------------


def test_every_client_facing_entry_has_a_spanish_translation_that_is_not_fuzzy() -> None:
    problems = []
    for entry in _catalogue():
        if entry.obsolete or entry.msgctxt == STAFF:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        elif entry.msgid_plural:
            if not all(text.strip() for text in entry.msgstr_plural.values()) or not entry.msgstr_plural:
                problems.append(f"a plural form is empty: {entry.msgid!r}")
        elif not entry.msgstr.strip():
            problems.append(f"no translation: {entry.msgid!r}")
    assert not problems, (
        f"{len(problems)} client-facing entries of {CATALOGUE.relative_to(ROOT)} need Spanish (text only staff see "
        "takes the context \"staff\" instead):\n" + "\n".join(problems[:50])
    )


def test_the_catalogue_check_finds_an_untranslated_entry(tmp_path: Path) -> None:
    """The check above reads what it should: an entry left empty, or fuzzy, is found."""
    po = _catalogue()
    po.append(polib.POEntry(msgid="An entry nobody translated", msgstr=""))
    fuzzy = polib.POEntry(msgid="A guess", msgstr="Una suposición")
    fuzzy.flags.append("fuzzy")
    po.append(fuzzy)
    po.append(polib.POEntry(msgid="Staff-only words", msgctxt=STAFF, msgstr=""))
    unfinished = [e.msgid for e in po if e.msgctxt != STAFF and ("fuzzy" in e.flags or not (
        e.msgstr.strip() or (e.msgid_plural and all(e.msgstr_plural.values()))))]
    assert unfinished == ["An entry nobody translated", "A guess"]


# --- 2. `make messages` leaves the catalogue as it is -----------------------------------------

# The Makefile's `messages` target: makemessages --all --no-location --no-obsolete, ignoring these.
MAKEFILE_IGNORES = [".venv", "var", "*/tests/*", "benches"]


def _entries(path: Path) -> set[tuple[str, str, str]]:
    return {(e.msgctxt or "", e.msgid, e.msgid_plural or "") for e in polib.pofile(str(path)) if not e.obsolete}


def test_makemessages_leaves_the_catalogue_unchanged(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT, checkout, ignore=shutil.ignore_patterns(
        ".venv", "var", ".git", "node_modules", "__pycache__", "*.mo", ".pytest_cache", ".mypy_cache", ".ruff_cache"))
    copied = checkout / CATALOGUE.relative_to(ROOT)
    before = _entries(copied)
    here = Path.cwd()
    try:
        os.chdir(checkout)
        with override_settings(LOCALE_PATHS=[checkout / "carematch" / "locale"]):
            call_command("makemessages", all=True, no_location=True, no_obsolete=True,
                         ignore_patterns=MAKEFILE_IGNORES, verbosity=0)
    finally:
        os.chdir(here)
    after = _entries(copied)
    assert _entries(CATALOGUE) == before  # the copy was the catalogue itself, untouched so far
    assert after == before, (
        "The catalogue is not up to date with the code: run `make messages`, translate what is new, then "
        f"`make install`.\nNew: {sorted(after - before)[:20]}\nGone: {sorted(before - after)[:20]}"
    )


# --- 3. Pages in Spanish show no English ---------------------------------------------------------

# Common English words that Spanish text does not use: two of them in one text means English.
ENGLISH_WORDS = frozenset({
    "the", "and", "your", "you", "with", "this", "that", "are", "is", "not", "of", "for", "to", "from", "yet",
    "have", "has", "will", "can", "what", "when", "page", "back", "our", "we", "it", "its", "be", "by", "on", "or",
    "at", "an", "as", "if", "all", "more", "any", "only", "here", "there", "who", "how", "was", "were", "been",
    "they", "them", "their", "would", "should", "could", "may", "about", "into", "after", "before", "which", "while",
    "than", "then", "also", "just", "out", "up", "down", "over", "now", "new", "no-one", "nothing"
})

# Text that is the same in both languages, or is not words: names, codes and signs.
ALLOWED_TEXT = frozenset(
    {
        "carematch",  # the product's name
        "988",
        "911",
        "741741",  # crisis numbers
        "PHQ-9",
        "GAD-7",
        "FHIR",
        "JSON",
        "API",
        "Atom",  # names of standards and formats
    }
)


@dataclass
class _Text:
    text: str
    in_main: bool


class _TextNodes(html.parser.HTMLParser):
    """The visible text of a page: each text node, with whether it is inside <main>; nothing
    inside an element marked lang="en" (English on purpose, such as a library article) or
    inside <script>, <style> or <template>."""

    SKIP = frozenset({"script", "style", "template"})
    VOID = frozenset(
        {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped: English on purpose or not text)
        self.texts: list[_Text] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        marked_english = dict(attrs).get("lang", "") in ("en", "en-US")
        skipped = tag in self.SKIP or marked_english or (bool(self.stack) and self.stack[-1][1])
        self.stack.append((tag, skipped))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if not text or (self.stack and self.stack[-1][1]):
            return
        self.texts.append(_Text(text, any(tag == "main" for tag, _ in self.stack)))


def texts_of(page: str) -> list[_Text]:
    parser = _TextNodes()
    parser.feed(page)
    return parser.texts


@dataclass
class Catalogue:
    """English messages that have a different Spanish translation (so seeing them on a
    Spanish page means a string rendered without translation)."""

    untranslated_if_seen: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def read(cls) -> Catalogue:
        english = set()
        for entry in _catalogue():
            if entry.obsolete or entry.msgctxt == STAFF or entry.msgid_plural:
                continue
            if entry.msgstr and entry.msgstr != entry.msgid and "%(" not in entry.msgid and "<" not in entry.msgid:
                english.add(" ".join(entry.msgid.split()))
        return cls(frozenset(english))


def english_in(text: str, catalogue: Catalogue, data: frozenset[str]) -> str | None:
    """Why `text` reads as English on a Spanish page, or None."""
    if text in ALLOWED_TEXT or text in data or any(text in value for value in data if len(text) > 3):
        return None
    if text in catalogue.untranslated_if_seen:
        return "an English message of the catalogue, shown untranslated"
    for value in data:  # data quoted inside a sentence ("The goal now: “…”") is still data
        if len(value) > 3 and value in text:
            text = text.replace(value, " ")
    words = set(re.findall(r"[a-záéíóúüñ]+(?:-[a-záéíóúüñ]+)?", text.lower()))
    found = sorted(words & ENGLISH_WORDS)
    if len(found) >= 2:
        return f"reads as English ({', '.join(found)})"
    return None


def test_the_english_check_finds_english_and_leaves_spanish_and_english_on_purpose_alone() -> None:
    catalogue = Catalogue(frozenset({"Back to your account"}))
    page = (
        "<html lang='es'><body><header>Back to your account</header><main>"
        "<p>Volver a su cuenta</p><p>Your goals and your plan</p>"
        "<article lang='en'><p>What the article says, in English on purpose.</p></article>"
        "<p>Samuel Rivera</p><script>var the = 'and the';</script></main></body></html>"
    )
    found = [(t.text, t.in_main, english_in(t.text, catalogue, frozenset({"Samuel Rivera"}))) for t in texts_of(page)]
    assert found == [
        ("Back to your account", False, "an English message of the catalogue, shown untranslated"),
        ("Volver a su cuenta", True, None),
        ("Your goals and your plan", True, "reads as English (and, your)"),
        ("Samuel Rivera", True, None),
    ]


# The pages of the other half of the Spanish work (issue 19, part A): the home page, finding and
# booking, sessions and calendars, questionnaires, the public provider profile, error pages and
# the layout itself (base.html). They are translated on their own branch; on a branch without it
# they are expected to show English here, and pass once both are merged.
# Pages for providers that anyone holding the emailed link reaches (staff context: may stay English).
PROVIDERS_PAGES = frozenset({"directory:profile_claim"})

PART_A = ("home", "find", "matching:", "scheduling:", "measures:", "directory:public_profile", "api-v1:", "fhir:")


def _visitor_and_client_pages() -> Iterator[Any]:
    for endpoint in ENDPOINTS:
        page = POLICY.get(endpoint.key)
        if endpoint.api or page is None or page.method != "GET" or endpoint.key.startswith(("admin:", "api-v1:")):
            continue  # the Django admin is for staff; the API's documentation page is Swagger UI's
        if endpoint.key in PROVIDERS_PAGES:
            continue
        for role in (ANON, CLIENT_A):
            if expected(page.policy, role) == ALLOWED:
                part = "part A" if endpoint.key.startswith(PART_A) else "accounts, care, library, messages"
                yield pytest.param(endpoint, role, id=f"{endpoint.key}|{role}|{part}")


def _fixture_data() -> frozenset[str]:
    """The synthetic world's own words (names, messages, journal entries, goals, article titles):
    data, shown as written, whatever the page's language."""
    from carematch.accounts.models import Client, User
    from carematch.care.models import Activity, CheckIn, GoalVersion, JournalEntry, ProviderNoteVersion
    from carematch.directory.models import Provider
    from carematch.learn.models import Article
    from carematch.messaging.models import Message

    values: set[str] = set()
    for user in User.objects.all():
        values |= {user.email, user.preferred_name, user.get_short_name()}
    for client in Client.objects.all():
        values |= {client.first_name, client.last_name, f"{client.first_name} {client.last_name}"}
    for provider in Provider.objects.all():
        values |= {provider.first_name, provider.last_name, f"{provider.first_name} {provider.last_name}"}
    for article in Article.objects.all():
        values |= {article.title, article.summary, article.author, article.reviewed_by}
    values |= {m.body for m in Message.objects.all()} | {e.body for e in JournalEntry.objects.all()}
    values |= {v.text for v in GoalVersion.objects.all()} | {a.text for a in Activity.objects.all()}
    values |= {c.note for c in CheckIn.objects.all()} | {n.body for n in ProviderNoteVersion.objects.all()}
    return frozenset(" ".join(str(v).split()) for v in values if v and str(v).strip())


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.read()


@pytest.fixture(scope="module")
def data(world: World, django_db_blocker: Any) -> frozenset[str]:  # noqa: F811 - the fixture
    with django_db_blocker.unblock():
        return _fixture_data()


def _get_in_spanish(endpoint: Any, role: str, world: World) -> Any:  # noqa: F811 - the fixture
    http = HttpClient()
    if role != ANON:
        http.force_login(world.users[role])
    path = reverse(endpoint.key, kwargs=world.kwargs_for(endpoint))
    return http.get(path, HTTP_ACCEPT_LANGUAGE="es")


def _problems(response: Any, catalogue: Catalogue, data: frozenset[str], *, in_main: bool) -> list[str]:
    page = response.content.decode()
    assert '<html lang="es">' in page, 'the page does not declare lang="es"'
    found = []
    for node in texts_of(page):
        if node.in_main != in_main:
            continue
        why = english_in(node.text, catalogue, data)
        if why:
            found.append(f"{node.text!r}: {why}")
    return found


@pytest.mark.django_db
@pytest.mark.parametrize(("endpoint", "role"), list(_visitor_and_client_pages()))
def test_a_page_in_spanish_shows_no_english(
    endpoint: Any,
    role: str,
    world: World,  # noqa: F811
    catalogue: Catalogue,
    data: frozenset[str],
) -> None:
    response = _get_in_spanish(endpoint, role, world)
    if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
        pytest.skip(f"answers {response.status_code} {response.get('Content-Type', '')}: not a page to read")
    problems = _problems(response, catalogue, data, in_main=True)
    assert not problems, f"{endpoint.key} for {role}, in Spanish, shows English:\n" + "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize(("url_name", "role"), [("accounts:login", ANON), ("accounts:home", CLIENT_A)])
def test_the_layout_around_every_page_is_spanish(
    url_name: str,
    role: str,
    world: World,  # noqa: F811
    catalogue: Catalogue,
    data: frozenset[str],
) -> None:
    """The header, crisis banner and footer (base.html, part A of the Spanish work)."""
    endpoint = next(e for e in ENDPOINTS if e.key == url_name)
    response = _get_in_spanish(endpoint, role, world)
    assert response.status_code == 200
    problems = _problems(response, catalogue, data, in_main=False)
    assert not problems, "The layout, in Spanish, shows English:\n" + "\n".join(problems)


# --- 4. The API: the same machine codes, `detail` in the caller's language -------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "detail", "problem"), [
    ("en", "Some fields are missing or invalid: topics.", "this field is required"),
    ("es", "Faltan datos o no son válidos: topics.", "este campo es obligatorio"),
])
def test_an_api_error_keeps_its_code_and_says_its_detail_in_the_accept_language(language: str, detail: str,
                                                                                 problem: str) -> None:
    from carematch.tests.helpers import assert_error_shape

    answer = HttpClient().post("/api/v1/newsletter/subscriptions", {"email": "a@example.org"},
                               content_type="application/json", HTTP_ACCEPT_LANGUAGE=language)
    body = assert_error_shape(answer, 422, "invalid_input")
    assert body["detail"] == detail and body["fields"] == {"topics": problem}


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "detail"), [
    ("en", "Send a valid API token in the header 'Authorization: Bearer <token>'."),
    ("es", "Envíe un token de API válido en el encabezado 'Authorization: Bearer <token>'."),
])
def test_refusals_and_unknown_addresses_speak_the_callers_language_too(language: str, detail: str) -> None:
    from carematch.tests.helpers import assert_error_shape

    http = HttpClient()
    refused = assert_error_shape(http.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE=language), 401, "unauthenticated")
    assert refused["detail"] == detail
    missing = assert_error_shape(http.get("/api/v1/no-such-thing", HTTP_ACCEPT_LANGUAGE=language), 404, "not_found")
    assert missing["detail"] == {"en": "Nothing was found at this address.",
                                 "es": "No se encontró nada en esta dirección."}[language]


@pytest.mark.django_db
def test_a_domain_error_from_a_service_is_translated_with_the_same_code() -> None:
    from carematch.accounts.tests.factories import UserFactory, auth_header

    user = UserFactory()
    answers = {}
    for language in ("en", "es"):
        answer = HttpClient().delete("/api/v1/me/tokens/999999", HTTP_ACCEPT_LANGUAGE=language, **auth_header(user))
        answers[language] = (answer.status_code, answer.json()["error"], answer.json()["detail"])
    assert answers["en"][:2] == answers["es"][:2] == (404, "not_found")
    assert answers["en"][2] == "You have no API token with this id that still works."
    assert answers["es"][2] == "No tiene ningún token de API con este id que siga funcionando."
