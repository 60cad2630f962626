"""Background work of the capacity forecast, run by `carematch db_worker`. Tasks only call services."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def run_capacity_forecast(run_id: int) -> str:
    """Run a forecast a coordinator started from /staff/capacity/."""
    run = services.capacity_run_execute(run_id=run_id)
    return run.status if run else "skipped"
