"""Writes go through services (docs: STYLE.md, LAYOUT.md): outside an app's `services.py` no
module saves, creates, updates or deletes rows, so every rule a write must keep lives where
every caller passes. Read from the source itself (every module that is not a test or a
migration; management commands included, as they must call services too), except the few
places listed in ALLOWED, each with its reason.

What counts as a write, as the ORM spells it:
- `.save()` and `.delete()` called without positional arguments (a model's or a queryset's;
  `router.delete("/path")` or `cache.delete(key)` take one), and `bulk_create`, `bulk_update`,
  `get_or_create`, `update_or_create`, `create_user`, `create_superuser` on anything;
- `.create(...)` and `.update(...)` on a manager or queryset chain (`X.objects...`,
  `._base_manager...`, `.filter(...)`, `.select_for_update()`...), so that `dict.update` and
  `Counter.update` are not taken for writes. A queryset kept in a variable and updated
  through the bare variable is not seen; everything else is.
"""

from __future__ import annotations

import ast
from pathlib import Path

import carematch

ROOT = Path(carematch.__file__).parent
REPO = ROOT.parent

ALWAYS = frozenset({"bulk_create", "bulk_update", "get_or_create", "update_or_create", "create_user",
                    "create_superuser"})
WITHOUT_POSITIONAL = frozenset({"save", "delete"})
ON_QUERYSETS = frozenset({"create", "update"})
QUERYSET_LINKS = frozenset({
    "objects", "_base_manager", "_default_manager", "all", "filter", "exclude", "select_for_update", "annotate",
    "alias", "order_by", "select_related", "prefetch_related", "only", "defer", "distinct", "using", "none",
})

# (module path, function) -> why it may write outside services.py. Each must still write there:
# an entry that no longer does fails too, so the list stays true.
ALLOWED: dict[tuple[str, str], str] = {
    ("carematch/access/audit.py", "record"): (
        "the access log's own writer: every app records through access.audit, which is the access app's "
        "service for its append-only table"
    ),
    ("carematch/access/audit.py", "record_many"): "the access log's own writer, for many views at once",
    ("carematch/accounts/models.py", "UserManager.create_user"): (
        "Django's user manager contract (createsuperuser calls it); accounts/services.py user_create calls it too"
    ),
    ("carematch/accounts/models.py", "UserManager.create_superuser"): "the same contract, for an admin",
    ("carematch/accounts/demo.py", "seed_demo_accounts"): (
        "demo seeding: the demo staff share a published authenticator key, which the MFA services never accept"
    ),
    ("carematch/matching/management/commands/bench_match.py", "_load"): (
        "fills the throwaway SQLite database of the benchmark with synthetic bookings in bulk, never a real one"
    ),
    ("carematch/lib/crypto.py", "_rewrite_column"): (
        "runs only inside migrations (encrypt_column_operation), on the historical models the migration passes in"
    ),
}


def _is_test_or_migration(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    return "tests" in parts or "migrations" in parts or path.name == "conftest.py"


def modules_checked() -> list[Path]:
    return [path for path in sorted(ROOT.rglob("*.py"))
            if not _is_test_or_migration(path) and path.name != "services.py"]


def _chain(node: ast.expr) -> list[str]:
    """The attribute and method names a call's receiver is built from, nearest first."""
    names: list[str] = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        else:
            return names


def _is_write(call: ast.Call) -> bool:
    if not isinstance(call.func, ast.Attribute):
        return False
    method, receiver = call.func.attr, call.func.value
    if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name) and receiver.func.id == "super":
        return False  # a model's own save() handing over to Django's
    if method in ALWAYS:
        return True
    if method in WITHOUT_POSITIONAL:
        return not call.args
    if method in ON_QUERYSETS:
        return bool(QUERYSET_LINKS & set(_chain(receiver)))
    return False


class _Writes(ast.NodeVisitor):
    def __init__(self) -> None:
        self.scope: list[str] = []
        self.found: list[tuple[str, int, str]] = []  # (function, line, method)

    def _enter(self, node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_ClassDef = visit_FunctionDef = visit_AsyncFunctionDef = _enter

    def visit_Call(self, node: ast.Call) -> None:
        if _is_write(node):
            assert isinstance(node.func, ast.Attribute)
            self.found.append((".".join(self.scope) or "<module>", node.lineno, node.func.attr))
        self.generic_visit(node)


def writes_in(source: str, filename: str = "<source>") -> list[tuple[str, int, str]]:
    visitor = _Writes()
    visitor.visit(ast.parse(source, filename=filename))
    return visitor.found


def writes_outside_services() -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for path in modules_checked():
        name = path.relative_to(REPO).as_posix()
        for function, line, method in writes_in(path.read_text(encoding="utf-8"), name):
            found.setdefault((name, function), []).append(f"{name}:{line} .{method}()")
    return found


def test_the_check_tells_writes_from_lookalikes():
    source = '''
def writes(model, rows, feed):
    model.objects.create(name="a")
    model.objects.filter(pk=1).update(name="b")
    rows.filter(pk=1).update(name="c")
    feed.save(update_fields=["name"])
    feed.delete()
    model.objects.filter(pk=1).delete()
    model.objects.bulk_create([])
    model._base_manager.filter(pk=1).update(name="d")

def lookalikes(counts, report, router, cache, bar):
    counts.update({"a": 1})
    report.deleted.update({"a": 1})
    router.delete("/me/tokens/{token_id}")
    cache.delete("key")
    bar.update(1)
    vars().update({})

class Thing:
    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
'''
    found = writes_in(source)
    assert {function for function, _, _ in found} == {"writes"}
    assert len(found) == 8


def test_the_check_sees_the_writes_of_services():
    """A services module holds writes by the check's own measure (the check is not blind)."""
    path = ROOT / "scheduling" / "services.py"
    found = {(function, method) for function, _, method in writes_in(path.read_text(encoding="utf-8"))}
    assert ("calendar_feed_issue", "create") in found and ("appointments_purge_for_client", "delete") in found


def test_no_module_outside_services_writes_rows_but_the_listed_exceptions():
    found = writes_outside_services()
    unexpected = sorted(line for key, lines in found.items() if key not in ALLOWED for line in lines)
    assert unexpected == [], "write through the app's services.py:\n" + "\n".join(unexpected)


def test_every_listed_exception_still_writes_where_it_says():
    found = writes_outside_services()
    stale = sorted(f"{path} {function}" for path, function in ALLOWED if (path, function) not in found)
    assert stale == [], "these no longer write: take them off ALLOWED\n" + "\n".join(stale)
