"""Queries compiled to SQL once per process (issue 12, "Fast pages"): a hot page's fixed queries built with the
ORM, so the tables, columns and conditions come from the models, but run with the database's work alone.

Compiling a queryset costs 0.1-0.3 ms of Python each time; a page that runs the same few queries on every
view (the client's status page, the dashboard's counters) pays more for that than for the queries. Here the
queryset is built once with stand-in values (`sentinels`), compiled, and each run puts the real values in
the stand-ins' places among the parameters. Only for querysets whose shape does not depend on the values
(no `if` on them in `build`); each stand-in must appear among the parameters and must not equal any other
parameter (negative ids, a date in 1901).

The SQL is kept with named placeholders (`%(p0)s`) and run with a dict of parameters: Django's SQLite
cursor turns the ORM's `%s` into `?` with a regular expression on every execution (45 us for the status
page's 3 kB statement, more than SQLite's own work), while named ones take one `%` formatting. PostgreSQL's
driver takes both alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.db.models.sql.compiler import SQLCompiler

_FORMAT_PLACEHOLDER = re.compile(
    r"(?<!%)%s"
)  # the ORM's placeholders (Django's own pattern; "%%s" is a literal)


def _adapted(value: Any) -> Any:
    """A value as the ORM passes it to the driver (SQLite gets datetimes as UTC text)."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


class CompiledQuery:
    """`build(*sentinels)` -> a queryset, or several combined into one statement by `combine` (their SQL in
    order -> one SQL; their parameters follow each other)."""

    def __init__(
        self,
        build: Callable[..., QuerySet | Sequence[QuerySet]],
        *sentinels: Any,
        combine: Callable[[list[str]], str] | None = None,
    ) -> None:
        self._build = build
        self._sentinels = sentinels
        self._combine = combine
        # per database vendor: (compiler of the first queryset, SQL with named placeholders, its parameters by
        # name, {name: sentinel index}, the first queryset's converters)
        self._compiled: dict[str, tuple[SQLCompiler, str, dict[str, Any], dict[str, int], dict]] = {}

    def _compile(self) -> tuple[SQLCompiler, str, dict[str, Any], dict[str, int], dict]:
        built = self._build(*self._sentinels)
        querysets = [built] if isinstance(built, QuerySet) else list(built)
        compilers = [queryset.query.get_compiler(using=queryset.db) for queryset in querysets]
        parts, params = [], []
        for compiler in compilers:
            sql, part_params = compiler.as_sql()
            parts.append(sql)
            params.extend(part_params)
        if self._combine is not None:
            sql = self._combine(parts)
        elif len(parts) == 1:
            sql = parts[0]
        else:
            raise ValueError("several querysets need `combine`")
        stand_ins = [_adapted(sentinel) for sentinel in self._sentinels]
        positions = {f"p{i}": stand_ins.index(param) for i, param in enumerate(params) if param in stand_ins}
        if set(positions.values()) != set(range(len(stand_ins))):
            raise ValueError("every sentinel must be one of the query's parameters")
        if len(_FORMAT_PLACEHOLDER.findall(sql)) != len(params):
            raise ValueError("the SQL's placeholders and the parameters differ in number")
        numbers = iter(range(len(params)))
        named = _FORMAT_PLACEHOLDER.sub(lambda _match: f"%(p{next(numbers)})s", sql)
        first = compilers[0]
        converters = first.get_converters([column[0] for column in first.select[: first.col_count]])
        return first, named, {f"p{i}": param for i, param in enumerate(params)}, positions, converters

    def rows(self, *values: Any) -> list[tuple]:
        """The rows for these values (in the sentinels' order), as the database driver gives them."""
        compiled = self._compiled.get(connection.vendor)
        if compiled is None:
            compiled = self._compiled[connection.vendor] = self._compile()
        _compiler, sql, params, positions, _converters = compiled
        run = dict(params)
        for name, sentinel in positions.items():
            run[name] = _adapted(values[sentinel])
        with connection.cursor() as cursor:
            cursor.execute(sql, run)
            return cursor.fetchall()

    def objects(self, *values: Any) -> list[Any]:
        """Model instances for these values, with their select_related objects, built as the ORM's own
        iterator builds them (`django.db.models.query.ModelIterable`), from the rows of `rows()`."""
        from django.db.models.query import get_related_populators

        rows = self.rows(*values)
        compiler, _sql, _params, _positions, converters = self._compiled[connection.vendor]
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        using = compiler.using or connection.alias
        # (django-stubs describe Django 6's signature, which adds a fetch mode)
        populators = get_related_populators(klass_info, select, using)  # type: ignore[call-arg]
        found = []
        for row in compiler.apply_converters(rows, converters) if converters else rows:
            instance = klass_info["model"].from_db(using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, instance)
            found.append(instance)
        return found

    def value(self, row: tuple, index: int) -> Any:
        """Column `index` of a row of rows() (of the first queryset), converted as the ORM converts it."""
        return self.values(row, (index,))[0]

    def values(self, row: tuple, indexes: Sequence[int]) -> list[Any]:
        """Columns `indexes` of a row of rows() (of the first queryset), converted as the ORM converts them."""
        compiler, _sql, _params, _positions, converters = self._compiled[connection.vendor]
        found = []
        for index in indexes:
            value = row[index]
            functions, expression = converters.get(index, ((), None))
            for function in functions:
                value = function(value, expression, compiler.connection)
            found.append(value)
        return found
