"""What a batch of contact writes refers to, read once for the whole batch (`contacts.services.batch`).

Tags, groups, branches, teams, members and custom fields are each read in one query; each phone an item gives is
normalized once (the match, the uniqueness check and the stored value share the reading); the contacts that hold
a match value or a unique value an item gives are found in one query per field, and those the batch changes are
locked in one query, ascending id.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import CharField, ExpressionWrapper, F, Q
from django.db.models.functions import Lower
from django.db.models.lookups import In, Lookup

from contacts.db import UnicodeLower
from contacts.errors import ContactsError, UnknownReference, ValidationFailed
from contacts.models import Branch, Contact, ContactGroup, CustomField, Organization, Tag, Team
from contacts.services.contact_fields import UNIQUE_FIELDS, clean_email, unique_index_condition
from contacts.services.phones import NormalizedPhone, normalize_phone

if TYPE_CHECKING:
    from contacts.services.batch import BatchItem

User = get_user_model()

MATCH_FIELDS = ("phone", "email", "alias", "contact_key")


class Known:
    """Everything the batch's items refer to, read in one query per kind, and the contacts it changes, locked."""

    def __init__(self, organization: Organization, items: Sequence[BatchItem]) -> None:
        self.organization = organization
        self.phones: dict[Any, NormalizedPhone | ValidationFailed] = {}
        given = [item.fields for item in items]
        self.tags = self._tags([n for f in given for n in f.get("tags") or [] if isinstance(n, str)])
        self.groups = self._groups([g for f in given for g in f.get("groups") or []])
        # Tags and groups list by name in the database's collation: their rank here is the order a contact's
        # links are rendered in, as a prefetch would order them.
        self.rank = {obj: rank for rank, obj in enumerate([*self.tags.values(), *dict.fromkeys(self.groups.values())])}
        self.branches = self._by_pk(Branch, [f["branch"] for f in given if f.get("branch") is not None])
        self.teams = self._teams([f["team"] for f in given if f.get("team")])
        self.members = self._members([f["assigned_user"] for f in given if f.get("assigned_user")])
        keys = {key for f in given if isinstance(f.get("custom_fields"), dict) for key in f["custom_fields"]}
        self.definitions = {cf.key: cf for cf in CustomField.objects.filter(organization=organization, key__in=keys)}
        # Match values, cleaned as the single writes clean them; a value that cannot be read is the item's error.
        self.match_values, self.match_errors = {}, {}  # {item index: value}, {item index: ContactsError}
        for index, item in enumerate(items):
            if item.op == "upsert":
                try:
                    self.match_values[index] = self._match_value(item)
                except ContactsError as exc:
                    self.match_errors[index] = exc
        uuids = [item.id for item in items if item.op == "update" and item.id]
        rows = organization.contacts.filter(uuid__in=uuids).values_list("uuid", "pk") if uuids else []
        self.by_uuid = {str(key): pk for key, pk in rows}
        # {field: {value: id of the contact holding it}}, for the match fields and the unique ones.
        self.holders: dict[str, dict[Any, int]] = {}
        for name in MATCH_FIELDS:
            values = {v for i, v in self.match_values.items() if items[i].match_on == name}
            if name in UNIQUE_FIELDS:
                values |= {self.unique_value(name, f) for f in given if f.get(name)}
            values.discard(None)
            if values:
                # A partial unique index serves a long IN list only when the query repeats its condition.
                found = organization.contacts.filter(_among(_as_text(name), list(values)))
                found = found.filter(unique_index_condition(name)) if name in UNIQUE_FIELDS else found
                rows = found.order_by("-pk").annotate(held=_as_text(name)).values_list("held", "pk")
                # Ascending id wins: email is not unique, and the oldest contact with it is the match.
                self.holders[name] = {match_key(value): pk for value, pk in rows}
        targets = set(self.by_uuid.values())
        targets |= {self.holders.get(items[i].match_on, {}).get(match_key(v)) for i, v in self.match_values.items()}
        targets.discard(None)
        self.locked: dict[int, Contact] = {}
        if targets:
            locking = Contact.objects.filter(organization=organization, pk__in=targets)
            # What the answer renders comes with the rows; only the contact's own row is locked.
            locking = locking.select_related("branch", "team", "assigned_user")
            of = ("self",) if connection.features.has_select_for_update_of else ()
            self.locked = {contact.pk: contact for contact in locking.select_for_update(of=of).order_by("pk")}
        for contact in self.locked.values():
            contact.organization = organization  # already loaded: no query per contact
        # In-batch claims: {field: {value: index of the item that claimed it}}, and contacts already written.
        self.claims: dict[str, dict[Any, int]] = {name: {} for name in (*MATCH_FIELDS, "contact")}
        self.indexes = {id(item): index for index, item in enumerate(items)}

    def phone(self, value: Any) -> NormalizedPhone:
        """`value` read by the organization's phone policy, once per batch; refused with `normalize_phone`'s error."""
        if value not in self.phones:
            try:
                self.phones[value] = normalize_phone(value, default_region=self.organization.default_region)
            except ValidationFailed as exc:
                self.phones[value] = exc
        found = self.phones[value]
        if isinstance(found, ValidationFailed):
            raise ValidationFailed(found.field, found.message, code=found.code)
        return found

    def _match_value(self, item: BatchItem) -> Any:
        value = item.fields.get(item.match_on)
        if value in (None, ""):
            raise ValidationFailed(item.match_on, f"{item.match_on} is required to match an existing contact")
        return self.unique_value(item.match_on, item.fields) if item.match_on != "email" else clean_email(value)

    def unique_value(self, name: str, fields: dict[str, Any]) -> Any:
        value = fields[name]
        if name != "phone":
            return value.strip() if isinstance(value, str) else value
        try:
            return self.phone(value).e164
        except ValidationFailed:
            return None  # refused, with its message, when the item is applied

    def _tags(self, names: list[str]) -> dict[str, Tag]:
        lowered = {name.strip().lower() for name in names if name.strip()}
        found = Tag.objects.annotate(lname=UnicodeLower("name")).filter(
            organization=self.organization, lname__in=lowered
        )
        return {tag.name.lower(): tag for tag in found.order_by("name")} if lowered else {}

    def _groups(self, refs: list[Any]) -> dict[Any, ContactGroup]:
        ids = [ref for ref in refs if isinstance(ref, int) and not isinstance(ref, bool)]
        names = [ref.strip() for ref in refs if isinstance(ref, str)]
        if not ids and not names:
            return {}
        found = ContactGroup.objects.filter(Q(pk__in=ids) | Q(name__in=names), organization=self.organization)
        return {key: group for group in found.order_by("name") for key in (group.pk, f"name:{group.name}")}

    def _by_pk(self, model: type, ids: list[Any]) -> dict[int, Any]:
        ids = [pk for pk in ids if isinstance(pk, int) and not isinstance(pk, bool)]
        return {obj.pk: obj for obj in model.objects.filter(organization=self.organization, pk__in=ids)} if ids else {}

    def _teams(self, refs: list[str]) -> dict[str, Team]:
        valid = [ref for ref in (_uuid(ref) for ref in refs) if ref]
        found = Team.objects.filter(organization=self.organization, uuid__in=valid) if valid else []
        return {str(team.uuid): team for team in found}

    def _members(self, emails: list[str]) -> dict[str, Any]:
        lowered = {str(email).strip().lower() for email in emails}
        members = User.objects.filter(memberships__organization=self.organization, is_active=True)
        users = members.annotate(lemail=Lower("email")).filter(lemail__in=lowered).order_by("-id")
        return {user.email.lower(): user for user in users} if lowered else {}

    # Each resolver refuses as `contacts.services.references` does, with its messages.

    def resolve(self, name: str, value: Any) -> Any:
        if name == "tags":
            names: dict[str, str] = {}
            for ref in value or []:
                if len(ref.strip()) > 100:
                    raise ValidationFailed("tags", "A tag name is at most 100 characters")
                names.setdefault(ref.strip().lower(), ref.strip())
            missing = [names[key] for key in names if key not in self.tags]
            if missing:
                raise UnknownReference("tags", f"Unknown tag: {', '.join(missing)}")
            return [self.tags[key] for key in names]
        if name == "groups":
            for ref in value or []:
                if isinstance(ref, int) and ref not in self.groups:
                    raise UnknownReference("groups", f"Unknown contact group: {ref}")
            names = dict.fromkeys(ref.strip() for ref in value or [] if isinstance(ref, str))
            missing = [ref for ref in names if f"name:{ref}" not in self.groups]
            if missing:
                raise UnknownReference("groups", f"Unknown group: {', '.join(missing)}")
            ordered = [ref for ref in value or [] if isinstance(ref, int)] + [f"name:{ref}" for ref in names]
            return list({self.groups[ref].pk: self.groups[ref] for ref in ordered}.values())
        if value in (None, ""):
            return None
        if name == "assigned_user":
            user = self.members.get(str(value).strip().lower())
            if user is None:
                raise UnknownReference("assigned_user", f"Unknown user: {value}")
            return user
        table, label = (self.teams, "team") if name == "team" else (self.branches, "branch")
        found = table.get(value if name == "branch" else str(value).strip())
        if found is None:
            raise UnknownReference(name, f"Unknown {label}: {value}")
        return found


class _Any(Lookup):
    """`column = ANY(%s)`, the values as one array: the same plan as a long IN list, which PostgreSQL turns into
    this, without a placeholder per value to build, quote and parse."""

    lookup_name = "any"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*params, list(self.rhs)]


def _among(column: Any, values: list[Any]) -> Lookup:
    return _Any(column, values) if connection.vendor == "postgresql" else In(column, values)


def _as_text(name: str) -> ExpressionWrapper:
    """The column as the text it holds (no SQL of its own): the phone field would parse each value of a long IN
    list to prepare it, and each phone it reads, though they are E.164 already."""
    return ExpressionWrapper(F(name), output_field=CharField())


def _uuid(ref: Any) -> str | None:
    try:
        return str(uuid_module.UUID(str(ref).strip()))
    except ValueError:
        return None


def match_key(value: Any) -> str:
    # A stored phone reads back as a PhoneNumber; everything is compared as the text it is stored as.
    return value.as_e164 if hasattr(value, "as_e164") else str(value)
