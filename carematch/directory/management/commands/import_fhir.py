from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carematch.directory.fhir import bundle_import, read_bundle


class Command(BaseCommand):
    help = (
        "Import providers from a FHIR R4 Bundle, carematch's own export or another directory's in the Da Vinci "
        "PDex Plan-Net shape, upserting them by NPI. Every problem is printed on stderr as "
        "'<where>: <field>: <what is wrong>', where names the resource (entries count from 0, as in "
        "FHIRPath's Bundle.entry[0]), and a summary on stdout. All or nothing: the exit status is non-zero and "
        "nothing is written when any provider has a problem."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", metavar="PATH", help="the Bundle as a JSON file")

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        raw = _read_bytes(Path(path))
        data, problems = read_bundle(raw, name=path)
        if data is None:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{path} is not a FHIR R4 Bundle carematch can read: nothing was written")
        report = bundle_import(data=data)
        for problem in report.problems:
            self.stderr.write(str(problem))
        outcome = " (nothing was written)" if report.problems else ""
        if not report.problems and not report.written:
            outcome = " (the bundle holds no Practitioner)"
        self.stdout.write(report.summary() + outcome)
        if report.problems:
            rejected = f"{report.rejected} provider{'s' if report.rejected != 1 else ''} rejected"
            raise CommandError(f"{rejected}, {len(report.problems)} problems: nothing was written. "
                               "Fix them and import again")


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
