from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "carematch.matching"
    label = "matching"
    default_auto_field = "django.db.models.BigAutoField"
