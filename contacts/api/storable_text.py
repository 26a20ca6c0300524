"""Refusing text that no database column can hold, once, for every dialect.

PostgreSQL's text types cannot store NUL (U+0000), and a lone UTF-16 surrogate (U+D800-U+DFFF, which JSON's
`\\ud800` escape produces) has no UTF-8 encoding at all: either one reaching a query is a `DataError` or a
`UnicodeEncodeError`, i.e. a 500. Every dialect's parsed body, query string and path parameters pass through
`find_unstorable` before a view sees them, so no field can forget the check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict

from contacts.errors import ErrorCode, ValidationFailed

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def find_unstorable(value: Any) -> str | None:
    """The top-level name (body field, query or path parameter) under which `value` holds a string, value or
    key, that cannot be stored; "" when `value` itself is such a string; None when all is well."""
    if isinstance(value, QueryDict):
        items = [(key, [key, *value.getlist(key)]) for key in value]
    elif isinstance(value, Mapping):
        items = [(str(key), [key, element]) for key, element in value.items()]
    else:
        items = [("", [value])]
    for name, elements in items:
        if any(_UNSTORABLE.search(text) for element in elements for text in _strings(element)):
            return name
    return None


def require_storable(value: Any) -> None:
    """Raise `ValidationFailed` naming the offending field when `value` holds unstorable text."""
    name = find_unstorable(value)
    if name is not None:
        # A name that is itself unstorable cannot be echoed either: no JSON answer can encode a lone surrogate.
        field = name if name and not _UNSTORABLE.search(name) else None
        raise ValidationFailed(
            field,
            f"{field or 'The request body'} must not contain NUL characters or unpaired surrogates",
            code=ErrorCode.UNSTORABLE_TEXT,
        )


def _strings(value: Any) -> Iterator[str]:
    # Iterative, so a deeply nested body cannot exhaust the stack here either.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, Mapping):
            for key, element in item.items():
                stack += [key, element]
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, UploadedFile):
            yield item.name or ""


MAX_QUERY_VALUE_LENGTH = 1000


def require_short_query(query: QueryDict) -> None:
    """No filter needs more than MAX_QUERY_VALUE_LENGTH characters; longer ones only cost (SQLite cannot even
    match LIKE patterns over 50,000 bytes)."""
    for key, values in query.lists():
        if any(len(value) > MAX_QUERY_VALUE_LENGTH for value in values):
            field = key if not _UNSTORABLE.search(key) else None
            raise ValidationFailed(
                field, f"{field or 'A query parameter'} must be at most {MAX_QUERY_VALUE_LENGTH} characters"
            )
