"""Every 270 carematch builds and every 271 it reads goes through pyx12 here, against the
005010X279A1 maps (maps.py). pyx12 walks the loops; what it found is handed back as
(loop id, segment) pairs for the reader, and what it refused as error codes and places only:
never an element's value, which may be a name, a date of birth or a member id."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from typing import Any

import pyx12.errors
import pyx12.params
import pyx12.segment
import pyx12.x12n_document

from .maps import map_path

# pyx12 logs what it read at debug and warning levels, values included: never let it through.
logging.getLogger("pyx12").setLevel(logging.CRITICAL)
logging.getLogger("pyx12").propagate = False


class X12Invalid(ValueError):
    """The text is not an X12 interchange that conforms to 005010X279A1. The message names
    the problems by pyx12's error codes and places (loop, segment, element), never values."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("not a valid 005010X279A1 interchange: " + "; ".join(problems[:5]))


@dataclass(frozen=True)
class Found:
    loop: str
    segment: pyx12.segment.Segment

    @property
    def id(self) -> str:
        return str(self.segment.get_seg_id())

    def value(self, ref: str) -> str:
        """The element at `ref` (EB01, EB13-1...), '' when absent."""
        found = self.segment.get_value(ref)
        return str(found) if found else ""


def _problems(document: dict[str, Any]) -> list[str]:
    """Error codes and places out of pyx12's JSON of errors, values left out."""
    problems: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            here = where
            seg_id = node.get("seg_id") or node.get("id")
            if isinstance(seg_id, str) and seg_id:
                here = f"{where}/{seg_id}" if where else seg_id
            for error in node.get("errors") or []:
                if isinstance(error, dict):
                    code = error.get("err_cde") or error.get("code") or "?"
                    ref = error.get("ele_ref_num") or error.get("ele_pos") or ""
                    problems.append(f"{here or 'interchange'} error {code}{f' at {ref}' if ref else ''}")
            for key, child in node.items():
                if key != "errors" and isinstance(child, (list, dict)):
                    walk(child, here)
        elif isinstance(node, list):
            for child in node:
                walk(child, where)

    walk(document, "")
    return problems


def validated(text: str, *, transaction: str) -> list[Found]:
    """The segments of `text` (a 270 or a 271, per `transaction`) with the loop each belongs
    to, once pyx12 has validated the whole interchange against 005010X279A1; X12Invalid if not."""
    if not text or not text.lstrip().startswith("ISA"):
        raise X12Invalid(["it does not begin with an ISA segment"])
    params = pyx12.params.params()
    found: list[Found] = []
    kinds: set[str] = set()

    def collect(seg: Any, src: Any, node: Any, valid: bool) -> None:
        seg_id = seg.get_seg_id()
        if seg_id == "ST":
            kinds.add(str(seg.get_value("ST01")))
        parent = node.get_parent() if node is not None else None
        found.append(Found(loop=str(getattr(parent, "id", "") or ""), segment=seg))

    errors_json = io.StringIO()
    try:
        valid = pyx12.x12n_document.x12n_document(
            params, io.StringIO(text), fd_997=None, fd_html=None, fd_json=errors_json, map_path=map_path(),
            callback=collect,
        )
    except (pyx12.errors.X12Error, pyx12.errors.EngineError, OSError) as exc:
        raise X12Invalid([type(exc).__name__]) from None
    except Exception as exc:  # noqa: BLE001 - pyx12 fails in many ways on text that is not X12
        raise X12Invalid([f"unreadable ({type(exc).__name__})"]) from None
    if not valid:
        try:
            problems = _problems(json.loads(errors_json.getvalue() or "{}"))
        except ValueError:
            problems = []
        raise X12Invalid(problems or ["pyx12 refused it"])
    if kinds != {transaction}:
        raise X12Invalid([f"it holds {', '.join(sorted(kinds)) or 'no transaction'}, not a {transaction}"])
    return found
