"""A page or API operation that types its request as AuthedHttpRequest (so that
`request.user` is a User to the type checker) is one that anonymous callers never reach.

The annotation is a promise the type checker cannot check: that a decorator (login_required,
staff_page, care_page, provider_page, client_page) or the API's bearer token turned anonymous
callers away first. Here every handler so annotated must be one whose policy in the
authorisation matrix sends anonymous callers to log in (401 on the API), and the matrix opens
every page and operation as an anonymous caller to prove that it does.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

import carematch
from carematch.accounts.http import AuthedHttpRequest

from .test_authorisation_matrix import API_POLICY, DOCUMENT, LOGIN, POLICY


def _authed(handler: Callable[..., Any]) -> bool:
    request = inspect.signature(inspect.unwrap(handler)).parameters.get("request")
    return request is not None and request.annotation in ("AuthedHttpRequest", AuthedHttpRequest)


def _named_pages(resolver: URLResolver, namespace: str = "", prefix: str = "") -> Iterator[tuple[str, Any]]:
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _named_pages(entry, f"{namespace}{entry.namespace}:" if entry.namespace else namespace, route)
        elif isinstance(entry, URLPattern) and entry.name and not route.startswith(("admin/", "api/")):
            yield f"{namespace}{entry.name}", entry.callback


def _api_handlers(operation_ids: set[str]) -> dict[str, Callable[..., Any]]:
    """The handlers of the API's operations, found by name in carematch's API modules (an
    operation's id is its handler's name)."""
    modules = [importlib.import_module("carematch.api")] + [
        importlib.import_module(f"carematch.{info.name}.{name}")
        for info in pkgutil.iter_modules(carematch.__path__) if info.ispkg
        for name in ("api", "data_api") if importlib.util.find_spec(f"carematch.{info.name}.{name}")
    ]
    found: dict[str, Callable[..., Any]] = {}
    for module in modules:
        for name, value in vars(module).items():
            if name in operation_ids and inspect.isfunction(value) and value.__module__ == module.__name__:
                assert name not in found or found[name] is value, f"two API functions named {name}"
                found[name] = value
    return found


PAGES = dict(_named_pages(get_resolver()))
OPERATIONS = {f"{method.upper()} {path}": operation["operationId"]
              for path, operations in DOCUMENT["paths"].items() for method, operation in operations.items()}
HANDLERS = _api_handlers(set(OPERATIONS.values()))


def test_the_walk_finds_authed_pages_and_operations() -> None:
    assert sum(_authed(view) for view in PAGES.values()) >= 40
    assert all(operation_id in HANDLERS for operation_id in OPERATIONS.values())
    assert sum(_authed(HANDLERS[operation_id]) for operation_id in OPERATIONS.values()) >= 40


def test_a_page_typed_as_authed_sends_anonymous_visitors_to_log_in() -> None:
    wrong = [name for name, view in sorted(PAGES.items())
             if _authed(view) and name in POLICY and POLICY[name].policy.anonymous != LOGIN]
    assert not wrong, f"typed AuthedHttpRequest, but anonymous visitors reach them: {wrong}"
    assert all(name in POLICY for name, view in PAGES.items() if _authed(view))


def test_an_operation_typed_as_authed_answers_anonymous_callers_401() -> None:
    wrong = [key for key, operation_id in sorted(OPERATIONS.items())
             if _authed(HANDLERS[operation_id]) and API_POLICY[key].anonymous != LOGIN]
    assert not wrong, f"typed AuthedHttpRequest, but anonymous callers reach them: {wrong}"
