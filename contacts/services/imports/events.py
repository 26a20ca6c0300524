"""The change history of an import batch: one event per contact created or changed, written with the batch.

Built from what the batch already holds (the cleaned values, the matched contact's values before the row was
applied, the tag and group ids), so the history costs no query per row: the names of tags, groups and references
are read once per batch for the ids not seen before.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model

from contacts.models import Branch, ContactGroup, ContactSource, Tag, Team
from events.models import EventType
from events.services import PendingEvent
from events.values import CUSTOM_PREFIX, render_reference

# The cleaned row names a reference by its column; events name the field.
_REFERENCE_COLUMNS = {"branch_id": "branch", "team_id": "team", "assigned_user_id": "assigned_user"}
# Derived from the phone, not a value the row gave.
_SKIPPED = frozenset({"phone_valid"})


def _or_null(value: Any) -> Any:
    return None if value in (None, "") else value


@dataclass(eq=False)
class ImportEvents:
    """The names an import's events show, kept for the import's later batches."""

    names: dict[str, dict[int, Any]] = field(default_factory=dict)

    def _lookup(self, kind: str, ids: Iterable[int]) -> dict[int, Any]:
        known = self.names.setdefault(kind, {})
        missing = {pk for pk in ids if pk is not None and pk not in known}
        if missing:
            model = {
                "tags": Tag,
                "groups": ContactGroup,
                "branch": Branch,
                "team": Team,
                "assigned_user": get_user_model(),
            }[kind]
            for obj in model._default_manager.filter(pk__in=missing):
                known[obj.pk] = obj.name if kind in ("tags", "groups") else render_reference(kind, obj)
        return known

    def _prepare(self, rows: list[Any]) -> None:
        """One query per kind of name the batch needs and has not seen yet."""
        wanted: dict[str, set[int]] = {}
        for row in rows:
            wanted.setdefault("tags", set()).update(row.tag_ids, row.tag_ids_before)
            wanted.setdefault("groups", set()).update(row.group_ids, row.group_ids_before)
            for column, kind in _REFERENCE_COLUMNS.items():
                if column in row.values:
                    wanted.setdefault(kind, set()).add(row.values[column])
                    if row.before and column in row.before:
                        wanted[kind].add(row.before[column])
        for kind, ids in wanted.items():
            if ids:
                self._lookup(kind, ids)

    def _value(self, name: str, value: Any) -> tuple[str, Any]:
        kind = _REFERENCE_COLUMNS.get(name)
        if kind is not None:
            return kind, self.names.get(kind, {}).get(value) if value is not None else None
        return name, _or_null(value)

    def created(self, rows: list[Any]) -> list[PendingEvent]:
        self._prepare(rows)
        tag_names, group_names = self.names.get("tags", {}), self.names.get("groups", {})
        events = []
        for row in rows:
            changes: dict[str, dict[str, Any]] = {}
            for name, value in row.values.items():
                if name in _SKIPPED:
                    continue
                name, value = self._value(name, value)
                if value not in (None, False):
                    changes[name] = {"before": None, "after": value}
            changes.setdefault("source", {"before": None, "after": ContactSource.IMPORT.value})
            for key, value in row.custom.items():
                changes[CUSTOM_PREFIX + key] = {"before": None, "after": value}
            if row.tag_ids:
                changes["tags"] = {"before": None, "after": sorted(tag_names[pk] for pk in row.tag_ids)}
            if row.group_ids:
                changes["groups"] = {"before": None, "after": sorted(group_names[pk] for pk in row.group_ids)}
            events.append(PendingEvent(row.uuid, EventType.CREATED, dict(sorted(changes.items()))))
        return events

    def updated(self, rows: list[Any]) -> list[PendingEvent]:
        """Rows carry `before` ({column: value} of the fields the row changed) and the links they had."""
        self._prepare(rows)
        events = []
        for row in rows:
            changes: dict[str, dict[str, Any]] = {}
            for column, old in (row.before or {}).items():
                name, before = self._value(column, old)
                changes[name] = {"before": before, "after": self._value(column, row.values.get(column, old))[1]}
            for key, old in (row.custom_before or {}).items():
                changes[CUSTOM_PREFIX + key] = {"before": old, "after": row.custom[key]}
            for relation, added, had in (
                ("tags", row.tag_ids, row.tag_ids_before),
                ("groups", row.group_ids, row.group_ids_before),
            ):
                if added:
                    names = self.names.get(relation, {})
                    before = sorted(names[pk] for pk in had)
                    changes[relation] = {"before": before, "after": sorted([*before, *(names[pk] for pk in added)])}
            if changes:
                events.append(PendingEvent(row.contact.uuid, EventType.UPDATED, dict(sorted(changes.items()))))
        return events
