"""Start-up checks: production never serves without a real secret key.

The settings load without one, so offline commands (`makemigrations --check`, `shell`)
still work; everything that serves or works on people's data refuses: the WSGI
application and the `carematch` command's commands that serve, check or change data
(SERVING_COMMANDS); the system check below covers `check --deploy` run any other way."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

SERVING_COMMANDS = frozenset({
    "runserver", "db_worker", "check", "migrate", "createsuperuser", "issue_token", "seed_demo", "seed_waitlist",
    "import_roster", "import_fhir", "restore", "assign_waitlist",
})


@register(Tags.security, deploy=True)
def secret_key_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    problem = getattr(settings, "SECRET_KEY_PROBLEM", None)
    return [Error(problem, id="carematch.E001")] if problem else []


def require_secret_key() -> None:
    """Called by the WSGI application before it serves anything."""
    problem = getattr(settings, "SECRET_KEY_PROBLEM", None)
    if problem:
        raise ImproperlyConfigured(problem)
