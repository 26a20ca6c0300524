"""Exporting contacts as CSV in constant memory: one row per contact, custom fields as `cf:<key>` columns,
tags and groups joined with `|`. The file re-imports as a no-op in upsert mode (see `services/imports/`).

On PostgreSQL the rows come from `COPY (SELECT ...) TO STDOUT`, streamed as the server produces them;
elsewhere from a server-side iterator in chunks, with a constant number of queries per chunk.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.db import connections, models
from django.db.models import QuerySet

from contacts.models import Contact, CustomField, Organization
from contacts.selectors import contacts_with_every_tag
from contacts.services import pg_copy
from contacts.services.contact_fields import EXPORT_FIELDS
from contacts.services.imports import CUSTOM_FIELD_PREFIX

CHUNK_SIZE = 2000
# The columns before the custom fields, in order: the declared exportable fields (contacts/services/contact_fields.py).
BASE_COLUMNS = EXPORT_FIELDS
# References by the value the importer reads them back by: branch and team by name, the assigned user by email.
_REFERENCE_LABELS = {"branch": "name", "team": "name", "assigned_user": "email"}
# Tags are one name whatever its case, so they sort case-insensitively; group names sort as written.
_NAMES_CASE_INSENSITIVE = {"tags": True, "groups": False}


class _Style(enum.Enum):
    """How a column's value is written, the same by COPY and by the Python writer."""

    RAW = "raw"  # ids, uuids and the source, as they are
    TEXT = "text"  # "" when empty
    BOOLEAN = "boolean"  # true/false
    TIMESTAMP = "timestamp"  # ISO 8601 in UTC
    REFERENCE = "reference"  # the referenced row's label, "" when there is none
    NAMES = "names"  # the tags' or groups' names joined with "|"


def _style(name: str) -> _Style:
    field = Contact._meta.get_field(name)
    if field.many_to_many:
        return _Style.NAMES
    if field.many_to_one:
        return _Style.REFERENCE
    if isinstance(field, models.BooleanField):
        return _Style.BOOLEAN
    if isinstance(field, models.DateTimeField):
        return _Style.TIMESTAMP
    if isinstance(field, (models.AutoField, models.UUIDField)) or field.choices:
        return _Style.RAW
    return _Style.TEXT


_COLUMNS: tuple[tuple[str, _Style], ...] = tuple((name, _style(name)) for name in BASE_COLUMNS)


def custom_field_keys(queryset: QuerySet[Contact], organization: Organization | None = None) -> list[str]:
    """The custom fields defined by the organization (or by every organization in `queryset`), by key."""
    definitions = CustomField.objects.all()
    if organization is not None:
        definitions = definitions.filter(organization=organization)
    else:
        definitions = definitions.filter(organization__in=queryset.values("organization_id"))
    return sorted(set(definitions.values_list("key", flat=True)))


def export_header(keys: Iterable[str]) -> list[str]:
    return [*BASE_COLUMNS, *(CUSTOM_FIELD_PREFIX + key for key in keys)]


def stream_contacts_csv(
    queryset: QuerySet[Contact], *, organization: Organization | None = None, chunk_size: int = CHUNK_SIZE
) -> Iterator[str]:
    """The CSV text of `queryset` (ordered by id), in pieces, for a StreamingHttpResponse or a file.

    Memory stays constant: nothing holds more than one chunk of rows.
    """
    keys = custom_field_keys(queryset, organization)
    yield _csv_line(export_header(keys))
    if connections[queryset.db].vendor == "postgresql":
        yield from _copy_rows(queryset, keys)
    else:
        yield from _iterate_rows(queryset, keys, chunk_size)


def write_contacts_csv(queryset: QuerySet[Contact], out: IO[str], *, organization: Organization | None = None) -> None:
    for piece in stream_contacts_csv(queryset, organization=organization):
        out.write(piece)


def _csv_line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


def _copy_rows(queryset: QuerySet[Contact], keys: list[str]) -> Iterator[str]:
    connection = connections[queryset.db]
    connection.ensure_connection()
    table = connection.ops.quote_name(Contact._meta.db_table)
    ids_sql, ids_params = queryset.order_by().values("pk").query.sql_with_params()
    selection, selection_params = _selection(queryset, ids_sql, list(ids_params))
    columns = [
        *(_column_sql(connection, table, name, style) for name, style in _COLUMNS),
        # ->> gives text as is and lists and objects as JSON text (", " and ": " separators, like json.dumps).
        *(f"NULLIF({table}.custom_fields ->> %s, '')" for _ in keys),
    ]
    names = [name for name, style in _COLUMNS if style is _Style.NAMES]
    joins = " ".join(_names_join(name, ids_sql, table) for name in names)
    # Table names come from the models and the filters from the ORM; every value is a parameter.
    query = (
        f"SELECT {', '.join(columns)} FROM {table} {joins} "  # noqa: S608
        f"WHERE {selection} ORDER BY {table}.id"
    )
    params = [*keys, *(ids_params * len(names)), *selection_params]
    yield from pg_copy.copy_csv_out(query, params, using=queryset.db)


def _selection(queryset: QuerySet[Contact], ids_sql: str, ids_params: list[Any]) -> tuple[str, list[Any]]:
    """The queryset's WHERE clause over the contact table itself when it needs no join (the common case: an
    organization, maybe filtered), else `id IN (<ids_sql>)`, which costs a semi-join."""
    query = queryset.order_by().query
    connection = connections[queryset.db]
    # Filtering on a foreign key's id leaves its join in alias_map, unreferenced.
    joins = [alias for alias, join in query.alias_map.items() if join.join_type and query.alias_refcount[alias]]
    if not joins and not query.distinct and not query.is_sliced:
        where, params = query.get_compiler(connection=connection).compile(query.where)
        return where or "TRUE", list(params)
    return f"{connection.ops.quote_name(Contact._meta.db_table)}.id IN ({ids_sql})", ids_params


def _column_sql(connection: Any, table: str, name: str, style: _Style) -> str:
    column = f"{table}.{name}"
    if style is _Style.RAW:
        return column
    if style is _Style.TEXT:
        return f"NULLIF({column}, '')"
    if style is _Style.BOOLEAN:
        return f"CASE WHEN {column} THEN 'true' ELSE 'false' END"
    if style is _Style.TIMESTAMP:
        return _pg_timestamp(connection, column)
    if style is _Style.REFERENCE:
        target = Contact._meta.get_field(name).related_model._meta.db_table
        return _name_of(table, f"{name}_id", target, f"NULLIF({_REFERENCE_LABELS[name]}, '')")
    return _lone_name_marked(f"{name}.names")


def _names_join(relation: str, ids_sql: str, table: str) -> str:
    """LEFT JOIN of the names (tags or groups) of the contacts `ids_sql` selects, joined with "|", as
    `<relation>.names`.

    One aggregate over the selected contacts' links, merge-joined: a subquery per row costs about as much as the
    rest of the row. The names come sorted by `order` from one incremental sort (an ORDER BY inside string_agg
    would sort every contact's names separately).
    """
    field = Contact._meta.get_field(relation)
    order = "lower(x.name), x.id" if _NAMES_CASE_INSENSITIVE[relation] else "x.name, x.id"
    return (
        f"LEFT JOIN (SELECT s.contact_id, string_agg(s.name, '|') AS names "  # noqa: S608
        f"FROM (SELECT l.contact_id, x.name FROM {field.m2m_db_table()} l "
        f"JOIN {field.related_model._meta.db_table} x ON x.id = l.{field.m2m_reverse_name()} "
        f"WHERE l.contact_id IN ({ids_sql}) ORDER BY l.contact_id, {order}) s "
        f"GROUP BY s.contact_id) {relation} ON {relation}.contact_id = {table}.id"
    )


def _name_of(table: str, column: str, target: str, value: str) -> str:
    """A looked-up name, without a join: most contacts have no branch, team or user, and skip the lookup."""
    return (
        f"CASE WHEN {table}.{column} IS NULL THEN NULL "  # noqa: S608
        f"ELSE (SELECT {value} FROM {target} WHERE id = {table}.{column}) END"
    )


def _lone_name_marked(names: str) -> str:
    """A lone name that contains a comma ends with "|", so the importer does not split it at the comma (several
    names are joined with "|" already)."""
    return f"CASE WHEN strpos({names}, ',') > 0 AND strpos({names}, '|') = 0 THEN {names} || '|' ELSE {names} END"


def _pg_timestamp(connection: Any, column: str) -> str:
    """`2026-11-23T10:05:04.1234Z`: PostgreSQL's own ISO text for the UTC time (fraction without trailing zeros),
    a third of the cost of to_char. The text form follows the session's DateStyle, so anything but ISO gets
    to_char with the same result."""
    if connection.connection.info.parameter_status("DateStyle").startswith("ISO"):
        return f"replace(({column} AT TIME ZONE 'UTC')::text, ' ', 'T') || 'Z'"
    return f"rtrim(rtrim(to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '0'), '.') || 'Z'"


def _iterate_rows(queryset: QuerySet[Contact], keys: list[str], chunk_size: int) -> Iterator[str]:
    fields = [_value_path(name, style) for name, style in _COLUMNS if style is not _Style.NAMES]
    rows = queryset.order_by("pk").values_list(*fields, "custom_fields").iterator(chunk_size=chunk_size)
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= chunk_size:
            yield _render_chunk(chunk, keys)
            chunk = []
    if chunk:
        yield _render_chunk(chunk, keys)


def _value_path(name: str, style: _Style) -> str:
    return f"{name}__{_REFERENCE_LABELS[name]}" if style is _Style.REFERENCE else name


def _render_chunk(chunk: list[tuple], keys: list[str]) -> str:
    ids = [row[0] for row in chunk]
    names = {name: _names(name, ids) for name, style in _COLUMNS if style is _Style.NAMES}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in chunk:
        values = iter(row)
        line = [
            names[name].get(row[0], "") if style is _Style.NAMES else _rendered(style, next(values))
            for name, style in _COLUMNS
        ]
        custom = next(values) or {}
        writer.writerow([*line, *(_custom_value(custom.get(key)) for key in keys)])
    return buffer.getvalue()


def _rendered(style: _Style, value: Any) -> Any:
    if style is _Style.BOOLEAN:
        return _boolean(value)
    if style is _Style.TIMESTAMP:
        return _timestamp(value)
    if style is _Style.RAW:
        return value
    return str(value) if value else ""


def _names(relation: str, ids: list[int]) -> dict[int, str]:
    """{contact id: the names of its tags or groups joined with "|"}, in the order COPY writes them."""
    field = Contact._meta.get_field(relation)
    target = field.m2m_reverse_field_name()
    links: dict[int, list[tuple[Any, ...]]] = {}
    rows = field.remote_field.through.objects.filter(contact_id__in=ids)
    for contact_id, target_id, name in rows.values_list("contact_id", f"{target}_id", f"{target}__name"):
        order = name.lower() if _NAMES_CASE_INSENSITIVE[relation] else name
        links.setdefault(contact_id, []).append((order, target_id, name))
    joined = {}
    for contact_id, names in links.items():
        names.sort()
        text = "|".join(name for *_, name in names)
        joined[contact_id] = text + "|" if len(names) == 1 and "," in text else text
    return joined


def _boolean(value: bool) -> str:
    return "true" if value else "false"


def _timestamp(value: dt.datetime) -> str:
    """The same text as `_pg_timestamp`: ISO 8601 in UTC, the fraction of a second without trailing zeros."""
    text = value.astimezone(dt.UTC).replace(tzinfo=None).isoformat()
    return (text.rstrip("0") if "." in text else text) + "Z"


def _custom_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _boolean(value)
    if isinstance(value, (list, dict, int, float)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def filter_contacts(
    organization: Organization,
    *,
    tags: Iterable[str] = (),
    groups: Iterable[str] = (),
    source: str | None = None,
    created_since: dt.datetime | None = None,
    updated_since: dt.datetime | None = None,
    phone_valid: bool | None = None,
) -> QuerySet[Contact]:
    """The organization's contacts narrowed by the export command's filters (every filter must hold)."""
    queryset = contacts_with_every_tag(organization=organization, names=tags)
    for name in groups:
        queryset = queryset.filter(
            pk__in=Contact.groups.through.objects.filter(
                contactgroup__organization=organization, contactgroup__name=name
            ).values("contact_id")
        )
    if source:
        queryset = queryset.filter(source=source)
    if created_since:
        queryset = queryset.filter(created_at__gte=created_since)
    if updated_since:
        queryset = queryset.filter(updated_at__gte=updated_since)
    if phone_valid is not None:
        queryset = queryset.filter(phone_valid=phone_valid)
    return queryset
