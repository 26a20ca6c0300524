"""Matching a batch against the database before it is written: the contact each row updates, unique values that
belong to other contacts, and the ids of the tags and groups it names (created when missing, per `create_missing`).

Each step keeps the rows that pass and rejects the others, with a constant number of queries per batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower

from contacts.models import Contact, ContactGroup, Organization, Tag
from contacts.models.imports import ImportMode
from contacts.services.contact_fields import UNIQUE_FIELDS, unique_index_condition
from contacts.services.imports.cleaning import CleanedRow
from contacts.services.imports.options import ImportOptions, ImportResult

Reject = Callable[[CleanedRow, str | None, str], None]
"""Rejects a row: the field at fault (if any) and the reason."""


@dataclass(eq=False)
class BatchStep:
    """What the database steps of one import share: the organization they write into, the options, the running
    counts and how a row is rejected."""

    organization: Organization
    options: ImportOptions
    result: ImportResult
    reject: Reject


@dataclass(eq=False)
class BatchMatcher(BatchStep):
    """Matches the batches of one import; keeps the tag and group ids it has resolved for the later batches."""

    tag_ids: dict[str, int] = field(default_factory=dict, init=False)
    group_ids: dict[str, int] = field(default_factory=dict, init=False)

    def match(self, batch: list[CleanedRow]) -> list[CleanedRow]:
        """The rows that can be written, each with its contact (None for a new one) and its tag and group ids."""
        batch = self._match_existing(batch)
        batch = self._check_unique_values(batch)
        batch = self._resolve_names(batch, Tag, self.tag_ids, "tags")
        return self._resolve_names(batch, ContactGroup, self.group_ids, "groups")

    def _match_existing(self, batch: list[CleanedRow]) -> list[CleanedRow]:
        match_on = self.options.match_on
        keys = [row.key for row in batch if row.key]
        existing: dict[str, Contact] = {}
        if keys:
            # Email is not unique: like `upsert_contact`, the oldest contact with the address is the match.
            condition = _value_in(match_on, keys)
            # Sorted here, not by the query: ORDER BY id makes the planner walk the primary key instead of
            # probing the match field's index.
            found = Contact.objects.filter(condition, organization=self.organization).order_by()
            for contact in sorted(found, key=lambda contact: contact.pk, reverse=True):
                value = contact.phone_e164 if match_on == "phone" else getattr(contact, match_on)
                existing[value] = contact
        kept = []
        for row in batch:
            row.contact = existing.get(row.key) if row.key else None
            row.contact_id = row.contact.pk if row.contact is not None else None
            if row.contact is not None and self.options.mode == ImportMode.CREATE:
                self.reject(row, match_on, f"A contact with this {match_on.replace('_', ' ')} already exists")
            elif row.contact is None and self.options.mode == ImportMode.UPDATE:
                self.reject(row, match_on, f"No contact with this {match_on.replace('_', ' ')}: {row.key}")
            else:
                kept.append(row)
        return kept

    def _check_unique_values(self, batch: list[CleanedRow]) -> list[CleanedRow]:
        """A phone, alias or contact key that belongs to another contact is a conflict, as in the API.

        The field contacts are matched on needs no check: `_match_existing` found its owner, if any.
        """
        wanted = {
            name: [row.values[name] for row in batch if row.values.get(name)]
            for name in UNIQUE_FIELDS
            if name != self.options.match_on
        }
        condition = Q()
        for name, values in wanted.items():
            if values:
                condition |= _value_in(name, values)
        if not condition:
            return batch
        owners: dict[tuple[str, str], int] = {}
        rows = (
            Contact.objects.filter(condition, organization=self.organization)
            .order_by()
            .values_list("pk", *UNIQUE_FIELDS)
        )
        for pk, *values in rows:
            for name, value in zip(UNIQUE_FIELDS, values, strict=True):
                if value:
                    owners[(name, str(value))] = pk
        kept = []
        for row in batch:
            own = row.contact.pk if row.contact is not None else None
            taken = next(
                (
                    name
                    for name in UNIQUE_FIELDS
                    if row.values.get(name) and owners.get((name, row.values[name]), own) != own
                ),
                None,
            )
            if taken:
                self.reject(row, taken, f"A contact with this {taken.replace('_', ' ')} already exists")
            else:
                kept.append(row)
        return kept

    def _resolve_names(
        self, batch: list[CleanedRow], model: type, cache: dict[str, int], attr: str
    ) -> list[CleanedRow]:
        """Tag names match case-insensitively (as the API's), group names exactly; missing ones are created
        in bulk or reject their rows, per `create_missing`."""
        fold: Callable[[str], str] = str.lower if model is Tag else str
        wanted: dict[str, str] = {}
        for row in batch:
            for name in getattr(row, attr):
                if fold(name) not in cache:
                    wanted.setdefault(fold(name), name)
        if wanted:
            self._load_names(model, cache, wanted)
            missing = {key: name for key, name in wanted.items() if key not in cache}
            if missing and self.options.create_missing:
                created = self._create_names(model, cache, missing)
                (self.result.created_tags if model is Tag else self.result.created_groups).extend(created)
        kept = []
        label = "tag" if model is Tag else "group"
        for row in batch:
            names = getattr(row, attr)
            unknown = [name for name in names if fold(name) not in cache]
            if unknown:
                self.reject(row, attr, f"Unknown {label}: {', '.join(unknown)}")
                continue
            setattr(row, f"{label}_ids", list(dict.fromkeys(cache[fold(name)] for name in names)))
            kept.append(row)
        return kept

    def _load_names(self, model: type, cache: dict[str, int], wanted: Mapping[str, str]) -> None:
        queryset = model.objects.filter(organization=self.organization)
        if model is Tag:
            found = queryset.annotate(lname=Lower("name")).filter(lname__in=list(wanted)).values_list("lname", "pk")
        else:
            found = queryset.filter(name__in=list(wanted)).values_list("name", "pk")
        cache.update(found)

    def _create_names(self, model: type, cache: dict[str, int], missing: Mapping[str, str]) -> list[str]:
        if self.options.dry_run:
            # Nothing is written: give the would-be rows stand-in ids so their rows count as accepted.
            for index, key in enumerate(missing, start=1):
                cache[key] = -(len(cache) + index)
            return list(missing.values())
        # ignore_conflicts: a concurrent import creating the same name is not an error; read back either way.
        model.objects.bulk_create(
            [model(organization=self.organization, name=name) for name in missing.values()], ignore_conflicts=True
        )
        self._load_names(model, cache, missing)
        return list(missing.values())


def _value_in(column: str, values: Sequence[Any]) -> Q:
    """`column IN (...)` on the stored text, for a batch of values, written so the index is used.

    The ORM's `phone__in` would have PhoneNumberField parse and validate every already-normalized phone again
    (~0.2 ms each), doubling the cost of a batch. On PostgreSQL the list goes as one array (`= ANY(%s)`): splitting
    a statement with a thousand placeholders costs more than running it. A unique field's index is partial, and
    PostgreSQL proves that `x = ANY(<values>)` meets a partial index's condition for at most 100 values: above
    that the query must state the condition itself (`unique_index_condition`), or each batch scans the
    organization.
    """
    qualified = f"{connection.ops.quote_name(Contact._meta.db_table)}.{connection.ops.quote_name(column)}"
    if connection.vendor == "postgresql":
        condition = Q(RawSQL(f"{qualified} = ANY(%s)", [list(values)], output_field=BooleanField()))  # noqa: S611
    else:
        placeholders = ", ".join(["%s"] * len(values))
        condition = Q(RawSQL(f"{qualified} IN ({placeholders})", list(values), output_field=BooleanField()))  # noqa: S611
    if column in UNIQUE_FIELDS:
        condition &= unique_index_condition(column)
    return condition
