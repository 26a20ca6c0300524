"""The contact search lives with the other reads, in `contacts.selectors.search`; this name is kept for the
callers that still import it from here (the admin's changelist and its tests)."""

from contacts.selectors.search import SearchText, phone_digits, search_contacts, search_sql

__all__ = ["SearchText", "phone_digits", "search_contacts", "search_sql"]
