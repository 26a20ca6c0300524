"""Numbers for the admin dashboard (read-only selectors), cached briefly because they scan an organization."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from contacts.models import Contact, Tag

CACHE_SECONDS = 60


def _version(organization_id: int | str) -> int:
    return cache.get_or_set(f"crm:dashboard-version:{organization_id}", 1, None)


def invalidate_dashboard(organization_id: int) -> None:
    """Make the next dashboard of `organization_id` (and the all-organizations one) recompute."""
    for key in (f"crm:dashboard-version:{organization_id}", "crm:dashboard-version:all"):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 2, None)


def dashboard_stats(organization_ids: list[int] | None, *, days: int = 30) -> dict[str, Any]:
    """Totals for the given organizations (None: all of them). Cached until a contact changes (signals call
    `invalidate_dashboard`) or for CACHE_SECONDS, whichever comes first, since bulk writes send no signals."""
    scope = ["all"] if organization_ids is None else sorted(organization_ids)
    versions = ",".join(f"{org}.{_version(org)}" for org in scope)
    key = f"crm:dashboard:{versions}:{days}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    contacts = Contact.objects.all()
    tags = Tag.objects.all()
    if organization_ids is not None:
        contacts = contacts.filter(organization_id__in=organization_ids)
        tags = tags.filter(organization_id__in=organization_ids)
    today = timezone.now().date()
    start = today - dt.timedelta(days=days - 1)
    start_at = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
    per_day = dict(
        contacts.filter(created_at__gte=start_at)
        .annotate(day=TruncDate("created_at"))
        .order_by()
        .values_list("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    series = [(start + dt.timedelta(days=i), per_day.get(start + dt.timedelta(days=i), 0)) for i in range(days)]
    by_source = list(contacts.order_by().values_list("source").annotate(n=Count("id")).order_by("-n")[:10])
    top_tags = list(
        tags.annotate(n=Count("contacts")).filter(n__gt=0).order_by("-n", "name").values_list("name", "n")[:10]
    )
    stats = {
        "total": contacts.count(),
        "per_day": series,
        "by_source": by_source,
        "top_tags": top_tags,
        "days": days,
    }
    cache.set(key, stats, CACHE_SECONDS)
    return stats
