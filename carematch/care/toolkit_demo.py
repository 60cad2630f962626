"""Demo content of the coping toolkit and the journal, for the demo client: a breathing practice
logged today (a check-in of deep breathing in their plan) and two journal entries, one private
and one shared with their provider when they have one. Written through the same services as
the pages; running it again adds nothing. The words are invented for the demo."""

from __future__ import annotations

from carematch.accounts.models import Client

from . import selectors, services
from .models import ActivityKind, CheckIn, JournalEntry

DEMO_CLIENT_EMAIL = "client@demo.carematch.test"
DEMO_ENTRIES = (
    "Example entry. Sunday: hard to get going today. Did the box breathing twice and went for a short walk; "
    "the tightness in my chest eased after the second round.",
    "Example entry. I want to talk about the way I freeze in meetings. Writing it here so I remember to bring "
    "it up next session.",
)


def seed_demo_toolkit() -> str:
    """The demo client's practice and journal; what happened, in a line."""
    client = Client.objects.select_related("user").filter(user__email__iexact=DEMO_CLIENT_EMAIL).first()
    if client is None:
        return "Toolkit and journal: empty until the demo client books a first session."
    added = []
    if not CheckIn.objects.filter(activity__client=client, activity__kind=ActivityKind.DEEP_BREATHING).exists():
        activities = selectors.toolkit_activities(client=client, kind=ActivityKind.DEEP_BREATHING)
        same_kind = [a for a in activities if a.kind == ActivityKind.DEEP_BREATHING]
        services.toolkit_practice_log(client=client, by=client.user, practice=services.Practice.BREATHING, mood=6,
                                      activity_id=same_kind[0].pk if same_kind else None)
        added.append("a breathing practice")
    if not JournalEntry.objects.filter(client=client).exists():
        _private, to_share = (services.journal_entry_write(client=client, by=client.user, body=body)
                              for body in DEMO_ENTRIES)
        providers = selectors.journal_providers(client=client)
        if providers:
            services.journal_entry_share(entry=to_share, by=client.user, provider_id=providers[0].pk)
        shared = " (one shared with their provider)" if providers else ""
        added.append(f"{len(DEMO_ENTRIES)} journal entries{shared}")
    return "Toolkit demo: " + (", ".join(added) + " added." if added else "already there.")
