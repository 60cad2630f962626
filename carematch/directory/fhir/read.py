"""Reading a FHIR file: JSON, a Bundle, and valid FHIR R4 by the fhir.resources R4B models.
Every problem names where it is (`entry 3 (Practitioner/abc)`, entries counted from 0 as in
FHIRPath), the element and what is wrong. Pure: no database."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an imported bundle: where (a resource), which field, and what."""

    where: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.message}"


def json_text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def json_items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def json_objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in json_items(value) if isinstance(item, dict)]


def json_object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def entry_label(data: Mapping[str, Any], index: int) -> str:
    """`entry 3 (Practitioner/abc)`: an entry of the bundle, counted from 0 as in FHIRPath."""
    entries = json_items(data.get("entry"))
    resource = json_object(json_object(entries[index]).get("resource")) if 0 <= index < len(entries) else {}
    kind, ident = json_text(resource.get("resourceType")), resource.get("id")
    if not kind:
        return f"entry {index}"
    return f"entry {index} ({kind}/{ident})" if isinstance(ident, str) and ident else f"entry {index} ({kind})"


def _element_path(parts: Sequence[Any]) -> str:
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path


def _pydantic_message(error: Mapping[str, Any]) -> str:
    kind = error.get("type")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not an element of this resource in FHIR R4"
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ").strip().rstrip(".")
    found = error.get("input")
    if isinstance(found, str | int | float | bool):
        shown = repr(found)
        message += f" (found {shown[:60] + '...' if len(shown) > 60 else shown})"
    return message


def _resource_type_problem(kind: Any) -> str | None:
    if not isinstance(kind, str) or not kind:
        return "is missing: every resource names its resourceType"
    try:
        model = get_fhir_model_class(kind)
    except ValueError:
        model = None
    if model is None or not model.has_resource_base():
        return f"'{kind[:60]}' is not a FHIR R4 resource type"
    return None


def fhir_problems(data: Mapping[str, Any], *, name: str) -> list[Problem]:
    """What keeps a Bundle (as JSON data) from being valid FHIR R4, by the fhir.resources R4B
    models: each problem at its entry and the element path pydantic names."""
    found: list[tuple[int, Problem]] = []
    shell = dict(data)
    resources: list[tuple[int, dict[str, Any]]] = []
    if isinstance(data.get("entry"), list):
        shell["entry"] = []
        for index, entry in enumerate(data["entry"]):
            if isinstance(entry, dict) and "resource" in entry:
                resource = entry["resource"]
                shell["entry"].append({key: value for key, value in entry.items() if key != "resource"})
                wrong = (_resource_type_problem(resource.get("resourceType")) if isinstance(resource, dict)
                         else "a resource is a JSON object naming its resourceType")
                if wrong:
                    found.append((index, Problem(f"entry {index}", "resourceType", wrong)))
                else:
                    resources.append((index, resource))
            else:
                shell["entry"].append(entry)
    try:
        Bundle.model_validate(shell)
    except ValidationError as exc:
        for error in exc.errors():
            loc = list(error.get("loc", ()))
            if len(loc) >= 2 and loc[0] == "entry" and isinstance(loc[1], int):
                found.append((loc[1], Problem(entry_label(data, loc[1]), _element_path(["entry", *loc[2:]]),
                                              _pydantic_message(error))))
            else:
                found.append((-1, Problem(name, _element_path(loc) or "Bundle", _pydantic_message(error))))
    # Each resource by its own model: the same rules as through Bundle.entry.resource, and faster.
    for index, resource in resources:
        try:
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        except ValidationError as exc:
            found.extend(
                (index, Problem(entry_label(data, index), _element_path(error.get("loc", ())) or "resource",
                                _pydantic_message(error)))
                for error in exc.errors()
            )
        except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
            found.append((index, Problem(entry_label(data, index), "resource",
                                         f"cannot be read as FHIR R4 ({type(exc).__name__})")))
    return [problem for _, problem in sorted(found, key=lambda item: item[0])]


def read_bundle(raw: bytes | str, *, name: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parse and validate a FHIR R4 Bundle (fhir.resources R4B models).

    Returns the bundle as plain JSON data, or None with every problem found: not JSON, not
    a Bundle, or not valid FHIR (each at the element pydantic names). `name` (the file)
    stands for where the problem is when no resource can be named.
    """
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return None, [Problem(name, f"line {exc.lineno} column {exc.colno}", f"not JSON: {exc.msg}")]
    except UnicodeDecodeError:
        return None, [Problem(name, "encoding", "not JSON: the file is not UTF-8 text")]
    except RecursionError:
        return None, [Problem(name, "structure", "not JSON carematch can read: it is nested too deeply")]
    if not isinstance(data, dict):
        return None, [Problem(name, "resourceType", f"the file holds a JSON {type(data).__name__}, not a FHIR Bundle")]
    kind = data.get("resourceType")
    if kind != "Bundle":
        shown = f"'{kind}'" if isinstance(kind, str) else "missing"
        return None, [Problem(name, "resourceType", f"is {shown}; carematch imports a FHIR Bundle")]
    problems = fhir_problems(data, name=name)
    return (None, problems) if problems else (data, [])
