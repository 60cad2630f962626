"""A deterministic synthetic provider network for demos: nobody here is a real person.

Providers spread over the 50 states and DC in proportion to population, with realistic
mixes of credentials, concerns, approaches, languages (Spanish common), payers, formats
(mostly telehealth, some in person), weekly availability, and a few licenses about to
expire. The same seed always gives the same network, so seeding twice changes nothing.

The licenses come verified (by the demo seed), since only a verified license counts for
matching. A few are deliberately left waiting for verification, to show the workflow: about
one in eight of the licenses in a second state, and a second-state license of the first
provider, whose account is the demo provider's, so their profile page shows a license
waiting for verification while their home-state license lets clients book them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import random
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from django.core.management.base import CommandError

from carematch.accounts.models import User
from carematch.lib import geo, vocab
from carematch.lib.npi import make_npi
from carematch.lib.timezones import STATE_ZONE

from .models import VerificationSource
from .records import LicenseRecord, ProviderRecord, WindowRecord

if TYPE_CHECKING:
    from faker import Faker

# 2020 census resident population, thousands.
STATE_POPULATION = {
    "AL": 5024, "AK": 733, "AZ": 7152, "AR": 3012, "CA": 39538, "CO": 5774, "CT": 3606, "DE": 990, "DC": 690,
    "FL": 21538, "GA": 10712, "HI": 1455, "ID": 1839, "IL": 12813, "IN": 6786, "IA": 3190, "KS": 2938,
    "KY": 4506, "LA": 4658, "ME": 1362, "MD": 6177, "MA": 7030, "MI": 10077, "MN": 5706, "MS": 2961,
    "MO": 6155, "MT": 1084, "NE": 1962, "NV": 3105, "NH": 1378, "NJ": 9289, "NM": 2118, "NY": 20201,
    "NC": 10439, "ND": 779, "OH": 11799, "OK": 3959, "OR": 4237, "PA": 13003, "RI": 1097, "SC": 5118,
    "SD": 887, "TN": 6911, "TX": 29146, "UT": 3272, "VT": 643, "VA": 8631, "WA": 7705, "WV": 1794,
    "WI": 5894, "WY": 577,
}


# (credential, license type, NUCC taxonomy, weight, typical self-pay range)
PROFESSIONS = [
    ("LPC", "LPC", "101YP2500X", 24, (90, 160)),
    ("LMHC", "LMHC", "101YM0800X", 8, (90, 160)),
    ("LCSW", "LCSW", "1041C0700X", 26, (90, 170)),
    ("LMFT", "LMFT", "106H00000X", 14, (100, 180)),
    ("LADC", "LADC", "101YA0400X", 4, (80, 140)),
    ("PsyD", "PSY", "103TC0700X", 9, (150, 250)),
    ("PhD", "PSY", "103T00000X", 8, (150, 260)),
    ("PMHNP", "APRN", "363LP0808X", 5, (180, 300)),
    ("MD", "MD", "2084P0800X", 2, (250, 400)),
]

CONCERN_WEIGHTS = {
    "anxiety": 70, "depression": 65, "stress": 45, "trauma": 35, "relationships": 30, "self_esteem": 25,
    "life_transitions": 25, "grief": 20, "family": 18, "work": 15, "parenting": 12, "anger": 10, "sleep": 10,
    "lgbtq": 12, "substance_use": 12, "adhd": 10, "ocd": 8, "chronic_illness": 8, "bipolar": 7,
    "eating_disorders": 6,
}
APPROACH_WEIGHTS = {
    "cbt": 60, "person_centered": 30, "mindfulness": 30, "act": 20, "dbt": 15, "solution_focused": 20,
    "psychodynamic": 15, "motivational_interviewing": 12, "emdr": 12, "ifs": 10, "family_systems": 8,
    "gottman": 6, "narrative": 6, "cpt": 6, "erp": 5, "pe": 4,
}
OTHER_LANGUAGES = {"zh": 8, "vi": 5, "ko": 3, "fr": 4, "ar": 3, "ru": 3, "pt": 3, "tl": 3, "de": 2, "hi": 2}
PAYER_WEIGHTS = {
    "bcbs": 40, "aetna": 35, "cigna": 32, "uhc": 32, "optum": 25, "anthem": 22, "medicaid": 22, "medicare": 18,
    "humana": 12, "tricare": 8, "kaiser": 6, "oscar": 6, "ambetter": 8, "molina": 8,
}
AVAILABILITY_PATTERNS = [
    [(0, 9, 12), (2, 13, 17), (4, 9, 12)],
    [(1, 10, 14), (3, 10, 14)],
    [(0, 12, 18), (1, 12, 18), (2, 12, 18), (3, 12, 18)],
    [(0, 8, 11), (1, 8, 11), (2, 8, 11), (3, 8, 11), (4, 8, 11)],
    [(2, 16, 20), (3, 16, 20), (5, 9, 13)],
    [(0, 9, 17), (3, 9, 17)],
    [(1, 17, 21), (4, 13, 17), (6, 10, 14)],
]


PROFESSION_NOUN = {
    "LPC": "licensed professional counselor", "LMHC": "licensed mental health counselor",
    "LCSW": "clinical social worker", "LMFT": "marriage and family therapist", "LADC": "addiction counselor",
    "PsyD": "psychologist", "PhD": "psychologist", "PMHNP": "psychiatric nurse practitioner", "MD": "psychiatrist",
}


def _bio(first: str, credential: str, concerns: list[str]) -> str:
    labels = [vocab.CONCERNS[c] for c in concerns]
    topics = [label if label[1:2].isupper() else label[:1].lower() + label[1:] for label in labels]
    return (f"{first} is a {PROFESSION_NOUN[credential]} who helps people with "
            f"{' and '.join(topics)}. Sessions are calm, practical and at your pace.")


# --- Profiles: synthetic words, and avatars drawn here (initials on a colour, never a photo) -----

PRONOUNS = {"female": ("she/her", "she/they", ""), "male": ("he/him", "he/they", ""), "nonbinary": ("they/them",),
            "not_stated": ("",)}
DEGREES = {
    "LPC": "MA in Clinical Mental Health Counseling", "LMHC": "MS in Mental Health Counseling",
    "LCSW": "Master of Social Work", "LMFT": "MA in Marriage and Family Therapy", "LADC": "MS in Addiction Counseling",
    "PsyD": "PsyD in Clinical Psychology", "PhD": "PhD in Counseling Psychology",
    "PMHNP": "MSN, Psychiatric-Mental Health Nurse Practitioner", "MD": "MD, residency in psychiatry",
}
# Invented schools: none of these is a real institution's name.
SCHOOLS = ("Northfield State University", "Lakeside College", "Riverbend University", "Pinecrest University",
           "Harborview College", "Stonebridge University", "Eastvale State University", "Meadowlark College")
OPENINGS = (
    "You do not need the right words to start.",
    "Therapy with me is a collaboration.",
    "Most people I see arrive tired of carrying things alone.",
    "I believe change happens in small, steady steps.",
    "Whatever brings you here, you are welcome as you are.",
)
CLOSINGS = (
    "We go at your pace, and you can always tell me what is and is not working.",
    "I will be honest with you, and I hope you will be honest with me.",
    "Between sessions I may suggest small things to try, never homework you dread.",
    "Humour and warmth are part of how I work, even with hard things.",
)
FIRST_SESSIONS = (
    "We start with what brought you here and what you hope will change. I ask a few questions about your "
    "history, and you ask me anything about how I work. We finish with a plan for the next few weeks.",
    "The first session is mostly listening. I want to understand your days, what helps and what does not. "
    "Before we finish, we agree on one or two things to focus on.",
    "Expect a relaxed conversation, not an interview. We cover what is going on now, anything you want me to "
    "know about the past, and what a good outcome would look like for you.",
)
AVATAR_COLOURS = ((46, 94, 133), (92, 61, 122), (35, 110, 88), (150, 76, 52), (70, 84, 98), (128, 52, 86),
                  (38, 104, 120), (111, 96, 38))
# Drawing, decoding and re-encoding an avatar costs about 10 ms; the first providers get one
# (every state's first provider and the demo provider among them), the others show initials, as
# a real network where not everyone has sent a photo.
DEMO_AVATARS = 300


def _statement(record: ProviderRecord, rng: random.Random) -> str:
    """A personal statement in the first person, around the record's short bio."""
    topics = [vocab.CONCERNS[slug] if vocab.CONCERNS[slug][1:2].isupper() else vocab.CONCERNS[slug].lower()
              for slug in record.concerns[:3]]
    listed = ", ".join(topics[:-1]) + " and " + topics[-1] if len(topics) > 1 else topics[0]
    approach = vocab.APPROACHES[record.approaches[0]] if record.approaches else "a practical approach"
    return " ".join((
        rng.choice(OPENINGS), record.bio.replace(f"{record.first_name} is a", "I am a", 1),
        f"I draw on {approach} and adapt it to you.",
        f"Much of my work is with {listed}.", rng.choice(CLOSINGS),
    ))


def demo_profile(record: ProviderRecord, rng: random.Random) -> dict[str, object]:
    """The profile fields a roster does not carry, synthetic and within the profile's rules."""
    profile: dict[str, object] = {
        "pronouns": rng.choice(PRONOUNS[record.gender]),
        "first_session": rng.choice(FIRST_SESSIONS),
        "years_in_practice": rng.randint(1, 32),
        "education": f"{DEGREES[record.credentials[0]]}, {rng.choice(SCHOOLS)}",
        "specialties": list(record.concerns[:rng.randint(1, min(3, len(record.concerns)))]),
        "communities": rng.sample(list(vocab.COMMUNITIES), rng.choice([0, 0, 1, 1, 2])),
    }
    if rng.random() < 0.3 and record.self_pay_rate is not None:
        low = max(20, round(record.self_pay_rate * rng.uniform(0.3, 0.5) / 5) * 5)
        profile["sliding_scale_min"] = low
        profile["sliding_scale_max"] = max(record.self_pay_rate - rng.choice([0, 10, 20]), low)
    # About a third offer a free 15-minute call, chosen from the NPI rather than the generator so
    # that the rest of every demo profile stays as it was.
    digit = int(record.npi[-2])
    if digit % 3 == 0:
        profile["offers_consultations"] = True
        profile["consultation_formats"] = [["phone", "telehealth"], ["phone"], ["telehealth"]][digit % 9 // 3]
    return profile


def demo_avatar(first_name: str, last_name: str, index: int, seed: int) -> bytes:
    """A 400 px PNG of the initials on a colour, drawn locally; the same arguments give the same picture."""
    from PIL import Image, ImageDraw, ImageFont

    colour = AVATAR_COLOURS[random.Random(seed * 31 + index).randrange(len(AVATAR_COLOURS))]  # noqa: S311
    image = Image.new("RGB", (400, 400), colour)
    draw = ImageDraw.Draw(image)
    draw.text((200, 205), (first_name[:1] + last_name[:1]).upper(), font=ImageFont.load_default(size=170),
              fill=(255, 255, 255), anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@lru_cache(maxsize=1)
def _zips_by_state() -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for zip_code, (_, _, state) in sorted(geo._centroids().items()):
        table.setdefault(state, []).append(zip_code)
    return table


def _pick(rng: random.Random, weights: dict[str, int], k: int) -> list[str]:
    chosen: list[str] = []
    names, values = list(weights), list(weights.values())
    while len(chosen) < k:
        item = rng.choices(names, values)[0]
        if item not in chosen:
            chosen.append(item)
    return chosen


def demo_faker(seed: int) -> Faker:
    """A seeded Faker for synthetic names. Faker is in carematch's `demo` extra, not among
    what the server needs, so only the demo commands import it, here."""
    try:
        from faker import Faker
    except ImportError:
        raise CommandError(
            "The demo data needs Faker, from carematch's demo extra: pip install --editable '.[demo]' "
            "(make install installs it)."
        ) from None
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return fake


def demo_records(*, count: int = 2000, seed: int = 2026, today: dt.date) -> list[ProviderRecord]:
    """`count` synthetic providers; the same arguments always give the same list."""
    rng = random.Random(seed)  # noqa: S311 - synthetic demo data, reproducible on purpose
    # Which licenses wait for verification comes from a generator of its own, so the rest of
    # the network is the same as it was before demo licenses came verified.
    waiting = random.Random(seed * 7919 + 1)  # noqa: S311
    words = random.Random(seed * 7919 + 2)  # noqa: S311 - the statements', likewise
    fake = demo_faker(seed)
    states, weights = list(STATE_POPULATION), list(STATE_POPULATION.values())
    home_states: Sequence[str] = list(vocab.STATES)  # every state and DC at least once
    zips = _zips_by_state()
    records = []
    for i in range(count):
        state = home_states[i] if i < len(home_states) else rng.choices(states, weights)[0]
        credential, license_type, taxonomy, _, (low, high) = rng.choices(PROFESSIONS, [p[3] for p in PROFESSIONS])[0]
        gender = rng.choices(["female", "male", "nonbinary", "not_stated"], [64, 30, 3, 3])[0]
        first = fake.first_name_female() if gender == "female" else fake.first_name_male() if gender == "male" \
            else fake.first_name_nonbinary()
        languages = ["en"]
        if rng.random() < (0.35 if state in {"TX", "CA", "FL", "NM", "AZ", "NV"} else 0.15):
            languages.append("es")
        if rng.random() < 0.08:
            languages.append(_pick(rng, OTHER_LANGUAGES, 1)[0])
        populations = ["adults"]
        if rng.random() < 0.3:
            populations.append("teens")
        if rng.random() < 0.12:
            populations.append("children")
        if rng.random() < 0.35:
            populations.append("seniors")
        if rng.random() < 0.2:
            populations.append("couples")
        if rng.random() < 0.12:
            populations.append("families")
        formats = rng.choices([["telehealth"], ["telehealth", "in_person"], ["in_person"]], [55, 35, 10])[0]
        zip_code = rng.choice(zips[state]) if "in_person" in formats or rng.random() < 0.5 else ""
        located = geo.zip_location(zip_code) if zip_code else None
        expires = today + dt.timedelta(days=rng.randint(120, 3 * 365))
        if rng.random() < 0.04:
            expires = today + dt.timedelta(days=rng.randint(1, 60))  # about to expire: coordinators see these
        number = f"{rng.randint(1000, 99_999_999):08d}"
        licenses = [LicenseRecord(state, license_type, number, expires, verified=True)]
        if rng.random() < 0.03:  # an old license kept as history
            licenses.append(LicenseRecord(state, license_type, f"{number}-OLD", today - dt.timedelta(days=400),
                                          verified=True))
        if rng.random() < 0.18:
            other = rng.choices(states, weights)[0]
            if other != state:
                licenses.append(LicenseRecord(other, license_type, f"{rng.randint(1000, 9_999_999)}",
                                              today + dt.timedelta(days=rng.randint(200, 900)),
                                              verified=waiting.random() >= 1 / 8))
        if i == 0 and len({lic.state for lic in licenses}) == 1:
            other = waiting.choice([code for code in states if code != state])
            licenses.append(LicenseRecord(other, license_type, f"{waiting.randint(1000, 9_999_999)}",
                                          today + dt.timedelta(days=waiting.randint(200, 900))))
        elif i == 0:
            licenses = [licenses[0], *(dataclasses.replace(lic, verified=False) for lic in licenses[1:])]
        windows = tuple(
            WindowRecord(day, dt.time(start), dt.time(end))
            for day, start, end in rng.choice(AVAILABILITY_PATTERNS)
        )
        insurance = _pick(rng, PAYER_WEIGHTS, rng.randint(0, 5)) if rng.random() < 0.85 else []
        records.append(
            ProviderRecord(
                npi=make_npi(f"1{seed % 1000:03d}{i:05d}"),
                first_name=first,
                last_name=fake.last_name(),
                credentials=(credential,),
                taxonomy=taxonomy,
                gender=gender,
                languages=tuple(languages),
                concerns=tuple(_pick(rng, CONCERN_WEIGHTS, rng.randint(2, 6))),
                approaches=tuple(_pick(rng, APPROACH_WEIGHTS, rng.randint(1, 4))),
                populations=tuple(populations),
                formats=tuple(formats),
                insurance=tuple(insurance),
                self_pay_rate=rng.randrange(low, high + 1, 5),
                accepting_new=rng.random() < 0.85,
                timezone=STATE_ZONE[state],
                licenses=tuple(licenses),
                windows=windows,
                min_notice_hours=rng.choice([2, 2, 2, 4, 12, 24]),
                zip=zip_code,
                latitude=located[0] if located else None,
                longitude=located[1] if located else None,
                email=f"provider{i}@demo.carematch.test",
                phone="",
                bio=_bio(first, credential, _pick(rng, CONCERN_WEIGHTS, 2)),
            )
        )
    return [dataclasses.replace(record, bio=_statement(record, words)) for record in records]


def seed_demo_network(*, count: int, seed: int, today: dt.date, provider_account: User | None = None) -> str:
    """Create the demo network unless it is already there; link the demo provider account.

    Runs once: a network that is already present is left as it is, so what a coordinator
    changed in the demo (verified licenses, availability) survives the next `make demo`.
    One exception: a network seeded before demo licenses came verified (none of its licenses
    is verified by the demo seed) has the licenses the seed now verifies marked verified,
    once, so that it matches again; rejections and other changes stay as they are.
    """
    from django.db import transaction

    from .models import License, Provider
    from .services import licenses_mark_verified, provider_account_link, providers_upsert

    records = demo_records(count=count, seed=seed, today=today)
    profile_rng = random.Random(seed * 104_729 + 3)  # noqa: S311 - its own generator: the network stays the same
    profiles = {record.npi: demo_profile(record, profile_rng) for record in records}
    npis = [r.npi for r in records]
    present = Provider.objects.filter(npi__in=npis).count()
    with transaction.atomic():
        if present == len(records):
            message = f"Demo network already present ({present} providers); left as it is."
            if not License.objects.filter(verification_source=VerificationSource.DEMO).exists():
                marked = licenses_mark_verified(
                    keys=[(r.npi, lic.state, lic.license_type, lic.number) for r in records for lic in r.licenses
                          if lic.verified],
                    source=VerificationSource.DEMO,
                )
                message += f" {marked} demo licenses not yet verified are now verified by the demo seed."
        else:
            result = providers_upsert(records=records, verification_source=VerificationSource.DEMO,
                                      new_profiles=profiles)
            avatars = _seed_avatars(records[:DEMO_AVATARS], seed=seed)
            message = (f"Demo network: {result.created} providers created, {result.updated} updated; "
                       f"{avatars} drawn avatars.")
        if provider_account is not None:
            provider_account_link(npi=records[0].npi, user=provider_account)
            _name_as_profile(provider_account)
    return message


def _name_as_profile(user: User) -> None:
    """The demo provider is greeted by the name on their public profile: one name everywhere."""
    from carematch.accounts.services import user_preferred_name_set

    from .models import Provider

    provider = Provider.objects.filter(user=user).first()
    if provider is not None and user.preferred_name != f"{provider.first_name} {provider.last_name}":
        user_preferred_name_set(user=user, preferred_name=f"{provider.first_name} {provider.last_name}")


def _seed_avatars(records: Sequence[ProviderRecord], *, seed: int) -> int:
    """Give the providers of `records` that have no photo a drawn avatar, through the same
    checks, re-encoding and storage as an uploaded photo. Returns how many were given one."""
    from .models import ChangeSource, Provider
    from .services import provider_photo_set

    index = {record.npi: i for i, record in enumerate(records)}
    given = 0
    for provider in Provider.objects.filter(npi__in=list(index), photo="").order_by("npi"):
        avatar = demo_avatar(provider.first_name, provider.last_name, index[provider.npi], seed)
        provider_photo_set(provider=provider, file=io.BytesIO(avatar), source=ChangeSource.DEMO)
        given += 1
    return given
