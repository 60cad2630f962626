"""Clearinghouse settings for the coverage tests: a synthetic practice and payer ids."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

X12_SETTINGS: dict[str, Any] = {
    "X12_SENDER_QUALIFIER": "ZZ", "X12_SENDER_ID": "CAREMATCH", "X12_RECEIVER_QUALIFIER": "ZZ",
    "X12_RECEIVER_ID": "CLEARHOUSE", "X12_USAGE": "T", "X12_SUBMITTER_NAME": "Example Practice",
    "X12_SUBMITTER_NPI": "1234567893", "X12_TRACE_ORIGINATOR": "1123456789", "X12_PAYER_IDS": {"aetna": "60054"},
    "X12_USERNAME": "", "X12_PASSWORD": "",
}


@pytest.fixture
def file_clearinghouse(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    outbox, inbox = tmp_path / "outbox", tmp_path / "inbox"
    with override_settings(X12_TRANSPORT="file", X12_OUTBOX=outbox, X12_INBOX=inbox, **X12_SETTINGS):
        yield outbox, inbox
