"""URL patterns that forgive what real clients send, so an integration works when only its base URL changes.

- `mount()`: a dialect's prefix followed by one or more slashes. A base URL configured with a trailing slash
  (`http://crm/mobivate/`) joined to a path that starts with one (`/addressbook/contacts`) gives
  `/mobivate//addressbook/contacts`; the extra slashes are consumed by the mount's pattern, so the request reaches
  the same view while `request.path` stays exactly as sent (Awal signs the path the client called).
- `re_path_ignoring_case()`: SFMC, like the rest of Salesforce, treats its paths case-insensitively, and its own
  Node client (fuel-rest) lowercases every URL it sends (`/contacts/v1/attributesetdefinitions`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cached_property

from django.urls import include, re_path
from django.urls.resolvers import RegexPattern, URLPattern, URLResolver


class CaseInsensitiveRegexPattern(RegexPattern):
    """A `re_path` pattern compiled with `re.IGNORECASE`.

    The flag is given to `re.compile` rather than written inline as `(?i)`, because Django's `reverse()` cannot
    read inline flags and would fail for every URL of the project."""

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self._regex, re.IGNORECASE)


def re_path_ignoring_case(regex: str, view, name: str | None = None) -> URLPattern:
    return URLPattern(CaseInsensitiveRegexPattern(regex, name=name, is_endpoint=True), view, name=name)


def mount(prefix: str, urlconf: str | tuple[Sequence[URLPattern | URLResolver], str | None]) -> URLResolver:
    """`prefix/` and `prefix//` (any number of slashes) lead to the same `urlconf`: a module's dotted path, or
    `(patterns, app_name)` as `include()` takes them."""
    return re_path(rf"^{re.escape(prefix)}/+", include(urlconf))
