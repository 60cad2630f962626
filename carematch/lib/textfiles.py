"""Reading a file a coordinator gives a command (a roster, plans, fees): text or one clear line."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError


def read_text(path: Path, kind: str) -> str:
    """The file as UTF-8 text (a byte-order mark dropped), or a one-line CommandError saying why
    it cannot be a `kind` file: missing, a folder, unreadable, not UTF-8 (with the line), or empty."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CommandError(f"{path} is a folder, not a {kind} file") from None
    except OSError as exc:
        raise CommandError(f"{path} cannot be read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CommandError(
            f"{path} is not UTF-8 text (line {line} has the byte 0x{data[exc.start]:02x}); "
            "save it as 'CSV UTF-8' and try again"
        ) from None
    if not text.strip():
        raise CommandError(f"{path} is empty: a {kind} file starts with a header line naming the columns")
    return text
