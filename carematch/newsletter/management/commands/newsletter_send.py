"""carematch newsletter_send --subject S --articles slug,... [--topic T] [--dry-run]

Sends a newsletter of published articles to confirmed subscribers, in batches through the
task worker (`carematch db_worker`), and follows the sending with a progress bar. Running the
same command again resumes the same issue: whoever already had it is never sent it again."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from carematch.lib.errors import DomainError
from carematch.newsletter import selectors, services, tasks
from carematch.newsletter.models import TOPICS, DeliveryStatus


class Command(BaseCommand):
    help = "Send a newsletter of published articles to confirmed subscribers (resumable)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--subject", required=True)
        parser.add_argument("--articles", required=True, help="Slugs of published articles, separated by commas.")
        parser.add_argument("--topic", default="", help=f"Only subscribers of this topic: {', '.join(TOPICS)}.")
        parser.add_argument("--dry-run", action="store_true", help="Say who would get it; send nothing.")
        parser.add_argument("--wait", type=float, default=600.0,
                            help="Seconds to follow the worker's sending before leaving it to finish (600).")

    def handle(self, *args: Any, subject: str, articles: str, topic: str, dry_run: bool, wait: float,
               **options: Any) -> None:
        if not settings.SITE_URL.startswith("https://") and not settings.DEBUG:
            raise CommandError("CAREMATCH_SITE_URL must be an https:// address: every newsletter carries an "
                               "HTTPS unsubscribe link (RFC 8058).")
        slugs = [s for s in articles.split(",") if s.strip()]
        if dry_run:
            from carematch.learn.selectors import published_articles_by_slug

            found, missing = published_articles_by_slug(slugs=[s.strip() for s in slugs])
            if missing or not subject.strip() or (topic and topic not in TOPICS):
                self._fail_on(lambda: services.issue_prepare(subject=subject, slugs=slugs, topic=topic))
            self.stdout.write(f"Dry run: '{subject.strip()}' with {len(found)} article(s) would go to "
                              f"{_count_would_get(topic)} confirmed subscriber(s). Nothing was sent.")
            return
        issue, made = self._fail_on(lambda: services.issue_prepare(subject=subject, slugs=slugs, topic=topic))
        left = list(selectors.recipients_left(issue=issue).values_list("pk", flat=True))
        already = selectors.delivery_counts(issue=issue)
        if not made:
            self.stdout.write(f"Resuming issue {issue.pk}: {already[DeliveryStatus.SENT]} already sent, "
                              f"{len(left)} left.")
        if not left:
            self.stdout.write(self.style.SUCCESS(f"Issue {issue.pk}: nobody left to send to."))
            return
        size = settings.NEWSLETTER_BATCH_SIZE
        target = already[DeliveryStatus.SENT] + len(left)
        with tqdm(total=target, initial=already[DeliveryStatus.SENT], unit="email", file=self.stderr._out,
                  disable=None) as bar:
            for start in range(0, len(left), size):
                tasks.deliver_batch.enqueue(issue_id=issue.pk, subscriber_ids=left[start:start + size])
            deadline = time.monotonic() + wait
            while True:
                counts = selectors.delivery_counts(issue=issue)
                bar.update(counts[DeliveryStatus.SENT] - bar.n)
                finished = counts[DeliveryStatus.SENT] >= target or counts[DeliveryStatus.FAILED]
                if finished or time.monotonic() > deadline:
                    break
                time.sleep(1)
        counts = selectors.delivery_counts(issue=issue)
        summary = (f"Issue {issue.pk}: {counts[DeliveryStatus.SENT]} sent, {counts[DeliveryStatus.FAILED]} failed, "
                   f"{counts[DeliveryStatus.SENDING]} being sent.")
        if counts[DeliveryStatus.FAILED]:
            self.stdout.write(self.style.WARNING(f"{summary} Run the same command again to retry the failed ones."))
        elif counts[DeliveryStatus.SENT] < target:
            self.stdout.write(f"{summary} The task worker is sending the rest; run the command again to follow it.")
        else:
            self.stdout.write(self.style.SUCCESS(summary))

    def _fail_on(self, call: Any) -> Any:
        try:
            return call()
        except DomainError as error:
            raise CommandError(error.detail) from error


def _count_would_get(topic: str) -> int:
    from carematch.newsletter.models import Subscriber, SubscriberStatus

    confirmed = Subscriber.objects.filter(status=SubscriberStatus.CONFIRMED)
    return sum(1 for s in confirmed if topic in s.topics) if topic else confirmed.count()
