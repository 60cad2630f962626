"""carematch's one settings file.

Everything a deployment changes comes from CAREMATCH_* environment variables, read
with django-environ's typed helpers. Defaults are the safe ones: debug is off, and a
production start without a real secret key refuses to run.
"""

from __future__ import annotations

import base64
import re
import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.str("CAREMATCH_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("CAREMATCH_DEBUG", default=False)


def _secret_key() -> tuple[str, str | None]:
    """The configured key and, in production, what is wrong with it; in debug, a key kept in
    var/ so sessions survive restarts.

    A missing or weak key does not stop the settings from loading (so offline commands such
    as `makemigrations --check` still work), but the WSGI application and the commands that
    serve, check or change data refuse to run with it (carematch/checks.py): production
    never serves without one.
    """
    key = env.str("CAREMATCH_SECRET_KEY", default="")
    if key:
        if not DEBUG and (len(key) < 50 or len(set(key)) < 5):
            return key, "CAREMATCH_SECRET_KEY is too weak for production: use at least 50 random characters."
        return key, None
    if not DEBUG:
        return "", (
            "CAREMATCH_SECRET_KEY is not set. Production needs a secret key of at least 50 random "
            "characters (or set CAREMATCH_DEBUG=1 for a local development server)."
        )
    key_file = VAR_DIR / "dev_secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip(), None


SECRET_KEY, SECRET_KEY_PROBLEM = _secret_key()


def _is_fernet_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32  # Fernet's key size
    except (ValueError, UnicodeEncodeError):
        return False


def _encryption_keys() -> tuple[list[str], str | None]:
    """The keys that encrypt free-text clinical content at rest (carematch/lib/crypto.py)
    and, when they cannot be used, what is wrong; in debug without any, a key kept in var/.

    CAREMATCH_ENCRYPTION_KEYS is a comma-separated list of Fernet keys, or
    CAREMATCH_ENCRYPTION_KEY_FILE names a file with one key a line (`#` starts a comment).
    The first key encrypts; every key decrypts, so a new key goes first and the old ones
    stay until `carematch rotate_keys` has re-encrypted every row. Keys live only in the
    environment or that file, never in the database. Like the secret key, a missing key
    does not stop the settings from loading, but serving and data commands refuse to run.
    """
    listed = env.str("CAREMATCH_ENCRYPTION_KEYS", default="")
    key_file = env.str("CAREMATCH_ENCRYPTION_KEY_FILE", default="")
    if listed and key_file:
        return [], "Set only one of CAREMATCH_ENCRYPTION_KEYS and CAREMATCH_ENCRYPTION_KEY_FILE."
    if key_file:
        try:
            lines = Path(key_file).read_text().splitlines()
        except OSError:
            return [], "CAREMATCH_ENCRYPTION_KEY_FILE names a file that cannot be read."
        keys = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
        source = "CAREMATCH_ENCRYPTION_KEY_FILE"
    elif listed:
        keys = [key.strip() for key in listed.split(",") if key.strip()]
        source = "CAREMATCH_ENCRYPTION_KEYS"
    elif DEBUG:
        dev_file = VAR_DIR / "dev_encryption_keys"
        if not dev_file.exists():
            VAR_DIR.mkdir(parents=True, exist_ok=True)
            dev_file.touch(mode=0o600)
            dev_file.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii") + "\n")
        keys = [line.strip() for line in dev_file.read_text().splitlines() if line.strip()]
        source = str(dev_file)
    else:
        return [], (
            "CAREMATCH_ENCRYPTION_KEYS is not set. Production needs at least one Fernet key to encrypt "
            "clinical notes (or CAREMATCH_ENCRYPTION_KEY_FILE, or CAREMATCH_DEBUG=1 for a local development server)."
        )
    if not keys:
        return [], f"{source} holds no encryption key."
    if not all(_is_fernet_key(key) for key in keys):
        return [], f"{source} holds a value that is not a Fernet key (32 url-safe base64-encoded bytes)."
    return keys, None


ENCRYPTION_KEYS, ENCRYPTION_KEYS_PROBLEM = _encryption_keys()
# Soft-deleted clinical rows (a removed check-in or provider note) are kept this many days
# after removal, then purged; seven years by default, as many health-record laws require.
RECORD_RETENTION_DAYS = env.int("CAREMATCH_RETENTION_DAYS", default=2557)
if RECORD_RETENTION_DAYS < 1:
    # Zero or less would let `purge_expired` erase records the moment they are removed.
    raise ImproperlyConfigured("CAREMATCH_RETENTION_DAYS must be a whole number of days, at least 1.")
# Only a verified license counts for matching and booking (carematch/lib/licenses.py). A
# network that credentials its providers elsewhere sets this to 1 so that licenses not yet
# verified count too; rejected ones never do. Anything but a clear yes or no is refused,
# so a typo cannot switch the check off.
_match_unverified = env.str("CAREMATCH_MATCH_UNVERIFIED_LICENSES", default="0").strip().lower()
if _match_unverified not in {"0", "1", "true", "false", "yes", "no", "on", "off", ""}:
    raise ImproperlyConfigured("CAREMATCH_MATCH_UNVERIFIED_LICENSES must be 1 (yes) or 0 (no, the default).")
MATCH_UNVERIFIED_LICENSES = _match_unverified in {"1", "true", "yes", "on"}
# The match engine's snapshot of the directory (carematch/matching/snapshot.py): `background`
# (the default) keeps one per machine as files in CAREMATCH_MATCH_SNAPSHOT_DIR, mapped by every
# process and rebuilt beside the one in use, so no request waits for a rebuild; `inline` keeps
# one per process and rebuilds it on the first request after a change (the test suite's mode:
# its writes are never committed, so no other connection could read them).
MATCH_SNAPSHOT_REFRESH = env.str("CAREMATCH_MATCH_SNAPSHOT_REFRESH", default="background").strip().lower()
if MATCH_SNAPSHOT_REFRESH not in ("background", "inline"):
    raise ImproperlyConfigured("CAREMATCH_MATCH_SNAPSHOT_REFRESH must be background (the default) or inline.")
MATCH_SNAPSHOT_DIR = Path(env.str("CAREMATCH_MATCH_SNAPSHOT_DIR", default=str(VAR_DIR / "match-snapshots")))

# `import_fhir --url`: how often a page that failed (a network error, a timeout, 429 or a 5xx
# answer) is asked again, the wait before the first retry (doubling each time), and how long
# one answer may take. Bounded, so an import never hangs on a server that is down.
FHIR_CLIENT_RETRIES = env.int("CAREMATCH_FHIR_CLIENT_RETRIES", default=3)
FHIR_CLIENT_BACKOFF_SECONDS = env.float("CAREMATCH_FHIR_CLIENT_BACKOFF_SECONDS", default=1.0)
FHIR_CLIENT_TIMEOUT_SECONDS = env.float("CAREMATCH_FHIR_CLIENT_TIMEOUT_SECONDS", default=30.0)
if not 0 <= FHIR_CLIENT_RETRIES <= 10 or not 0 <= FHIR_CLIENT_BACKOFF_SECONDS <= 60 \
        or not 0 < FHIR_CLIENT_TIMEOUT_SECONDS <= 600:
    raise ImproperlyConfigured("CAREMATCH_FHIR_CLIENT_RETRIES must be 0 to 10, CAREMATCH_FHIR_CLIENT_BACKOFF_SECONDS "
                               "0 to 60 and CAREMATCH_FHIR_CLIENT_TIMEOUT_SECONDS more than 0, at most 600.")

# A client's download of their record leaves out providers' private notes, which are outside
# a client's right of access in the United States (45 CFR 164.524(a)(1)(i)); a deployment
# whose law gives clients their notes sets CAREMATCH_EXPORT_PROVIDER_NOTES=1.
EXPORT_PROVIDER_NOTES = env.bool("CAREMATCH_EXPORT_PROVIDER_NOTES", default=False)

# Holds before sign-up (carematch.scheduling.services.hold_place): at most this many live at
# once (one of them per provider) and placed in an hour from one network address, and live at
# once per provider; a signed-in client's holds placed in an hour. A browser session, like a
# client, has one live hold (a new one replaces it).
HOLDS_PER_ADDRESS_LIVE = env.int("CAREMATCH_HOLDS_PER_ADDRESS_LIVE", default=3)
HOLDS_PER_ADDRESS_HOUR = env.int("CAREMATCH_HOLDS_PER_ADDRESS_HOUR", default=10)
HOLDS_PER_PROVIDER_ANONYMOUS = env.int("CAREMATCH_HOLDS_PER_PROVIDER_ANONYMOUS", default=3)
HOLDS_PER_CLIENT_HOUR = env.int("CAREMATCH_HOLDS_PER_CLIENT_HOUR", default=10)
for _hold_setting, _hold_limit in (
    ("CAREMATCH_HOLDS_PER_ADDRESS_LIVE", HOLDS_PER_ADDRESS_LIVE),
    ("CAREMATCH_HOLDS_PER_ADDRESS_HOUR", HOLDS_PER_ADDRESS_HOUR),
    ("CAREMATCH_HOLDS_PER_PROVIDER_ANONYMOUS", HOLDS_PER_PROVIDER_ANONYMOUS),
    ("CAREMATCH_HOLDS_PER_CLIENT_HOUR", HOLDS_PER_CLIENT_HOUR),
):
    if _hold_limit < 1:
        raise ImproperlyConfigured(f"{_hold_setting} must be a whole number, at least 1.")
ALLOWED_HOSTS = env.list("CAREMATCH_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CAREMATCH_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "carematch.accounts",
    "carematch.directory",
    "carematch.scheduling",
    "carematch.matching",
    "carematch.measures",
    "carematch.care",
    "carematch.access",
    "carematch.coverage",
    "carematch.messaging",
    "carematch.learn",
    "carematch.newsletter",
    "carematch.capacity",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside the API's error shaping, so reshaped API errors carry the policy too.
    "csp.middleware.CSPMiddleware",
    "carematch.api.ApiErrorShapeMiddleware",
    "carematch.api.NulCharacterMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The page's language: the language cookie (set by the switch on every page, and from an
    # account's profile at log-in), else the browser's Accept-Language, else English.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "carematch.accounts.middleware.IdleSessionLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: a session still owing its second factor is sent to enter or set one up.
    "carematch.accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

if not DEBUG:
    # Production serves its collected static files itself (`carematch collectstatic` first).
    MIDDLEWARE.insert(2, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "carematch.urls"
WSGI_APPLICATION = "carematch.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "carematch.scheduling.context_processors.staff_navigation",
                "carematch.scheduling.context_processors.session_length",
                "carematch.scheduling.context_processors.cancellation_policy",
                "carematch.messaging.context_processors.unread_messages",
            ],
            "libraries": {"form_rendering": "carematch.lib.form_rendering"},
        },
    },
]
# Forms mark invalid inputs and tie them to their errors, groups included (lib/form_rendering.py).
FORM_RENDERER = "carematch.lib.form_rendering.FormRenderer"

# --- Database --------------------------------------------------------------------------
# sqlite:///relative/path is relative to the project folder; a postgres:// URL switches
# to PostgreSQL.
DATABASE_URL = env.str("CAREMATCH_DATABASE_URL", default="sqlite:///var/carematch.sqlite3")
_db = env.db_url_config(DATABASE_URL)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _name = Path(_db["NAME"]) if _db["NAME"] else VAR_DIR / "carematch.sqlite3"
    if not _name.is_absolute():
        _name = BASE_DIR / _name
    _name.parent.mkdir(parents=True, exist_ok=True)
    _db["NAME"] = str(_name)
    _db["OPTIONS"] = {
        # IMMEDIATE: a writer takes the write lock when its transaction starts, so two
        # concurrent writers queue (up to `timeout` seconds) instead of failing midway.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # temp_store=MEMORY: SQLite keeps each statement's journal (needed for every row
        # written under the directory's version triggers) and its sorts in memory, not in
        # temporary files; a first roster import of 20,000 providers took about 1 s longer
        # with the files.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY",
    }
else:
    _db["CONN_MAX_AGE"] = env.int("CAREMATCH_DB_CONN_MAX_AGE", default=60)
    _db["CONN_HEALTH_CHECKS"] = True
# The query run on every match (time off, sessions and holds of the short list) is a prepared
# statement on PostgreSQL (carematch/matching/busy.py; Django's own queries bind on the client
# and are never prepared). 0 behind a connection pooler that cannot keep prepared statements
# (PgBouncer in transaction mode before 1.21, or without max_prepared_statements).
CAREMATCH_DB_PREPARED_STATEMENTS = env.bool("CAREMATCH_DB_PREPARED_STATEMENTS", default=True)
if _db["ENGINE"] == "django.db.backends.postgresql" and CAREMATCH_DB_PREPARED_STATEMENTS:
    _db.setdefault("OPTIONS", {})["prepare_threshold"] = 5
DATABASES = {"default": _db}
# A PostgreSQL read replica of the same database (streaming replication): the public FHIR
# directory, read-only staff reports and snapshot builds may read from it (carematch/replica.py);
# bookings and anything read after a write in the same request never do.
_replica_url = env.str("CAREMATCH_DATABASE_REPLICA_URL", default="").strip()
DATABASE_REPLICA_ALIAS = None
if _replica_url:
    _replica = env.db_url_config(_replica_url)
    if _db["ENGINE"] != "django.db.backends.postgresql" or _replica["ENGINE"] != _db["ENGINE"]:
        raise ImproperlyConfigured("CAREMATCH_DATABASE_REPLICA_URL needs PostgreSQL, for the replica and for "
                                   "CAREMATCH_DATABASE_URL.")
    _replica["CONN_MAX_AGE"], _replica["CONN_HEALTH_CHECKS"] = _db["CONN_MAX_AGE"], True
    _replica["TEST"] = {"MIRROR": "default"}  # tests read the one test database under both names
    DATABASES["replica"] = _replica
    DATABASE_REPLICA_ALIAS = "replica"
DATABASE_ROUTERS = ["carematch.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts --------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",  # argon2id
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 2
# Clients keep Django's two-week sessions; staff and providers are logged out after this
# long without a request (carematch.accounts.middleware).
IDLE_SESSION_SECONDS = 30 * 60

# --- Email -----------------------------------------------------------------------------
vars().update(env.email_url("CAREMATCH_EMAIL_URL", default="consolemail://"))
# Sending through a provider's API instead of SMTP (the optional `email` extra, django-anymail):
# CAREMATCH_EMAIL_BACKEND=anymail.backends.postmark.EmailBackend (or mailgun, sendgrid, amazon_ses...)
# with the provider's settings in CAREMATCH_ANYMAIL, e.g. "POSTMARK_SERVER_TOKEN=...".
if env.str("CAREMATCH_EMAIL_BACKEND", default=""):
    EMAIL_BACKEND = env.str("CAREMATCH_EMAIL_BACKEND")
ANYMAIL = env.dict("CAREMATCH_ANYMAIL", default={})
DEFAULT_FROM_EMAIL = env.str("CAREMATCH_FROM_EMAIL", default="carematch <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background work -------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Eligibility checks with payers (ASC X12 270/271, carematch/coverage/) --------------
# CAREMATCH_X12_TRANSPORT: empty (no checks: coverage is kept, nothing is sent), `file` (270s
# written to CAREMATCH_X12_OUTBOX, 271s read from CAREMATCH_X12_INBOX: a batch clearinghouse's
# folders) or `http` (CAQH CORE Connectivity, real time, to CAREMATCH_X12_URL).
X12_TRANSPORT = env.str("CAREMATCH_X12_TRANSPORT", default="").strip().lower()
if X12_TRANSPORT not in ("", "file", "http"):
    raise ImproperlyConfigured("CAREMATCH_X12_TRANSPORT must be file, http, or empty for no eligibility checks.")
X12_SENDER_QUALIFIER = env.str("CAREMATCH_X12_SENDER_QUALIFIER", default="ZZ").strip()
X12_SENDER_ID = env.str("CAREMATCH_X12_SENDER_ID", default="").strip()
X12_RECEIVER_QUALIFIER = env.str("CAREMATCH_X12_RECEIVER_QUALIFIER", default="ZZ").strip()
X12_RECEIVER_ID = env.str("CAREMATCH_X12_RECEIVER_ID", default="").strip()
X12_USAGE = env.str("CAREMATCH_X12_USAGE", default="T" if DEBUG else "P").strip().upper()
# The information receiver of every 270 (the practice): its name and NPI, and TRN03, the trace
# originator ("1" and the practice's EIN, or what the clearinghouse assigned).
X12_SUBMITTER_NAME = env.str("CAREMATCH_X12_SUBMITTER_NAME", default="").strip()
X12_SUBMITTER_NPI = env.str("CAREMATCH_X12_SUBMITTER_NPI", default="").strip()
X12_TRACE_ORIGINATOR = env.str("CAREMATCH_X12_TRACE_ORIGINATOR", default="").strip()
# Each payer's id at the clearinghouse, by carematch's payer slug: "aetna=60054,cigna=62308".
X12_PAYER_IDS = env.dict("CAREMATCH_X12_PAYER_IDS", default={})
X12_OUTBOX = Path(env.str("CAREMATCH_X12_OUTBOX", default=str(VAR_DIR / "x12" / "outbox")))
X12_INBOX = Path(env.str("CAREMATCH_X12_INBOX", default=str(VAR_DIR / "x12" / "inbox")))
X12_URL = env.str("CAREMATCH_X12_URL", default="").strip()
X12_USERNAME = env.str("CAREMATCH_X12_USERNAME", default="")
X12_PASSWORD = env.str("CAREMATCH_X12_PASSWORD", default="")
X12_CONNECT_TIMEOUT = env.float("CAREMATCH_X12_CONNECT_TIMEOUT", default=5.0)
X12_TIMEOUT = env.float("CAREMATCH_X12_TIMEOUT", default=30.0)
if not (0 < X12_CONNECT_TIMEOUT <= 120 and 0 < X12_TIMEOUT <= 300):
    raise ImproperlyConfigured("CAREMATCH_X12_CONNECT_TIMEOUT (up to 120) and CAREMATCH_X12_TIMEOUT (up to 300) "
                               "are seconds, more than 0.")
# The practice as a superbill names it.
PRACTICE_NAME = env.str("CAREMATCH_PRACTICE_NAME", default="").strip()
PRACTICE_ADDRESS = env.str("CAREMATCH_PRACTICE_ADDRESS", default="").strip()

# --- Appointment emails and calendars --------------------------------------------------
# Where emails point people back to carematch. Without it, production uses the first
# allowed host over HTTPS; debug uses the local development server.
_site_host = next((host.lstrip(".") for host in ALLOWED_HOSTS if host.strip(".*")), "127.0.0.1")
SITE_URL = env.str(
    "CAREMATCH_SITE_URL", default="http://127.0.0.1:8000" if DEBUG else f"https://{_site_host}"
).rstrip("/")
# The public FHIR directory (/fhir/): the name of the organization that runs this carematch, as the
# provider group its providers' roles belong to, and how many requests a minute one address may make.
DIRECTORY_NAME = env.str("CAREMATCH_DIRECTORY_NAME", default="carematch")
FHIR_REQUESTS_PER_MINUTE = env.int("CAREMATCH_FHIR_REQUESTS_PER_MINUTE", default=120)
# Online sessions run on Jitsi Meet with token authentication (carematch/scheduling/video.py):
# the deployment's domain, and the app id and secret its prosody `token` authentication is
# configured with. All three, or none: without them online sessions say "Your therapist will
# send you a link" unless the provider gave their own video link, and `check --deploy` warns.
JITSI_DOMAIN = env.str("CAREMATCH_JITSI_DOMAIN", default="").strip().lower()
JITSI_APP_ID = env.str("CAREMATCH_JITSI_APP_ID", default="").strip()
JITSI_APP_SECRET = env.str("CAREMATCH_JITSI_APP_SECRET", default="")
if JITSI_DOMAIN and not re.fullmatch(r"[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?(?::[0-9]{1,5})?", JITSI_DOMAIN):
    raise ImproperlyConfigured(
        "CAREMATCH_JITSI_DOMAIN must be the Jitsi Meet host name alone, e.g. meet.example.org (no https://, no path)."
    )

# --- Crisis follow-up ------------------------------------------------------------------
# When coordinators call back a person who asked to be contacted from the crisis page, in
# words shown to that person exactly as written (e.g. "weekdays 8 am to 8 pm Mountain time").
# Empty: the page says only that calls are returned during working hours, not around the clock.
CRISIS_CALLBACK_HOURS = env.str("CAREMATCH_CRISIS_CALLBACK_HOURS", default="").strip()
# A request with no contact attempt this many minutes after it arrived is emailed again to
# every coordinator and admin.
CRISIS_ESCALATE_MINUTES = env.int("CAREMATCH_CRISIS_ESCALATE_MINUTES", default=15)
if CRISIS_ESCALATE_MINUTES < 1:
    raise ImproperlyConfigured("CAREMATCH_CRISIS_ESCALATE_MINUTES must be a whole number of minutes, at least 1.")

# --- Sessions: reminders and the cancellation policy --------------------------------------
# Reminders go this many hours before a session (each only when it is still ahead, a few
# minutes after the booking or move), largest first, e.g. "24,1".
try:
    REMINDER_HOURS = tuple(sorted({int(h) for h in env.list("CAREMATCH_REMINDER_HOURS", default=["24", "1"])},
                                  reverse=True))
except ValueError:
    raise ImproperlyConfigured("CAREMATCH_REMINDER_HOURS must be whole numbers of hours, e.g. 24,1.") from None
if any(not 1 <= hours <= 24 * 14 for hours in REMINDER_HOURS):
    raise ImproperlyConfigured("CAREMATCH_REMINDER_HOURS must be between 1 and 336 hours each.")
# The practice's cancellation policy: a client cancelling or moving a session less than this
# many hours before it is a late cancellation; the fees (whole US dollars, 0 for none) are
# what the practice may charge for a late cancellation and for a session missed without notice.
CANCELLATION_NOTICE_HOURS = env.int("CAREMATCH_CANCELLATION_NOTICE_HOURS", default=24)
LATE_CANCEL_FEE = env.int("CAREMATCH_LATE_CANCEL_FEE", default=0)
NO_SHOW_FEE = env.int("CAREMATCH_NO_SHOW_FEE", default=0)
if not 0 <= CANCELLATION_NOTICE_HOURS <= 24 * 7:
    raise ImproperlyConfigured("CAREMATCH_CANCELLATION_NOTICE_HOURS must be between 0 and 168 hours.")
if LATE_CANCEL_FEE < 0 or NO_SHOW_FEE < 0:
    raise ImproperlyConfigured("CAREMATCH_LATE_CANCEL_FEE and CAREMATCH_NO_SHOW_FEE are whole dollars, 0 for none.")
# A standing series of sessions has at most this many sessions.
SERIES_MAX_SESSIONS = 26

# --- Messages between a client and their care team -------------------------------------
# How soon replies can be expected, in hours: shown on every conversation page with "not for
# emergencies". A promise the practice makes to its clients: set what it can keep.
MESSAGE_REPLY_HOURS = env.int("CAREMATCH_MESSAGE_REPLY_HOURS", default=48)
# How many messages one person may send in an hour (more is refused with 429 / a form error).
MESSAGE_RATE_PER_HOUR = env.int("CAREMATCH_MESSAGE_RATE_PER_HOUR", default=30)
# How often an open conversation page asks for new messages, in seconds.
MESSAGE_POLL_SECONDS = env.int("CAREMATCH_MESSAGE_POLL_SECONDS", default=20)
if not 1 <= MESSAGE_REPLY_HOURS <= 24 * 14:
    raise ImproperlyConfigured("CAREMATCH_MESSAGE_REPLY_HOURS must be between 1 and 336 hours.")
if MESSAGE_RATE_PER_HOUR < 1:
    raise ImproperlyConfigured("CAREMATCH_MESSAGE_RATE_PER_HOUR must be a whole number, at least 1.")
if not 15 <= MESSAGE_POLL_SECONDS <= 300:
    raise ImproperlyConfigured("CAREMATCH_MESSAGE_POLL_SECONDS must be between 15 and 300 seconds.")

# --- Language, time, static files ------------------------------------------------------
LANGUAGE_CODE = "en"
# The languages a person can choose. Client-facing text is translated in full (the catalogue
# in carematch/locale/, compiled by `make install`); staff pages use the same machinery.
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "carematch" / "locale"]
LANGUAGE_COOKIE_NAME = "carematch_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = not DEBUG
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("CAREMATCH_STATIC_ROOT", default=str(VAR_DIR / "static")))
# Uploaded files (providers' photos, re-encoded by carematch/directory/photos.py) live under
# MEDIA_ROOT on the local disk by default, or in an S3-compatible bucket with
# CAREMATCH_PHOTO_STORAGE=s3 (django-storages' S3Storage, which needs boto3 installed). Either
# way carematch serves them itself, from /media/photos/<name>, so they need no public bucket
# and the Content-Security-Policy stays 'self'.
MEDIA_ROOT = Path(env.str("CAREMATCH_MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
PHOTO_STORAGE = env.str("CAREMATCH_PHOTO_STORAGE", default="local").strip().lower()


def _photo_storage() -> dict[str, object]:
    if PHOTO_STORAGE == "local":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(MEDIA_ROOT / "photos"), "base_url": None,
                            "file_permissions_mode": 0o640, "directory_permissions_mode": 0o750}}
    if PHOTO_STORAGE != "s3":
        raise ImproperlyConfigured("CAREMATCH_PHOTO_STORAGE must be local (the default) or s3.")
    bucket = env.str("CAREMATCH_PHOTO_S3_BUCKET", default="")
    if not bucket:
        raise ImproperlyConfigured("CAREMATCH_PHOTO_STORAGE=s3 needs CAREMATCH_PHOTO_S3_BUCKET.")
    options: dict[str, object] = {
        "bucket_name": bucket,
        "location": env.str("CAREMATCH_PHOTO_S3_PREFIX", default="photos"),
        "default_acl": None,  # private objects: carematch reads them and serves them itself
        "file_overwrite": False,
        "querystring_auth": True,
    }
    for option, variable in (("endpoint_url", "CAREMATCH_PHOTO_S3_ENDPOINT_URL"),
                             ("region_name", "CAREMATCH_PHOTO_S3_REGION"),
                             ("access_key", "CAREMATCH_PHOTO_S3_ACCESS_KEY_ID"),
                             ("secret_key", "CAREMATCH_PHOTO_S3_SECRET_ACCESS_KEY")):
        value = env.str(variable, default="")
        if value:
            options[option] = value
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "photos": _photo_storage(),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Transport and cookie security -----------------------------------------------------
# Production serves over HTTPS only. Behind a TLS-terminating proxy, set
# CAREMATCH_BEHIND_TLS_PROXY=1 so X-Forwarded-Proto is trusted, and so the client's address
# (for throttling and the access log) is the X-Forwarded-For entry added by the outermost of
# CAREMATCH_TRUSTED_PROXIES proxies, counted from the right; entries the client wrote are
# ignored (carematch/lib/addresses.py).
BEHIND_TLS_PROXY = env.bool("CAREMATCH_BEHIND_TLS_PROXY", default=False)
TRUSTED_PROXIES = env.int("CAREMATCH_TRUSTED_PROXIES", default=1)
if TRUSTED_PROXIES < 1:
    raise ImproperlyConfigured(
        "CAREMATCH_TRUSTED_PROXIES must be a whole number, at least 1: how many of your proxies add to "
        "X-Forwarded-For."
    )
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("CAREMATCH_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("CAREMATCH_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("CAREMATCH_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("CAREMATCH_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts and styles come only from carematch's own
# static files, never from inline <script>, event-handler or style attributes, so text a
# person typed can never run as code even if it were ever shown unescaped. The API docs
# page (django-ninja's Swagger UI, served from our static files) works under it unchanged.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("CAREMATCH_MAX_BODY_BYTES", default=2_621_440)

# --- Logging ---------------------------------------------------------------------------
# Request bodies, headers and query strings are never logged: they can hold health
# information and tokens.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("CAREMATCH_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
    },
}

# --- The library and the newsletter (carematch/learn, carematch/newsletter) -------------
# An article's clinical review is due this many months after its review date (each article
# may set its own); past it, coordinators see it flagged and the article's page says so.
LEARN_REVIEW_INTERVAL_MONTHS = env.int("CAREMATCH_LEARN_REVIEW_INTERVAL_MONTHS", default=12)
if not 1 <= LEARN_REVIEW_INTERVAL_MONTHS <= 60:
    raise ImproperlyConfigured("CAREMATCH_LEARN_REVIEW_INTERVAL_MONTHS must be from 1 to 60.")
# Newsletter sign-ups one address may make an hour, and messages a send task takes at once.
NEWSLETTER_SIGNUPS_PER_HOUR = env.int("CAREMATCH_NEWSLETTER_SIGNUPS_PER_HOUR", default=5)
NEWSLETTER_BATCH_SIZE = env.int("CAREMATCH_NEWSLETTER_BATCH_SIZE", default=100)
if NEWSLETTER_SIGNUPS_PER_HOUR < 1 or NEWSLETTER_BATCH_SIZE < 1:
    raise ImproperlyConfigured("CAREMATCH_NEWSLETTER_SIGNUPS_PER_HOUR and CAREMATCH_NEWSLETTER_BATCH_SIZE "
                               "must be whole numbers, at least 1.")
