"""The contact list's filters (django-filter). Every filter narrows the list; filters combine with AND.

A value that cannot be read (a date that is not ISO 8601, `is_favorite=maybe`) is a 400 naming the parameter; a
tag, group, branch or team that does not exist simply matches no contact.
"""

from __future__ import annotations

from django.db.models import Exists, Model, OuterRef, QuerySet
from django_filters import rest_framework as filters

from contacts.db import UnicodeLower
from contacts.errors import ValidationFailed
from contacts.models import Contact, ContactSource, Tag
from contacts.selectors import search_contacts

# Each tag or group of an "all of" filter is one EXISTS clause; SQLite refuses expressions past a depth of 1000.
MAX_LIST_VALUES = 50
_BOOLEAN = [("true", "true"), ("false", "false")]


def _boolean(value: str) -> bool:
    return value == "true"


def _linked(queryset: QuerySet, through: type[Model], column: str, ids: list[int], *, every: bool) -> QuerySet:
    """The contacts linked through the many-to-many table `through` to every one (or any one) of `ids`."""
    links = through.objects.filter(contact_id=OuterRef("pk"))
    if not every:
        return queryset.filter(Exists(links.filter(**{f"{column}__in": ids})))
    # One EXISTS a value: a single join could only ever match one of them per row.
    for linked_id in ids:
        queryset = queryset.filter(Exists(links.filter(**{column: linked_id})))
    return queryset


def _is_id(text: str) -> bool:
    # Ids are 64-bit: a longer run of digits names nothing (and would overflow the database's integer).
    return text.isascii() and text.isdigit() and len(text) <= 18


def _names(value: str, parameter: str) -> list[str]:
    names = [name for name in dict.fromkeys(part.strip() for part in value.split(",")) if name]
    if len(names) > MAX_LIST_VALUES:
        raise ValidationFailed(parameter, f"{parameter} accepts at most {MAX_LIST_VALUES} values")
    return names


class ContactFilter(filters.FilterSet):
    tags = filters.CharFilter(
        method="filter_tags_all", help_text="Comma-separated tag names; every one must be on the contact."
    )
    tags_any = filters.CharFilter(method="filter_tags_any", help_text="Comma-separated tag names; at least one.")
    groups = filters.CharFilter(method="filter_groups_all", help_text="Comma-separated group ids; every one.")
    groups_any = filters.CharFilter(method="filter_groups_any", help_text="Comma-separated group ids; at least one.")
    branch = filters.CharFilter(method="filter_branch", help_text="A branch id.")
    team = filters.UUIDFilter(field_name="team__uuid")
    assigned_user = filters.CharFilter(field_name="assigned_user__email", lookup_expr="iexact")
    source = filters.ChoiceFilter(choices=ContactSource.choices)
    is_favorite = filters.TypedChoiceFilter(choices=_BOOLEAN, coerce=_boolean)
    phone_valid = filters.TypedChoiceFilter(choices=_BOOLEAN, coerce=_boolean)
    created_after = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="lt")
    updated_since = filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="An incremental sync: contacts changed at or after this instant, by `updated_at` ascending. The "
        "last page's `next_updated_since` is where the next sync starts.",
    )
    q = filters.CharFilter(method="filter_search")

    class Meta:
        model = Contact
        fields: list[str] = []

    @property
    def organization(self):
        return self.request.user.organization

    def _tag_ids(self, value: str, parameter: str) -> list[int]:
        names = list(dict.fromkeys(name.lower() for name in _names(value, parameter)))
        # Folded as tag lookups fold names (`resolve_tags`), so "VIP" and "vip" and "Vip" are one tag on both databases.
        found = Tag.objects.annotate(lname=UnicodeLower("name")).filter(organization=self.organization, lname__in=names)
        ids = list(found.values_list("pk", flat=True))
        return ids if len(ids) == len(names) else [*ids, -1]  # an unknown tag (-1) matches nothing in "all"

    def filter_tags_all(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _linked(queryset, Contact.tags.through, "tag_id", self._tag_ids(value, name), every=True)

    def filter_tags_any(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _linked(queryset, Contact.tags.through, "tag_id", self._tag_ids(value, name), every=False)

    def _group_ids(self, value: str, parameter: str) -> list[int]:
        # A value that is no id names no group: it matches nothing, like an unknown id.
        return [int(part) if _is_id(part) else -1 for part in _names(value, parameter)]

    def filter_groups_all(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _linked(queryset, Contact.groups.through, "contactgroup_id", self._group_ids(value, name), every=True)

    def filter_groups_any(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _linked(queryset, Contact.groups.through, "contactgroup_id", self._group_ids(value, name), every=False)

    def filter_branch(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not _is_id(value):
            raise ValidationFailed(name, f"{name} must be a branch id")
        return queryset.filter(branch_id=int(value))

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return search_contacts(queryset, value, regions=[self.organization.default_region])
