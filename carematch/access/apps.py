from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "carematch.access"
    label = "access"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from .audit import sqlite_connection_created

        # SQLite's append-only trigger asks this function whether the whole log may go.
        connection_created.connect(sqlite_connection_created, dispatch_uid="carematch.access.sqlite")
