"""Dependencies point down (docs: LAYOUT.md): `lib` knows no app, the match engine knows only
`lib`, and the directory knows neither matching nor scheduling (callers pass openings in).
Read from the source itself: every import of every module that is not a test, at any depth
(inside functions too), relative imports resolved."""

from __future__ import annotations

import ast
from pathlib import Path

import carematch

ROOT = Path(carematch.__file__).parent
APPS = ("accounts", "access", "care", "coverage", "directory", "learn", "matching", "measures", "messaging",
        "newsletter", "scheduling")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_modules() -> dict[str, Path]:
    return {
        module_name(path): path for path in sorted(ROOT.rglob("*.py"))
        if "tests" not in path.relative_to(ROOT).parts and path.name not in {"testing.py", "conftest.py"}
    }


def imports_of(name: str, path: Path) -> set[str]:
    """Every module `name` imports (for `from x import y`, both x and x.y: y may be a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def within(module: str, *packages: str) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def breaches(importer: str, forbidden: tuple[str, ...], *, allowed: tuple[str, ...] = ()) -> list[str]:
    found = []
    for name, path in source_modules().items():
        if not within(name, importer):
            continue
        for target in sorted(imports_of(name, path)):
            if within(target, *forbidden) and not within(target, *allowed):
                found.append(f"{name} imports {target}")
    return found


def test_the_walk_sees_the_modules_and_their_imports():
    modules = source_modules()
    assert "carematch.directory.services" in modules and "carematch.matching.engine.match" in modules
    assert not any(".tests" in name for name in modules)
    assert "carematch.directory.models" in imports_of("carematch.directory.services",
                                                      modules["carematch.directory.services"])


def test_the_directory_imports_neither_matching_nor_scheduling():
    assert breaches("carematch.directory", ("carematch.matching", "carematch.scheduling")) == []


def test_the_match_engine_imports_nothing_of_carematch_but_lib():
    assert breaches("carematch.matching.engine", ("carematch",),
                    allowed=("carematch.lib", "carematch.matching.engine")) == []


def test_lib_imports_no_app():
    assert breaches("carematch.lib", tuple(f"carematch.{app}" for app in APPS)) == []


def test_the_fhir_mapping_and_reading_are_pure():
    """No database in the mapping of FHIR resources to records, in reading the file, nor in reading
    a search of the public API."""
    for part in ("map", "read", "search", "terms"):
        assert breaches(f"carematch.directory.fhir.{part}",
                        ("django.db", "carematch.directory.models", "carematch.directory.services")) == []
