"""Writing a matched batch: one transaction per batch, new contacts by COPY on PostgreSQL (bulk_create elsewhere),
changed contacts by bulk_update, tag and group links added; a batch that collides with a concurrent writer is
redone row by row, so only the rows that collide are rejected.

Each batch reports the contacts it created or changed through `record_change`, once, inside the batch's
transaction, as `ChangeKind.IMPORTED` (one kind for both: a batch is one write, and an upsert's batch mixes
creates and updates). The ids are the contacts written, ascending; unchanged and rejected rows are not among them,
and a dry run reports nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import JSONField
from django.utils import timezone

from contacts.models import Contact, ContactSource
from contacts.services import pg_copy
from contacts.services.changes import ChangeKind, record_change
from contacts.services.contact_fields import UNIQUE_FIELDS
from contacts.services.imports.cleaning import CleanedRow
from contacts.services.imports.events import ImportEvents, RowBefore
from contacts.services.imports.matching import BatchMatcher, BatchStep

# One logger for the whole importer, so its lines keep the name they are filtered on.
logger = logging.getLogger(__package__)

# After writing this many rows an import refreshes the tables' planner statistics (PostgreSQL).
ANALYZE_ROWS = 10_000


@dataclass(eq=False)
class BatchWriter(BatchStep):
    """Writes the batches of one import into one organization, counting what it does in `result`."""

    # Who the import runs for (the user who started the job), reported with every batch.
    actor: Any = None

    def __post_init__(self) -> None:
        self.matcher = BatchMatcher(self.organization, self.options, self.result, self.reject)
        # PostgreSQL takes new rows by COPY, several times faster than INSERT for a batch.
        self.use_copy = connection.vendor == "postgresql"
        self.copy_defaults: dict[str, Any] | None = None
        self.events = ImportEvents()
        self.befores: dict[int, RowBefore] = {}
        self.id_sequence: str | None = None

    def write(self, batch: list[CleanedRow]) -> None:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # The batch's lookups probe up to a thousand keys each through the unique indexes. Costing a
                # random read at 4 sequential ones, the planner would rather scan an organization of up to a few
                # hundred thousand contacts, which costs more with every batch (measured: 2.4 ms through the
                # index, 7.8 ms as a scan of 18,600 contacts), so an import into a growing organization slowed
                # down as it went.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL enable_seqscan = off")
            created, changed = self._write_checked_batch(batch)
            events = self.events.created(created) + self.events.updated(changed, self.befores)
            self.befores.clear()
            written = [row.contact_id for row in created] + [row.contact.pk for row in changed]
            record_change(
                ChangeKind.IMPORTED,
                organization_id=self.organization.pk,
                contact_ids=sorted(written),
                actor=self.actor,
                events=events,
            )

    def _write_checked_batch(self, batch: list[CleanedRow]) -> tuple[list[CleanedRow], list[CleanedRow]]:
        """Write the batch; returns the rows that created a contact and those that changed one."""
        batch = self.matcher.match(batch)
        creates = [row for row in batch if row.contact is None]
        updates = [row for row in batch if row.contact is not None]
        changed = self._apply_updates(updates)
        if self.options.dry_run:
            self.result.created += len(creates)
            self.result.updated += len(changed)
            self.result.unchanged += len(updates) - len(changed)
            return [], []
        try:
            with transaction.atomic():
                self._save(creates, changed)
        except IntegrityError:
            # A concurrent writer took a unique value after the checks above: redo the batch row by row
            # so only the rows that collide are rejected.
            logger.info("import batch conflicted; retrying row by row", extra={"lines": len(batch)})
            changed_rows = {id(row) for row in changed}
            for row in creates:
                row.contact = None
            saved = [row for row in batch if self._save_one(row, id(row) in changed_rows) is not None]
            return [row for row in saved if row.contact is None], [row for row in saved if row.contact is not None]
        self.result.created += len(creates)
        self.result.updated += len(changed)
        self.result.unchanged += len(updates) - len(changed)
        return creates, changed

    def _apply_updates(self, rows: list[CleanedRow]) -> list[CleanedRow]:
        """Apply each row to its contact in memory; return the rows that change something."""
        if not rows:
            return []
        ids = [row.contact.pk for row in rows]
        tag_links = _links(Contact.tags.through, "tag_id", ids) if any(row.tag_ids for row in rows) else {}
        group_links = (
            _links(Contact.groups.through, "contactgroup_id", ids) if any(row.group_ids for row in rows) else {}
        )
        changed = []
        for row in rows:
            contact = row.contact
            dirty = False
            before: dict[str, Any] = {}
            custom_before: dict[str, Any] | None = None
            for name, value in row.values.items():
                current = contact.phone_e164 if name == "phone" else getattr(contact, name)
                if current != value:
                    before[name] = current
                    setattr(contact, name, value)
                    dirty = True
            if row.custom:
                merged = {**contact.custom_fields, **row.custom}
                if merged != contact.custom_fields:
                    stored = contact.custom_fields
                    custom_before = {k: stored.get(k) for k, v in row.custom.items() if stored.get(k) != v}
                    order = [key for key in contact.custom_field_order if key in merged]
                    order += [key for key in merged if key not in order]
                    contact.custom_fields, contact.custom_field_order = merged, order
                    dirty = True
            # Tags and groups are added, never removed: an import does not take away what it does not mention.
            row.tag_ids = [pk for pk in row.tag_ids if pk not in tag_links.get(contact.pk, ())]
            row.group_ids = [pk for pk in row.group_ids if pk not in group_links.get(contact.pk, ())]
            # What the update's event shows as before; kept here, not on the row, which the row process pickles.
            self.befores[id(row)] = RowBefore(
                {name: value for name, value in before.items() if name != "phone_valid"},
                custom_before,
                sorted(tag_links.get(contact.pk, ())) if row.tag_ids else None,
                sorted(group_links.get(contact.pk, ())) if row.group_ids else None,
            )
            if dirty or row.tag_ids or row.group_ids:
                changed.append(row)
        return changed

    def _save(self, creates: list[CleanedRow], changed: list[CleanedRow]) -> None:
        now = timezone.now()
        if creates and self.use_copy:
            for row, pk in zip(creates, self._copy_contacts(creates), strict=True):
                row.contact_id = pk
        elif creates:
            contacts = [self._new_contact(row) for row in creates]
            Contact.objects.bulk_create(contacts)
            for row, contact in zip(creates, contacts, strict=True):
                row.contact_id = contact.pk
        if changed:
            for row in changed:
                row.contact.updated_at = now
            fields = {"updated_at"}
            for row in changed:
                fields.update(row.values)
                if row.custom:
                    fields.update(("custom_fields", "custom_field_order"))
            Contact.objects.bulk_update([row.contact for row in changed], sorted(fields))
        self._link(creates + changed)

    def _save_one(self, row: CleanedRow, is_update: bool) -> int | None:
        """Write one row in its own savepoint; returns the id of the contact written, if any."""
        try:
            with transaction.atomic():
                if row.contact is None:
                    contact = self._new_contact(row)
                    contact.phone = row.values.get("phone")
                    contact.save(force_insert=True)
                    row.contact_id = contact.pk
                    self.result.created += 1
                elif is_update:
                    row.contact.save()
                    self.result.updated += 1
                else:
                    self.result.unchanged += 1
                    return None
                self._link([row])
                return row.contact_id
        except IntegrityError as exc:
            # PostgreSQL names the constraint, SQLite the column (as contacts.services.contacts reads them).
            text = str(exc)
            field_name = next(
                (name for name, c in UNIQUE_FIELDS.items() if c in text or f"contacts_contact.{name}" in text), None
            )
            label = (field_name or "value").replace("_", " ")
            self.reject(row, field_name, f"A contact with this {label} already exists")
            return None

    def _copy_contacts(self, rows: list[CleanedRow]) -> list[int]:
        """Insert by COPY, with ids taken from the table's sequence first, and return them.

        Rows are built from prepared defaults plus the row's already-cleaned values, without model instances:
        a Contact instance would have PhoneNumberField parse the normalized phone again.
        """
        if self.copy_defaults is None:
            blank = Contact(organization=self.organization, source=ContactSource.IMPORT)
            self.copy_defaults = {
                f.attname: json.dumps(getattr(blank, f.attname))
                if isinstance(f, JSONField)
                else f.get_db_prep_save(getattr(blank, f.attname), connection)
                for f in Contact._meta.concrete_fields
                if not f.primary_key
            }
        table = Contact._meta.db_table
        with connection.cursor() as cursor:
            if self.id_sequence is None:
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, "id"])
                self.id_sequence = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [self.id_sequence, len(rows)])
            ids = [pk for (pk,) in cursor.fetchall()]
        now = timezone.now()
        records = []
        for pk, row in zip(ids, rows, strict=True):
            record = {**self.copy_defaults, **row.values, "uuid": row.uuid, "created_at": now, "updated_at": now}
            if row.custom:
                record["custom_fields"], record["custom_field_order"] = row.custom_json, row.order_json
            records.append([pk, *record.values()])
        columns = ["id", *(Contact._meta.get_field(name).column for name in self.copy_defaults)]
        pg_copy.copy_rows_in(table, columns, records)
        return ids

    def _new_contact(self, row: CleanedRow) -> Contact:
        # The row's uuid, as the COPY path writes it: the batch's events name the contact by it.
        contact = Contact(
            organization=self.organization, uuid=row.uuid, **{"source": ContactSource.IMPORT, **row.values}
        )
        contact.alias = contact.alias or None
        contact.contact_key = contact.contact_key or None
        if row.custom:
            contact.custom_fields, contact.custom_field_order = dict(row.custom), list(row.custom)
        return contact

    def _link(self, rows: Iterable[CleanedRow]) -> None:
        tag_links = [(row.contact_id, pk) for row in rows for pk in row.tag_ids]
        group_links = [(row.contact_id, pk) for row in rows for pk in row.group_ids]
        for through, target, links in (
            (Contact.tags.through, "tag_id", tag_links),
            (Contact.groups.through, "contactgroup_id", group_links),
        ):
            if not links:
                continue
            if self.use_copy:
                # The links are new by construction (new contacts, or filtered against the current links), so
                # COPY cannot collide except with a concurrent writer, which rolls back to the row-by-row path.
                pg_copy.copy_rows_in(through._meta.db_table, ["contact_id", target], links)
            else:
                objects = [through(contact_id=contact_id, **{target: pk}) for contact_id, pk in links]
                through.objects.bulk_create(objects, ignore_conflicts=True)

    def refresh_statistics(self) -> None:
        """After a large import, have PostgreSQL re-read the tables' statistics now, as after any bulk load:
        until autovacuum gets to it, the planner would plan the admin's lists and the export for the tables as
        they were (measured: an export right after a 100,000-row import took 0.63 s instead of 0.37)."""
        written = self.result.created + self.result.updated
        if connection.vendor != "postgresql" or self.options.dry_run or written < ANALYZE_ROWS:
            return
        tables = [Contact._meta.db_table, Contact.tags.through._meta.db_table, Contact.groups.through._meta.db_table]
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(connection.ops.quote_name(table) for table in tables)}")


def _links(through: type, target: str, contact_ids: list[int]) -> dict[int, set[int]]:
    links: dict[int, set[int]] = {}
    for contact_id, target_id in through.objects.filter(contact_id__in=contact_ids).values_list("contact_id", target):
        links.setdefault(contact_id, set()).add(target_id)
    return links
