"""Background work of the coverage app, run by `carematch db_worker`. Tasks only call services."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def run_eligibility_check(*, check_id: int) -> str:
    """Send one queued eligibility check to the payer and read the answer; its status after."""
    check = services.eligibility_run(check_id=check_id)
    return check.status if check is not None else "gone"


@task()
def check_eligibility_on_booking(*, appointment_id: int, client_id: int) -> bool:
    """A session was booked: check the client's coverage, when they gave some. Whether one was asked for."""
    return services.eligibility_on_booking(appointment_id=appointment_id, client_id=client_id) is not None


@task()
def collect_eligibility_answers() -> int:
    """Read the 271s a batch clearinghouse left in the inbox."""
    return services.eligibility_collect()
