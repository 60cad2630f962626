"""Vocabularies shipped with carematch: slug -> label for people.

Entries may be added; existing slugs are never renamed (rosters, FHIR exports and
stored records use them).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from django.utils.translation import gettext, gettext_noop

from carematch.lib import nucc

# The labels below are stored in English and marked for the catalogue (gettext_noop); they are
# translated where a person reads them: `label`, `labels`, `choices`.

CONCERNS = MappingProxyType({
    "anxiety": gettext_noop("Anxiety"),
    "depression": gettext_noop("Depression"),
    "stress": gettext_noop("Stress"),
    "trauma": gettext_noop("Trauma and PTSD"),
    "grief": gettext_noop("Grief and loss"),
    "relationships": gettext_noop("Relationships"),
    "family": gettext_noop("Family conflict"),
    "parenting": gettext_noop("Parenting"),
    "substance_use": gettext_noop("Alcohol and substance use"),
    "eating_disorders": gettext_noop("Eating and body image"),
    "ocd": gettext_noop("OCD"),
    "bipolar": gettext_noop("Bipolar disorder"),
    "adhd": gettext_noop("ADHD"),
    "anger": gettext_noop("Anger"),
    "self_esteem": gettext_noop("Self-esteem"),
    "sleep": gettext_noop("Sleep"),
    "life_transitions": gettext_noop("Life changes"),
    "lgbtq": gettext_noop("LGBTQ+ identity"),
    "chronic_illness": gettext_noop("Living with illness or pain"),
    "work": gettext_noop("Work and career"),
})

APPROACHES = MappingProxyType({
    "cbt": gettext_noop("Cognitive behavioural therapy (CBT)"),
    "dbt": gettext_noop("Dialectical behaviour therapy (DBT)"),
    "act": gettext_noop("Acceptance and commitment therapy (ACT)"),
    "emdr": gettext_noop("EMDR"),
    "psychodynamic": gettext_noop("Psychodynamic therapy"),
    "ifs": gettext_noop("Internal family systems (IFS)"),
    "mindfulness": gettext_noop("Mindfulness-based therapy"),
    "solution_focused": gettext_noop("Solution-focused therapy"),
    "person_centered": gettext_noop("Person-centred therapy"),
    "motivational_interviewing": gettext_noop("Motivational interviewing"),
    "erp": gettext_noop("Exposure and response prevention (ERP)"),
    "family_systems": gettext_noop("Family systems therapy"),
    "gottman": gettext_noop("Gottman method"),
    "cpt": gettext_noop("Cognitive processing therapy (CPT)"),
    "pe": gettext_noop("Prolonged exposure (PE)"),
    "narrative": gettext_noop("Narrative therapy"),
})

# One plain-language sentence for each approach, shown wherever an approach is named to a
# client (the glossary: every slug of APPROACHES has one).
APPROACH_EXPLANATIONS = MappingProxyType({
    "cbt": gettext_noop("Noticing the thoughts and habits that keep you stuck, and practising new ones."),
    "dbt": gettext_noop("Skills for strong emotions, distress and relationships, practised week by week."),
    "act": gettext_noop("Making room for hard feelings while doing what matters to you."),
    "emdr": gettext_noop(
        "Working through distressing memories with guided eye movements or tapping, so they lose their "
        "charge."),
    "psychodynamic": gettext_noop(
        "Understanding how past experiences and patterns shape how you feel and relate today."),
    "ifs": gettext_noop("Getting to know the different parts of yourself and how they try to protect you."),
    "mindfulness": gettext_noop("Learning to notice the present moment without judging it, to ease stress and worry."),
    "solution_focused": gettext_noop("A short, practical focus on what you want to change and what already works."),
    "person_centered": gettext_noop("A warm, accepting space where you lead and the therapist follows."),
    "motivational_interviewing": gettext_noop("Finding your own reasons for a change you are unsure about."),
    "erp": gettext_noop("Facing fears step by step without the rituals that keep them going, for OCD and anxiety."),
    "family_systems": gettext_noop(
        "Looking at how the people close to you affect each other, and changing it together."),
    "gottman": gettext_noop("Research-based tools for couples to communicate, handle conflict and feel closer."),
    "cpt": gettext_noop("Questioning the beliefs a trauma left behind, so they stop running your life."),
    "pe": gettext_noop("Gradually and safely revisiting a trauma so that it loses its hold on you."),
    "narrative": gettext_noop("Retelling your story so that you, not the problem, are at its centre."),
})

# Communities a provider centres in their work (a profile shows them; matching does not filter).
COMMUNITIES = MappingProxyType({
    "lgbtq_affirming": gettext_noop("LGBTQ+ affirming"),
    "bipoc": gettext_noop("BIPOC clients"),
    "veterans": gettext_noop("Veterans and military families"),
    "faith_informed": gettext_noop("Faith-informed"),
    "neurodivergent": gettext_noop("Neurodivergent clients"),
    "immigrants": gettext_noop("Immigrants and refugees"),
    "first_generation": gettext_noop("First-generation students"),
    "disability": gettext_noop("People with disabilities"),
    "healthcare_workers": gettext_noop("Healthcare workers"),
    "deaf_hoh": gettext_noop("Deaf and hard of hearing"),
})

POPULATIONS = MappingProxyType({
    "children": gettext_noop("Children (0-12)"),
    "teens": gettext_noop("Teens (13-17)"),
    "adults": gettext_noop("Adults (18-64)"),
    "seniors": gettext_noop("Older adults (65+)"),
    "couples": gettext_noop("Couples"),
    "families": gettext_noop("Families"),
})

# Inclusive age ranges of the populations that are age groups.
POPULATION_AGES = MappingProxyType({
    "children": (0, 12),
    "teens": (13, 17),
    "adults": (18, 64),
    "seniors": (65, 130),
})

FORMATS = MappingProxyType({
    "telehealth": gettext_noop("Online (video)"),
    "in_person": gettext_noop("In person"),
})

# How a free 15-minute consultation call can happen (Provider.consultation_formats).
CONSULTATION_FORMATS = MappingProxyType({
    "phone": gettext_noop("By phone"),
    "telehealth": gettext_noop("By video"),
})

# NUCC Health Care Provider Taxonomy, the active behavioural-health codes, with NUCC's own display names
# (the code set and its version live in carematch/lib/nucc.py and its data file).
TAXONOMY = nucc.behavioural()

GENDERS = MappingProxyType({
    "female": gettext_noop("Female"),
    "male": gettext_noop("Male"),
    "nonbinary": gettext_noop("Nonbinary"),
    "not_stated": gettext_noop("Not stated"),
})

# USPS codes of the 50 states and the District of Columbia.
STATES = MappingProxyType({
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
})

# Credentials seen on therapists' rosters, in their usual spelling. Others are accepted as given.
KNOWN_CREDENTIALS = (
    "LPC", "LPCC", "LCPC", "LMHC", "LCMHC", "LCSW", "LICSW", "LMSW", "LMFT", "LP", "LAC", "LADC",
    "CADC", "PsyD", "PhD", "EdD", "PMHNP", "PMHNP-BC", "APRN", "NP", "MD", "DO", "MA", "MS", "MSW", "MEd",
)
_CREDENTIAL_SPELLING = {c.lower(): c for c in KNOWN_CREDENTIALS}

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def credential_spelling(value: str) -> str:
    return _CREDENTIAL_SPELLING.get(value.lower(), value)


def language_name(code: str) -> str:
    """A language's name in the active language ("Spanish"; "español" on a Spanish page)."""
    from carematch.lib.languages import language_name as name_of

    return name_of(code)


def label(vocabulary: Mapping[str, str], slug: str) -> str:
    """A slug's label in the active language (the slug itself when it is not in the vocabulary)."""
    found = vocabulary.get(slug)
    return gettext(found) if found else slug


def labels(vocabulary: Mapping[str, str], slugs: list[str]) -> list[str]:
    return [label(vocabulary, slug) for slug in slugs]


class _Choices:
    """A vocabulary as form choices, labelled in the language active when the form is shown."""

    def __init__(self, vocabulary: Mapping[str, str]) -> None:
        self.vocabulary = vocabulary

    def __call__(self) -> list[tuple[str, str]]:
        return [(slug, gettext(text)) for slug, text in self.vocabulary.items()]

    def __deepcopy__(self, memo: dict[int, object]) -> _Choices:
        return self  # immutable: every copy of a form's fields can share it


def choices(vocabulary: Mapping[str, str]) -> _Choices:
    """Form choices of a vocabulary (a callable, so Django evaluates it when a form is made)."""
    return _Choices(vocabulary)
