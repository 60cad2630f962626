"""Reads go through selectors (docs: STYLE.md, LAYOUT.md): the modules that are the front doors
(pages and API operations) read no rows themselves. They call a keyword-only function of an
app's `selectors.py`, which the page and the API share, so a query (and the rule in its
filters) is written once and its cost is seen in one place.

Read from the source itself. The front doors are every module named `views.py` or `api.py`,
or ending in `_views.py` or `_api.py` (`carematch/api.py` and `access/data_api.py` included),
and `api_base.py`. What counts as reading rows there, as the ORM spells it:
- a model's manager: `.objects`, `._default_manager`, `._base_manager`;
- `get_object_or_404(Model, ...)` and `get_list_or_404(Model, ...)` given a model class
  (a capitalised name), which query through its manager;
- a database cursor (`.cursor()`), for raw SQL.
A queryset a selector returned may still be narrowed there (`get_object_or_404(selectors.x(), pk=...)`).
Anything that truly must read in a front door goes in ALLOWED, with its reason.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import carematch

ROOT = Path(carematch.__file__).parent
REPO = ROOT.parent

FRONT_DOOR = re.compile(r"^(?:.*_)?(?:views|api)\.py$|^api_base\.py$")
MANAGERS = frozenset({"objects", "_default_manager", "_base_manager"})
SHORTCUTS = frozenset({"get_object_or_404", "get_list_or_404"})

# (module path, function) -> why it may read rows itself. Each must still do so: an entry
# that no longer reads fails too, so the list stays true.
ALLOWED: dict[tuple[str, str], str] = {
    ("carematch/api.py", "health"): (
        "the health check asks the database to answer SELECT 1 through a cursor: it reads no rows, it proves "
        "the database is there, which is what the endpoint is for"
    ),
}


def front_doors() -> list[Path]:
    return [path for path in sorted(ROOT.rglob("*.py"))
            if FRONT_DOOR.match(path.name) and not {"tests", "migrations"} & set(path.relative_to(ROOT).parts)]


class _Reads(ast.NodeVisitor):
    def __init__(self) -> None:
        self.scope: list[str] = []
        self.found: list[tuple[str, int, str]] = []  # (function, line, what)

    def _enter(self, node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_ClassDef = visit_FunctionDef = visit_AsyncFunctionDef = _enter

    def _note(self, node: ast.AST, what: str) -> None:
        self.found.append((".".join(self.scope) or "<module>", getattr(node, "lineno", 0), what))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in MANAGERS:
            self._note(node, f".{node.attr}")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name in SHORTCUTS and node.args and isinstance(node.args[0], ast.Name) and node.args[0].id[:1].isupper():
            self._note(node, f"{name}({node.args[0].id}, ...)")
        if name == "cursor":
            self._note(node, ".cursor()")
        self.generic_visit(node)


def reads_in(source: str, filename: str = "<source>") -> list[tuple[str, int, str]]:
    visitor = _Reads()
    visitor.visit(ast.parse(source, filename=filename))
    return visitor.found


def reads_in_front_doors() -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for path in front_doors():
        name = path.relative_to(REPO).as_posix()
        for function, line, what in reads_in(path.read_text(encoding="utf-8"), name):
            found.setdefault((name, function), []).append(f"{name}:{line} {what}")
    return found


def test_the_check_tells_reads_from_lookalikes():
    source = '''
def reads(request, provider_id):
    Provider.objects.filter(pk=provider_id).first()
    Provider._default_manager.get(pk=provider_id)
    get_object_or_404(License, pk=1)
    get_object_or_404(Provider.objects.prefetch_related("windows"), pk=provider_id)
    with connection.cursor() as cursor:
        cursor.execute("select 1")

def lookalikes(request, provider):
    selectors.provider_by_id(provider_id=1)
    get_object_or_404(selectors.provider_search(), pk=1)
    provider.licenses.all()
    request.user.objects_seen
'''
    found = reads_in(source)
    assert {function for function, _, _ in found} == {"reads"}
    assert sorted(what for _, _, what in found) == [
        "._default_manager", ".cursor()", ".objects", ".objects", "get_object_or_404(License, ...)"]


def test_the_front_doors_are_found():
    names = {path.relative_to(REPO).as_posix() for path in front_doors()}
    assert {
        "carematch/api.py", "carematch/api_base.py", "carematch/accounts/views.py", "carematch/scheduling/api.py",
        "carematch/access/data_views.py", "carematch/access/data_api.py", "carematch/access/audit_views.py",
    } <= names
    assert not any("/tests/" in name or name.endswith("selectors.py") for name in names)


def test_no_page_or_api_module_reads_rows_but_the_listed_exceptions():
    found = reads_in_front_doors()
    unexpected = sorted(line for key, lines in found.items() if key not in ALLOWED for line in lines)
    assert unexpected == [], "read through the app's selectors.py:\n" + "\n".join(unexpected)


def test_every_listed_exception_still_reads_where_it_says():
    found = reads_in_front_doors()
    stale = sorted(f"{path} {function}" for path, function in ALLOWED if (path, function) not in found)
    assert stale == [], "these no longer read rows: take them off ALLOWED\n" + "\n".join(stale)
