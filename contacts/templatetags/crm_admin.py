"""The admin dashboard: numbers and a server-rendered SVG bar chart (no external scripts)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from contacts.models import ContactSource
from contacts.services.dashboard import dashboard_stats
from contacts.services.organizations import organizations_of

register = template.Library()

CHART_WIDTH = 600
CHART_HEIGHT = 140


@register.inclusion_tag("admin/contacts/dashboard.html", takes_context=True)
def crm_dashboard(context: template.Context) -> dict:
    request = context["request"]
    user = request.user
    if not (user.is_authenticated and user.is_staff):
        return {"show": False}
    organization_ids = None if user.is_superuser else organizations_of(user)
    if organization_ids == []:
        return {"show": False}
    stats = dashboard_stats(organization_ids)
    labels = dict(ContactSource.choices)
    return {
        "show": True,
        "total": stats["total"],
        "created_last_period": sum(n for _, n in stats["per_day"]),
        "days": stats["days"],
        "chart": per_day_chart(stats["per_day"]),
        "by_source": [(labels.get(source, source), n) for source, n in stats["by_source"]],
        "top_tags": stats["top_tags"],
    }


def per_day_chart(series: list[tuple[dt.date, int]]) -> SafeString:
    peak = max((n for _, n in series), default=0) or 1
    slot = CHART_WIDTH / max(len(series), 1)
    bars = []
    for index, (day, count) in enumerate(series):
        height = round((CHART_HEIGHT - 20) * count / peak, 1)
        bars.append(
            (
                round(index * slot + 1, 1),
                round(CHART_HEIGHT - 16 - height, 1),
                round(max(slot - 2, 1), 1),
                height,
                f"{day:%Y-%m-%d}: {count}",
            )
        )
    rects = format_html_join(
        "",
        '<rect class="crm-bar" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
        bars,
    )
    first, last = (series[0][0], series[-1][0]) if series else (None, None)
    return format_html(
        '<svg class="crm-chart" role="img" aria-label="Contacts created per day" viewBox="0 0 {w} {h}" '
        'width="100%" preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg">{rects}'
        '<text x="0" y="{ty}" class="crm-axis">{first}</text>'
        '<text x="{w}" y="{ty}" text-anchor="end" class="crm-axis">{last}</text>'
        '<text x="0" y="10" class="crm-axis">max {peak}/day</text></svg>',
        w=CHART_WIDTH,
        h=CHART_HEIGHT,
        rects=rects,
        ty=CHART_HEIGHT - 2,
        first=f"{first:%b %d}" if first else "",
        last=f"{last:%b %d}" if last else "",
        peak=peak,
    )
