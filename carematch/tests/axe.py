"""axe-core in the browser tests: `assert_no_serious_axe_violations(page, name)` runs axe-core
(axe-playwright-python, which evaluates axe's own script in the page) on what the page shows
now and fails with a readable list of every serious or critical violation: the rule, its
impact, what it asks for, the elements (axe's CSS selectors) and the rule's help page.
Moderate and minor findings are left to people checking by hand; nothing is printed.

axe's script is evaluated by Playwright through the DevTools protocol, which the site's
Content-Security-Policy does not govern (the policy governs scripts the page loads), so the
pages are checked under their real policy; no context needs `bypass_csp`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

SERIOUS = ("serious", "critical")


def serious_axe_violations(page: Page) -> list[str]:
    """One line for each serious or critical violation axe-core finds on the page as it is."""
    from axe_playwright_python.sync_playwright import Axe

    response: dict[str, Any] = Axe().run(page).response
    lines = []
    for violation in response["violations"]:
        if violation.get("impact") not in SERIOUS:
            continue
        targets = "; ".join(" >>> ".join(str(part) for part in node["target"]) for node in violation["nodes"])
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}. Elements: {targets}. "
                     f"See {violation['helpUrl']}")
    return lines


def assert_no_serious_axe_violations(page: Page, name: str) -> None:
    """Fail, naming the page, when axe-core finds a serious or critical violation on it."""
    found = serious_axe_violations(page)
    if found:
        listing = "\n".join(f"- {line}" for line in found)
        pytest.fail(f"axe-core: {len(found)} serious or critical violation(s) on {name} ({page.url}):\n{listing}",
                    pytrace=False)
