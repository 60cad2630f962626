"""The questionnaires carematch asks: their published wording, answer options and codes.

PHQ-9: Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression
severity measure. J Gen Intern Med. 2001;16(9):606-613.
GAD-7: Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing
generalized anxiety disorder: the GAD-7. Arch Intern Med. 2006;166(10):1092-1097.

Both were developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and
colleagues, with an educational grant from Pfizer Inc. No permission is required to
reproduce, translate, display or distribute them; the wording below is the published
English wording, unchanged.

Codes are LOINC (https://loinc.org): the panel, each item, the difficulty question, the
total score, and each answer (LA codes).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

LOINC = "http://loinc.org"

COPYRIGHT = (
    "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, with an "
    "educational grant from Pfizer Inc. No permission required to reproduce, translate, display or distribute."
)


@dataclass(frozen=True)
class Option:
    value: int
    label: str
    loinc: str


@dataclass(frozen=True)
class Item:
    number: int  # 1-based, as printed on the form
    text: str
    loinc: str


@dataclass(frozen=True)
class Instrument:
    code: str  # "phq9" or "gad7": the slug used everywhere in carematch
    name: str  # "PHQ-9"
    title: str
    concern: str  # the concern it measures (carematch's vocabulary slug)
    stem: str  # the question every item answers
    items: tuple[Item, ...]
    difficulty: Item
    panel_loinc: str
    total_loinc: str
    citation: str

    @property
    def item_count(self) -> int:
        return len(self.items)

    @property
    def max_total(self) -> int:
        return max(option.value for option in ITEM_OPTIONS) * len(self.items)


# Answer options of every item, in order: the value is the item's score.
ITEM_OPTIONS = (
    Option(0, "Not at all", "LA6568-5"),
    Option(1, "Several days", "LA6569-3"),
    Option(2, "More than half the days", "LA6570-1"),
    Option(3, "Nearly every day", "LA6571-9"),
)

# The difficulty question is asked but not scored.
DIFFICULTY_OPTIONS = (
    Option(0, "Not difficult at all", "LA6572-7"),
    Option(1, "Somewhat difficult", "LA6573-5"),
    Option(2, "Very difficult", "LA6575-0"),
    Option(3, "Extremely difficult", "LA6574-3"),
)

PHQ9 = Instrument(
    code="phq9",
    name="PHQ-9",
    title="Patient Health Questionnaire (PHQ-9)",
    concern="depression",
    stem="Over the last 2 weeks, how often have you been bothered by any of the following problems?",
    items=(
        Item(1, "Little interest or pleasure in doing things", "44250-9"),
        Item(2, "Feeling down, depressed, or hopeless", "44255-8"),
        Item(3, "Trouble falling or staying asleep, or sleeping too much", "44259-0"),
        Item(4, "Feeling tired or having little energy", "44254-1"),
        Item(5, "Poor appetite or overeating", "44251-7"),
        Item(6, "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
             "44258-2"),
        Item(7, "Trouble concentrating on things, such as reading the newspaper or watching television", "44252-5"),
        Item(8, "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so "
                "fidgety or restless that you have been moving around a lot more than usual", "44253-3"),
        Item(9, "Thoughts that you would be better off dead or of hurting yourself in some way", "44260-8"),
    ),
    difficulty=Item(
        10,
        "If you checked off any problems, how difficult have these problems made it for you to do your work, "
        "take care of things at home, or get along with other people?",
        "69722-7",
    ),
    panel_loinc="44249-1",
    total_loinc="44261-6",
    citation="Kroenke K, Spitzer RL, Williams JBW. J Gen Intern Med. 2001;16(9):606-613.",
)

GAD7 = Instrument(
    code="gad7",
    name="GAD-7",
    title="Generalized Anxiety Disorder 7-item scale (GAD-7)",
    concern="anxiety",
    stem="Over the last 2 weeks, how often have you been bothered by the following problems?",
    items=(
        Item(1, "Feeling nervous, anxious or on edge", "69725-0"),
        Item(2, "Not being able to stop or control worrying", "68509-9"),
        Item(3, "Worrying too much about different things", "69733-4"),
        Item(4, "Trouble relaxing", "69734-2"),
        Item(5, "Being so restless that it is hard to sit still", "69735-9"),
        Item(6, "Becoming easily annoyed or irritable", "69689-8"),
        Item(7, "Feeling afraid as if something awful might happen", "69736-7"),
    ),
    difficulty=Item(
        8,
        "If you checked off any problems, how difficult have these made it for you to do your work, "
        "take care of things at home, or get along with other people?",
        "69726-8",
    ),
    panel_loinc="69737-5",
    total_loinc="70274-6",
    citation="Spitzer RL, Kroenke K, Williams JBW, Löwe B. Arch Intern Med. 2006;166(10):1092-1097.",
)

INSTRUMENTS = MappingProxyType({PHQ9.code: PHQ9, GAD7.code: GAD7})

# PHQ-9 item 9: thoughts of being better off dead or of self-harm (LOINC 44260-8).
SAFETY_ITEM = 9


def get(code: str) -> Instrument:
    """The instrument with this slug; KeyError for anything else."""
    return INSTRUMENTS[code]


def option_label(value: int) -> str:
    return ITEM_OPTIONS[value].label
