"""A client's coverage and eligibility checks on the JSON API: the same selectors and services as the pages."""

from __future__ import annotations

from typing import Any

from ninja import Router, Status

from carematch.access import audit, policy
from carematch.access.models import Action
from carematch.accounts.http import AuthedHttpRequest
from carematch.lib.errors import NotFound
from carematch.lib.ids import RecordId
from carematch.openapi import errors

from . import selectors, services
from .models import CheckReason, ClientCoverage, EligibilityCheck
from .schemas import CheckQueuedOut, CoverageIn, CoverageOut, EligibilityOut

router = Router(tags=["coverage"])


def coverage_out(coverage: ClientCoverage) -> dict[str, Any]:
    return {
        "client_id": coverage.client_id, "payer": coverage.payer, "plan_id": coverage.plan_id,
        "member_id": coverage.member_id, "subscriber_first_name": coverage.subscriber_first_name,
        "subscriber_last_name": coverage.subscriber_last_name,
        "subscriber_birth_date": coverage.subscriber_birth_date, "relationship": coverage.relationship,
        "updated_at": coverage.updated_at,
    }


def check_out(check: EligibilityCheck) -> dict[str, Any]:
    return {
        "id": check.pk, "status": check.status, "reason": check.reason, "payer": check.payer,
        "plan_id": check.plan_id, "active": check.active, "in_network": check.in_network or {},
        "out_of_network": check.out_of_network or {}, "rejection_codes": check.rejection_codes or [],
        "sentence": check.sentence, "requested_at": check.requested_at, "sent_at": check.sent_at,
        "finished_at": check.finished_at,
    }


@router.get("/clients/{client_id}/coverage", response={200: CoverageOut, **errors(404)})
def get_coverage(request: AuthedHttpRequest, client_id: RecordId) -> Any:
    """The client's insurance coverage (the client and coordinators; anyone else gets 404).
    404 with `coverage` named when none is on file."""
    client = audit.clinical_client_or_404(request, client_id, resource_type="coverage",
                                          rule=policy.coverage_visible)
    coverage = selectors.coverage_of(client=client)
    if coverage is None:
        raise NotFound("No insurance is on file for this client.", fields={"coverage": "missing"})
    return coverage_out(coverage)


@router.put("/clients/{client_id}/coverage", response={200: CoverageOut, **errors(404)})
def put_coverage(request: AuthedHttpRequest, client_id: RecordId, payload: CoverageIn) -> Any:
    """Record or replace the client's insurance coverage (the client or a coordinator). Stored
    encrypted; every read is recorded in the access log."""
    with audit.client_write(request, client_id, resource_type="coverage", action=Action.UPDATE,
                            rule=policy.coverage_visible) as change:
        coverage = services.coverage_set(client=change.client, **payload.model_dump())
    return coverage_out(coverage)


@router.post("/clients/{client_id}/eligibility", response={202: CheckQueuedOut, **errors(404, 409)})
def request_eligibility(request: AuthedHttpRequest, client_id: RecordId) -> Any:
    """Check the client's coverage with their payer (X12 270/271), in the background: 202 with
    the check's id and where to read it. 409 names what is missing: `coverage` (no insurance on
    file), `clearinghouse` (checks are not set up) or `payer` (this payer cannot be asked)."""
    with audit.client_write(request, client_id, resource_type="eligibility_check", action=Action.CREATE,
                            rule=policy.coverage_visible) as change:
        check = services.eligibility_request(client=change.client, by=request.user, reason=CheckReason.API)
    return Status(202, {"id": check.pk, "status": check.status,
                        "url": f"/api/v1/clients/{check.client_id}/eligibility"})


@router.get("/clients/{client_id}/eligibility", response={200: EligibilityOut, **errors(404)})
def get_eligibility(request: AuthedHttpRequest, client_id: RecordId) -> Any:
    """The client's latest eligibility check: its status, the figures the payer gave (in and
    out of network: copay, coinsurance, deductible and out-of-pocket, each for the year and
    what is left) and a sentence saying what it means. `latest` is null before any check."""
    client = audit.clinical_client_or_404(request, client_id, resource_type="eligibility_check",
                                          rule=policy.coverage_visible)
    check = selectors.latest_check(client=client)
    return {"client_id": client.pk, "coverage_on_file": selectors.coverage_of(client=client) is not None,
            "latest": check_out(check) if check is not None else None}
