"""The one contact search, for the admin and every dialect that searches: text in some of the contact's fields,
and a phone number or part of one. What differs between surfaces (which fields, whether each word or the whole
term must match, how a number is read) is an argument, not another query.

The admin's search, the defaults, is one text expression over the searchable columns (trigram-indexed on
PostgreSQL, see migration 0004) plus, for anything that reads as a phone number, exact matches of its E.164
readings and a partial match of its digits (trigram-indexed too, migration 0008).

Case is ignored for every letter on both databases: UPPER() on PostgreSQL, the Unicode-aware UNICODE_UPPER() on
SQLite, whose own UPPER() folds ASCII only (contacts/db.py).

A keyset page of a search (the native list's `q`) is read by `search_page`: see there why not as one query."""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    DateTimeField,
    Expression,
    F,
    Func,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Substr
from django.db.models.lookups import Contains

from contacts.db import UNICODE_UPPER, UnicodeUpper
from contacts.errors import ContactsError
from contacts.services.contact_fields import SEARCH_FIELDS
from contacts.services.phones import normalize_phone

SEARCH_ANNOTATION = "search_text"
# How many of the organization's contacts, in the page's order, `search_page` reads for matches before it asks
# the trigram index for the rest.
SEARCH_WINDOW = 5000
# The longest second stretch `search_page` reads from the trigram index, in windows.
SPAN_FACTOR = 10
# The columns the trigram index of migration 0004 is built on, in its order.
SEARCH_COLUMNS = SEARCH_FIELDS
# The `full_name` dialects show (contacts.selectors.full_name): the full name, else the name.
SHOWN_FULL_NAME = Case(When(full_name="", then=F("name")), default=F("full_name"))


class PhoneMatch(enum.Enum):
    """How a search term finds a phone number."""

    NONE = "none"
    # The admin's: the E.164 numbers the term reads as in the search's regions, and, for a term that is a number
    # or part of one (6 digits at least, separators ignored), the numbers containing its digits.
    READINGS = "readings"
    # Awal's: whatever digits the term has, in that order, are part of the number.
    DIGITS = "digits"
    # Contactship's: the term, a number or part of one already cleaned to digits and a leading "+", is part of
    # the E.164 number as stored ("+1212" is a prefix, "212456" anywhere).
    AS_TYPED = "as typed"


def search_sql(qualifier: str = "") -> str:
    """UPPER(name || ' ' || full_name || ' ' || email || ' ' || alias || ' ' || contact_key), NULLs as ''.

    Migration 0004 builds the trigram index from `search_sql()` (unqualified); queries use `SearchText`, the same
    expression over the table's (or its subquery alias's) columns, which PostgreSQL matches to the index."""
    prefix = f'"{qualifier}".' if qualifier else ""
    joined = " || ' ' || ".join(f"COALESCE({prefix}\"{column}\", '')" for column in SEARCH_COLUMNS)
    return f"UPPER({joined})"


class SearchText(Func):
    """`search_sql()` over column references rather than raw SQL, so Django can requalify the columns when the
    searched queryset becomes a subquery (`pk__in=...`, `organization__in=....values(...)`), where the contact
    table is aliased (`U0`): raw SQL naming "contacts_contact" there is an invalid reference (a 500 from the
    admin's export of a searched list).

    At the top level it compiles to `search_sql(<table>)` exactly (tests/test_exports_admin_search.py holds them
    equal), which PostgreSQL matches to the trigram index."""

    template = "UPPER(%(expressions)s)"
    arg_joiner = " || ' ' || "
    output_field = TextField()

    def __init__(self, columns: Sequence[str | Expression] = SEARCH_COLUMNS) -> None:
        super().__init__(*(Func(_expression(column), template="COALESCE(%(expressions)s, '')") for column in columns))

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list]:
        # No index to match on SQLite; what matters there is that "é" and "É" fold alike, as under UPPER() on
        # PostgreSQL.
        return super().as_sql(compiler, connection, template=f"{UNICODE_UPPER}(%(expressions)s)", **extra_context)


MIN_PHONE_DIGITS = 6
_PHONE_SEPARATORS = re.compile(r"[\s\-.()/]")
_PHONE_FRAGMENT = re.compile(r"\+?[0-9]+")


def phone_fragment(term: str) -> str | None:
    """The part of a stored E.164 number `term` can be, if it reads as one: `(212) 456` → `212456`,
    `+44 7911` → `+447911`, `0044 7911` → `+447911`; None for anything with letters or under 6 digits."""
    cleaned = _PHONE_SEPARATORS.sub("", term)
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    if not _PHONE_FRAGMENT.fullmatch(cleaned) or len(cleaned.lstrip("+")) < MIN_PHONE_DIGITS:
        return None
    return cleaned


def phone_digits() -> Substr:
    """The stored E.164 number without its "+": what the partial phone search matches, and exactly the expression
    the trigram index `contact_phone_trgm` is built on (migration 0008). The index being on an expression, not on
    the column, is deliberate: an index on `phone` itself would also offer `phone = ANY(...)`, and after ANALYZE
    PostgreSQL picks it over the unique index for the importer's batch lookups (17 s a batch instead of 1 ms)."""
    return Substr("phone", 2)


def phone_candidates(term: str, regions: Iterable[str]) -> set[str]:
    """The E.164 numbers `term` reads as in any of `regions` (`07911 123456` in GB → `+447911123456`)."""
    if sum(ch.isdigit() for ch in term) < MIN_PHONE_DIGITS:
        return set()
    found = set()
    for region in regions:
        try:
            found.add(normalize_phone(term, default_region=region).e164)
        except ContactsError:
            continue
    return found


def search_contacts(
    queryset: QuerySet,
    term: str,
    *,
    regions: Iterable[str] = (),
    fields: Sequence[str | Expression] = SEARCH_COLUMNS,
    every_word: bool = True,
    phone: PhoneMatch = PhoneMatch.READINGS,
) -> QuerySet:
    """The contacts of `queryset` that `term` finds, whatever the case of any letter, on both databases.

    Text: with `every_word`, each word of `term` is in one of `fields` (not necessarily the same one); without
    it, the whole term is in one of them. A field is a column name or an expression (`SHOWN_FULL_NAME`). Or the
    phone matches `term` as `phone` says, national numbers read in `regions`. A blank term finds everything."""
    term = term.strip()
    if not term:
        return queryset
    condition = Q()
    if fields and every_word:
        # A word has no space, so it is in the space-joined fields exactly when it is in one of them; and the
        # joined SEARCH_COLUMNS are what PostgreSQL's trigram index is built on.
        queryset = queryset.alias(**{SEARCH_ANNOTATION: SearchText(fields)})
        for word in term.split():
            # Upper-cased by the database, as the column is: Python's "ß".upper() is "SS", PostgreSQL's is "ß".
            condition &= Q(**{f"{SEARCH_ANNOTATION}__contains": UnicodeUpper(Value(word, output_field=TextField()))})
    elif fields:
        names = {f"{SEARCH_ANNOTATION}_{index}": field for index, field in enumerate(fields)}
        queryset = queryset.alias(**{name: _expression(field) for name, field in names.items()})
        condition = Q(*(Q(**{f"{name}__icontains": term}) for name in names), _connector=Q.OR)
    phone_condition = _phone_condition(term, phone, regions)
    if phone_condition is not None:
        condition = phone_condition if not fields else condition | phone_condition
    return queryset.filter(condition)


def _phone_condition(term: str, phone: PhoneMatch, regions: Iterable[str]) -> Q | None:
    if phone is PhoneMatch.READINGS:
        condition = None
        phones = phone_candidates(term, regions)
        if phones:
            condition = Q(phone__in=phones)
        fragment = phone_fragment(term)
        if fragment:
            partial = Q(Contains(phone_digits(), fragment.lstrip("+")))
            condition = partial if condition is None else condition | partial
        return condition
    if phone is PhoneMatch.DIGITS:
        digits = "".join(ch for ch in term if ch in "0123456789")
        return Q(Contains(phone_digits(), digits)) if digits else None
    if phone is PhoneMatch.AS_TYPED:
        return Q(phone__contains=term)
    return None


def _expression(field: str | Expression) -> Expression:
    return F(field) if isinstance(field, str) else field


def search_page(matches: QuerySet, scope: QuerySet, size: int, *, window: int | None = None) -> list[Any]:
    """The first `size` rows of `matches`, a searched keyset page: ordered by (a timestamp, id), both ascending or
    both descending, and starting after the page's cursor. `scope` is every contact that page could show, matched
    or not (the organization's), in the same order from the same place. The same rows in the same order as
    `list(matches[:size])`, without its worst case.

    That one query is a walk down the timestamp index checking each contact against the search, which PostgreSQL
    prefers whenever it expects the page to fill soon. It guesses so from each word's share of contacts as if the
    words were independent, so two common words that never occur together ("smith perez") walk the whole
    organization (a million contacts: over a second). The trigram index answers those in milliseconds, but a
    common word through it reads and sorts every match (q=john: most of a second, where the walk takes one
    millisecond). So the page is read in stretches of the list, each a range of the keyset order, one after the
    other until it is full:

    1. the walk over the next `window` contacts of `scope`, which fills the page of any common word;
    2. when that found some matches but too few, the next stretch long enough to hold the rest at the density
       seen (twice over, at most SPAN_FACTOR windows): "john smith" on 0.8 % of the contacts would otherwise read
       every one of its matches in the organization to keep the newest dozen;
    3. all the organization's remaining matches.

    Stretches 2 and 3 are collected first (MATERIALIZED), so that the LIMIT cannot lead the planner back into the
    walk: it reads them from the trigram index, or the timestamp index where that is cheaper."""
    window = SEARCH_WINDOW if window is None else window
    order = _page_order(matches)
    if order is None or size < 1 or window < 1:
        return list(matches[:size])
    field, descending = order
    edge = _row_key(scope, field, window)
    if edge is None:
        return list(matches[:size])  # fewer than `window` contacts left: the walk is bounded already
    lookups = matches._prefetch_related_lookups
    plain = matches.prefetch_related(None)
    rows = list(plain.filter(_seek(field, descending, edge, inclusive=True, toward_start=True))[:size])
    if rows and len(rows) < size:
        span = window * min(SPAN_FACTOR, math.ceil(2 * (size - len(rows)) / len(rows)))
        far = _row_key(scope.filter(_seek(field, descending, edge, inclusive=False, toward_start=False)), field, span)
        if far is not None:
            stretch = plain.filter(
                _seek(field, descending, edge, inclusive=False, toward_start=False),
                _seek(field, descending, far, inclusive=True, toward_start=True),
            )
            rows += _first_rows(stretch, field, descending, size - len(rows), rows)
            edge = far
    if len(rows) < size:
        rest = plain.filter(_seek(field, descending, edge, inclusive=False, toward_start=False))
        rows += _first_rows(rest, field, descending, size - len(rows), rows)
    # Once for the whole page: its rows come from up to three queries.
    prefetch_related_objects(rows, *lookups)
    return rows


def _row_key(ordered: QuerySet, field: str, position: int) -> tuple[Any, int] | None:
    """(timestamp, id) of the `position`th row of `ordered` (1 is the first), None when it has fewer rows: an
    index-only scan of `position` entries."""
    return next(iter(ordered.values_list(field, "pk")[position - 1 : position]), None)


def _page_order(queryset: QuerySet) -> tuple[str, bool] | None:
    """(timestamp field, descending) of a keyset page's `ORDER BY field, id`; None for any other order."""
    order = [str(item) for item in queryset.query.order_by]
    if len(order) != 2 or order[1].lstrip("-") not in ("id", "pk"):
        return None
    descending = order[0].startswith("-")
    if order[1].startswith("-") != descending or "__" in order[0]:
        return None
    return order[0].lstrip("-"), descending


def _seek(field: str, descending: bool, key: tuple[Any, int], *, inclusive: bool, toward_start: bool) -> Expression:
    """The rows on one side of the row `key` (timestamp, id) in the page's order: before it (toward the start of
    the list) or after it, itself included or not."""
    # Before the row in descending order is above it, as after it is in ascending order.
    above = toward_start == descending
    return KeyCompare(field, key, (">" if above else "<") + ("=" if inclusive else ""))


class KeyCompare(Expression):
    """`(timestamp, id) <op> (t, i)`, a row comparison. The list's cursor writes the same range as
    `t' <= t AND (t' < t OR id < i)`, which PostgreSQL estimates as if the two halves were unrelated: for a window's
    edge both are rare, it expects a handful of rows in a window of thousands, and reads the window through the
    trigram index instead of walking it. A row comparison is estimated from the timestamp alone, and is as much an
    index range on (organization, timestamp, id). SQLite has row values too (3.15)."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, field: str, key: tuple[Any, int], operator: str) -> None:
        super().__init__()
        self.operator = operator
        self.parts: list[Any] = [F(field), F("pk"), Value(key[0], output_field=DateTimeField()), Value(key[1])]

    def get_source_expressions(self) -> list[Any]:
        return self.parts

    def set_source_expressions(self, exprs: list[Any]) -> None:
        self.parts = list(exprs)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list]:
        compiled = [compiler.compile(part) for part in self.parts]
        sqls = [sql for sql, _ in compiled]
        return f"({sqls[0]}, {sqls[1]}) {self.operator} ({sqls[2]}, {sqls[3]})", [
            param for _, params in compiled for param in params
        ]


def _first_rows(rest: QuerySet, field: str, descending: bool, count: int, found: list[Any]) -> list[Any]:
    """The first `count` rows of `rest` in the page's order, picked from all its matches gathered first: through
    the trigram index on PostgreSQL, whatever the planner expects of the LIMIT. The rows are read in the statement
    that picks them, so one deleted meanwhile cannot leave the page a row short (which would end the walk)."""
    if found:
        # Each statement reads the rows as they are when it starts: one of the page's rows updated meanwhile can
        # have moved (by updated_at) into this stretch, and must not be on the page twice.
        rest = rest.exclude(pk__in=[row.pk for row in found])
    sql, params = rest.order_by().values_list("pk", field).query.sql_with_params()
    direction = "DESC" if descending else "ASC"
    picked = RawSQL(  # noqa: S611 (Django's own compilation, below)
        # `sql` is Django's compilation of the queryset, its values in `params`.
        f"WITH matched (id, stamp) AS MATERIALIZED ({sql}) "  # noqa: S608
        f"SELECT id FROM matched ORDER BY stamp {direction}, id {direction} LIMIT %s",
        [*params, count],
    )
    return list(rest.filter(pk__in=picked))
