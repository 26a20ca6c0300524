"""How a dialect names the service's fields, read from its serializers instead of restated by hand."""

from __future__ import annotations

from rest_framework import serializers


def vendor_field_names(serializer_class: type[serializers.Serializer]) -> dict[str, str]:
    """{service field: the dialect's field} for every field of `serializer_class` whose `source=` names a
    service argument other than the field's own name (`identifier = CharField(source="phone")` → `phone:
    identifier`). A dialect renders a service's error under the name its client sent."""
    fields = serializer_class().fields
    return {field.source: name for name, field in fields.items() if field.source not in (name, "*")}
