"""The matching core: plain Python over NumPy, no Django.

- types.py: requests and answers, shared with the API, the pages and the reference matcher;
- request.py: what makes a request answerable, field by field;
- directory.py: the directory as arrays (built by carematch/matching/snapshot.py);
- zones.py, slots.py: openings of many providers at once, by the rules of scheduling/openings.py;
- scoring.py: the ranking's parts and weights;
- reasons.py: why a provider was matched, in plain sentences;
- match.py: `find_matches`, the search itself, and the suggestions.
"""
