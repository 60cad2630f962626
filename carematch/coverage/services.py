"""Writes of the coverage app: a client's coverage, and eligibility checks with their payer.

A check is asked for (`eligibility_request`: on booking, by a coordinator, through the API),
then run by the task worker (`eligibility_run`): the 270 is built and validated, sent through
the configured transport, and the 271 read into figures and a sentence. The network is never
called inside a database transaction. What reaches the logs: check ids, statuses and error
kinds; never a name, a date of birth, a member id or a payload.

Every write to coverage: payers' plans and fee schedules, loaded from checked files
(coverage/tables.py)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from carematch.access import audit
from carematch.access.models import Action
from carematch.accounts.models import Client, User
from carematch.lib.errors import Conflict, InvalidInput

from . import clearinghouse, selectors
from .models import CheckReason, CheckStatus, ClientCoverage, ClientDiagnosis, EligibilityCheck, Fee, Plan, Relationship
from .superbill import icd10cm_problem, normalised_icd10cm
from .x12.build import Inquiry, Person, build_270
from .x12.read import Answer271Invalid, Reading, read_271
from .x12.transport import GARBLED, TransportFailed
from .x12.validate import X12Invalid

logger = logging.getLogger("carematch.coverage")

MAX_ATTEMPTS = 3
RETRY_AFTER = dt.timedelta(minutes=15)
_MEMBER_ID = re.compile(r"^[A-Za-z0-9-]{2,80}$")
_PLAN_ID = re.compile(r"^[A-Za-z0-9._-]{1,60}$")
_NAME = re.compile(r"^[^\W\d_]+(?:[ '.-][^\W\d_]+)*\.?$")

# --- A client's coverage -----------------------------------------------------------------------


def coverage_set(*, client: Client, payer: str, plan_id: str, member_id: str, subscriber_first_name: str,
                 subscriber_last_name: str, subscriber_birth_date: dt.date | str | None, relationship: str,
                 today: dt.date | None = None) -> ClientCoverage:
    """Record or replace the client's coverage; InvalidInput names every field that is wrong."""
    today = today or timezone.localdate()
    payer = (payer or "").strip().lower()
    plan_id = (plan_id or "").strip()
    member_id = "".join((member_id or "").split())
    first, last = " ".join((subscriber_first_name or "").split()), " ".join((subscriber_last_name or "").split())
    problems: dict[str, str] = {}
    if payer not in selectors.payer_names():
        problems["payer"] = "Choose your insurer from the list."
    if plan_id and not _PLAN_ID.match(plan_id):
        problems["plan_id"] = "A plan id is letters, digits, '.', '-' or '_', at most 60."
    if not member_id:
        problems["member_id"] = "Enter the member ID from the insurance card."
    elif not _MEMBER_ID.match(member_id):
        problems["member_id"] = "A member ID is 2 to 80 letters, digits or hyphens, as on the insurance card."
    for field, value, limit in (("subscriber_first_name", first, 35), ("subscriber_last_name", last, 60)):
        if not value:
            problems[field] = "Enter the subscriber's name as it is on the insurance card."
        elif len(value) > limit or not _NAME.match(value):
            problems[field] = f"Use letters, spaces, hyphens or apostrophes, at most {limit}."
    birth = _date(subscriber_birth_date)
    if birth is None:
        problems["subscriber_birth_date"] = "Enter the subscriber's date of birth (YYYY-MM-DD)."
    elif not dt.date(1900, 1, 1) <= birth <= today:
        problems["subscriber_birth_date"] = "The date of birth must be in the past (after 1900)."
    if relationship not in Relationship.values:
        problems["relationship"] = "Say who the client is to the subscriber: self, spouse, child or other."
    if problems or birth is None:
        raise InvalidInput.for_fields(problems)
    values = {"payer": payer, "plan_id": plan_id, "member_id": member_id, "subscriber_first_name": first,
              "subscriber_last_name": last, "subscriber_birth_date": birth.isoformat(), "relationship": relationship}
    with transaction.atomic():
        coverage, _ = ClientCoverage.objects.update_or_create(client=client, defaults=values)
    return coverage


def _date(value: dt.date | str | None) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def coverage_erase_for_client(*, client: Client) -> int:
    """Closing an account: the details that identify the person to their insurer go at once
    (checks keep only their figures and sentences). Rows erased."""
    with transaction.atomic():
        return ClientCoverage.objects.filter(client=client).delete()[0]


def coverage_purge_for_client(*, client_id: int) -> Counter[str]:
    """The retention period of a closed account has ended: the coverage and every check go.
    Rows erased, by model label."""
    deleted: Counter[str] = Counter()
    with transaction.atomic():
        for rows in (ClientCoverage.objects.filter(client_id=client_id),
                     EligibilityCheck.objects.filter(client_id=client_id),
                     ClientDiagnosis.objects.filter(client_id=client_id)):
            deleted.update({label.lower(): count for label, count in rows.delete()[1].items() if count})
    return deleted


# --- Eligibility checks ------------------------------------------------------------------------


def eligibility_request(*, client: Client, by: User | None, reason: str, appointment_id: int | None = None,
                        now: dt.datetime | None = None) -> EligibilityCheck:
    """Queue a check of the client's coverage with their payer, run by the task worker once
    this transaction commits. Conflict (409) when the client has no coverage on file, when
    eligibility checks are not set up, or when the payer cannot be asked: each names what is missing."""
    now = now or timezone.now()
    coverage = ClientCoverage.objects.filter(client=client).first()
    if coverage is None:
        raise Conflict(
            gettext("This client has no insurance on file: add the payer, member ID and subscriber first."),
            fields={"coverage": gettext("missing: payer, member_id, subscriber_first_name, subscriber_last_name, "
                                "subscriber_birth_date, relationship")},
            code="coverage_missing",
        )
    try:
        house = clearinghouse.configured()
    except clearinghouse.NotConfigured:
        raise Conflict(gettext("Eligibility checks with payers are not set up on this service."),
                       fields={"clearinghouse": gettext("not configured")}, code="eligibility_not_configured") from None
    if coverage.payer not in house.payer_ids:
        raise Conflict(gettext("This service cannot check coverage with this insurer electronically yet."),
                       fields={"payer": gettext("no electronic payer id configured for it")},
                       code="payer_not_connected")
    with transaction.atomic():
        check = EligibilityCheck.objects.create(
            client=client,
            reason=reason,
            requested_by=by,
            payer=coverage.payer,
            plan_id=coverage.plan_id,
            relationship=coverage.relationship,
            appointment_id=appointment_id,
            requested_at=now,
        )
        check_id = check.pk
        transaction.on_commit(lambda: _enqueue(check_id))
    return check


def _enqueue(check_id: int, run_after: dt.datetime | None = None) -> None:
    from . import tasks

    task = tasks.run_eligibility_check if run_after is None else tasks.run_eligibility_check.using(run_after=run_after)
    try:
        task.enqueue(check_id=check_id)
    except Exception:
        logger.exception("could not queue eligibility check %s", check_id)


def eligibility_on_booking(*, appointment_id: int, client_id: int | None) -> EligibilityCheck | None:
    """A session was booked: check the client's coverage when they have some and checks are on.
    Nothing to check is not an error here."""
    if client_id is None or not clearinghouse.enabled():
        return None
    client = Client.objects.filter(pk=client_id, closed_at__isnull=True).first()
    if client is None:
        return None
    try:
        return eligibility_request(client=client, by=None, reason=CheckReason.BOOKING, appointment_id=appointment_id)
    except Conflict:
        return None


def eligibility_run(*, check_id: int, now: dt.datetime | None = None) -> EligibilityCheck | None:
    """Run a queued check: build and send the 270, read the 271 (or, for a batch transport,
    leave it waiting for `eligibility_collect`). Never raises for what the payer or the network
    did: the check ends with a sentence for the person."""
    now = now or timezone.now()
    with transaction.atomic():
        check = EligibilityCheck.objects.select_for_update().filter(pk=check_id).first()
        if check is None or check.status != CheckStatus.QUEUED:
            return check
        coverage = ClientCoverage.objects.select_related("client").filter(client_id=check.client_id).first()
        if coverage is None:
            return _fail(check, "There is no insurance on file any more, so coverage was not checked.", now=now)
        try:
            house = clearinghouse.configured()
        except clearinghouse.NotConfigured as exc:
            logger.error("eligibility check %s not sent: %s", check.pk, exc)
            return _fail(
                check,
                "Eligibility checks are not set up on this service. A coordinator can check "
                "your coverage with your insurer.",
                now=now,
            )
        payer_id = house.payer_ids.get(coverage.payer)
        if payer_id is None:
            return _fail(check, "This service cannot check coverage with this insurer electronically yet.", now=now)
        # Reading the coverage to send it is an access of the client's record: recorded.
        audit.record(
            None,
            action=Action.VIEW,
            resource_type="coverage",
            resource_id=coverage.client_id,
            client=coverage.client_id,
        )
        client = coverage.client
        subscriber = Person(
            coverage.subscriber_last_name,
            coverage.subscriber_first_name,
            dt.date.fromisoformat(coverage.subscriber_birth_date),
        )
        patient = (
            None
            if coverage.relationship == Relationship.SELF
            else Person(client.last_name, client.first_name, client.date_of_birth)
        )
        inquiry = Inquiry(
            payer_name=selectors.payer_names().get(coverage.payer, coverage.payer),
            payer_id=payer_id,
            provider_name=house.submitter_name,
            provider_npi=house.submitter_npi,
            trace_originator=house.trace_originator,
            member_id=coverage.member_id,
            subscriber=subscriber,
            relationship=coverage.relationship,
            patient=patient,
            service_date=now.date(),
        )
        try:
            text = build_270(inquiry, house.envelope(check.pk), now=now)
        except (X12Invalid, ValueError):
            logger.warning("eligibility check %s: the coverage on file does not make a valid 270", check.pk)
            return _fail(
                check,
                "Your insurance details could not be sent to your insurer as they are (an insurer's "
                "system takes names in Latin letters only). A coordinator will check your coverage "
                "with your insurer.",
                now=now,
            )
        check.control_number, check.transport = check.pk, house.transport.name
        check.status, check.sent_at = CheckStatus.RUNNING, now
        check.attempts = check.attempts + 1
        check.save(update_fields=["control_number", "transport", "status", "sent_at", "attempts"])
    try:
        answer = house.transport.send(text=text, control_number=check.pk)
    except TransportFailed as exc:
        logger.warning("eligibility check %s: transport failed (%s)", check.pk, exc.why)
        return _settle(check_id, failure=exc, now=timezone.now())
    if answer is None:
        return check
    return _settle(check_id, answer=answer, now=timezone.now())


def eligibility_collect(*, now: dt.datetime | None = None) -> int:
    """Read the answers a batch clearinghouse has put in the inbox; how many checks were answered."""
    now = now or timezone.now()
    try:
        house = clearinghouse.configured()
    except clearinghouse.NotConfigured:
        return 0
    answered = 0
    for check_id, control_number in selectors.checks_waiting(transport=house.transport.name):
        try:
            answer = house.transport.collect(control_number=control_number)
        except TransportFailed as exc:
            logger.warning("eligibility answers not collected: %s", exc.why)
            break
        if answer is not None:
            _settle(check_id, answer=answer, now=now)
            answered += 1
    return answered


def _settle(
    check_id: int, *, answer: str | None = None, failure: TransportFailed | None = None, now: dt.datetime
) -> EligibilityCheck | None:
    with transaction.atomic():
        check = EligibilityCheck.objects.select_for_update().filter(pk=check_id).first()
        if check is None or check.status != CheckStatus.RUNNING:
            return check
        if failure is not None:
            return _retry_or_fail(check, failure.sentence, retryable=failure.retryable, now=now)
        try:
            reading = read_271(answer or "")
        except Answer271Invalid:
            logger.warning("eligibility check %s: the answer is not a valid 271", check.pk)
            return _fail(check, GARBLED, now=now)
        if reading.trace and reading.trace != str(check.control_number):
            logger.warning("eligibility check %s: the answer is for another inquiry", check.pk)
            return _fail(check, GARBLED, now=now)
        if reading.retryable:
            return _retry_or_fail(
                check, reading.sentence(), retryable=True, now=now, codes=[r.code for r in reading.rejections]
            )
        _answer(check, reading, now=now)
        return check


def _answer(check: EligibilityCheck, reading: Reading, *, now: dt.datetime) -> None:
    check.status, check.finished_at = CheckStatus.ANSWERED, now
    check.active = None if reading.rejected else reading.active
    check.in_network, check.out_of_network = reading.in_network.as_dict(), reading.out_of_network.as_dict()
    check.rejection_codes = [r.code for r in reading.rejections]
    check.retryable = False
    check.sentence = reading.sentence()
    check.save()


def _retry_or_fail(
    check: EligibilityCheck, sentence: str, *, retryable: bool, now: dt.datetime, codes: list[str] | None = None
) -> EligibilityCheck:
    check.rejection_codes = codes or []
    if retryable and check.attempts < MAX_ATTEMPTS:
        minutes = int(RETRY_AFTER.total_seconds() // 60)
        check.status, check.retryable = CheckStatus.QUEUED, True
        check.sentence = f"{sentence} We will ask again in {minutes} minutes."
        check.save()
        check_id, run_after = check.pk, now + RETRY_AFTER
        transaction.on_commit(lambda: _enqueue(check_id, run_after))
        return check
    return _fail(
        check,
        f"{sentence} A coordinator can check your coverage with your insurer." if retryable else sentence,
        now=now,
    )


def _fail(check: EligibilityCheck, sentence: str, *, now: dt.datetime) -> EligibilityCheck:
    check.status, check.finished_at, check.sentence, check.retryable = CheckStatus.FAILED, now, sentence, False
    check.save()
    return check


# --- What the cost estimate reads ----------------------------------------------------------------


def _decimal_or_none(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(str(value))


def benefits_from_eligibility(check: EligibilityCheck) -> dict[str, Any] | None:
    """The in-network outpatient mental-health benefits an answered check read, with the field
    names of carematch.coverage.estimate.Benefits (source "eligibility"); None when the check
    gave none (not answered, rejected, inactive, or neither copay nor coinsurance known)."""
    if check.status != CheckStatus.ANSWERED or check.active is not True:
        return None
    net = check.in_network or {}
    copay, coinsurance = _decimal_or_none(net.get("copay_usd")), _decimal_or_none(net.get("coinsurance_pct"))
    if copay is None and coinsurance is None:
        return None
    deductible_total = _decimal_or_none(net.get("deductible_usd"))
    deductible_left = _decimal_or_none(net.get("deductible_left_usd"))
    oop_left = _decimal_or_none(net.get("oop_left_usd"))
    # A plan with no deductible (0 a year) has none left; one whose figure was not given is unknown.
    if deductible_left is None and deductible_total == 0:
        deductible_left = Decimal(0)
    return {
        "copay_usd": copay,
        "coinsurance_pct": coinsurance,
        # When the answer names a deductible, it is taken to apply: the estimate is then never below the bill.
        "deductible_applies": bool((deductible_total or 0) > 0 or (deductible_left or 0) > 0),
        "deductible_left_usd": deductible_left,
        "oop_left_usd": oop_left,
        "source": "eligibility",
    }


# --- Diagnoses, for superbills ---------------------------------------------------------------------


def diagnosis_add(
    *, client: Client, provider: Any, code: str, by: User | None, now: dt.datetime | None = None
) -> ClientDiagnosis:
    """A provider enters an ICD-10-CM code for a client in their care (checked by the caller's
    access policy); InvalidInput names the field when it is not written as one."""
    text = normalised_icd10cm(code or "")
    problem = icd10cm_problem(text) if text else "Enter the ICD-10-CM code, e.g. F41.1."
    if problem:
        raise InvalidInput.for_fields({"code": problem})
    with transaction.atomic():
        existing = [
            d
            for d in ClientDiagnosis.objects.filter(client=client, provider=provider, removed_at__isnull=True)
            if d.code == text
        ]
        if existing:
            return existing[0]
        return ClientDiagnosis.objects.create(
            client=client, provider=provider, code=text, added_by=by, added_at=now or timezone.now()
        )


def diagnosis_remove(*, diagnosis: ClientDiagnosis, now: dt.datetime | None = None) -> ClientDiagnosis:
    with transaction.atomic():
        if diagnosis.removed_at is None:
            diagnosis.removed_at = now or timezone.now()
            diagnosis.save(update_fields=["removed_at"])
    return diagnosis


@dataclass(frozen=True)
class PlanRecord:
    payer: str
    plan_id: str
    name: str
    copay_usd: Decimal | None
    coinsurance_pct: Decimal | None
    deductible_usd: Decimal
    deductible_applies: bool
    oop_max_usd: Decimal


@dataclass(frozen=True)
class FeeRecord:
    payer: str
    plan_id: str  # or "*"
    cpt: str
    allowed_usd: Decimal
    state: str  # or "*"


@dataclass(frozen=True)
class UpsertResult:
    created: int
    updated: int
    unchanged: int


_PLAN_VALUES = ("name", "copay_usd", "coinsurance_pct", "deductible_usd", "deductible_applies", "oop_max_usd")


def _same(stored: object, given: object) -> bool:
    if isinstance(stored, Decimal) or isinstance(given, Decimal):
        return stored is not None and given is not None and Decimal(str(stored)) == Decimal(str(given))
    return stored == given


def plans_upsert(
    *, records: Sequence[PlanRecord], dry_run: bool = False, now: dt.datetime | None = None
) -> UpsertResult:
    """Create or update plans by payer and plan id: each record is the truth for its plan.
    All or nothing (one transaction); with `dry_run`, nothing is written and the result counts
    what would be."""
    now = now or timezone.now()
    with transaction.atomic():
        stored = {
            (plan.payer_id, plan.plan_id): plan
            for plan in Plan.objects.select_for_update().filter(payer__in={record.payer for record in records})
        }
        created: list[Plan] = []
        changed: list[Plan] = []
        unchanged = 0
        for record in records:
            values = {name: value for name, value in asdict(record).items() if name in _PLAN_VALUES}
            plan = stored.get((record.payer, record.plan_id))
            if plan is None:
                created.append(Plan(payer_id=record.payer, plan_id=record.plan_id, updated_at=now, **values))
            elif all(_same(getattr(plan, name), value) for name, value in values.items()):
                unchanged += 1
            else:
                for name, value in values.items():
                    setattr(plan, name, value)
                plan.updated_at = now
                changed.append(plan)
        if not dry_run:
            Plan.objects.bulk_create(created, batch_size=500)
            Plan.objects.bulk_update(changed, [*_PLAN_VALUES, "updated_at"], batch_size=500)
    return UpsertResult(len(created), len(changed), unchanged)


def fees_upsert(*, records: Sequence[FeeRecord], dry_run: bool = False, now: dt.datetime | None = None) -> UpsertResult:
    """Create or update fee rows by payer, plan id, CPT code and state. All or nothing; with
    `dry_run`, nothing is written and the result counts what would be."""
    now = now or timezone.now()
    with transaction.atomic():
        stored = {
            (fee.payer_id, fee.plan_id, fee.cpt, fee.state): fee
            for fee in Fee.objects.select_for_update().filter(payer__in={record.payer for record in records})
        }
        created: list[Fee] = []
        changed: list[Fee] = []
        unchanged = 0
        for record in records:
            fee = stored.get((record.payer, record.plan_id, record.cpt, record.state))
            if fee is None:
                created.append(
                    Fee(
                        payer_id=record.payer,
                        plan_id=record.plan_id,
                        cpt=record.cpt,
                        allowed_usd=record.allowed_usd,
                        state=record.state,
                        updated_at=now,
                    )
                )
            elif _same(fee.allowed_usd, record.allowed_usd):
                unchanged += 1
            else:
                fee.allowed_usd, fee.updated_at = record.allowed_usd, now
                changed.append(fee)
        if not dry_run:
            Fee.objects.bulk_create(created, batch_size=500)
            Fee.objects.bulk_update(changed, ["allowed_usd", "updated_at"], batch_size=500)
    return UpsertResult(len(created), len(changed), unchanged)
