"""A forecast's figures as a terminal table and as the staff page's charts: plain data in,
plain data out, no database."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import npgettext, pgettext, pgettext_lazy

GROUP_TITLES = (
    ("by_state", pgettext_lazy("staff", "State")),
    ("by_concern", pgettext_lazy("staff", "Concern")),
    ("by_payer", pgettext_lazy("staff", "Payer")),
    ("by_language", pgettext_lazy("staff", "Language")),
)


def percent(value: float) -> str:
    return f"{100 * value:.0f}%"


def span(figure: Mapping[str, Any], *, as_percent: bool = True, digits: int = 1) -> str:
    if figure.get("n", 0) == 0:
        return "-"
    shown = percent if as_percent else (lambda v: f"{v:.{digits}f}")
    return f"{shown(figure['mean'])} ({shown(figure['low'])} to {shown(figure['high'])})"


def table_lines(figures: Mapping[str, Any]) -> list[str]:
    confidence = percent(figures["confidence"])
    lines = [
        pgettext(
            "staff",
            "Forecast of %(days)s days from %(start)s: %(providers)s bookable providers, %(rate)s requests a day "
            "(%(source)s), %(runs)s replications, seed %(seed)s.",
        )
        % {
            "days": figures["options"]["days"],
            "start": figures["start"],
            "providers": figures["providers"],
            "rate": figures["arrivals_per_day"],
            "source": figures["demand"],
            "runs": figures["options"]["replications"],
            "seed": figures["options"]["seed"],
        },
        pgettext(
            "staff",
            "No-show %(no_show)s, cancellation %(cancel)s, %(follow)s follow-up sessions on average. "
            "Figures: mean (%(confidence)s interval).",
        )
        % {
            "no_show": percent(figures["no_show"]),
            "cancel": percent(figures["cancel"]),
            "follow": figures["follow_ups"],
            "confidence": confidence,
        },
        "",
        f"{pgettext('staff', 'First appointment within 48 hours'):<36} {span(figures['share_within_48h'])}",
        f"{pgettext('staff', 'Median wait (hours)'):<36} {span(figures['median_wait_hours'], as_percent=False)}",
        f"{pgettext('staff', '90th percentile wait (hours)'):<36} {span(figures['p90_wait_hours'], as_percent=False)}",
        f"{pgettext('staff', 'Provider utilisation'):<36} {span(figures['utilisation'])}",
        f"{pgettext('staff', 'Requests a replication'):<36} {figures['requests_per_replication']}",
    ]
    for key, title in GROUP_TITLES:
        rows = figures[key]
        if not rows:
            continue
        lines += ["", f"{title!s:<20} {pgettext('staff', 'Requests'):>9}  {pgettext('staff', 'Within 48 hours')}"]
        for name, figure in sorted(rows.items(), key=lambda item: (item[1]["mean"], item[0])):
            lines.append(f"{name:<20} {figure['requests']:>9}  {span(figure)}")
    lines.append("")
    target = percent(figures["options"]["target"])
    if not figures["suggestions"]:
        lines.append(
            pgettext("staff", "Every state reaches %(target)s within 48 hours (or none was searched).")
            % {"target": target}
        )
    for found in figures["suggestions"]:
        if found["hours"] is None:
            lines.append(
                pgettext(
                    "staff",
                    "%(state)s (%(share)s now): even %(most)s extra weekly hours of a provider who %(kind)s "
                    "fall short of %(target)s (reaching %(reached)s).",
                )
                % {
                    "state": found["state"],
                    "share": percent(found["share"]),
                    "most": 160,
                    "kind": found["kind_label"],
                    "target": target,
                    "reached": percent(found["reached"]),
                }
            )
        else:
            lines.append(
                npgettext(
                    "staff",
                    "%(state)s (%(share)s now): %(hours)s extra weekly hour of a provider who %(kind)s "
                    "lifts it to %(reached)s (target %(target)s).",
                    "%(state)s (%(share)s now): %(hours)s extra weekly hours of a provider who %(kind)s "
                    "lift it to %(reached)s (target %(target)s).",
                    found["hours"],
                )
                % {
                    "state": found["state"],
                    "share": percent(found["share"]),
                    "hours": found["hours"],
                    "kind": found["kind_label"],
                    "target": target,
                    "reached": percent(found["reached"]),
                }
            )
    together = figures.get("with_suggestions")
    if together:
        states = ", ".join(f"{state} {span(figure)}" for state, figure in together["by_state"].items())
        lines.append(
            npgettext(
                "staff",
                "With the %(hours)s extra weekly hour at once: %(share)s within 48 hours overall; %(states)s.",
                "With all %(hours)s extra weekly hours at once: %(share)s within 48 hours overall; %(states)s.",
                together["hours"],
            )
            % {"hours": together["hours"], "share": span(together["share_within_48h"]), "states": states}
        )
    lines.append(pgettext("staff", "Took %(seconds)s seconds.") % {"seconds": figures["seconds"]})
    return lines


# Bar charts: the viewBox scales to the container's width, so they never force sideways scrolling.
CHART_WIDTH = 480
LABEL_WIDTH = 110
ROW_HEIGHT = 28
BAR_HEIGHT = 16
TOP = 24


def bar_chart(rows: Mapping[str, Mapping[str, Any]], *, target: float, most: int = 12) -> dict[str, Any]:
    """A horizontal bar a group (lowest share first), its interval as a line, and the
    target as a dashed rule: positions in the SVG's units."""
    plot = CHART_WIDTH - LABEL_WIDTH - 50
    shown = sorted(rows.items(), key=lambda item: (item[1]["mean"], item[0]))[:most]
    bars = []
    for at, (name, figure) in enumerate(shown):
        y = TOP + at * ROW_HEIGHT
        bars.append(
            {
                "name": name,
                "y": y,
                "text_y": y + BAR_HEIGHT - 3,
                "width": round(plot * figure["mean"], 1),
                "low": round(LABEL_WIDTH + plot * max(0.0, figure["low"]), 1),
                "high": round(LABEL_WIDTH + plot * min(1.0, figure["high"]), 1),
                "middle": y + BAR_HEIGHT / 2,
                "value_x": round(LABEL_WIDTH + plot * figure["mean"] + 6, 1),
                "label": percent(figure["mean"]),
                "span": span(figure),
                "requests": figure["requests"],
                "short": figure["mean"] < target,
            }
        )
    height = TOP + len(bars) * ROW_HEIGHT + 10
    return {
        "width": CHART_WIDTH,
        "height": height,
        "left": LABEL_WIDTH,
        "label_x": LABEL_WIDTH - 8,
        "target_x": round(LABEL_WIDTH + plot * target, 1),
        "bottom": height - 6,
        "bars": bars,
        "more": max(0, len(rows) - most),
    }
