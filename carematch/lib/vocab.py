"""Vocabularies shipped with carematch: slug -> label for people.

Entries may be added; existing slugs are never renamed (rosters, FHIR exports and
stored records use them).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from carematch.lib import nucc

CONCERNS = MappingProxyType({
    "anxiety": "Anxiety",
    "depression": "Depression",
    "stress": "Stress",
    "trauma": "Trauma and PTSD",
    "grief": "Grief and loss",
    "relationships": "Relationships",
    "family": "Family conflict",
    "parenting": "Parenting",
    "substance_use": "Alcohol and substance use",
    "eating_disorders": "Eating and body image",
    "ocd": "OCD",
    "bipolar": "Bipolar disorder",
    "adhd": "ADHD",
    "anger": "Anger",
    "self_esteem": "Self-esteem",
    "sleep": "Sleep",
    "life_transitions": "Life changes",
    "lgbtq": "LGBTQ+ identity",
    "chronic_illness": "Living with illness or pain",
    "work": "Work and career",
})

APPROACHES = MappingProxyType({
    "cbt": "Cognitive behavioural therapy (CBT)",
    "dbt": "Dialectical behaviour therapy (DBT)",
    "act": "Acceptance and commitment therapy (ACT)",
    "emdr": "EMDR",
    "psychodynamic": "Psychodynamic therapy",
    "ifs": "Internal family systems (IFS)",
    "mindfulness": "Mindfulness-based therapy",
    "solution_focused": "Solution-focused therapy",
    "person_centered": "Person-centred therapy",
    "motivational_interviewing": "Motivational interviewing",
    "erp": "Exposure and response prevention (ERP)",
    "family_systems": "Family systems therapy",
    "gottman": "Gottman method",
    "cpt": "Cognitive processing therapy (CPT)",
    "pe": "Prolonged exposure (PE)",
    "narrative": "Narrative therapy",
})

# One plain-language sentence for each approach, shown wherever an approach is named to a
# client (the glossary: every slug of APPROACHES has one).
APPROACH_EXPLANATIONS = MappingProxyType({
    "cbt": "Noticing the thoughts and habits that keep you stuck, and practising new ones.",
    "dbt": "Skills for strong emotions, distress and relationships, practised week by week.",
    "act": "Making room for hard feelings while doing what matters to you.",
    "emdr": "Working through distressing memories with guided eye movements or tapping, so they lose their charge.",
    "psychodynamic": "Understanding how past experiences and patterns shape how you feel and relate today.",
    "ifs": "Getting to know the different parts of yourself and how they try to protect you.",
    "mindfulness": "Learning to notice the present moment without judging it, to ease stress and worry.",
    "solution_focused": "A short, practical focus on what you want to change and what already works.",
    "person_centered": "A warm, accepting space where you lead and the therapist follows.",
    "motivational_interviewing": "Finding your own reasons for a change you are unsure about.",
    "erp": "Facing fears step by step without the rituals that keep them going, for OCD and anxiety.",
    "family_systems": "Looking at how the people close to you affect each other, and changing it together.",
    "gottman": "Research-based tools for couples to communicate, handle conflict and feel closer.",
    "cpt": "Questioning the beliefs a trauma left behind, so they stop running your life.",
    "pe": "Gradually and safely revisiting a trauma so that it loses its hold on you.",
    "narrative": "Retelling your story so that you, not the problem, are at its centre.",
})

# Communities a provider centres in their work (a profile shows them; matching does not filter).
COMMUNITIES = MappingProxyType({
    "lgbtq_affirming": "LGBTQ+ affirming",
    "bipoc": "BIPOC clients",
    "veterans": "Veterans and military families",
    "faith_informed": "Faith-informed",
    "neurodivergent": "Neurodivergent clients",
    "immigrants": "Immigrants and refugees",
    "first_generation": "First-generation students",
    "disability": "People with disabilities",
    "healthcare_workers": "Healthcare workers",
    "deaf_hoh": "Deaf and hard of hearing",
})

POPULATIONS = MappingProxyType({
    "children": "Children (0-12)",
    "teens": "Teens (13-17)",
    "adults": "Adults (18-64)",
    "seniors": "Older adults (65+)",
    "couples": "Couples",
    "families": "Families",
})

# Inclusive age ranges of the populations that are age groups.
POPULATION_AGES = MappingProxyType({
    "children": (0, 12),
    "teens": (13, 17),
    "adults": (18, 64),
    "seniors": (65, 130),
})

FORMATS = MappingProxyType({
    "telehealth": "Online (video)",
    "in_person": "In person",
})

# How a free 15-minute consultation call can happen (Provider.consultation_formats).
CONSULTATION_FORMATS = MappingProxyType({
    "phone": "By phone",
    "telehealth": "By video",
})

# NUCC Health Care Provider Taxonomy, the active behavioural-health codes, with NUCC's own display names
# (the code set and its version live in carematch/lib/nucc.py and its data file).
TAXONOMY = nucc.behavioural()

GENDERS = MappingProxyType({
    "female": "Female",
    "male": "Male",
    "nonbinary": "Nonbinary",
    "not_stated": "Not stated",
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
    from carematch.lib.languages import LANGUAGES

    return LANGUAGES.get(code, code)


def labels(vocabulary: Mapping[str, str], slugs: list[str]) -> list[str]:
    return [vocabulary.get(slug, slug) for slug in slugs]
