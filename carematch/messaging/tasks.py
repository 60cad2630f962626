"""Background work for messages, run by `carematch db_worker`. Tasks carry record ids only,
never text."""

from __future__ import annotations

from django_tasks import task

from . import emails


@task()
def send_message_notice(*, conversation_id: int, to_client: bool) -> int:
    """Tell one side of a conversation that a message is waiting (never what it says)."""
    return emails.message_notice_send(conversation_id=conversation_id, to_client=to_client)
