from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carematch.accounts import services
from carematch.accounts.models import Role
from carematch.lib.errors import DomainError


class Command(BaseCommand):
    help = (
        "Issue an API token for the user with EMAIL, creating the user with ROLE if missing. "
        "Prints one line: the bearer token. It is shown only this once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--name", default="", help="A label to tell this token apart later.")

    def handle(self, *args: Any, email: str, role: str, name: str, **options: Any) -> None:
        try:
            _, raw = services.api_token_issue_for_email(email=email, role=role, name=name)
        except DomainError as exc:
            raise CommandError(exc.detail) from None
        self.stdout.write(raw)
