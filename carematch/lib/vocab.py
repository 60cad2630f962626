"""Vocabularies shipped with carematch: slug -> label for people.

Entries may be added; existing slugs are never renamed (rosters, FHIR exports and
stored records use them).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as N_

from carematch.lib import nucc

# The labels below are stored in English and marked for the catalogue (N_); they are
# translated where a person reads them: `label`, `labels`, `choices`.

CONCERNS = MappingProxyType({
    "anxiety": N_("Anxiety"),
    "depression": N_("Depression"),
    "stress": N_("Stress"),
    "trauma": N_("Trauma and PTSD"),
    "grief": N_("Grief and loss"),
    "relationships": N_("Relationships"),
    "family": N_("Family conflict"),
    "parenting": N_("Parenting"),
    "substance_use": N_("Alcohol and substance use"),
    "eating_disorders": N_("Eating and body image"),
    "ocd": N_("OCD"),
    "bipolar": N_("Bipolar disorder"),
    "adhd": N_("ADHD"),
    "anger": N_("Anger"),
    "self_esteem": N_("Self-esteem"),
    "sleep": N_("Sleep"),
    "life_transitions": N_("Life changes"),
    "lgbtq": N_("LGBTQ+ identity"),
    "chronic_illness": N_("Living with illness or pain"),
    "work": N_("Work and career"),
})

APPROACHES = MappingProxyType({
    "cbt": N_("Cognitive behavioural therapy (CBT)"),
    "dbt": N_("Dialectical behaviour therapy (DBT)"),
    "act": N_("Acceptance and commitment therapy (ACT)"),
    "emdr": N_("EMDR"),
    "psychodynamic": N_("Psychodynamic therapy"),
    "ifs": N_("Internal family systems (IFS)"),
    "mindfulness": N_("Mindfulness-based therapy"),
    "solution_focused": N_("Solution-focused therapy"),
    "person_centered": N_("Person-centred therapy"),
    "motivational_interviewing": N_("Motivational interviewing"),
    "erp": N_("Exposure and response prevention (ERP)"),
    "family_systems": N_("Family systems therapy"),
    "gottman": N_("Gottman method"),
    "cpt": N_("Cognitive processing therapy (CPT)"),
    "pe": N_("Prolonged exposure (PE)"),
    "narrative": N_("Narrative therapy"),
})

# One plain-language sentence for each approach, shown wherever an approach is named to a
# client (the glossary: every slug of APPROACHES has one).
APPROACH_EXPLANATIONS = MappingProxyType({
    "cbt": N_("Noticing the thoughts and habits that keep you stuck, and practising new ones."),
    "dbt": N_("Skills for strong emotions, distress and relationships, practised week by week."),
    "act": N_("Making room for hard feelings while doing what matters to you."),
    "emdr": N_("Working through distressing memories with guided eye movements or tapping, so they lose their charge."),
    "psychodynamic": N_("Understanding how past experiences and patterns shape how you feel and relate today."),
    "ifs": N_("Getting to know the different parts of yourself and how they try to protect you."),
    "mindfulness": N_("Learning to notice the present moment without judging it, to ease stress and worry."),
    "solution_focused": N_("A short, practical focus on what you want to change and what already works."),
    "person_centered": N_("A warm, accepting space where you lead and the therapist follows."),
    "motivational_interviewing": N_("Finding your own reasons for a change you are unsure about."),
    "erp": N_("Facing fears step by step without the rituals that keep them going, for OCD and anxiety."),
    "family_systems": N_("Looking at how the people close to you affect each other, and changing it together."),
    "gottman": N_("Research-based tools for couples to communicate, handle conflict and feel closer."),
    "cpt": N_("Questioning the beliefs a trauma left behind, so they stop running your life."),
    "pe": N_("Gradually and safely revisiting a trauma so that it loses its hold on you."),
    "narrative": N_("Retelling your story so that you, not the problem, are at its centre."),
})

# Communities a provider centres in their work (a profile shows them; matching does not filter).
COMMUNITIES = MappingProxyType({
    "lgbtq_affirming": N_("LGBTQ+ affirming"),
    "bipoc": N_("BIPOC clients"),
    "veterans": N_("Veterans and military families"),
    "faith_informed": N_("Faith-informed"),
    "neurodivergent": N_("Neurodivergent clients"),
    "immigrants": N_("Immigrants and refugees"),
    "first_generation": N_("First-generation students"),
    "disability": N_("People with disabilities"),
    "healthcare_workers": N_("Healthcare workers"),
    "deaf_hoh": N_("Deaf and hard of hearing"),
})

POPULATIONS = MappingProxyType({
    "children": N_("Children (0-12)"),
    "teens": N_("Teens (13-17)"),
    "adults": N_("Adults (18-64)"),
    "seniors": N_("Older adults (65+)"),
    "couples": N_("Couples"),
    "families": N_("Families"),
})

# Inclusive age ranges of the populations that are age groups.
POPULATION_AGES = MappingProxyType({
    "children": (0, 12),
    "teens": (13, 17),
    "adults": (18, 64),
    "seniors": (65, 130),
})

FORMATS = MappingProxyType({
    "telehealth": N_("Online (video)"),
    "in_person": N_("In person"),
})

# How a free 15-minute consultation call can happen (Provider.consultation_formats).
CONSULTATION_FORMATS = MappingProxyType({
    "phone": N_("By phone"),
    "telehealth": N_("By video"),
})

# NUCC Health Care Provider Taxonomy, the active behavioural-health codes, with NUCC's own display names
# (the code set and its version live in carematch/lib/nucc.py and its data file).
TAXONOMY = nucc.behavioural()

GENDERS = MappingProxyType({
    "female": N_("Female"),
    "male": N_("Male"),
    "nonbinary": N_("Nonbinary"),
    "not_stated": N_("Not stated"),
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


def choices(vocabulary: Mapping[str, str]) -> _Choices:
    """Form choices of a vocabulary (a callable, so Django evaluates it when a form is made)."""
    return _Choices(vocabulary)
