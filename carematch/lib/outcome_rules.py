"""Which concerns have outcome estimates, and how many clients must back an estimate before
matching may use it: shared by the measures (carematch/measures/outcomes.py computes the
estimates) and the match engine, which knows no app."""

from __future__ import annotations

from types import MappingProxyType

# A measured concern and the questionnaire that measures it.
CONCERN_INSTRUMENTS = MappingProxyType({"depression": "phq9", "anxiety": "gad7"})
MIN_CLIENTS = 5  # the fewest clients behind an estimate that matching may use
