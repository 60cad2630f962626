from django.apps import AppConfig


class LearnConfig(AppConfig):
    name = "carematch.learn"
    label = "learn"
    default_auto_field = "django.db.models.BigAutoField"
