"""`/api/v1/{tags,groups,custom-fields,branches,teams,sender-numbers}`: list, create, retrieve, patch, delete.

One pair of views serves every vocabulary; a `Vocabulary` says which model, how an entry is found in the path
(its integer id, or a team's uuid), how it renders, and which service function writes it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from contacts.api.native import serializers as s
from contacts.api.native.base import NativeAPIView
from contacts.api.native.pagination import next_link, paginate
from contacts.api.openapi_native import VocabularySchema
from contacts.api.scopes import SETTINGS_LIST_SCOPES, SETTINGS_SCOPES
from contacts.errors import NotFound
from contacts.models import Branch, ContactGroup, CustomField, Organization, SenderNumber, Tag, Team
from contacts.services import vocabularies as v

# The vocabularies are an organization's settings. Until credentials carry a `settings:write` scope, writing them
# needs the contact scope of the same verb (contacts/api/scopes.py).


@dataclass(frozen=True)
class Vocabulary:
    label: str
    model: type[Model]
    render: Callable[[Any], dict[str, Any]]
    create_serializer: type[Serializer]
    update_serializer: type[Serializer]
    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., None]
    by_uuid: bool = False

    def entries(self, organization: Organization) -> QuerySet:
        return self.model.objects.filter(organization=organization)

    def find(self, organization: Organization, raw: str) -> Any:
        lookup: dict[str, Any]
        if self.by_uuid:
            try:
                lookup = {"uuid": uuid.UUID(raw)}
            except ValueError:
                lookup = {}
        else:
            lookup = {"pk": int(raw)} if raw.isascii() and raw.isdigit() and len(raw) <= 18 else {}
        found = self.entries(organization).filter(**lookup).first() if lookup else None
        if found is None:
            raise NotFound(None, f"{self.label} not found")
        return found


def _custom_field_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    if "type" in data:
        data["field_type"] = data.pop("type")
    return data


TAGS = Vocabulary(
    "Tag", Tag, s.render_tag, s.NameSerializer, s.NameSerializer, v.create_tag, v.update_tag, v.delete_tag
)
GROUPS = Vocabulary(
    "Group",
    ContactGroup,
    s.render_group,
    s.GroupSerializer,
    s.GroupSerializer,
    v.create_group,
    v.update_group,
    v.delete_group,
)
CUSTOM_FIELDS = Vocabulary(
    "Custom field",
    CustomField,
    s.render_custom_field,
    s.CustomFieldCreateSerializer,
    s.CustomFieldUpdateSerializer,
    lambda **kwargs: v.create_custom_field(**_custom_field_kwargs(kwargs)),
    v.update_custom_field,
    v.delete_custom_field,
)
BRANCHES = Vocabulary(
    "Branch",
    Branch,
    s.render_branch,
    s.NameSerializer,
    s.NameSerializer,
    v.create_branch,
    v.update_branch,
    v.delete_branch,
)
TEAMS = Vocabulary(
    "Team",
    Team,
    s.render_team,
    s.NameSerializer,
    s.NameSerializer,
    v.create_team,
    v.update_team,
    v.delete_team,
    by_uuid=True,
)
SENDER_NUMBERS = Vocabulary(
    "Sender number",
    SenderNumber,
    s.render_sender_number,
    s.SenderNumberSerializer,
    s.SenderNumberSerializer,
    v.create_sender_number,
    v.update_sender_number,
    v.delete_sender_number,
)


def _validated(serializer_class: type[Serializer], body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    serializer = serializer_class(data=body, partial=partial)
    serializer.is_valid(raise_exception=True)
    data = dict(serializer.validated_data)
    # null clears an optional text (a label, a description); the services take "" for that.
    return {key: ("" if value is None and key in ("label", "description") else value) for key, value in data.items()}


class VocabularyListView(NativeAPIView):
    required_scopes = SETTINGS_LIST_SCOPES
    schema = VocabularySchema()  # the schema of the vocabulary it serves
    vocabulary: Vocabulary | None = None

    def get(self, request: Request) -> Response:
        unknown = [name for name in request.query_params if name not in ("cursor", "limit")]
        if unknown:
            raise ValidationError(
                {
                    name: [ErrorDetail(f"{name} is not a parameter of this list.", code="unknown_parameter")]
                    for name in unknown
                }
            )
        page = paginate(self.vocabulary.entries(self.organization), request, "created_at")
        return Response(
            {
                "results": [self.vocabulary.render(entry) for entry in page.rows],
                "next_cursor": page.next_cursor,
                "next": next_link(request, page),
            }
        )

    def post(self, request: Request) -> Response:
        data = _validated(self.vocabulary.create_serializer, self.json_object(), partial=False)
        entry = self.vocabulary.create(organization=self.organization, actor=self.actor, **data)
        body = self.vocabulary.render(entry)
        response = Response(body, status=201)
        response["Location"] = f"{request.path.rstrip('/')}/{body['id']}"
        return response


class VocabularyDetailView(NativeAPIView):
    required_scopes = SETTINGS_SCOPES
    schema = VocabularySchema()
    vocabulary: Vocabulary | None = None

    def get(self, request: Request, entry_id: str) -> Response:
        return Response(self.vocabulary.render(self.vocabulary.find(self.organization, entry_id)))

    def patch(self, request: Request, entry_id: str) -> Response:
        body = self.json_object()
        entry = self.vocabulary.find(self.organization, entry_id)
        data = _validated(self.vocabulary.update_serializer, body, partial=True)
        return Response(self.vocabulary.render(self.vocabulary.update(entry, actor=self.actor, **data)))

    def delete(self, request: Request, entry_id: str) -> Response:
        self.vocabulary.delete(self.vocabulary.find(self.organization, entry_id), actor=self.actor)
        return Response(status=204)
