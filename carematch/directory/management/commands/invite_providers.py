from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carematch.directory.models import Provider
from carematch.directory.services import profile_invitations_send
from carematch.lib.npi import npi_problem


class Command(BaseCommand):
    help = (
        "Email providers a single-use link (valid 14 days) to claim and complete their profile: those not yet "
        "published (--incomplete) and/or those with the NPIs given (--npi). A provider who already has an account "
        "gets a link to their profile instead. Providers without an email address, or without a date of birth or "
        "licence number on file to confirm who claims the profile, are listed and skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--incomplete", action="store_true", help="every provider not yet published")
        parser.add_argument("--npi", nargs="+", default=[], metavar="N", help="the providers with these NPIs")

    def handle(self, *args: Any, incomplete: bool, npi: list[str], **options: Any) -> None:
        if not incomplete and not npi:
            raise CommandError("say whom to invite: --incomplete, --npi N ..., or both")
        wrong = [f"{number}: {npi_problem(number)}" for number in npi if npi_problem(number)]
        if wrong:
            raise CommandError("not valid NPIs: " + "; ".join(wrong))
        chosen = Provider.objects.none()
        if incomplete:
            chosen = chosen | Provider.objects.filter(published=False)
        if npi:
            chosen = chosen | Provider.objects.filter(npi__in=npi)
            unknown = sorted(set(npi) - set(Provider.objects.filter(npi__in=npi).values_list("npi", flat=True)))
            if unknown:
                raise CommandError(f"no provider has the NPI {', '.join(unknown)}: nothing was sent")
        sent = profile_invitations_send(
            providers=list(chosen.select_related("user").prefetch_related("licenses").order_by("npi")), by=None)
        for number in sent.invited:
            self.stdout.write(f"{number}: invited to claim their profile")
        for number in sent.reminded:
            self.stdout.write(f"{number}: has an account; sent a link to their profile")
        for number, why in sent.skipped:
            self.stderr.write(f"{number}: not sent: {why}")
        self.stdout.write(f"invited {len(sent.invited)}, sent a profile link {len(sent.reminded)}, "
                          f"skipped {len(sent.skipped)}")
