"""Reads made on every API request, with their SQL built by the ORM once per process.

Building a query through the ORM (filters, joins, the compiler) can cost more than the
database takes to answer it. A `CompiledRead` is made from a function that builds the
queryset; the first time it runs on a database connection, the queryset is built with a
stand-in for each parameter and compiled, and what each of the SQL's parameters is (a
stand-in's name or a constant) is kept. Each read then runs that SQL with its own values and
makes its model instances through Django's own machinery (the compiler's converters, and the
related objects of `select_related`), so that the answer is the one the queryset gives.

Stand-ins must be values that cannot occur otherwise (a negative id, a string no caller
sends), and of kinds the ORM passes to the database as they are (ids, strings: not dates,
which it adapts); a stand-in the compiled SQL does not carry exactly once is an error when
compiling.
"""

from __future__ import annotations

from collections.abc import Callable
from threading import local
from typing import Any, Generic, TypeVar

from django.db import connections, models
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]

M = TypeVar("M", bound=models.Model)


class CompiledRead(Generic[M]):
    def __init__(self, build: Callable[..., models.QuerySet[M]], **stand_ins: object) -> None:
        self._build = build
        self._stand_ins = stand_ins
        # Per thread, as database connections are: the compiler keeps the connection it was made for.
        self._local = local()

    def _compile(self, alias: str) -> tuple[Any, str, tuple[tuple[str, object], ...]]:
        connection = connections[alias]
        known = self._local.__dict__.setdefault("compiled", {})
        key = (alias, connection.vendor, id(connection))
        compiled = known.get(key)
        if compiled is None:
            queryset = self._build(**self._stand_ins).using(alias)
            compiler = queryset.query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            names = {value: name for name, value in self._stand_ins.items()}
            slots = tuple((names[param], None) if _hashable(param) and param in names else ("constant", param)
                          for param in params)
            for name in self._stand_ins:
                if sum(1 for kind, _ in slots if kind == name) != 1:
                    raise ValueError(f"the compiled read carries its stand-in for {name!r} other than once")
            compiled = known[key] = (compiler, sql, slots)
        return compiled

    def fetch(self, *, using: str = "default", **values: object) -> list[M]:
        """The instances the built queryset would give for `values`, in its order."""
        compiler, sql, slots = self._compile(using)
        params: list[Any] = [value if kind == "constant" else values[kind] for kind, value in slots]
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not rows:
            return []
        # As django.db.models.query.ModelIterable makes them.
        select, klass_info = compiler.select, compiler.klass_info
        model_cls = klass_info["model"]
        select_fields = klass_info["select_fields"]
        start, end = select_fields[0], select_fields[-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, using)
        instances = []
        for row in compiler.results_iter(results=[rows]):
            instance = model_cls.from_db(using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, instance)
            instances.append(instance)
        return instances

    def first(self, *, using: str = "default", **values: object) -> M | None:
        found = self.fetch(using=using, **values)
        return found[0] if found else None


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
