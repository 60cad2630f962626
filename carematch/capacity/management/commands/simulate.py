"""`carematch simulate`: can this network keep the 48-hour promise? A forecast of the share
of people seen within 48 hours over the next days, by state, concern, payer and language,
with the extra weekly hours (and the kind of provider) that would lift each short state
to the target. See carematch/capacity/simulation.py for the model and README for a run."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from carematch.capacity import forecast
from carematch.capacity.report import table_lines
from carematch.lib.errors import InvalidInput


class Command(BaseCommand):
    help = "Forecast the share of first appointments within 48 hours by simulating requests over the real directory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=28, help="Days of requests to simulate (default 28).")
        parser.add_argument("--state", action="append", default=[], dest="states", metavar="STATE",
                            help="Only the requests of this state (repeat for more).")
        parser.add_argument("--arrivals-per-day", type=float, default=None,
                            help="Requests a day (default: the last 90 days' rate when they had 28 or more, "
                                 "else 0.1 a bookable provider).")
        parser.add_argument("--from-history", action="store_true",
                            help="Rate, profile, mix and rates all from the last 90 days.")
        parser.add_argument("--extra-hours", action="append", default=[], metavar="STATE:HOURS[:KIND]",
                            help="Add weekly hours in a state, e.g. CO:10 or CO:10:language=es,payer=aetna "
                                 "(payers joined by +; repeat for more).")
        parser.add_argument("--target", type=float, default=0.9, help="Share within 48 hours to reach (default 0.9).")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--replications", type=int, default=20)
        parser.add_argument("--suggest-states", type=int, default=forecast.DEFAULT_SUGGESTED_STATES,
                            help="How many short states to search extra hours for, most failing first (default 5).")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checked = forecast.check_options(
                days=options["days"], states=options["states"], arrivals_per_day=options["arrivals_per_day"],
                from_history=options["from_history"], extra_hours=options["extra_hours"],
                target=options["target"], seed=options["seed"], replications=options["replications"],
                suggest_states=options["suggest_states"],
            )
        except InvalidInput as exc:
            raise CommandError(exc.detail) from None
        bar = tqdm(total=checked.replications, unit="run", file=self.stderr._out, disable=True if options["json"]
                   else None, desc="Simulating")

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        try:
            figures = forecast.forecast(checked, progress=progress)
        except InvalidInput as exc:
            raise CommandError(exc.detail) from None
        finally:
            bar.close()
        if options["json"]:
            self.stdout.write(json.dumps(figures, sort_keys=True))
            return
        for line in table_lines(figures):
            self.stdout.write(line)
