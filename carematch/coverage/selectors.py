"""Reads of the coverage app for pages, the API and the services."""

from __future__ import annotations

from carematch.accounts.models import Client
from carematch.lib import vocab

from .models import CheckStatus, ClientCoverage, EligibilityCheck


def payer_names() -> dict[str, str]:
    """slug -> display name of the payers this deployment knows, sorted by name."""
    return dict(sorted(vocab.PAYERS.items(), key=lambda pair: pair[1]))


def coverage_of(*, client: Client) -> ClientCoverage | None:
    return ClientCoverage.objects.filter(client=client).first()


def latest_check(*, client: Client) -> EligibilityCheck | None:
    return EligibilityCheck.objects.filter(client=client).order_by("-requested_at", "-id").first()


def check_of(*, client: Client, check_id: int) -> EligibilityCheck | None:
    return EligibilityCheck.objects.filter(client=client, pk=check_id).first()


def checks_waiting(*, transport: str) -> list[tuple[int, int]]:
    """(check id, control number) of the checks sent by `transport` and not yet answered."""
    waiting = EligibilityCheck.objects.filter(
        status=CheckStatus.RUNNING, transport=transport, control_number__isnull=False
    ).order_by("sent_at", "id").values_list("pk", "control_number")
    return [(pk, control) for pk, control in waiting if control is not None]
