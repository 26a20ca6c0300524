"""Contact search used by the admin: one text expression over the searchable columns (trigram-indexed on
PostgreSQL, see migration 0004) plus, for anything that reads as a phone number, exact matches of its E.164
readings and a partial match of its digits (trigram-indexed too, migration 0008).

Case is ignored for every letter on both databases: UPPER() on PostgreSQL, the Unicode-aware UNICODE_UPPER() on
SQLite, whose own UPPER() folds ASCII only (contacts/db.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.db.models import F, Func, Q, QuerySet, TextField, Value
from django.db.models.functions import Substr
from django.db.models.lookups import Contains

from contacts.db import UNICODE_UPPER, UnicodeUpper
from contacts.errors import ContactsError
from contacts.services.phones import normalize_phone

SEARCH_ANNOTATION = "search_text"
SEARCH_COLUMNS = ("name", "full_name", "email", "alias", "contact_key")


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

    def __init__(self) -> None:
        super().__init__(*(Func(F(column), template="COALESCE(%(expressions)s, '')") for column in SEARCH_COLUMNS))

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


def search_contacts(queryset: QuerySet, term: str, *, regions: Iterable[str]) -> QuerySet:
    """Contacts whose text contains every word of `term` whatever its case, or whose phone is `term` in any
    common format (national ones read in `regions`) or contains `term`'s digits."""
    term = term.strip()
    if not term:
        return queryset
    condition = Q()
    for word in term.split():
        # Upper-cased by the database, as the column is: Python's "ß".upper() is "SS", PostgreSQL's is "ß".
        condition &= Q(**{f"{SEARCH_ANNOTATION}__contains": UnicodeUpper(Value(word, output_field=TextField()))})
    phones = phone_candidates(term, regions)
    if phones:
        condition |= Q(phone__in=phones)
    fragment = phone_fragment(term)
    if fragment:
        condition |= Q(Contains(phone_digits(), fragment.lstrip("+")))
    return queryset.alias(**{SEARCH_ANNOTATION: SearchText()}).filter(condition)
