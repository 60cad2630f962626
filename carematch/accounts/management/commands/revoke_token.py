from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carematch.accounts import services
from carematch.accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "Revoke one API token (by the token or its first 11 characters), or every token of a user."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--token", help="The token, or its first 11 characters as listed in the admin.")
        group.add_argument("--email", help="Revoke every active token of this user.")

    def handle(self, *args: Any, token: str | None, email: str | None, **options: Any) -> None:
        if email:
            user = User.objects.filter(email__iexact=email.strip()).first()
            if user is None:
                raise CommandError(f"No user has the email {email}.")
            count = services.api_tokens_revoke_for_user(user=user)
            self.stdout.write(f"Revoked {count} token(s) of {user.email}.")
            return
        token = token or ""
        matches = list(
            ApiToken.objects.filter(digest=services.token_digest(token))
            or ApiToken.objects.filter(prefix=token[:11], revoked_at__isnull=True)
        )
        if not matches:
            raise CommandError("No active token matches.")
        if len(matches) > 1:
            raise CommandError("More than one token has that prefix; give the whole token.")
        services.api_token_revoke(token=matches[0])
        self.stdout.write(f"Revoked token {matches[0].prefix}… of {matches[0].user.email}.")
