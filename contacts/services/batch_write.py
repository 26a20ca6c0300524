"""Writing a batch's accepted items (`contacts.services.batch`): one savepoint for all of them, or, after a
collision with a concurrent writer, one savepoint each so only the colliding items fail.

New contacts are written from their cleaned values, as the importer writes them: on PostgreSQL by `COPY`, with
ids taken from the table's sequence first, without saving model instances (a `Contact`'s phone field would parse
each number again to store it); elsewhere by `bulk_create`. Changed contacts are written in one
`INSERT ... ON CONFLICT (id) DO UPDATE`. The contacts returned carry what the answer renders (branch, team, user,
and the tags and groups each item gave), so rendering them reads nothing more.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import phonenumbers
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import JSONField, QuerySet
from django.db.models.base import ModelState
from django.utils import timezone
from phonenumber_field.phonenumber import PhoneNumber

from contacts.models import Contact, ContactGroup, Organization, Tag
from contacts.services import pg_copy
from contacts.services.contacts import _conflict

if TYPE_CHECKING:
    from contacts.services.batch import Prepared

_RELATIONS = {"tags": (Tag, "tag_id"), "groups": (ContactGroup, "contactgroup_id")}
_FOREIGN_KEYS = ("branch", "team", "assigned_user")
_FIELDS = {f.name: f for f in Contact._meta.concrete_fields}
_QUERIES = {model: QuerySet(model=model).query for model, _ in _RELATIONS.values()}
# PostgreSQL's code for a deadlock: two batches inserting the same unique values in crossing orders.
_DEADLOCK = "40P01"
# {table: the sequence its ids come from}: the schema's, the same for the life of the process.
_SEQUENCES: dict[str, str] = {}


def write_prepared(organization: Organization, ready: list[Prepared], *, rank: dict[Any, int]) -> list[int]:
    """Write the accepted items; returns the ids written. Each written item's outcome gets its contact."""
    if not ready:
        return []
    now = timezone.now()
    try:
        with transaction.atomic():
            _write_all(organization, ready, now)
    except (IntegrityError, OperationalError) as exc:
        if isinstance(exc, OperationalError) and getattr(exc.__cause__, "sqlstate", None) != _DEADLOCK:
            raise
        for prepared in ready:
            if prepared.outcome.created:
                prepared.contact = None
        written = [prepared for prepared in ready if _write_one(organization, prepared, now)]
    else:
        written = ready
    for prepared in written:
        _remember(prepared, rank)
        prepared.outcome.contact = prepared.contact
    return [prepared.contact.pk for prepared in written]


def _write_all(organization: Organization, ready: list[Prepared], now: datetime) -> None:
    creates = [p for p in ready if p.outcome.created]
    updates = [p for p in ready if not p.outcome.created]
    if creates and connection.vendor == "postgresql":
        _copy_contacts(organization, creates, now)
    elif creates:
        for prepared in creates:
            prepared.contact = _new_contact(organization, prepared, now)
        Contact.objects.bulk_create([p.contact for p in creates])
    if updates:
        for prepared in updates:
            _apply(prepared, now)
        fields = sorted({"updated_at"}.union(*(p.values for p in updates)))
        # INSERT ... ON CONFLICT (id) DO UPDATE: one statement, where bulk_update's CASE per row and field costs
        # seconds of query building for a thousand contacts. Each row exists and is locked: only the update runs.
        changed = [p.contact for p in updates]
        stamps = [contact.created_at for contact in changed]
        Contact.objects.bulk_create(changed, update_conflicts=True, unique_fields=["id"], update_fields=fields)
        for contact, stamp in zip(changed, stamps, strict=True):
            contact.created_at = stamp  # the insert's `auto_now_add` set it on the instance, not in the row
    for relation, (_, target) in _RELATIONS.items():
        through = getattr(Contact, relation).through
        replaced = [p.contact.pk for p in updates if relation in p.links]
        if replaced:
            through.objects.filter(contact_id__in=replaced).delete()
        rows = [(p.contact.pk, obj.pk) for p in ready for obj in p.links.get(relation, [])]
        if rows and connection.vendor == "postgresql":
            # New by construction (new contacts, or links just deleted): only a concurrent writer can collide.
            pg_copy.copy_rows_in(through._meta.db_table, ["contact_id", target], rows)
        elif rows:
            through.objects.bulk_create([through(contact_id=pk, **{target: obj}) for pk, obj in rows])


def _new_contact(organization: Organization, prepared: Prepared, now: datetime) -> Contact:
    """The unsaved contact of a create, its references loaded (a reference not given is loaded as none)."""
    values = {**dict.fromkeys(_FOREIGN_KEYS), **prepared.values}
    return Contact(organization=organization, created_at=now, updated_at=now, **values)


def _apply(prepared: Prepared, now: datetime) -> None:
    contact = prepared.contact
    for name, value in prepared.values.items():
        setattr(contact, name, value)
    contact.updated_at = now


def _copy_contacts(organization: Organization, creates: list[Prepared], now: datetime) -> None:
    """COPY the new contacts, from a blank contact's stored values and each item's cleaned ones, and make their
    contacts as loaded from the rows (`Contact.__init__` and its phone field would parse each phone again)."""
    blank = Contact(organization=organization)
    fields = [f for f in Contact._meta.concrete_fields if not f.primary_key]
    template = [None, *(_stored(f, getattr(blank, f.name if f.is_relation else f.attname)) for f in fields)]
    position = {f.name: index for index, f in enumerate(fields, start=1)}
    loaded = {f.attname: getattr(blank, f.attname) for f in fields if not isinstance(f, JSONField)}
    loaded["avatar"] = blank.__dict__["avatar"]
    table = Contact._meta.db_table
    with connection.cursor() as cursor:
        if table not in _SEQUENCES:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, "id"])
            _SEQUENCES[table] = cursor.fetchone()[0]
        sequence = _SEQUENCES[table]
        cursor.execute(
            "SELECT nextval(%s::regclass), gen_random_uuid() FROM generate_series(1, %s)", [sequence, len(creates)]
        )
        keys = cursor.fetchall()
    stamps = (position["uuid"], position["created_at"], position["updated_at"])
    records = []
    for (pk, uuid), prepared in zip(keys, creates, strict=True):
        prepared.contact = _loaded(organization, loaded, pk, uuid, prepared.values, now)
        record = template.copy()
        record[0] = pk
        for index, value in zip(stamps, (uuid, now, now), strict=True):
            record[index] = value
        for name, value in prepared.values.items():
            record[position[name]] = _stored(_FIELDS[name], value)
        records.append(record)
    # Rows holding the same unique values go in the same order in every batch: two batches inserting the same
    # new phones wait for one another instead of deadlocking.
    unique = [position[name] for name in ("phone", "alias", "contact_key")]
    records.sort(key=lambda record: tuple(record[i] or "" for i in unique))
    pg_copy.copy_rows_in(table, ["id", *(f.column for f in fields)], records)


def _loaded(
    organization: Organization, blank: dict[str, Any], pk: int, uuid: Any, values: dict[str, Any], now: datetime
) -> Contact:
    """A contact as `Model.from_db` would make it from the row just written, as unpickling makes one: its fields
    set directly, its references (given or none) loaded."""
    contact = Contact.__new__(Contact)
    fields = contact.__dict__
    fields.update(blank, id=pk, uuid=uuid, created_at=now, updated_at=now)
    fields.update(custom_fields={}, custom_field_order=[], attributes={})
    state = contact._state = ModelState()
    state.adding, state.db = False, connection.alias
    state.fields_cache = {"organization": organization, "branch": None, "team": None, "assigned_user": None}
    for name, value in values.items():
        if name in _FOREIGN_KEYS:
            fields[_FIELDS[name].attname] = value.pk if value is not None else None
            state.fields_cache[name] = value
        elif name == "phone":
            fields["phone"] = _WrittenPhone.written(value, values["phone_valid"]) if value else None
        else:
            fields[name] = value
    return contact


# The parts of a parsed number (country code, national number...), as `phonenumbers` names them.
_PARTS = tuple(vars(phonenumbers.PhoneNumber()))


class _WrittenPhone(PhoneNumber):
    """A phone just normalized and written, as the phone field reads it back, parsed only once something asks
    for its parts: its E.164 text (the row's) and libphonenumber's verdict (the normalization's, which the row
    stores as `phone_valid`) are known, and are all that rendering the contact reads."""

    @classmethod
    def written(cls, e164: str, verdict: bool) -> _WrittenPhone:
        # Not through __init__: the parts are left unset, for `__getattr__` to parse on first use.
        number = cls.__new__(cls)
        number.raw_input, number._e164, number._verdict = e164, e164, verdict
        return number

    def __getattr__(self, name: str) -> Any:
        # Called only for what is not set: a part, the first time one is asked for.
        if name not in _PARTS or "_e164" not in self.__dict__:
            raise AttributeError(name)
        parsed = PhoneNumber.from_string(self._e164)
        self.__dict__.update({part: getattr(parsed, part) for part in _PARTS})
        return self.__dict__[name]

    def is_valid(self) -> bool:
        return self._verdict if "_e164" in self.__dict__ else super().is_valid()

    def format_as(self, format: int) -> str:
        if "_e164" in self.__dict__ and format == phonenumbers.PhoneNumberFormat.E164:
            return self._e164
        return super().format_as(format)


def _stored(model_field: Any, value: Any) -> Any:
    """A cleaned value as COPY writes it: a reference as its id, JSON as text; text (the phone included: it is
    E.164 text already) and flags as they are."""
    if model_field.is_relation:
        return value.pk if value is not None else None
    if isinstance(model_field, JSONField):
        return json.dumps(value)
    if value is None or isinstance(value, str | bool):
        return value
    return model_field.get_db_prep_save(value, connection)


def _write_one(organization: Organization, prepared: Prepared, now: datetime) -> bool:
    created = prepared.outcome.created
    try:
        with transaction.atomic():
            if created:
                prepared.contact = _new_contact(organization, prepared, now)
            else:
                _apply(prepared, now)
            contact = prepared.contact
            contact.save(force_insert=created)
            for relation, targets in prepared.links.items():
                getattr(contact, relation).set(targets)
    except IntegrityError as exc:
        prepared.outcome.error = _conflict(exc)
        return False
    return True


def _remember(prepared: Prepared, rank: dict[Any, int]) -> None:
    """Keep the links just written as the contact's prefetched ones, in the order a prefetch reads them (by
    name): a new contact has no others, so both relations are known for it."""
    contact = prepared.contact
    cache = contact.__dict__.setdefault("_prefetched_objects_cache", {})
    for relation, (model, _) in _RELATIONS.items():
        if relation in prepared.links or prepared.outcome.created:
            # One query object shared: a queryset copies its query before changing it.
            queryset = QuerySet(model=model, query=_QUERIES[model])
            queryset._result_cache = sorted(prepared.links.get(relation, []), key=rank.__getitem__)
            queryset._prefetch_done = True
            cache[relation] = queryset
