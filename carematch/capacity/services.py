"""Every write of the capacity forecast: a run started from the staff page, and its result."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from carematch.accounts.models import User
from carematch.lib.errors import InvalidInput

from . import forecast
from .models import CapacityRun

log = logging.getLogger(__name__)


def capacity_run_create(*, options: forecast.Options, user: User | None, now: dt.datetime | None = None) -> CapacityRun:
    """A run waiting for the task worker, with what was asked for."""
    with transaction.atomic():
        return CapacityRun.objects.create(created_by=user, created_at=now or timezone.now(),
                                          options=options.as_dict(), status=CapacityRun.Status.QUEUED)


def _extra_text(extra: dict[str, Any]) -> str:
    """A stored extra as --extra-hours takes it: STATE:HOURS[:name=value,...]."""
    kind = ",".join(f"{name}={extra[name]}" for name in ("language", "payer", "format", "zip") if extra.get(name))
    return f"{extra['state']}:{extra['hours']}" + (f":{kind}" if kind else "")


def options_of(stored: dict[str, Any]) -> forecast.Options:
    """A stored run's options, checked again as when they were given."""
    extras = [_extra_text(extra) for extra in stored.get("extra_hours", [])]
    return forecast.check_options(
        days=stored["days"], states=stored.get("states", []), arrivals_per_day=stored.get("arrivals_per_day"),
        from_history=stored.get("from_history", False), extra_hours=extras, target=stored["target"],
        seed=stored["seed"], replications=stored["replications"],
        suggest_states=stored.get("suggest_states", forecast.DEFAULT_SUGGESTED_STATES),
    )


def capacity_run_execute(*, run_id: int) -> CapacityRun | None:
    """Run the forecast of a waiting run and keep its figures (or why it could not run).
    A run already started or finished is left alone."""
    with transaction.atomic():
        run = CapacityRun.objects.select_for_update().filter(pk=run_id, status=CapacityRun.Status.QUEUED).first()
        if run is None:
            return None
        run.status, run.started_at = CapacityRun.Status.RUNNING, timezone.now()
        run.save(update_fields=["status", "started_at"])
    try:
        figures = forecast.forecast(options_of(run.options))
    except InvalidInput as exc:
        run.status, run.error = CapacityRun.Status.FAILED, exc.detail[:500]
    except Exception:
        log.exception("capacity run %s failed", run.pk)
        run.status, run.error = CapacityRun.Status.FAILED, "The forecast stopped with an error; see the worker's log."
    else:
        run.status, run.result = CapacityRun.Status.FINISHED, figures
    run.finished_at = timezone.now()
    with transaction.atomic():
        run.save(update_fields=["status", "result", "error", "finished_at"])
    return run
