"""Unicode-aware case folding on SQLite, so a search finds "Pérez" by "pérez" and "PÉREZ" on both databases.

SQLite's own UPPER(), LOWER() and LIKE fold ASCII letters only; PostgreSQL folds every letter (under a UTF-8
ctype). Every SQLite connection therefore gets two Python functions, UNICODE_UPPER and UNICODE_LOWER, and the
case-insensitive lookups of text fields (`iexact`, `icontains`, `istartswith`, `iendswith`) compare
UNICODE_UPPER of the column with the upper-cased value on SQLite, as PostgreSQL compares UPPER of both. Nothing
changes on PostgreSQL: its lookups, and the expression its trigram index was built from, stay as they are.

The functions are not built into SQLite, so nothing stored may depend on them (no index or constraint uses them):
a database file opened by another program must stay readable and writable.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.signals import connection_created
from django.db.models import lookups
from django.db.models.functions import Lower, Upper

UNICODE_UPPER = "UNICODE_UPPER"
UNICODE_LOWER = "UNICODE_LOWER"


def unicode_upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor != "sqlite":
        return
    # deterministic: SQLite may evaluate a call on constant arguments once per statement instead of once per row.
    connection.connection.create_function(UNICODE_UPPER, 1, unicode_upper, deterministic=True)
    connection.connection.create_function(UNICODE_LOWER, 1, unicode_lower, deterministic=True)


class UnicodeUpper(Upper):
    """UPPER() that folds every letter on SQLite too."""

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list]:
        return super().as_sql(compiler, connection, function=UNICODE_UPPER, **extra_context)


class UnicodeLower(Lower):
    """LOWER() that folds every letter on SQLite too, so it agrees with Python's `str.lower()` on both databases."""

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list]:
        return super().as_sql(compiler, connection, function=UNICODE_LOWER, **extra_context)


class _UnicodeCaseInsensitive:
    """On SQLite, `UNICODE_UPPER(column) LIKE <value upper-cased in Python>`: what PostgreSQL does with UPPER().

    Only for a plain value on the right; a column or expression there keeps Django's SQLite SQL."""

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, list]:
        if not self.rhs_is_direct_value() or self.bilateral_transforms:
            return self.as_sql(compiler, connection)
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        rhs_sql, rhs_params = self.process_rhs(compiler, connection)
        rhs_params = [unicode_upper(param) for param in rhs_params]
        return f"{UNICODE_UPPER}({lhs_sql}) LIKE {rhs_sql} ESCAPE '\\'", [*lhs_params, *rhs_params]


class UnicodeIExact(_UnicodeCaseInsensitive, lookups.IExact):
    pass


class UnicodeIContains(_UnicodeCaseInsensitive, lookups.IContains):
    pass


class UnicodeIStartsWith(_UnicodeCaseInsensitive, lookups.IStartsWith):
    pass


class UnicodeIEndsWith(_UnicodeCaseInsensitive, lookups.IEndsWith):
    pass


CASE_INSENSITIVE_LOOKUPS = (UnicodeIExact, UnicodeIContains, UnicodeIStartsWith, UnicodeIEndsWith)


def install() -> None:
    """Called once from the app's `ready()`: the connection hook and the lookups for every text field."""
    connection_created.connect(register_sqlite_functions, dispatch_uid="contacts.db.register_sqlite_functions")
    for field_class in (models.CharField, models.TextField):
        for lookup in CASE_INSENSITIVE_LOOKUPS:
            field_class.register_lookup(lookup)
