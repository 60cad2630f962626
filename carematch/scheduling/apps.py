from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_overlap_triggers(sender: AppConfig, *, using: str = "default", **kwargs: Any) -> None:
    # SQLite drops triggers when a migration rebuilds scheduling_appointment: put them back
    # (carematch/scheduling/overlap.py).
    from django.db import connections

    from .overlap import ensure_sqlite_triggers

    ensure_sqlite_triggers(connections[using])


class SchedulingConfig(AppConfig):
    name = "carematch.scheduling"
    label = "scheduling"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_ensure_overlap_triggers, sender=self, dispatch_uid="scheduling_overlap_triggers")
