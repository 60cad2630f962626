"""Every write to the directory."""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.db.models import Field, Model
from django.utils import timezone
from django.utils.text import slugify

from carematch.accounts.models import STAFF_ROLES, User
from carematch.lib import vocab
from carematch.lib.errors import InvalidInput, NotFound
from carematch.lib.sessions import SESSION

from . import payers, photos, validation
from .models import (
    VIDEO_LINK_MAX_LENGTH,
    AvailabilityWindow,
    ChangeSource,
    DirectoryChange,
    License,
    LicenseStatus,
    Payer,
    PayerSource,
    ProfileChange,
    Provider,
    TimeOff,
    VerificationSource,
)
from .records import LicenseRecord, ProviderRecord, WindowRecord

PROVIDER_FIELDS = (
    "first_name", "last_name", "credentials", "taxonomy", "gender", "languages", "concerns", "approaches",
    "populations", "formats", "insurance", "self_pay_rate", "accepting_new", "timezone", "min_notice_hours",
    "zip", "latitude", "longitude", "address", "email", "phone", "bio",
)
_LIST_FIELDS = {"credentials", "languages", "concerns", "approaches", "populations", "formats", "insurance"}


@dataclass(frozen=True)
class UpsertResult:
    created: int
    updated: int
    unchanged: int


# Keeps every `IN (...)` list under SQLite's 999 bound parameters.
_IN_CHUNK = 900
# Rows handed to the driver per executemany call.
_WRITE_BATCH = 500


CHANGE_LOG_DAYS = 1  # how long the change log keeps a change (models.DirectoryChange)


def directory_changes_prune(*, now: dt.datetime | None = None) -> int:
    """Remove the change log's entries older than CHANGE_LOG_DAYS (a snapshot older than that
    is rebuilt whole, carematch/matching/snapshot.py). Returns how many were removed."""
    before = (now or timezone.now()) - dt.timedelta(days=CHANGE_LOG_DAYS)
    removed, _ = DirectoryChange.objects.filter(at__lt=before).delete()
    return removed


def payer_ensure(*, slug: str, name: str, source: str = PayerSource.STAFF) -> Payer:
    """The payer with `slug`, created with `name` when there is none (an existing payer keeps
    its name). The slug is lower-cased; a slug or name that cannot be a payer's is refused
    naming the field."""
    slug, name = slug.strip().lower(), " ".join(name.split())
    problems: dict[str, str] = {}
    if not validation.PAYER_SLUG.fullmatch(slug):
        problems["slug"] = "must be 1 to 40 lower-case letters, digits, '-' or '_', starting with a letter or digit"
    if not name:
        problems["name"] = "is required"
    elif len(name) > 200:
        problems["name"] = "is longer than 200 characters"
    if source not in PayerSource.values:
        problems["source"] = f"unknown source '{source}'"
    if problems:
        raise InvalidInput("This payer cannot be added.", fields=problems)
    with transaction.atomic():
        payer, created = Payer.objects.get_or_create(slug=slug, defaults={"name": name, "source": source})
    if created:
        transaction.on_commit(payers.forget)
    return payer


def payer_add(*, name: str, slug: str = "") -> Payer:
    """A coordinator adds a payer; its slug is made from the name when not given. A slug that
    is already a payer's is refused naming the field (payer_ensure would quietly return it)."""
    slug = slug.strip().lower() or slugify(" ".join(name.split()))[:40].strip("-")
    existing = Payer.objects.filter(slug=slug).first()
    if existing is not None:
        raise InvalidInput("This payer cannot be added.",
                           fields={"slug": f"'{slug}' is already the code of {existing.name}"})
    return payer_ensure(slug=slug, name=name, source=PayerSource.STAFF)


def payers_seed_restore(*, using: str = "default") -> None:
    """Put back the payers the migration seeded (payers.seeded()) that are missing: after the
    test harness's flush, which empties every table."""
    known = set(Payer.objects.using(using).values_list("slug", flat=True))
    now = timezone.now()
    Payer.objects.using(using).bulk_create([
        Payer(slug=slug, name=name, source=PayerSource.SEED, created_at=now)
        for slug, name in payers.seeded().items() if slug not in known
    ])
    payers.forget()


def _chunks(items: Sequence[object], size: int = _IN_CHUNK) -> list[Sequence[object]]:
    return [items[start:start + size] for start in range(0, len(items), size)]


def _provider_values(record: ProviderRecord) -> dict[str, object]:
    return {
        name: list(getattr(record, name)) if name in _LIST_FIELDS else getattr(record, name)
        for name in PROVIDER_FIELDS
    }


class _Stored:
    """One provider as stored: its id, field values, licenses by key and windows."""

    __slots__ = ("id", "licenses", "values", "windows")

    def __init__(self, pk: int, values: dict[str, object]) -> None:
        self.id = pk
        self.values = values
        self.licenses: dict[tuple[str, str, str], tuple[int, dt.date, str]] = {}  # id, expiry, status
        self.windows: dict[tuple[int, dt.time, dt.time], int] = {}


@dataclass
class _UpsertPlan:
    """Every write an upsert needs, worked out before any is made."""

    create: list[ProviderRecord]
    update: list[tuple[int, dict[str, object]]]  # provider id, the values that changed
    license_create: list[tuple[int, LicenseRecord]]
    license_renew: list[tuple[int, dt.date, bool]]  # license id, its new expiry, whether the source verified it
    license_verify: list[int]  # licenses not yet verified that the source says are verified
    license_delete: list[int]
    window_create: list[tuple[int, WindowRecord]]
    window_delete: list[int]
    # provider id, each changed field's (old, new) value: the profile history of an import
    history: list[tuple[int, dict[str, tuple[object, object]]]] = field(default_factory=list)
    updated: int = 0
    unchanged: int = 0

    @property
    def result(self) -> UpsertResult:
        return UpsertResult(created=len(self.create), updated=self.updated, unchanged=self.unchanged)


def providers_upsert(
    *, records: Sequence[ProviderRecord], dry_run: bool = False,
    verification_source: VerificationSource = VerificationSource.ROSTER,
    new_profiles: Mapping[str, Mapping[str, Any]] | None = None,
) -> UpsertResult:
    """Create or update providers by NPI, with their licenses and weekly windows.

    The record is the truth for each provider: licenses and windows not in it are removed.
    A license whose number and expiry are unchanged keeps its verification; a renewed or
    changed one goes back to unverified. A provider whose record matches what is stored
    is not written at all. When one NPI has several records, the last one is the truth.
    All or nothing: one transaction. With `dry_run`, nothing is written and the result
    counts what the upsert would do.

    A license the record says is verified (`LicenseRecord.verified`) is stored verified,
    now, vouched for by `verification_source`, when it is new, renewed, or not yet
    verified; a rejected license stays rejected (and a renewed rejected one goes back to
    not yet verified), so no import undoes a coordinator's rejection.

    Whole rosters are fast: the stored providers are read in a few queries per 900 NPIs,
    and every write is a batched insert, update or delete.

    `new_profiles` (NPI -> profile fields that records do not carry: pronouns, first
    session, specialties, ...) fills in the profiles of providers this call creates, checked
    by the rules of provider_profile_update; a provider already stored keeps their own. A
    profile that breaks a rule raises InvalidInput naming the NPI and the field.
    """
    latest = list({record.npi: record for record in records}.values())
    if dry_run:
        return _upsert_plan(latest).result
    with transaction.atomic():
        plan = _upsert_plan(latest)
        profiles = _new_profiles(plan.create, new_profiles or {})
        _upsert_apply(plan, verification_source=verification_source, profiles=profiles)
    return plan.result


def _new_profiles(
    created: Sequence[ProviderRecord], wanted: Mapping[str, Mapping[str, Any]],
) -> dict[str, dict[str, Any]]:
    """The profile fields of new providers, cleaned; InvalidInput naming `NPI.field` for any problem."""
    cleaned_all: dict[str, dict[str, Any]] = {}
    problems: dict[str, str] = {}
    for record in created:
        changes = wanted.get(record.npi)
        if not changes:
            continue
        unknown = sorted(set(changes) - set(PROFILE_FIELDS) | set(changes) & set(PROVIDER_FIELDS))
        if unknown:
            raise TypeError(f"not profile fields a record lacks: {', '.join(unknown)}")
        current = Provider(**_provider_values(record))
        cleaned, found = _clean_profile(current, changes)
        problems.update({f"{record.npi}.{name}": problem for name, problem in found.items()})
        cleaned_all[record.npi] = cleaned
    if problems:
        raise InvalidInput.for_fields(problems, summary="Some new profiles are invalid", listing="names_and_problems")
    return cleaned_all


def _stored_providers(npis: Sequence[str]) -> dict[str, _Stored]:
    stored: dict[str, _Stored] = {}
    by_id: dict[int, _Stored] = {}
    for chunk in _chunks(npis):
        rows = Provider.objects.filter(npi__in=chunk).order_by().values_list("pk", "npi", *PROVIDER_FIELDS)
        for pk, npi, *values in rows:
            provider = _Stored(pk, dict(zip(PROVIDER_FIELDS, values, strict=True)))
            stored[npi] = by_id[pk] = provider
    for ids in _chunks(list(by_id)):
        licenses = License.objects.filter(provider_id__in=ids).order_by()
        for pk, provider_id, state, kind, number, expires, status in licenses.values_list(
            "pk", "provider_id", "state", "license_type", "number", "expires", "status"
        ):
            by_id[provider_id].licenses[(state, kind, number)] = (pk, expires, status)
        windows = AvailabilityWindow.objects.filter(provider_id__in=ids).order_by()
        for pk, provider_id, weekday, start, end in windows.values_list("pk", "provider_id", "weekday", "start", "end"):
            by_id[provider_id].windows[(weekday, start, end)] = pk
    return stored


def _upsert_plan(records: Sequence[ProviderRecord]) -> _UpsertPlan:
    stored = _stored_providers([record.npi for record in records])
    plan = _UpsertPlan(
        create=[], update=[], license_create=[], license_renew=[], license_verify=[], license_delete=[],
        window_create=[], window_delete=[],
    )
    for record in records:
        provider = stored.get(record.npi)
        if provider is None:
            plan.create.append(record)
            continue
        # What the source left out is kept as stored: a payer's directory never empties what the
        # provider completed themselves.
        changed = {
            name: value for name, value in _provider_values(record).items()
            if provider.values[name] != value and name not in record.missing and name not in record.kept
        }
        if changed:
            plan.update.append((provider.id, changed))
            before = {name: (provider.values[name], value) for name, value in changed.items()}
            plan.history.append((provider.id, before))
        licenses_touched = ("licenses" not in record.missing
                            and _replace_licenses(provider, record.licenses, plan=plan))
        windows_touched = ("availability" not in record.missing
                           and _replace_windows(provider, record.windows, plan=plan))
        if changed or licenses_touched or windows_touched:
            plan.updated += 1
        else:
            plan.unchanged += 1
    return plan


def _replace_licenses(provider: _Stored, wanted: Sequence[LicenseRecord], *, plan: _UpsertPlan) -> bool:
    """Plans the license writes that make `provider`'s licenses `wanted`; True if there are any."""
    touched = False
    keep: set[tuple[str, str, str]] = set()
    for rec in wanted:
        key = (rec.state, rec.license_type, rec.number)
        have = provider.licenses.get(key)
        if have is None:
            plan.license_create.append((provider.id, rec))
            touched = True
            continue
        keep.add(key)
        pk, expires, status = have
        if expires != rec.expires:
            plan.license_renew.append((pk, rec.expires, rec.verified and status != LicenseStatus.REJECTED))
            touched = True
        elif rec.verified and status == LicenseStatus.UNVERIFIED:
            plan.license_verify.append(pk)
            touched = True
    for key, (pk, *_) in provider.licenses.items():
        if key not in keep:
            plan.license_delete.append(pk)
            touched = True
    return touched


def _replace_windows(provider: _Stored, wanted: Sequence[WindowRecord], *, plan: _UpsertPlan) -> bool:
    """Plans the window writes that make `provider`'s windows `wanted`; True if there are any."""
    want = {(w.weekday, w.start, w.end) for w in wanted}
    if want == provider.windows.keys():
        return False
    plan.window_delete.extend(pk for key, pk in provider.windows.items() if key not in want)
    plan.window_create.extend(
        (provider.id, WindowRecord(*key)) for key in sorted(want - provider.windows.keys())
    )
    return True


def _upsert_apply(
    plan: _UpsertPlan, *, verification_source: VerificationSource, profiles: Mapping[str, Mapping[str, Any]],
) -> None:
    # Deletes first: a window that only changed its end keeps its start, which is unique per provider.
    for ids in _chunks(plan.license_delete):
        License.objects.filter(pk__in=ids).delete()
    for ids in _chunks(plan.window_delete):
        AvailabilityWindow.objects.filter(pk__in=ids).delete()

    _insert_many(Provider, [
        {"npi": record.npi, **_provider_values(record), **profiles.get(record.npi, {}),
         "published": not record.missing}
        for record in plan.create
    ])
    new_ids: dict[str, int] = {}
    for npis in _chunks([record.npi for record in plan.create]):
        new_ids.update(Provider.objects.filter(npi__in=npis).values_list("npi", "pk"))
    license_rows = [*plan.license_create]
    window_rows = [*plan.window_create]
    for record in plan.create:
        pk = new_ids[record.npi]
        license_rows.extend((pk, lic) for lic in record.licenses)
        window_rows.extend((pk, window) for window in record.windows)
    now = timezone.now()
    verified: dict[str, object] = {"status": LicenseStatus.VERIFIED.value, "verified_by_id": None,
                                   "verified_at": now, "verification_source": verification_source.value}
    unverified: dict[str, object] = {"status": LicenseStatus.UNVERIFIED.value, "verified_by_id": None,
                                     "verified_at": None, "verification_source": ""}
    _insert_many(License, [
        {"provider_id": pk, "state": lic.state, "license_type": lic.license_type, "number": lic.number,
         "expires": lic.expires, "issued": lic.issued, **(verified if lic.verified else unverified)}
        for pk, lic in license_rows
    ])
    _insert_many(AvailabilityWindow, [
        {"provider_id": pk, "weekday": w.weekday, "start": w.start, "end": w.end} for pk, w in window_rows
    ])

    by_fields: dict[tuple[str, ...], list[tuple[int, dict[str, object]]]] = {}
    for pk, changed in plan.update:
        by_fields.setdefault(tuple(sorted(changed)), []).append((pk, {**changed, "updated_at": now}))
    for fields, rows in by_fields.items():
        _update_many(Provider, [*fields, "updated_at"], rows)
    renewed = [
        (pk, {"expires": expires, **(verified if vouched else unverified)})
        for pk, expires, vouched in plan.license_renew
    ]
    _update_many(License, ["expires", *unverified], renewed)
    _update_many(License, list(verified), [(pk, verified) for pk in plan.license_verify])
    source = ChangeSource(verification_source.value) if verification_source.value in ChangeSource.values \
        else ChangeSource.ROSTER
    _insert_many(ProfileChange, [
        {"provider_id": pk, "changed_at": now, "by_id": None, "by_email": "", "source": source.value,
         "changes": _change_values(changes)}
        for pk, changes in plan.history
    ])


# Field types whose Python values every database driver takes as they are.
_DRIVER_READY = frozenset({
    "AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField", "FloatField",
    "IntegerField", "PositiveBigIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
    "SmallIntegerField", "TextField",
})


def _column_adapter(field: Field[Any, Any]) -> Callable[[Any], Any]:
    """Turns a Python value of `field` into what the database driver takes."""
    stored_as = field.target_field if field.is_relation else field  # type: ignore[attr-defined]
    # Only Django's own fields: a field of carematch's (an encrypted text) prepares its value itself.
    if stored_as.get_internal_type() in _DRIVER_READY and type(stored_as).__module__.startswith("django."):
        return lambda value: value
    # The connection itself: `django.db.connection` is a proxy that costs a lookup per use.
    db = transaction.get_connection()
    prepare = field.get_db_prep_save
    return lambda value: prepare(value, db)


def _insert_many(model: type[Model], rows: Sequence[dict[str, object]]) -> None:
    """INSERT `rows` (attribute name -> value; the others take their defaults) with one
    prepared statement run for every row.

    Cheaper than bulk_create, which builds the SQL of every row again (and, on SQLite,
    batches only as many rows as 999 parameters allow): writing 20,000 new providers with
    their licenses and windows took 2.5 s against 6.2 s with bulk_create/bulk_update on
    SQLite; on PostgreSQL the two were about as fast, and COPY (used there) is faster than
    either. Sends no signals and returns no ids.
    tests/test_bulk_writes.py round-trips every column of the tables written this way.
    """
    if not rows:
        return
    now = timezone.now()
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    defaults = [
        now if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False) else field.get_default()
        for field in fields
    ]
    adapters = [_column_adapter(field) for field in fields]
    names = [field.attname for field in fields]
    db = transaction.get_connection()
    quote = db.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    params = [
        [adapt(row.get(name, default)) for name, default, adapt in zip(names, defaults, adapters, strict=True)]
        for row in rows
    ]
    if db.vendor == "postgresql":
        # COPY: the rows stream to the server in one command, with no statement per row. The
        # driver's own cursor is used, so its errors are turned into Django's (IntegrityError
        # for a broken constraint) as every other statement's are.
        with db.wrap_database_errors, db.cursor() as cursor, cursor.cursor.copy(
            f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"  # names from the model, quoted
        ) as copy:
            for values in params:
                copy.write_row(values)
        return
    # Table and column names come from the model, quoted; every value travels as a parameter.
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
    _execute_many(sql, params)


def _update_many(model: type[Model], names: Sequence[str], rows: Sequence[tuple[int, dict[str, object]]]) -> None:
    """UPDATE the fields `names` (attribute names) of the rows with these ids, one prepared statement for all."""
    if not rows:
        return
    by_name = {field.attname: field for field in model._meta.concrete_fields}
    key = next(field for field in by_name.values() if field.primary_key)
    fields = [by_name[name] for name in names]
    adapters = [_column_adapter(field) for field in fields]
    quote = transaction.get_connection().ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    # Table and column names come from the model, quoted; every value travels as a parameter.
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(key.column)} = %s"  # noqa: S608
    params = [
        [*(adapt(values[name]) for name, adapt in zip(names, adapters, strict=True)), pk] for pk, values in rows
    ]
    _execute_many(sql, params)


def _execute_many(sql: str, params: list[list[Any]]) -> None:
    with transaction.get_connection().cursor() as cursor:
        for start in range(0, len(params), _WRITE_BATCH):
            cursor.executemany(sql, params[start:start + _WRITE_BATCH])


def license_set_status(*, license: License, status: str, by: User) -> License:
    """A coordinator marks a license verified or rejected (or back to unverified).

    Matching reads the change at once: only a verified license counts (unless the
    deployment lets unverified ones count).
    """
    if status not in LicenseStatus.values:
        raise InvalidInput(
            f"Status must be one of: {', '.join(LicenseStatus.values)}.", fields={"status": "unknown status"}
        )
    decided = status != LicenseStatus.UNVERIFIED
    license.status = status
    license.verified_by = by if decided else None
    license.verified_at = timezone.now() if decided else None
    license.verification_source = VerificationSource.COORDINATOR if decided else ""
    with transaction.atomic():
        license.save(update_fields=["status", "verified_by", "verified_at", "verification_source"])
        if status == LicenseStatus.VERIFIED:
            # The last step of a claimed profile: verified by a coordinator, it is published.
            provider_publish_if_ready(provider=license.provider, by=by)
    return license


def provider_publication_problems(*, provider: Provider, day: dt.date | None = None) -> dict[str, str]:
    """What keeps a provider from being published (field -> what to do); empty when nothing does."""
    from .selectors import provider_missing_fields

    labels = {
        "taxonomy": "a behavioural-health specialty (NUCC code) is needed; ask your coordinator",
        "languages": "add the languages you see clients in", "concerns": "add the concerns you treat",
        "populations": "add who you see", "approaches": "add your approaches",
        "formats": "say how you see clients", "availability": "add your weekly hours",
        "timezone": "add your time zone", "self_pay_rate": "add your fee",
        "licenses": "complete your licence: its number and expiry date",
    }
    problems = {name: labels[name] for name in provider_missing_fields(provider=provider)}
    today = day or timezone.localdate()
    if "licenses" not in problems and not any(
        lic.status == LicenseStatus.VERIFIED and not lic.expired_on(today) for lic in provider.licenses.all()
    ):
        problems["licenses"] = "a coordinator verifies your licence first"
    return problems


def provider_publish_if_ready(*, provider: Provider, by: User | None) -> bool:
    """Publish an unpublished provider whose profile is complete and who holds a licence a
    coordinator (or their directory) verified: from then on they are matched and bookable.
    Recorded in the profile history. Returns whether they were published now."""
    with transaction.atomic():
        current = Provider.objects.select_for_update().get(pk=provider.pk)
        if current.published or provider_publication_problems(provider=current):
            return False
        current.published = True
        current.save(update_fields=["published", "updated_at"])
        profile_change_record(provider=current, changes={"published": (False, True)}, by=by,
                              source=_change_source(by, None))
    return True


def provider_licence_complete(
    *, provider: Provider, state: str, license_type: str, number: str, expires: str | dt.date, by: User | None,
) -> License:
    """A provider completes a licence their directory listed without its number or expiry
    date (or adds one): stored not yet verified, for a coordinator to verify. The licence of
    that state is no longer listed as to be completed. InvalidInput names the field."""
    try:
        record = validation.clean_license(state, license_type, number, expires)
    except validation.FieldError as exc:
        raise InvalidInput(f"The licence is not valid: {exc}.", fields={"licence": str(exc)}) from None
    if record.expires < timezone.localdate():
        raise InvalidInput("That licence has expired.", fields={"expires": "is in the past"})
    with transaction.atomic():
        current = Provider.objects.select_for_update().get(pk=provider.pk)
        licence, _ = License.objects.get_or_create(
            provider=current, state=record.state, license_type=record.license_type, number=record.number,
            defaults={"expires": record.expires},
        )
        pending = [item for item in current.pending_qualifications if item.get("state") != record.state]
        changes: dict[str, tuple[Any, Any]] = {"licenses": (None, f"{record.state} {record.license_type}")}
        if pending != current.pending_qualifications:
            current.pending_qualifications = pending
            current.save(update_fields=["pending_qualifications", "updated_at"])
        profile_change_record(provider=current, changes=changes, by=by or current.user,
                              source=_change_source(by, None))
    return licence


def licenses_mark_verified(
    *, keys: Sequence[tuple[str, str, str, str]], source: VerificationSource, now: dt.datetime | None = None,
) -> int:
    """Mark verified, vouched for by `source`, the licenses among `keys` (NPI, state, type,
    number) that are not yet verified; rejected and verified ones are left as they are.
    Returns how many changed."""
    now = now or timezone.now()
    wanted: dict[str, set[tuple[str, str, str]]] = {}
    for npi, state, kind, number in keys:
        wanted.setdefault(npi, set()).add((state, kind, number))
    changed: list[int] = []
    with transaction.atomic():
        for npis in _chunks(sorted(wanted)):
            rows = License.objects.filter(provider__npi__in=npis, status=LicenseStatus.UNVERIFIED).order_by()
            for pk, npi, state, kind, number in rows.values_list(
                "pk", "provider__npi", "state", "license_type", "number"
            ):
                if (state, kind, number) in wanted[npi]:
                    changed.append(pk)
        values: dict[str, object] = {"status": LicenseStatus.VERIFIED.value, "verified_by_id": None,
                                     "verified_at": now, "verification_source": source.value}
        _update_many(License, list(values), [(pk, values) for pk in changed])
    return len(changed)


def licenses_set_statuses(
    *, statuses: Mapping[tuple[str, str, str, str], tuple[str, dt.datetime | None]], source: VerificationSource,
    now: dt.datetime | None = None,
) -> int:
    """Set the verification a source states for licenses, by (NPI, state, type, number):
    (status, when). A verified or rejected license is stored as vouched for by `source`, at
    `when` (or now), with no coordinator; one stated not yet verified loses its
    verification. Licenses already in the stated status, and keys of no stored license, are
    left alone. Returns how many changed."""
    unknown = sorted({status for status, _ in statuses.values()} - set(LicenseStatus.values))
    if unknown:
        raise InvalidInput(f"Status must be one of: {', '.join(LicenseStatus.values)}.",
                           fields={"status": f"unknown status {unknown[0]!r}"})
    now = now or timezone.now()
    changes: list[License] = []
    with transaction.atomic():
        for npis in _chunks(sorted({npi for npi, *_ in statuses})):
            rows = License.objects.filter(provider__npi__in=npis).order_by().values_list(
                "pk", "provider__npi", "state", "license_type", "number", "status"
            )
            for pk, npi, state, kind, number, status in rows:
                want = statuses.get((npi, state, kind, number))
                if want is None or want[0] == status:
                    continue
                decided = want[0] != LicenseStatus.UNVERIFIED
                changes.append(License(
                    pk=pk, status=want[0], verified_by=None, verified_at=(want[1] or now) if decided else None,
                    verification_source=source if decided else "",
                ))
        License.objects.bulk_update(changes, ["status", "verified_by", "verified_at", "verification_source"],
                                    batch_size=_WRITE_BATCH)
    return len(changes)


@dataclass(frozen=True)
class DirectoryDetails:
    """What a directory lists for one provider beyond their record (plain dicts, as mapped):
    offices, endpoints, networks (key, name, payer_name, payer) and licences still missing
    a number or expiry date (state, type, number, start, end)."""

    locations: list[dict[str, Any]] = field(default_factory=list)
    endpoints: list[dict[str, Any]] = field(default_factory=list)
    networks: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, str]] = field(default_factory=list)


def _payer_of(name: str) -> str:
    """The slug of the payer named `name` by a directory, made a new payer record (source
    fhir) when carematch does not know it; "" when the name cannot make a slug."""
    from django.utils.text import slugify

    slug = slugify(name)[:40].strip("-_")
    if not slug or not validation.PAYER_SLUG.fullmatch(slug):
        return ""
    return payer_ensure(slug=slug, name=name[:200], source=PayerSource.FHIR).slug


def directory_details_set(*, details: Mapping[str, DirectoryDetails]) -> None:
    """Store, by NPI, the offices, endpoints, networks and licences to complete a directory
    lists. Offices and endpoints are the directory's: those given replace the stored ones.
    Networks are found or created by key: a new one stands for the payer found for it, or,
    when carematch does not know that payer, for a new payer record named from the network's
    payer Organization (payer_ensure); a network already stored keeps the payer a coordinator
    mapped it to. The provider joins each, and takes each network's payer into their insurance. A
    licence to complete is dropped once the provider holds a licence in that state.
    Providers must exist. In one transaction."""
    from .models import Network, ProviderEndpoint, ProviderLocation

    with transaction.atomic():
        providers = {p.npi: p for p in Provider.objects.select_for_update().filter(npi__in=list(details))}
        held: dict[int, set[str]] = {}  # the states each provider holds a complete licence in
        for provider_id, state in License.objects.filter(provider__in=providers.values()).values_list(
                "provider_id", "state"):
            held.setdefault(provider_id, set()).add(state)
        for npi, detail in details.items():
            provider = providers[npi]
            if detail.locations:
                ProviderLocation.objects.filter(provider=provider).delete()
                ProviderLocation.objects.bulk_create(
                    [ProviderLocation(provider=provider, **place) for place in detail.locations])
            if detail.endpoints:
                ProviderEndpoint.objects.filter(provider=provider).delete()
                ProviderEndpoint.objects.bulk_create(
                    [ProviderEndpoint(provider=provider, **endpoint) for endpoint in detail.endpoints])
            pending = [item for item in detail.pending if item.get("state", "") not in held.get(provider.pk, set())]
            accepted = list(provider.insurance)
            for info in detail.networks:
                network = Network.objects.filter(key=info["key"]).first()
                created = network is None
                if network is None:
                    network = Network.objects.create(key=info["key"], name=info["name"],
                                                     payer_name=info["payer_name"],
                                                     payer=info["payer"] or _payer_of(info["payer_name"]))
                if not created and (network.name, network.payer_name) != (info["name"], info["payer_name"]):
                    Network.objects.filter(pk=network.pk).update(name=info["name"], payer_name=info["payer_name"])
                network.providers.add(provider)
                if network.payer and network.payer not in accepted:
                    accepted.append(network.payer)
            changed: dict[str, Any] = {}
            if pending != provider.pending_qualifications:
                changed["pending_qualifications"] = pending
            if accepted != provider.insurance:
                changed["insurance"] = accepted
            if changed:
                if pending and provider.published:
                    changed["published"] = False  # a licence to complete again: not matched until it is
                Provider.objects.filter(pk=provider.pk).update(**changed, updated_at=timezone.now())


def provider_account_link(*, npi: str, user: User) -> bool:
    """Link a login account to the provider with this NPI, so that they keep their own
    profile and availability. Nothing changes when the account already belongs to a
    provider or the provider already has an account. Returns whether it was linked."""
    with transaction.atomic():
        if Provider.objects.filter(user=user).exists():
            return False
        return Provider.objects.filter(npi=npi, user__isnull=True).update(user=user) == 1


# --- Provider self-service: profile, weekly windows, time off ---------------------------------

PROFILE_FIELDS = (
    "bio", "pronouns", "first_session", "years_in_practice", "education", "specialties", "concerns", "approaches",
    "communities", "populations", "languages", "formats", "insurance", "self_pay_rate", "sliding_scale_min",
    "sliding_scale_max", "accepting_new", "min_notice_hours", "works_holidays", "video_link", "offers_consultations",
    "consultation_formats", "clients_book_series", "timezone",
)
# Shown to anyone on the public profile, so their old and new values go into the history.
PUBLIC_FIELDS = frozenset({
    "first_name", "last_name", "credentials", "taxonomy", "gender", "bio", "pronouns", "first_session",
    "years_in_practice", "education", "specialties", "concerns", "approaches", "communities", "populations",
    "languages", "formats", "insurance", "self_pay_rate", "sliding_scale_min", "sliding_scale_max", "accepting_new",
    "min_notice_hours", "works_holidays", "timezone", "photo", "offers_consultations", "consultation_formats",
})
# As in validation.build_provider_record: every vocabulary list but these needs at least one entry.
_OPTIONAL_LISTS = frozenset({"approaches", "insurance"})
MAX_BIO_CHARS = validation.MAX_BIO_CHARS
_TEXT_LIMITS = {
    "bio": (validation.MAX_BIO_CHARS, False),
    "first_session": (validation.MAX_FIRST_SESSION_CHARS, False),
    "pronouns": (validation.MAX_PRONOUNS_CHARS, True),
    "education": (validation.MAX_EDUCATION_CHARS, True),
}
MAX_NOTE_CHARS = 200
TIME_OFF_HORIZON = dt.timedelta(days=2 * 366)


def _items(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(item) for item in value]


def _clean_profile(current: Provider, changes: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Each changed profile field cleaned, and the problems found (by field), including those of
    the profile as it would be after the change (_check_profile)."""
    cleaned: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, value in changes.items():
        try:
            cleaned[name] = _clean_profile_field(name, value)
        except validation.FieldError as exc:
            problems[name] = str(exc)
    _check_profile(current, cleaned, problems)
    return cleaned, problems


def _clean_profile_field(name: str, value: Any) -> Any:
    if name in validation.VOCABULARIES or name == "languages":
        items = _items(value)
        if name == "languages":
            return list(validation.clean_languages(items))
        return list(validation.clean_slugs(name, items, required=name not in _OPTIONAL_LISTS))
    if name == "communities":
        return list(validation.clean_communities(_items(value)))
    if name == "specialties":
        return _items(value)  # checked against the concerns once those are known
    if name in {"self_pay_rate", "min_notice_hours"}:
        what, most = ("US dollars", validation.MAX_SELF_PAY) if name == "self_pay_rate" else (
            "hours", validation.MAX_NOTICE_HOURS)
        if not str(value).strip():
            raise validation.FieldError(f"enter a whole number of {what}")
        return validation.clean_whole_number(value, what=what, maximum=most)
    if name in {"sliding_scale_min", "sliding_scale_max"}:
        return validation.clean_optional_number(value, what="US dollars", maximum=validation.MAX_SELF_PAY)
    if name == "years_in_practice":
        return validation.clean_optional_number(value, what="years", maximum=validation.MAX_YEARS_IN_PRACTICE)
    if name in {"accepting_new", "works_holidays", "offers_consultations", "clients_book_series"}:
        return validation.clean_bool(value)
    if name == "video_link":
        return validation.clean_video_link(value, limit=VIDEO_LINK_MAX_LENGTH)
    if name == "consultation_formats":
        return list(validation.clean_consultation_formats(_items(value)))
    if name == "timezone":
        return validation.clean_timezone(str(value))
    limit, one_line = _TEXT_LIMITS[name]
    return validation.clean_text(str(value), limit=limit, one_line=one_line)


def _check_profile(current: Provider, cleaned: dict[str, Any], problems: dict[str, str]) -> None:
    """The rules between fields, on the profile as it would be after the change."""
    def after(name: str) -> Any:
        return cleaned[name] if name in cleaned else getattr(current, name)

    if after("offers_consultations") and not after("consultation_formats") and \
            "consultation_formats" not in problems:
        problems["consultation_formats"] = "choose how the free consultation call happens: by phone, online or both"
    if "in_person" in cleaned.get("formats", ()) and not current.zip:
        problems["formats"] = "in-person sessions need an office ZIP code on file; ask your coordinator to add it"
    if "concerns" not in problems:
        if "specialties" in cleaned:
            try:
                cleaned["specialties"] = list(validation.clean_specialties(cleaned["specialties"],
                                                                           concerns=after("concerns")))
            except validation.FieldError as exc:
                problems["specialties"] = str(exc)
        elif "concerns" in cleaned:
            # A concern no longer helped with is no longer a specialty.
            kept = [slug for slug in current.specialties if slug in cleaned["concerns"]]
            if kept != current.specialties:
                cleaned["specialties"] = kept
    if {"sliding_scale_min", "sliding_scale_max", "self_pay_rate"} & problems.keys():
        return
    low, high, rate = after("sliding_scale_min"), after("sliding_scale_max"), after("self_pay_rate")
    if rate is None:
        rate = validation.MAX_SELF_PAY  # no fee stated yet (an imported provider): the scale alone is checked
    if (low is None) != (high is None):
        missing = "sliding_scale_max" if high is None else "sliding_scale_min"
        problems[missing] = "give both ends of the sliding scale, or neither"
    elif low is not None and high is not None:
        if low > high:
            problems["sliding_scale_min"] = f"${low} is more than the top of the sliding scale (${high})"
        elif high > rate:
            name = "sliding_scale_max" if "sliding_scale_max" in cleaned else "self_pay_rate"
            problems[name] = (f"the sliding scale goes up to ${high}, more than the self-pay rate (${rate})"
                              if name == "sliding_scale_max" else
                              f"is less than the top of your sliding scale (${high}); change the sliding scale too")


def _change_source(by: User | None, source: ChangeSource | None) -> ChangeSource:
    if source is not None:
        return source
    if by is not None and by.role in STAFF_ROLES:
        return ChangeSource.COORDINATOR
    return ChangeSource.PROVIDER


def profile_change_record(
    *, provider: Provider, changes: Mapping[str, tuple[Any, Any]], by: User | None, source: ChangeSource,
    now: dt.datetime | None = None,
) -> ProfileChange | None:
    """Record one change to a provider's profile (field -> (old, new)); values of fields that
    are not public are left out. Nothing is recorded when nothing changed."""
    if not changes:
        return None
    return ProfileChange.objects.create(
        provider=provider, changed_at=now or timezone.now(), by=by, by_email=by.email if by else "",
        source=source, changes=_change_values(changes),
    )


def _change_values(changes: Mapping[str, tuple[Any, Any]]) -> dict[str, Any]:
    return {
        name: {"old": old, "new": new} if name in PUBLIC_FIELDS else {"old": None, "new": None}
        for name, (old, new) in sorted(changes.items())
    }


def provider_profile_update(
    *, provider: Provider, by: User | None = None, source: ChangeSource | None = None, **changes: Any
) -> Provider:
    """A provider, or a coordinator for them, changes what clients see (the fields in
    PROFILE_FIELDS). Live at once, and recorded in the provider's history (ProfileChange):
    who (`by`; None for the provider's own account, or an import given as `source`), when, and
    each field's old and new value.

    Every field is checked with the directory's shared rules and every problem is reported
    at once; nothing is written unless all of them pass.
    """
    unknown = sorted(set(changes) - set(PROFILE_FIELDS))
    if unknown:
        raise TypeError(f"not profile fields: {', '.join(unknown)}")
    with transaction.atomic():
        current = Provider.objects.select_for_update().get(pk=provider.pk)
        cleaned, problems = _clean_profile(current, changes)
        if problems:
            raise InvalidInput.for_fields(problems, summary="Some profile fields are missing or invalid",
                                          listing="names_and_problems")
        changed = {name: (getattr(current, name), value) for name, value in cleaned.items()
                   if getattr(current, name) != value}
        for name, (_, value) in changed.items():
            setattr(current, name, value)
        if changed:
            current.save(update_fields=[*changed, "updated_at"])
            profile_change_record(provider=current, changes=changed, by=by or current.user,
                                  source=_change_source(by, source))
            if not current.published and provider_publish_if_ready(provider=current, by=by or current.user):
                current.published = True
    return current


def _photo_by(by: User | None, provider: Provider) -> User | None:
    return by if by is not None else provider.user


def provider_photo_set(*, provider: Provider, file: IO[bytes], size: int | None = None,
                       by: User | None = None, source: ChangeSource | None = None) -> Provider:
    """Replace (or add) a provider's photo with an uploaded file, handled as untrusted
    (carematch/directory/photos.py): decoded, checked, stripped of every metadata and stored
    re-encoded at two sizes under new random names. The old files are deleted once the change
    is committed; the change is recorded in the provider's history.

    A file that is not a photo carematch keeps raises InvalidInput naming `photo`; nothing is
    stored then."""
    try:
        data = photos.read_limited(file, size=size)
        encoded = photos.reencode(data)
    except photos.PhotoRejected as exc:
        problem = f"This file {exc}"
        raise InvalidInput(f"The photo was not saved: {problem[:1].lower()}{problem[1:]}.",
                           fields={"photo": problem}) from None
    large, small = photos.store(encoded)
    try:
        with transaction.atomic():
            current = Provider.objects.select_for_update().get(pk=provider.pk)
            old = (current.photo, current.photo_small)
            current.photo, current.photo_small = large, small
            current.save(update_fields=["photo", "photo_small", "updated_at"])
            who = _photo_by(by, current) if source is None else by
            profile_change_record(provider=current, changes={"photo": (old[0], large)},
                                  by=who, source=_change_source(by, source))
            transaction.on_commit(lambda: photos.delete(*old))
    except BaseException:
        photos.delete(large, small)
        raise
    return current


def provider_photo_remove(*, provider: Provider, by: User | None = None) -> Provider:
    """Remove a provider's photo (their initials are shown instead); recorded in the history,
    and the files deleted once the change is committed. Nothing changes when there is none."""
    with transaction.atomic():
        current = Provider.objects.select_for_update().get(pk=provider.pk)
        if not current.photo:
            return current
        old = (current.photo, current.photo_small)
        current.photo = current.photo_small = ""
        current.save(update_fields=["photo", "photo_small", "updated_at"])
        profile_change_record(provider=current, changes={"photo": (old[0], "")}, by=_photo_by(by, current),
                              source=_change_source(by, None))
        transaction.on_commit(lambda: photos.delete(*old))
    return current


_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _weekday_number(value: int | str) -> int:
    text = str(value).strip().lower()
    if text.isdigit() and int(text) < len(vocab.WEEKDAYS):
        return int(text)
    for names in (vocab.WEEKDAYS, _DAY_NAMES):
        if text in names:
            return names.index(text)
    raise validation.FieldError("choose a day from Monday to Sunday")


def _clock_time(value: dt.time | str) -> dt.time:
    if isinstance(value, dt.time):
        if value.tzinfo is not None or value.second or value.microsecond:
            raise validation.FieldError(f"'{value}' is not a time HH:MM in your own time zone")
        return value
    return validation.clean_time(value)


def availability_window_add(
    *, provider: Provider, weekday: int | str, start: dt.time | str, end: dt.time | str
) -> AvailabilityWindow:
    """A provider adds a weekly window of working hours, in their own time zone.

    Refused when it ends before it starts or overlaps one of their other windows.
    """
    problems: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    steps: list[tuple[str, Callable[[Any], Any], Any]] = [
        ("weekday", _weekday_number, weekday), ("start", _clock_time, start), ("end", _clock_time, end),
    ]
    for name, parse, value in steps:
        try:
            parsed[name] = parse(value)
        except validation.FieldError as exc:
            problems[name] = str(exc)
    if problems:
        raise InvalidInput("The window is not valid.", fields=problems)
    day = vocab.WEEKDAYS[parsed["weekday"]]
    try:
        window = validation.clean_window(day, f"{parsed['start']:%H:%M}", f"{parsed['end']:%H:%M}")
    except validation.FieldError:
        problem = f"must be later than the start time ({parsed['start']:%H:%M})"
        raise InvalidInput(f"The window {problem}.", fields={"end": problem}) from None
    length = dt.datetime.combine(dt.date.min, window.end) - dt.datetime.combine(dt.date.min, window.start)
    if length < SESSION:
        # Openings start at a window's start and run a whole session (carematch/lib/sessions.py):
        # a shorter window could never offer one, and would look like hours that nobody can book.
        session_minutes, minutes = SESSION // dt.timedelta(minutes=1), length // dt.timedelta(minutes=1)
        problem = (f"a window must be at least {session_minutes} minutes long to hold a session "
                   f"(this one is {minutes} minutes)")
        raise InvalidInput(problem[:1].upper() + problem[1:] + ".", fields={"end": problem})
    try:
        with transaction.atomic():
            Provider.objects.select_for_update().get(pk=provider.pk)  # one change to a provider's windows at a time
            existing = [
                WindowRecord(w.weekday, w.start, w.end) for w in AvailabilityWindow.objects.filter(provider=provider)
            ]
            if window in existing:
                raise InvalidInput("You already have these hours.", fields={"start": "you already have these hours"})
            for other in existing:
                try:
                    validation.check_windows([other, window])
                except validation.FieldError:
                    problem = f"overlaps your hours on {_window_text(other)}"
                    raise InvalidInput(f"These hours {problem}.", fields={"start": problem}) from None
            added = AvailabilityWindow.objects.create(
                provider=provider, weekday=window.weekday, start=window.start, end=window.end
            )
            if not provider.published:
                provider_publish_if_ready(provider=provider, by=provider.user)
            return added
    except IntegrityError:
        # Another request added a window with the same start at the same moment.
        problem = f"you already have hours starting at {window.start:%H:%M} on {_DAY_NAMES[window.weekday].title()}"
        raise InvalidInput(problem, fields={"start": problem}) from None


def _window_text(window: WindowRecord) -> str:
    return f"{_DAY_NAMES[window.weekday].title()} {window.start:%H:%M} to {window.end:%H:%M}"


def availability_window_remove(*, provider: Provider, window_id: int) -> None:
    """A provider removes one of their own windows; anyone else's is not found."""
    with transaction.atomic():
        deleted, _ = AvailabilityWindow.objects.filter(provider=provider, pk=window_id).delete()
    if not deleted:
        raise NotFound("That availability window does not exist.")


def time_off_add(
    *, provider: Provider, start: dt.datetime, end: dt.datetime, note: str = "", now: dt.datetime | None = None
) -> TimeOff:
    """A provider blocks time they are away; stored in UTC. The note is private."""
    now = now or timezone.now()
    problems: dict[str, str] = {}
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None or value.utcoffset() is None:
            problems[name] = "must say which time zone it is in"
        elif not now - TIME_OFF_HORIZON <= value <= now + TIME_OFF_HORIZON:
            problems[name] = "must be within two years of today"
    if not problems:
        if end <= start:
            problems["end"] = "must be later than the start"
        elif end <= now:
            problems["end"] = "that time off is already over; only time off still to come can block openings"
    note = " ".join(note.split())
    if len(note) > MAX_NOTE_CHARS:
        problems["note"] = f"is longer than {MAX_NOTE_CHARS} characters ({len(note)})"
    if problems:
        raise InvalidInput("The time off is not valid.", fields=problems)
    with transaction.atomic():
        return TimeOff.objects.create(
            provider=provider, start=start.astimezone(dt.UTC), end=end.astimezone(dt.UTC), note=note
        )


def time_off_remove(*, provider: Provider, time_off_id: int) -> None:
    """A provider removes one of their own periods of time off; anyone else's is not found."""
    with transaction.atomic():
        deleted, _ = TimeOff.objects.filter(provider=provider, pk=time_off_id).delete()
    if not deleted:
        raise NotFound("That time off does not exist.")


# --- Billing details ---------------------------------------------------------------------------
# A provider's tax id, printed on the superbills of clients who pay out of network: an EIN
# (12-3456789) or, for a provider who has none, an SSN (123-45-6789), in the IRS's formats.
_EIN = re.compile(r"^(\d{2})-?(\d{7})$")
_SSN = re.compile(r"^(\d{3})-?(\d{2})-?(\d{4})$")


def tax_id_problem(value: str) -> str | None:
    """Why `value` is not an EIN or SSN in its format, or None."""
    text = value.strip()
    if _EIN.match(text) and text[:2] not in ("00", "07", "08", "09", "17", "18", "19", "28", "29", "49", "69",
                                             "70", "78", "79", "89", "96", "97"):
        return None
    ssn = _SSN.match(text)
    if ssn and ssn.group(1) not in ("000", "666") and not ssn.group(1).startswith("9") and ssn.group(2) != "00" \
            and ssn.group(3) != "0000":
        return None
    return "Enter an EIN (12-3456789) or an SSN (123-45-6789)."


def normalised_tax_id(value: str) -> str:
    text = value.strip()
    ein = _EIN.match(text)
    if ein:
        return f"{ein.group(1)}-{ein.group(2)}"
    ssn = _SSN.match(text)
    return f"{ssn.group(1)}-{ssn.group(2)}-{ssn.group(3)}" if ssn else text


def provider_tax_id_set(*, provider: Provider, tax_id: str) -> Provider:
    """Record (or, with '', clear) the provider's tax id; InvalidInput names the field."""
    text = (tax_id or "").strip()
    if text and tax_id_problem(text):
        raise InvalidInput.for_fields({"tax_id": tax_id_problem(text) or ""})
    with transaction.atomic():
        provider.tax_id = normalised_tax_id(text) if text else ""
        provider.save(update_fields=["tax_id", "updated_at"])
    return provider


# --- Providers claim their profile -------------------------------------------------------------
# A provider imported from a payer's directory gets an emailed link (profile_invitations_send);
# following it, they confirm their NPI and their date of birth or licence number on file, and set
# a password (profile_claim); the log-in then asks them to set up an authenticator app, and their
# profile and availability pages to complete what is missing. A coordinator verifies the licence,
# which publishes the profile (provider_publish_if_ready).

CLAIM_FAILURE_LIMIT = 5  # wrong answers for one link within the throttle's window lock it
CLAIM_ADDRESS_FAILURE_LIMIT = 20
CLAIM_LINK_NO_LONGER_WORKS = {
    "used": "This link has been used already: it works once. Log in with the email and password you chose.",
    "expired": "This link is more than 14 days old. Ask your coordinator for a new one.",
    "unknown": "This link does not work: check that you copied all of it, or ask your coordinator for a new one.",
}
CLAIM_NOT_CONFIRMED = ("The NPI and the date of birth or licence number do not match what we have on file. "
                       "Check them and try again.")
CLAIM_TOO_MANY = "Too many attempts with this link. Please wait 15 minutes and try again."


@dataclass(frozen=True)
class InvitationsSent:
    invited: list[str]  # NPIs sent a link to claim their profile
    reminded: list[str]  # NPIs with an account already, sent a link to their profile
    skipped: list[tuple[str, str]]  # NPI, why nothing was sent


def _identity_on_file(provider: Provider) -> bool:
    numbers = [lic.number for lic in provider.licenses.all()] + [
        str(item.get("number", "")) for item in provider.pending_qualifications]
    return provider.birth_date is not None or any(number.strip() for number in numbers)


def provider_contact_set(*, provider: Provider, email: str, birth_date: dt.date | None, by: User | None,
                         now: dt.datetime | None = None) -> Provider:
    """A coordinator records where a provider's link to claim their profile goes (`email`) and
    the date of birth that confirms who follows it (or None to leave it unknown). Both stay
    private: the profile's history says that they changed, never their values. InvalidInput
    names each field that is wrong and nothing is written."""
    now = now or timezone.now()
    problems: dict[str, str] = {}
    try:
        cleaned_email = validation.clean_email(email or "")
    except validation.FieldError as exc:
        problems["email"] = str(exc)
    if birth_date is not None:
        today = timezone.localdate(now)
        age = today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))
        if not 18 <= age <= 100:
            problems["birth_date"] = "must be the date of birth of an adult (18 to 100 years old)"
    if problems:
        raise InvalidInput.for_fields(problems)
    changes: dict[str, tuple[Any, Any]] = {}
    if cleaned_email != provider.email:
        changes["email"] = (provider.email, cleaned_email)
    if birth_date != provider.birth_date:
        changes["birth_date"] = (provider.birth_date, birth_date)
    if not changes:
        return provider
    with transaction.atomic():
        provider.email, provider.birth_date = cleaned_email, birth_date
        provider.save(update_fields=["email", "birth_date", "updated_at"])
        profile_change_record(provider=provider, changes=changes, by=by, source=_change_source(by, None), now=now)
    return provider


def profile_invitations_send(
    *, providers: Sequence[Provider], by: User | None, now: dt.datetime | None = None,
) -> InvitationsSent:
    """Email each provider a single-use link to claim their profile, valid 14 days (its token
    kept only as a digest); a provider who already has an account gets a link to their profile
    instead. Nothing is sent to a provider without an email address, or without a date of
    birth or licence number on file to confirm who follows the link. Each sending is recorded
    in the provider's profile history."""
    from carematch.accounts.services import token_digest

    from .models import PROFILE_INVITATION_VALID_FOR, ProfileInvitation

    now = now or timezone.now()
    invited: list[str] = []
    reminded: list[str] = []
    skipped: list[tuple[str, str]] = []
    for provider in providers:
        if provider.user_id is not None:
            _send_email("profile_link", to=provider.user.email if provider.user else provider.email,
                        context={"path": "/provider/profile/"})
            profile_change_record(provider=provider, changes={"invitation": (None, "profile link sent")}, by=by,
                                  source=_change_source(by, None), now=now)
            reminded.append(provider.npi)
            continue
        if not provider.email:
            skipped.append((provider.npi, "no email address on file"))
            continue
        if not _identity_on_file(provider):
            skipped.append((provider.npi, "no date of birth or licence number on file to confirm who claims it"))
            continue
        raw = secrets.token_urlsafe(32)
        with transaction.atomic():
            ProfileInvitation.objects.create(
                provider=provider, token_digest=token_digest(raw), sent_to=provider.email, sent_by=by,
                created_at=now, expires_at=now + PROFILE_INVITATION_VALID_FOR,
            )
            profile_change_record(provider=provider, changes={"invitation": (None, "claim link sent")}, by=by,
                                  source=_change_source(by, None), now=now)
        _send_email("profile_invitation", to=provider.email, context={"path": f"/claim/{raw}/"})
        invited.append(provider.npi)
    return InvitationsSent(invited, reminded, skipped)


def _send_email(template: str, *, to: str, context: dict[str, Any]) -> None:
    from django.conf import settings
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    context = context | {"site_url": settings.SITE_URL}
    subject = render_to_string(f"directory/email/{template}_subject.txt", context).strip()
    send_mail(subject, render_to_string(f"directory/email/{template}.txt", context), None, [to])


def profile_invitation_find(*, raw_token: str, now: dt.datetime | None = None) -> tuple[Any, str]:
    """The invitation of a link and "" when it can be used, else (None or the invitation, and
    why not: "unknown", "used" or "expired")."""
    from carematch.accounts.services import token_digest

    from .models import ProfileInvitation

    now = now or timezone.now()
    if not raw_token or len(raw_token) > 100:
        return None, "unknown"
    found = ProfileInvitation.objects.select_related("provider").filter(token_digest=token_digest(raw_token)).first()
    if found is None:
        return None, "unknown"
    if found.used_at is not None:
        return found, "used"
    if found.expires_at <= now:
        return found, "expired"
    return found, ""


def _claim_refused(*, digest: str, address: str, now: dt.datetime) -> bool:
    from carematch.accounts import throttle
    from carematch.accounts.models import LoginAttempt

    recent = LoginAttempt.objects.filter(kind=LoginAttempt.Kind.PROFILE_CLAIM, succeeded=False,
                                         attempted_at__gt=now - throttle.WINDOW - throttle.LOCKOUT)
    by_link = recent.filter(email_digest=throttle.email_digest(digest)).values_list("attempted_at", flat=True)
    by_address = recent.filter(address=address).values_list("attempted_at", flat=True)
    return throttle._locked(by_link, limit=CLAIM_FAILURE_LIMIT, now=now) or throttle._locked(
        by_address, limit=CLAIM_ADDRESS_FAILURE_LIMIT, now=now)


def _answers_match(provider: Provider, *, npi: str, birth_date: dt.date | None, licence_number: str) -> bool:
    def plain(text: str) -> str:
        return "".join(ch for ch in text.upper() if ch.isalnum())

    if not hmac.compare_digest(npi.strip(), provider.npi):
        return False
    if birth_date is not None and provider.birth_date is not None and birth_date == provider.birth_date:
        return True
    wanted = plain(licence_number)
    numbers = [lic.number for lic in provider.licenses.all()] + [
        str(item.get("number", "")) for item in provider.pending_qualifications]
    return bool(wanted) and any(plain(number) and hmac.compare_digest(plain(number), wanted) for number in numbers)


def profile_claim(
    *, raw_token: str, npi: str, birth_date: dt.date | None, licence_number: str, password: str, address: str,
    now: dt.datetime | None = None,
) -> User:
    """The provider following an invitation claims their profile: their NPI and their date of
    birth or a licence number must match what is on file (wrong answers count toward a
    throttle, per link and per address); then an account with the provider role is created
    with the email the link was sent to and `password`, linked to the profile, and the link
    is used up. Recorded in the profile history. Raises InvalidInput (the link no longer
    works, the answers do not match, the password breaks a rule), TooManyRequests."""
    from carematch.accounts.models import LoginAttempt, Role
    from carematch.accounts.services import login_attempt_record, user_create
    from carematch.lib.errors import TooManyRequests

    from .models import ProfileInvitation

    now = now or timezone.now()
    invitation, why_not = profile_invitation_find(raw_token=raw_token, now=now)
    if invitation is None or why_not:
        raise InvalidInput(CLAIM_LINK_NO_LONGER_WORKS[why_not or "unknown"], fields={"token": why_not or "unknown"})
    if _claim_refused(digest=invitation.token_digest, address=address, now=now):
        raise TooManyRequests(CLAIM_TOO_MANY, code="too_many_claims", retry_after=15 * 60)
    provider = invitation.provider
    if not _answers_match(provider, npi=npi, birth_date=birth_date, licence_number=licence_number):
        login_attempt_record(kind=LoginAttempt.Kind.PROFILE_CLAIM, email=invitation.token_digest, address=address,
                             succeeded=False, now=now)
        raise InvalidInput(CLAIM_NOT_CONFIRMED, fields={"npi": "does not match", "identity": "does not match"})
    with transaction.atomic():
        if ProfileInvitation.objects.filter(pk=invitation.pk, used_at__isnull=True).update(used_at=now) != 1:
            raise InvalidInput(CLAIM_LINK_NO_LONGER_WORKS["used"], fields={"token": "used"})
        current = Provider.objects.select_for_update().get(pk=provider.pk)
        if current.user_id is not None:
            raise InvalidInput(CLAIM_LINK_NO_LONGER_WORKS["used"], fields={"token": "used"})
        user = user_create(email=invitation.sent_to, role=Role.PROVIDER, password=password,
                           preferred_name=current.first_name[:80])
        current.user = user
        current.save(update_fields=["user", "updated_at"])
        profile_change_record(provider=current, changes={"account": (None, "claimed")}, by=user,
                              source=ChangeSource.PROVIDER, now=now)
    login_attempt_record(kind=LoginAttempt.Kind.PROFILE_CLAIM, email=invitation.token_digest, address=address,
                         succeeded=True, now=now)
    return user


def network_payer_set(*, network_id: int, payer: str, by: User) -> Any:
    """A coordinator says which carematch payer a payer's network (as imported) stands for, or
    none (""). Every provider of the network then accepts that payer (their insurance gains it),
    and loses the payer the network stood for before unless another of their networks stands for
    it too. Each provider's change is recorded in their profile history. InvalidInput names an
    unknown payer; NotFound an unknown network."""
    from .models import Network

    slug = payer.strip().lower()
    if slug and slug not in payers.KNOWN:
        raise InvalidInput(f"'{payer.strip()[:40]}' is not one of carematch's payers.",
                           fields={"payer": "unknown payer"})
    with transaction.atomic():
        network = Network.objects.select_for_update().filter(pk=network_id).first()
        if network is None:
            raise NotFound("No network with that id.")
        before = network.payer
        if before == slug:
            return network
        network.payer = slug
        network.save(update_fields=["payer"])
        for provider in network.providers.select_for_update().order_by("pk"):
            others = set(provider.networks.exclude(pk=network.pk).values_list("payer", flat=True))
            insurance = [item for item in provider.insurance if item != before or item in others]
            if slug and slug not in insurance:
                insurance.append(slug)
            if insurance != provider.insurance:
                provider_profile_update(provider=provider, by=by, insurance=insurance)
    return network
