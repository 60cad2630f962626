import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from carematch.directory.fhir import bundle_import, read_bundle
from carematch.directory.fhir.client import FhirClientError, directory_read


class Command(BaseCommand):
    help = (
        "Import providers from a FHIR R4 directory in the Da Vinci PDex Plan-Net shape (a payer's, or carematch's "
        "own export), upserting them by NPI: a Bundle file (PATH) or a FHIR server (--url BASE, read by searching "
        "PractitionerRole with its _includes and following the next pages). Every problem is printed on stderr as "
        "'<where>: <field>: <what is wrong>', where names the resource (entries count from 0, as in FHIRPath's "
        "Bundle.entry[0]), and a summary on stdout. A provider the directory leaves incomplete (no concerns, "
        "populations, approaches, availability, time zone or fees, as Plan-Net never gives them) is stored "
        "unpublished and never matched until they complete their profile; each is listed with what they lack. "
        "All or nothing: the exit status is non-zero and nothing is written when any provider has a problem, "
        "unless --partial."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", metavar="PATH", nargs="?", help="the Bundle as a JSON file")
        parser.add_argument("--url", metavar="BASE", help="the base address of a FHIR server to read instead")
        parser.add_argument("--partial", action="store_true",
                            help="write the providers without problems and refuse only the others")
        parser.add_argument("--retries", type=int, default=None, metavar="N",
                            help="how often a failed page is asked again (default CAREMATCH_FHIR_CLIENT_RETRIES)")
        parser.add_argument("--backoff", type=float, default=None, metavar="SECONDS",
                            help="the wait before the first retry, doubling each time "
                                 "(default CAREMATCH_FHIR_CLIENT_BACKOFF_SECONDS)")
        parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                            help="how long one answer may take (default CAREMATCH_FHIR_CLIENT_TIMEOUT_SECONDS)")

    def handle(self, *args: Any, path: str | None, url: str | None, partial: bool, **options: Any) -> None:
        if (path is None) == (url is None):
            raise CommandError("give either PATH (a Bundle file) or --url BASE (a FHIR server), not both or neither")
        if url is not None:
            name = url
            raw = json.dumps(self._fetch(url, **options)).encode()
        else:
            name = str(path)
            raw = _read_bytes(Path(name))
        data, problems = read_bundle(raw, name=name)
        if data is None:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{name} is not a FHIR R4 Bundle carematch can read: nothing was written")
        report = bundle_import(data=data, partial=partial)
        for problem in report.problems:
            self.stderr.write(str(problem))
        for incomplete in report.incomplete:
            self.stdout.write(str(incomplete))
        outcome = " (nothing was written)" if report.problems and not report.written else ""
        if not report.problems and not report.written:
            outcome = " (the bundle holds no Practitioner)"
        self.stdout.write(report.summary() + outcome)
        if report.problems:
            rejected = f"{report.rejected} provider{'s' if report.rejected != 1 else ''} rejected"
            if report.written:
                raise CommandError(f"{rejected}, {len(report.problems)} problems: the others were written "
                                   "(--partial). Fix them and import again")
            raise CommandError(f"{rejected}, {len(report.problems)} problems: nothing was written. "
                               "Fix them and import again")

    def _fetch(self, url: str, *, retries: int | None, backoff: float | None, timeout: float | None,
               **_: Any) -> dict[str, Any]:
        chosen_retries = settings.FHIR_CLIENT_RETRIES if retries is None else retries
        chosen_backoff = settings.FHIR_CLIENT_BACKOFF_SECONDS if backoff is None else backoff
        chosen_timeout = settings.FHIR_CLIENT_TIMEOUT_SECONDS if timeout is None else timeout
        if not 0 <= chosen_retries <= 10:
            raise CommandError("--retries must be 0 to 10")
        if not 0 <= chosen_backoff <= 60:
            raise CommandError("--backoff must be 0 to 60 seconds")
        if not 0 < chosen_timeout <= 600:
            raise CommandError("--timeout must be more than 0 and at most 600 seconds")
        try:
            return directory_read(url, retries=chosen_retries, backoff=chosen_backoff, timeout=chosen_timeout)
        except FhirClientError as exc:
            raise CommandError(f"{exc}. Nothing was written") from None


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CommandError(f"{path} is a folder, not a FHIR Bundle file") from None
    except OSError as exc:
        raise CommandError(f"{path} cannot be read: {exc.strerror or exc}") from None
    if not data.strip():
        raise CommandError(f"{path} is empty: a FHIR Bundle is a JSON object with resourceType 'Bundle'")
    return data
