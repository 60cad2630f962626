"""Background work for matching, run by `carematch db_worker`. Tasks only call services."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def place_waitlist() -> dict[str, int]:
    """Place everyone waiting into open first-session openings and book them (what a
    coordinator starts from the waitlist page, and `carematch assign_waitlist` does at once)."""
    run = services.waitlist_assign()
    return {"waiting": run.waiting, "openings": run.openings, "booked": run.booked, "failed": run.failed}
