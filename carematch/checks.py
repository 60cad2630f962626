"""Start-up checks: production never serves without a real secret key.

The settings load without one, so offline commands (`makemigrations --check`, `shell`)
still work; everything that serves or works on people's data refuses: the WSGI
application and the `carematch` command's commands that serve, check or change data
(SERVING_COMMANDS); the system check below covers `check --deploy` run any other way."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

SERVING_COMMANDS = frozenset({
    "runserver", "db_worker", "check", "migrate", "createsuperuser", "issue_token", "seed_demo", "seed_waitlist",
    "import_roster", "import_fhir", "restore", "assign_waitlist", "rotate_keys", "purge_expired",
})


@register(Tags.security, deploy=True)
def secret_key_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    problem = getattr(settings, "SECRET_KEY_PROBLEM", None)
    return [Error(problem, id="carematch.E001")] if problem else []


@register(Tags.security, deploy=True)
def encryption_keys_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    problem = getattr(settings, "ENCRYPTION_KEYS_PROBLEM", None)
    return [Error(problem, id="carematch.E010")] if problem else []


def require_secret_key() -> None:
    """Called by the WSGI application before it serves anything: the secret key, then the
    keys that encrypt clinical notes at rest (carematch/lib/crypto.py)."""
    for name in ("SECRET_KEY_PROBLEM", "ENCRYPTION_KEYS_PROBLEM"):
        problem = getattr(settings, name, None)
        if problem:
            raise ImproperlyConfigured(problem)


# The parts of the Content-Security-Policy that keep typed text from ever running as code.
_CSP_MIDDLEWARE = "csp.middleware.CSPMiddleware"
_CSP_UNSAFE = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "data:", "http:", "https:")
_CSP_REQUIRED = {"object-src": "'none'", "base-uri": "'none'", "frame-ancestors": "'none'"}


@register(Tags.security, deploy=True)
def content_security_policy_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    problems = []
    if _CSP_MIDDLEWARE not in settings.MIDDLEWARE:
        problems.append(f"{_CSP_MIDDLEWARE} is not in MIDDLEWARE, so no Content-Security-Policy header is sent.")
    directives = (getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}).get("DIRECTIVES") or {}
    for name in ("script-src", "style-src"):
        sources = directives.get(name) or directives.get("default-src") or []
        if not sources:
            problems.append(f"The Content-Security-Policy sets no {name} (nor default-src).")
        unsafe = [source for source in sources if source in _CSP_UNSAFE]
        if unsafe:
            problems.append(f"The Content-Security-Policy's {name} allows {', '.join(unsafe)}.")
    for name, value in _CSP_REQUIRED.items():
        if list(directives.get(name) or []) != [value]:
            problems.append(f"The Content-Security-Policy must set {name} {value}.")
    return [Error(problem, id="carematch.E002") for problem in problems]


@register(deploy=True)
def video_service_check(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Online sessions need a video room: Jitsi Meet (carematch/scheduling/video.py) or each
    provider's own link. Without Jitsi, clients read "Your therapist will send you a link"."""
    from carematch.scheduling.video import jitsi_missing_settings

    missing = jitsi_missing_settings()
    if not missing:
        return []
    if len(missing) == 3:
        problem = ("No video service is configured: online sessions have no room unless the provider gave their own "
                   "video link, and clients are told their therapist will send them one.")
    else:
        problem = f"Jitsi Meet is only partly configured ({', '.join(missing)} missing), so it is not used."
    return [Warning(problem, hint="Set CAREMATCH_JITSI_DOMAIN, CAREMATCH_JITSI_APP_ID and CAREMATCH_JITSI_APP_SECRET "
                                  "(Jitsi Meet with token authentication).", id="carematch.W020")]


# What a deployment that forgot `collectstatic` is told, instead of a 500 on every page.
STATIC_FILES_FIX = ("Run `carematch collectstatic --no-input` in the deploy step (after installing, before "
                    "starting the app servers), with the same CAREMATCH_STATIC_ROOT as the app servers.")


def static_files_problem() -> str | None:
    """In production static files are served from a manifest of hashed names
    (CompressedManifestStaticFilesStorage): a page naming a file the manifest lacks cannot be
    drawn. None when every static file of the project is in the manifest, or when the storage
    uses no manifest (debug)."""
    from django.contrib.staticfiles import finders
    from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage

    storage = staticfiles_storage
    if not isinstance(storage, ManifestFilesMixin):
        return None
    hashed, _ = storage.load_manifest()
    if not hashed:
        return (f"The static files' manifest ({storage.manifest_name} in {settings.STATIC_ROOT}) is missing or "
                f"empty, so every page would fail.")
    missing = sorted(
        path.replace("\\", "/") for finder in finders.get_finders() for path, _ in finder.list(["CVS", ".*", "*~"])
        if path.replace("\\", "/") not in hashed
    )
    if missing:
        return (f"The static files' manifest in {settings.STATIC_ROOT} is out of date: {len(missing)} file(s) are "
                f"not in it (first: {missing[0]}), so pages naming them would fail.")
    return None


@register(deploy=True)
def static_files_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    problem = static_files_problem()
    return [Error(problem, hint=STATIC_FILES_FIX, id="carematch.E030")] if problem else []


def require_static_files() -> None:
    """Called by the WSGI application before it serves anything: an app server without its
    collected static files refuses to start (gunicorn says why) instead of answering 500."""
    problem = static_files_problem()
    if problem:
        raise ImproperlyConfigured(f"{problem} {STATIC_FILES_FIX}")
