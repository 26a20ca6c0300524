"""Keyset (cursor) paging over (timestamp, id).

A page is `ORDER BY created_at DESC, id DESC LIMIT n` (or ascending, or on `updated_at`) that starts strictly after
the last row of the previous page: `(created_at, id) < (last created_at, last id)`, written as
`created_at <= t AND (created_at < t OR id < i)` so that PostgreSQL answers it from the index on
(organization, created_at, id) by seeking, whatever the page's depth. The cursor carries the ordering and the
last row's key, so a row inserted or deleted between two requests never shifts the next page: nothing is skipped
and nothing is repeated. A walk that carries a watermark (an incremental sync's, taken before its first page is
read) keeps it in every cursor, so its last page answers the watermark of the walk's start.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from contacts.errors import ValidationFailed
from contacts.selectors.search import search_page

ORDERINGS = ("-created_at", "created_at", "-updated_at", "updated_at")
DEFAULT_ORDERING = "-created_at"
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass
class Page:
    rows: list[Any]
    next_cursor: str | None
    watermark: dt.datetime | None = None


def ordering_of(request: Request, default: str = DEFAULT_ORDERING) -> str:
    ordering = request.query_params.get("ordering", default).strip()
    if ordering not in ORDERINGS:
        raise ValidationFailed("ordering", f"ordering must be one of: {', '.join(ORDERINGS)}")
    return ordering


def limit_of(request: Request) -> int:
    text = request.query_params.get("limit", "").strip()
    if not text:
        return DEFAULT_LIMIT
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text[:4]) <= MAX_LIMIT or len(text) > 3:
        raise ValidationFailed("limit", f"limit must be an integer from 1 to {MAX_LIMIT}")
    return int(text)


def paginate(
    queryset: QuerySet,
    request: Request,
    ordering: str,
    watermark: Callable[[], dt.datetime | None] | None = None,
    *,
    search_scope: QuerySet | None = None,
) -> Page:
    """A page of `queryset`; with `watermark`, the walk's watermark: `watermark()` on its first page (taken before the
    page is read), the one its cursor carries on every later page. A searched `queryset` gives `search_scope`, what
    it searches (the organization's contacts): its page is read by `search_page`, the same rows in fewer steps."""
    limit = limit_of(request)
    cursor = request.query_params.get("cursor")
    if cursor:
        _, mark = _decode(cursor, ordering)
    else:
        mark = watermark() if watermark is not None else None
    page = keyset(queryset, ordering, cursor)
    if search_scope is None:
        rows = list(page[: limit + 1])
    else:
        rows = search_page(page, keyset(search_scope, ordering, cursor), limit + 1)
    if len(rows) <= limit:
        return Page(rows, None, mark)
    rows = rows[:limit]
    last = rows[-1]
    return Page(rows, _encode(ordering, getattr(last, ordering.lstrip("-")), last.pk, mark), mark)


def keyset(queryset: QuerySet, ordering: str, cursor: str | None) -> QuerySet:
    """`queryset` in `ordering`, from just after the row `cursor` names (from the start without one)."""
    descending = ordering.startswith("-")
    field = ordering.lstrip("-")
    sign = "-" if descending else ""
    queryset = queryset.order_by(f"{sign}{field}", f"{sign}id")
    if cursor:
        (stamp, last_id), _ = _decode(cursor, ordering)
        # The redundant `<=` (or `>=`) is what lets the index seek: the OR alone is only a filter on its rows.
        if descending:
            after = Q(**{f"{field}__lte": stamp}) & (Q(**{f"{field}__lt": stamp}) | Q(id__lt=last_id))
        else:
            after = Q(**{f"{field}__gte": stamp}) & (Q(**{f"{field}__gt": stamp}) | Q(id__gt=last_id))
        queryset = queryset.filter(after)
    return queryset


def next_link(request: Request, page: Page) -> str | None:
    if page.next_cursor is None:
        return None
    return replace_query_param(request.build_absolute_uri(), "cursor", page.next_cursor)


def _encode(ordering: str, stamp: dt.datetime, pk: int, watermark: dt.datetime | None = None) -> str:
    data: dict[str, Any] = {"o": ordering, "t": stamp.isoformat(), "i": pk}
    if watermark is not None:
        data["w"] = watermark.isoformat()
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _aware(text: Any) -> dt.datetime:
    if not isinstance(text, str):
        raise TypeError
    stamp = dt.datetime.fromisoformat(text)
    if stamp.tzinfo is None:
        raise ValueError
    return stamp


def _decode(cursor: str, ordering: str) -> tuple[tuple[dt.datetime, int], dt.datetime | None]:
    """The last row's key and the walk's watermark (None when the walk has none)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        stamp = _aware(data["t"])
        pk = data["i"]
        if isinstance(pk, bool) or not isinstance(pk, int) or not 0 < pk < 2**63:
            raise ValueError
        watermark = _aware(data["w"]) if "w" in data else None
        given = data["o"]
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError, OverflowError):
        raise ValidationFailed("cursor", "cursor is not a cursor this API returned") from None
    if given != ordering:
        raise ValidationFailed("cursor", f"This cursor pages the {given} ordering; pass ordering={given} with it")
    return (stamp, pk), watermark
