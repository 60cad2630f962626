from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class MatchingConfig(AppConfig):
    name = "carematch.matching"
    label = "matching"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from carematch.lib import geo

        # The ZIP table: written once per machine, mapped read-only by every process.
        geo.use_folder(Path(settings.VAR_DIR))
