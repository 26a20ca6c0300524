"""A paginator that does not count a million rows to draw page links.

On PostgreSQL it asks the planner for its row estimate (EXPLAIN, no scan) and uses it when it is large; small
results are counted exactly. Other databases always count exactly.
"""

from __future__ import annotations

import json

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

EXACT_COUNT_BELOW = 10_000


class EstimatedCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return super().count
        estimate = planner_estimate(queryset)
        if estimate is None or estimate < EXACT_COUNT_BELOW:
            return super().count
        return estimate


def planner_estimate(queryset) -> int | None:
    """PostgreSQL's estimated row count for `queryset`, without running it."""
    try:
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
        with connections[queryset.db].cursor() as cursor:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0]
    except Exception:  # an estimate is an optimisation: fall back to counting
        return None
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
