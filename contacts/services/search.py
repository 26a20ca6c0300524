"""Contact search used by the admin: one text expression over the searchable columns (trigram-indexed on
PostgreSQL, see migration 0004) plus exact phone matches for anything that reads as a phone number."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, Func, Q, QuerySet, TextField

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


def phone_candidates(term: str, regions: Iterable[str]) -> set[str]:
    if sum(ch.isdigit() for ch in term) < 6:
        return set()
    found = set()
    for region in regions:
        try:
            found.add(normalize_phone(term, default_region=region).e164)
        except ContactsError:
            continue
    return found


def search_contacts(queryset: QuerySet, term: str, *, regions: Iterable[str]) -> QuerySet:
    """Contacts whose text contains every word of `term`, or whose phone is `term` in any common format."""
    term = term.strip()
    if not term:
        return queryset
    text_match = Q()
    for word in term.split():
        text_match &= Q(**{f"{SEARCH_ANNOTATION}__contains": word.upper()})
    phones = phone_candidates(term, regions)
    condition = text_match | Q(phone__in=phones) if phones else text_match
    return queryset.alias(**{SEARCH_ANNOTATION: SearchText()}).filter(condition)
