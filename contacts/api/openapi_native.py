"""The native API's side of the OpenAPI description: its bodies (`ContactSchema`, `ProblemSchema`, the vocabulary
entries, pages), the problems each kind of operation answers, its shared parameters, and `VocabularySchema`, which
documents each vocabulary the one pair of views serves. The bodies describe what
`contacts/api/native/serializers.py` renders.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from contacts.api.native.pagination import DEFAULT_LIMIT, MAX_LIMIT
from contacts.api.openapi import DocumentedAutoSchema
from contacts.models import ContactSource, CustomFieldType

PROBLEM = "application/problem+json"


class ClosedBodyScheme(OpenApiSerializerExtension):
    """A request body the API reads with a `ClosedSerializer` refuses members it does not declare: so does its
    schema."""

    target_class = "contacts.api.native.fields.ClosedSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_basic_serializer(self.target, direction)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema


class ProblemErrorSchema(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="The input at fault, in the API's own names.")
    code = serializers.CharField()
    message = serializers.CharField()


class ProblemSchema(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField(help_text="`urn:crm:problem:<kind>`")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = ProblemErrorSchema(many=True)

    class Meta:
        ref_name = "Problem"


class BranchRefSchema(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TeamRefSchema(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


def _text() -> serializers.CharField:  # a text the contact may not have: null
    return serializers.CharField(allow_null=True)


class ContactSchema(serializers.Serializer):
    id = serializers.UUIDField()
    name = _text()
    full_name = _text()
    phone = serializers.CharField(allow_null=True, help_text="E.164")
    phone_valid = serializers.BooleanField()
    email = _text()
    alias = _text()
    contact_key = _text()
    country = _text()
    description = _text()
    address = _text()
    note = _text()
    is_favorite = serializers.BooleanField()
    source = serializers.ChoiceField(choices=ContactSource.values)
    avatar_url = _text()
    branch = BranchRefSchema(allow_null=True)
    team = TeamRefSchema(allow_null=True)
    assigned_user = serializers.EmailField(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())
    groups = BranchRefSchema(many=True)
    custom_fields = serializers.DictField(child=serializers.JSONField())
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    class Meta:
        ref_name = "Contact"


def page_schema(name: str, item: type[serializers.Serializer]) -> type[serializers.Serializer]:
    meta = type("Meta", (), {"ref_name": f"{name}Page"})
    return type(
        f"{name}PageSchema",
        (serializers.Serializer,),
        {
            "results": item(many=True),
            "next_cursor": serializers.CharField(allow_null=True),
            "next": serializers.URLField(allow_null=True),
            "Meta": meta,
        },
    )


ContactPageSchema = type(
    "ContactPageSchema",
    (page_schema("Contact", ContactSchema),),
    {
        "next_updated_since": serializers.DateTimeField(
            allow_null=True,
            help_text="On the last page of a walk with `updated_since`: where the next sync starts (pass it as "
            "`updated_since`); null otherwise.",
        ),
        "Meta": type("Meta", (), {"ref_name": "ContactPage"}),
    },
)


def _entry(ref: str, id_field: serializers.Field, **fields: serializers.Field) -> type[serializers.Serializer]:
    attrs = {"id": id_field, **fields, "created_at": serializers.DateTimeField()}
    return type(f"{ref}Schema", (serializers.Serializer,), {**attrs, "Meta": type("Meta", (), {"ref_name": ref})})


ENTRY_SCHEMAS = {
    "Tag": _entry("Tag", serializers.IntegerField(), name=serializers.CharField()),
    "Group": _entry("Group", serializers.IntegerField(), name=serializers.CharField(), description=_text()),
    "Custom field": _entry(
        "CustomField",
        serializers.IntegerField(),
        key=serializers.CharField(),
        label=serializers.CharField(),
        type=serializers.ChoiceField(choices=CustomFieldType.choices),
        choices=serializers.ListField(child=serializers.CharField()),
    ),
    "Branch": _entry("Branch", serializers.IntegerField(), name=serializers.CharField()),
    "Team": _entry("Team", serializers.UUIDField(), name=serializers.CharField()),
    "Sender number": _entry(
        "SenderNumber",
        serializers.IntegerField(),
        phone=serializers.CharField(),
        external_id=serializers.CharField(),
        label=serializers.CharField(),
    ),
}
PAGE_SCHEMAS = {label: page_schema(schema.Meta.ref_name, schema) for label, schema in ENTRY_SCHEMAS.items()}


def problem(text: str) -> OpenApiResponse:
    return OpenApiResponse(ProblemSchema, description=text)


# The problems any authenticated operation may answer; each operation adds its own.
COMMON_PROBLEMS = {
    (401, PROBLEM): problem("No API key, or one that is unknown, expired or revoked."),
    (403, PROBLEM): problem("The key lacks the operation's scope."),
    (406, PROBLEM): problem("The client accepts neither JSON nor problem details."),
    (429, PROBLEM): problem("Over the key's rate limit; `Retry-After` says when to retry."),
}
WRITE_PROBLEMS = {
    (400, PROBLEM): problem("Invalid input: `errors` names each field at fault."),
    (409, PROBLEM): problem("A unique value is taken, or a request with this Idempotency-Key is still running."),
    (413, PROBLEM): problem("The body is too large."),
    (415, PROBLEM): problem("The body is not JSON."),
    (422, PROBLEM): problem("The Idempotency-Key was used with another request."),
}
NOT_FOUND = {(404, PROBLEM): problem("No such entry in the key's organization.")}
LIST_PROBLEMS = {(400, PROBLEM): problem("An unknown or invalid parameter, or a bad cursor.")}

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
    OpenApiParameter.HEADER,
    description="1 to 255 printable ASCII characters. The same key with the same body within 24 h replays the "
    "stored response; with another body it is a 422.",
)
PAGING = [
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        description=f"1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).",
    ),
    OpenApiParameter("cursor", OpenApiTypes.STR, description="`next_cursor` of the previous page."),
]


class VocabularySchema(DocumentedAutoSchema):
    """The operations of one vocabulary (the view's `vocabulary`): its tag, its bodies, its path parameter."""

    def _vocabulary(self) -> Any:
        return self.view.vocabulary

    def _detail(self) -> bool:
        return "{entry_id}" in self.path

    def get_tags(self) -> list[str]:
        return [self._vocabulary().label]

    def get_operation_id(self) -> str:
        slug = self._vocabulary().label.lower().replace(" ", "_")
        verb = {"get": "retrieve" if self._detail() else "list", "post": "create", "patch": "update"}
        return f"v1_{slug}_{verb.get(self.method.lower(), self.method.lower())}"

    def get_summary(self) -> str:
        one = self._vocabulary().label.lower()
        many = self.path.split("/")[3].replace("-", " ")
        verb = {"GET": "Retrieve a" if self._detail() else "List", "POST": "Create a", "PATCH": "Change a"}
        return f"{verb.get(self.method, 'Delete a')} {one if self._detail() or self.method == 'POST' else many}"

    def get_override_parameters(self) -> list[OpenApiParameter]:
        parameters: list[OpenApiParameter] = []
        if self._detail():
            kind = OpenApiTypes.UUID if self._vocabulary().by_uuid else OpenApiTypes.INT
            parameters.append(OpenApiParameter("entry_id", kind, OpenApiParameter.PATH))
        elif self.method == "GET":
            parameters += PAGING
        if self.method in ("POST", "PATCH", "DELETE"):
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def get_request_serializer(self) -> Any:
        vocabulary = self._vocabulary()
        return {"POST": vocabulary.create_serializer, "PATCH": vocabulary.update_serializer}.get(self.method)

    def get_response_serializers(self) -> Any:
        entry = ENTRY_SCHEMAS[self._vocabulary().label]
        responses: dict[Any, Any] = dict(COMMON_PROBLEMS)
        if self.method == "GET":
            responses[200] = entry if self._detail() else PAGE_SCHEMAS[self._vocabulary().label]
            responses.update(NOT_FOUND if self._detail() else LIST_PROBLEMS)
        elif self.method == "POST":
            responses[201] = entry
            responses.update(WRITE_PROBLEMS)
        elif self.method == "PATCH":
            responses[200] = entry
            responses.update({**WRITE_PROBLEMS, **NOT_FOUND})
        else:
            responses[204] = OpenApiResponse(description="Deleted.")
            responses.update({**NOT_FOUND, (409, PROBLEM): problem("Still in use, or the key is in use.")})
        return responses
