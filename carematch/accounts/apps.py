from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "carematch.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from carematch import checks  # noqa: F401  (registers the secret-key check)
