"""The change history of an import batch: one event per contact created or changed, written with the batch.

Built from what the batch already holds (the cleaned values, the matched contact's values before the row was
applied, the tag and group ids), so the history costs no query per row: the names of tags, groups and references
are read once per batch for the ids not seen before.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model

from contacts.models import Branch, ContactGroup, Tag, Team
from contacts.services.imports.event_values import created_changes_json
from events.models import EventType
from events.services import PendingEvent
from events.values import CUSTOM_PREFIX, render_reference

# The cleaned row names a reference by its column; events name the field.
_REFERENCE_COLUMNS = {"branch_id": "branch", "team_id": "team", "assigned_user_id": "assigned_user"}
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _or_null(value: Any) -> Any:
    return None if value in (None, "") else value


@dataclass(frozen=True)
class RowBefore:
    """An updated row's contact as it was: the values the row changed ({column: value}), the custom fields it
    changed, and the tag and group ids it had (None when the row adds none)."""

    values: dict[str, Any]
    custom: dict[str, Any] | None
    tag_ids: list[int] | None
    group_ids: list[int] | None


_NOTHING_BEFORE = RowBefore({}, None, None, None)


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

    def _prepare(self, rows: list[Any], befores: Mapping[int, RowBefore] | None = None) -> None:
        """One query per kind of name the batch needs and has not seen yet."""
        wanted: dict[str, set[int]] = {}
        for row in rows:
            before = befores.get(id(row), _NOTHING_BEFORE) if befores else _NOTHING_BEFORE
            wanted.setdefault("tags", set()).update(row.tag_ids, before.tag_ids or ())
            wanted.setdefault("groups", set()).update(row.group_ids, before.group_ids or ())
            for column, kind in _REFERENCE_COLUMNS.items():
                if column in row.values:
                    wanted.setdefault(kind, set()).add(row.values[column])
                    if column in before.values:
                        wanted[kind].add(before.values[column])
        for kind, ids in wanted.items():
            if ids:
                self._lookup(kind, ids)

    def _value(self, name: str, value: Any) -> tuple[str, Any]:
        kind = _REFERENCE_COLUMNS.get(name)
        if kind is not None:
            return kind, self.names.get(kind, {}).get(value) if value is not None else None
        return name, _or_null(value)

    def created(self, rows: list[Any]) -> list[PendingEvent]:
        """Each row's changes as JSON text: its values and custom fields, then the names of its tags, groups and
        references (keys unordered, as PostgreSQL's jsonb keeps them). Made here rather than in the row process,
        which is the slower side of the import's pipeline."""
        self._prepare(rows)
        tag_names, group_names = self.names.get("tags", {}), self.names.get("groups", {})
        # Imports repeat a few combinations of tags: each is rendered once.
        rendered: dict[tuple[str, tuple[int, ...]], str] = {}
        events = []
        for row in rows:
            extras = []
            for relation, ids, names in (("tags", row.tag_ids, tag_names), ("groups", row.group_ids, group_names)):
                if ids:
                    key = (relation, tuple(ids))
                    text = rendered.get(key)
                    if text is None:
                        after = _dumps(sorted(names[pk] for pk in ids))
                        text = rendered[key] = f'"{relation}":{{"before":null,"after":{after}}}'
                    extras.append(text)
            for column, kind in _REFERENCE_COLUMNS.items():
                if row.values.get(column) is not None:
                    extras.append(
                        f'"{kind}":{{"before":null,"after":{_dumps(self._value(column, row.values[column])[1])}}}'
                    )
            changes = created_changes_json(row.values, row.custom)
            if extras:
                changes = changes[:-1] + ("," if len(changes) > 2 else "") + ",".join(extras) + "}"
            events.append(PendingEvent(row.uuid, EventType.CREATED, changes))
        return events

    def updated(self, rows: list[Any], befores: Mapping[int, RowBefore]) -> list[PendingEvent]:
        """`befores`: each row's `RowBefore`, by `id(row)`."""
        self._prepare(rows, befores)
        events = []
        for row in rows:
            before_row = befores.get(id(row), _NOTHING_BEFORE)
            changes: dict[str, dict[str, Any]] = {}
            for column, old in before_row.values.items():
                name, before = self._value(column, old)
                changes[name] = {"before": before, "after": self._value(column, row.values.get(column, old))[1]}
            for key, old in (before_row.custom or {}).items():
                changes[CUSTOM_PREFIX + key] = {"before": old, "after": row.custom[key]}
            for relation, added, had in (
                ("tags", row.tag_ids, before_row.tag_ids or ()),
                ("groups", row.group_ids, before_row.group_ids or ()),
            ):
                if added:
                    names = self.names.get(relation, {})
                    before = sorted(names[pk] for pk in had)
                    changes[relation] = {"before": before, "after": sorted([*before, *(names[pk] for pk in added)])}
            if changes:
                events.append(PendingEvent(row.contact.uuid, EventType.UPDATED, dict(sorted(changes.items()))))
        return events
