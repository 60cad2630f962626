"""Closing an account and erasing it after retention ask each app to write its own tables:
access/closing.py imports other apps' services, never their models, and the purge asks every
app that holds a client's rows, in an order their protecting foreign keys allow."""

from __future__ import annotations

import ast
from pathlib import Path

from django.apps import apps
from django.db import models

from carematch.access import closing
from carematch.access.export import client_models
from carematch.accounts.models import Client
from carematch.care import services as care

CLOSING = Path(closing.__file__)
OTHER_APPS = ("accounts", "care", "directory", "matching", "measures", "scheduling")


def _type_checking_only(tree: ast.Module) -> set[ast.AST]:
    """Import nodes under `if TYPE_CHECKING:`: names for annotations, never run."""
    found: set[ast.AST] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            found.update(child for child in ast.walk(node) if isinstance(child, ast.Import | ast.ImportFrom))
    return found


def imports_of(path: Path) -> list[tuple[str, bool]]:
    """Every module imported at run time (for `from x import y`, x.y), and whether at module level."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    annotations_only = _type_checking_only(tree)
    top = {id(node) for node in tree.body}
    found: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        if node in annotations_only:
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative to carematch.access, where closing.py is
                base = ".".join([*["carematch", "access"][: 3 - node.level], *([base] if base else [])])
            found += [(f"{base}.{alias.name}", id(node) in top) for alias in node.names]
    return found


def _other_app(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "carematch" and parts[1] in OTHER_APPS else None


def test_closing_imports_no_other_apps_models_and_asks_their_services_from_the_top():
    others = [(module, top) for module, top in imports_of(CLOSING) if _other_app(module)]
    assert others, "closing asks other apps' services"
    assert [m for m, _ in others if "models" in m.split(".")] == []
    assert [m for m, top in others if not top] == [], "import other apps' services at module level"
    assert {_other_app(m) for m, _ in others} >= {"accounts", "care", "matching", "measures", "scheduling"}


def test_closing_queries_no_table_itself():
    source = CLOSING.read_text(encoding="utf-8")
    tree = ast.parse(source)
    managers = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                and node.attr in {"objects", "_base_manager", "_default_manager"}]
    assert managers == [], f"closing.py reads or writes a table directly on lines {managers}"


def test_the_check_sees_every_import_where_it_is_written(tmp_path):
    sample = tmp_path / "closing.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\n"
        "from carematch.matching.models import WaitlistEntry\n"
        "from .models import AccessEvent\n"
        "if TYPE_CHECKING:\n"
        "    from carematch.accounts.models import Client\n"
        "def f():\n"
        "    from carematch.scheduling import models\n",
        encoding="utf-8",
    )
    assert imports_of(sample) == [("typing.TYPE_CHECKING", True), ("carematch.matching.models.WaitlistEntry", True),
                                  ("carematch.access.models.AccessEvent", True), ("carematch.scheduling.models", False)]


def _app_of(purge: object) -> str:
    return getattr(purge, "__module__", "").split(".")[1]


def test_every_app_holding_a_clients_rows_is_asked_to_erase_them():
    asked = [_app_of(purge) for purge in closing.client_purges()]
    holding = {model._meta.app_label for model in client_models() if model._meta.label_lower != "access.accessevent"}
    assert holding - set(asked) == set(), "add the app's <noun>_purge_for_client to closing.client_purges()"
    assert asked[-1] == "accounts", "the client and their login go last: every other record protects them"


def test_the_purge_asks_in_an_order_the_protecting_foreign_keys_allow():
    order = [_app_of(purge) for purge in closing.client_purges()]
    records = {*client_models(), Client}
    for model in records:
        for fk in model._meta.concrete_fields:
            target = fk.related_model if fk.is_relation else None
            protects = getattr(fk.remote_field, "on_delete", None) in (models.PROTECT, models.RESTRICT)
            if not protects or target not in records:
                continue
            source_app, target_app = model._meta.app_label, target._meta.app_label
            if source_app != target_app and source_app in order and target_app in order:
                assert order.index(source_app) < order.index(target_app), (
                    f"{model._meta.label}.{fk.name} protects {target._meta.label}: erase {source_app} first"
                )


def test_every_model_with_removed_rows_is_erased_after_retention():
    removable = {model for model in apps.get_models()
                 if any(f.name == "deleted_at" for f in model._meta.concrete_fields)}
    assert removable == set(care.REMOVABLE), "a model with deleted_at needs its app's removed-rows purge"
