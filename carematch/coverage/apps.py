from django.apps import AppConfig


class CoverageConfig(AppConfig):
    name = "carematch.coverage"
    label = "coverage"
    default_auto_field = "django.db.models.BigAutoField"
