"""The pages and the API are two front doors to the same rules (docs: LAYOUT.md): a rule that
both need is written once, and both call it. Read from the source itself (every module that is
not a test or a migration):
- each rule in HOMES is defined by one module only, its home, so that a second copy written
  beside a view or an API handler fails here;
- the steps a shared service takes (ONLY_THROUGH) are called from that service alone, so that a
  front door cannot take them itself and drift from the other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import carematch

ROOT = Path(carematch.__file__).parent
REPO = ROOT.parent

# The rule -> the one module that defines it, and what it says.
HOMES: dict[str, tuple[str, str]] = {
    "sign_up_start": ("carematch/accounts/services.py",
                      "refuse a throttled address, send the sign-up request, note the attempt"),
    "zip_needed": ("carematch/matching/engine/request.py", "who must give a ZIP code to be matched"),
    "check_request": ("carematch/matching/engine/request.py", "what makes a match request answerable"),
    "client_zone": ("carematch/lib/timezones.py", "the zone a client's times are shown and matched in"),
    "moment_label": ("carematch/lib/timezones.py", "the site's one format for a moment"),
    "when_label": ("carematch/lib/timezones.py", "a moment in the site's format on the viewer's clock"),
    "visible_appointment": ("carematch/scheduling/access_log.py",
                            "an appointment the caller may see, with the access recorded"),
    "provider_page": ("carematch/access/decorators.py", "pages for providers, with their own record"),
}

# A step of a shared service -> the modules that may take it (the service itself).
ONLY_THROUGH: dict[str, set[str]] = {
    "sign_up_request": {"carematch/accounts/services.py"},
    "sign_up_refused": {"carematch/accounts/services.py"},
}


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts or path.name == "conftest.py":
            continue
        found[path.relative_to(REPO).as_posix()] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return found


MODULES = _modules()


def _defined(tree: ast.Module) -> set[str]:
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def _called(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else "")
    return names


def test_each_shared_rule_is_defined_in_its_home_only():
    wrong = []
    for name, (home, what) in sorted(HOMES.items()):
        where = sorted(path for path, tree in MODULES.items() if name in _defined(tree))
        if where != [home]:
            wrong.append(f"{name} ({what}) is defined in {where}, and only {home} should define it")
    assert not wrong, "\n".join(wrong)


def test_the_steps_of_a_shared_service_are_taken_by_the_service_alone():
    wrong = []
    for name, allowed in sorted(ONLY_THROUGH.items()):
        callers = sorted(path for path, tree in MODULES.items() if name in _called(tree))
        wrong += [f"{path} calls {name}(): call the service that takes it" for path in callers if path not in allowed]
    assert not wrong, "\n".join(wrong)
