"""`POST /api/v1/contacts/batch`: up to 1,000 creates, updates and upserts, each all-or-nothing, the batch not.

Each item is checked with the single writes' serializer (`ContactWriteSerializer`), written by
`contacts.services.batch.write_batch`, and rendered with `render_contact`, so an item's contact and errors read as
the answer of `POST /api/v1/contacts` or `PATCH /api/v1/contacts/{id}` would. The answer is a 200 with one result
per item, in order: `{"index", "status", "contact", "errors"}`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import prefetch_related_objects
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from contacts.api import openapi_native as doc
from contacts.api.native.base import NativeAPIView
from contacts.api.native.fields import ClosedSerializer, UUIDStringField
from contacts.api.native.problems import exception_response
from contacts.api.native.serializers import ContactWriteSerializer, render_contact
from contacts.models import Scope
from contacts.services.batch import MATCH_FIELDS, MAX_ITEMS, OPERATIONS, BatchItem, write_batch

RENDERED_RELATIONS = ("branch", "team", "assigned_user", "tags", "groups")


class BatchSerializer(ClosedSerializer):
    items = serializers.ListField(max_length=MAX_ITEMS)


class ItemSerializer(ClosedSerializer):
    op = serializers.ChoiceField(choices=OPERATIONS)
    match_on = serializers.ChoiceField(choices=MATCH_FIELDS, required=False)
    id = UUIDStringField()
    contact = serializers.DictField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        op = attrs["op"]
        errors: dict[str, list[serializers.ErrorDetail]] = {}
        if op == "update" and not attrs.get("id"):
            errors["id"] = [serializers.ErrorDetail("An update names its contact by id.", code="required")]
        if op != "update" and "id" in attrs:
            errors["id"] = [serializers.ErrorDetail(f"A {op} takes no id.", code="invalid")]
        if op == "upsert" and not attrs.get("match_on"):
            errors["match_on"] = [serializers.ErrorDetail("An upsert names the field it matches on.", code="required")]
        if op != "upsert" and "match_on" in attrs:
            errors["match_on"] = [serializers.ErrorDetail(f"A {op} takes no match_on.", code="invalid")]
        if errors:
            raise ValidationError(errors)
        return attrs


class BatchItemSchema(ItemSerializer):
    contact = ContactWriteSerializer()

    class Meta:
        ref_name = "BatchItem"


class BatchRequestSchema(serializers.Serializer):
    items = BatchItemSchema(many=True, help_text=f"At most {MAX_ITEMS}.")

    class Meta:
        ref_name = "BatchRequest"


class BatchResultSchema(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=[200, 201, 400, 404, 409, 422])
    contact = doc.ContactSchema(allow_null=True)
    errors = doc.ProblemErrorSchema(many=True)

    class Meta:
        ref_name = "BatchResult"


class BatchResponseSchema(serializers.Serializer):
    results = BatchResultSchema(many=True)

    class Meta:
        ref_name = "BatchResponse"


def _errors(exc: BaseException, prefix: str | None) -> tuple[int, list[dict[str, Any]]]:
    """The status and `errors` of the problem a single write would answer for `exc`, its fields inside the item."""
    problem = exception_response(exc)
    errors = problem.data["errors"]
    if prefix:
        errors = [{**error, "field": f"{prefix}.{error['field']}" if error["field"] else prefix} for error in errors]
    return problem.status_code, errors


class ContactBatchView(NativeAPIView):
    required_scopes = {"POST": Scope.CONTACTS_WRITE}

    @extend_schema(
        operation_id="v1_contacts_batch",
        summary="Create, update or upsert up to 1,000 contacts",
        parameters=[doc.IDEMPOTENCY_KEY],
        request=BatchRequestSchema,
        responses={
            200: OpenApiResponse(BatchResponseSchema, description="One result per item, in order."),
            **doc.WRITE_PROBLEMS,
            **doc.COMMON_PROBLEMS,
        },
    )
    def post(self, request: Request) -> Response:
        envelope = BatchSerializer(data=self.json_object())
        envelope.is_valid(raise_exception=True)
        results: list[dict[str, Any] | None] = []
        items: list[BatchItem] = []
        positions: list[int] = []
        for index, raw in enumerate(envelope.validated_data["items"]):
            item = self._item(raw)
            if isinstance(item, BatchItem):
                items.append(item)
                positions.append(index)
                results.append(None)
            else:
                status, errors = item
                results.append({"index": index, "status": status, "contact": None, "errors": errors})
        outcomes = write_batch(organization=self.organization, items=items, actor=self.actor)
        # The contacts as written, with what `render_contact` reads loaded as `native_contacts()` loads it.
        written = [outcome.contact for outcome in outcomes if outcome.contact is not None]
        prefetch_related_objects(written, *RENDERED_RELATIONS)
        for index, outcome in zip(positions, outcomes, strict=True):
            if outcome.error is not None:
                status, errors = _errors(outcome.error, None if outcome.about_item else "contact")
                results[index] = {"index": index, "status": status, "contact": None, "errors": errors}
            else:
                contact = render_contact(outcome.contact)
                status = 201 if outcome.created else 200
                results[index] = {"index": index, "status": status, "contact": contact, "errors": []}
        return Response({"results": results})

    def _item(self, raw: Any) -> BatchItem | tuple[int, list[dict[str, Any]]]:
        # One serializer of each kind for the whole batch: building one deep-copies its fields, a millisecond each.
        if not hasattr(self, "_serializers"):
            self._serializers = (ItemSerializer(), ContactWriteSerializer(), ContactWriteSerializer(partial=True))
        envelope, create, change = self._serializers
        try:
            data = envelope.run_validation(raw)
        except ValidationError as exc:
            return _errors(exc, None)
        try:
            fields = (create if data["op"] == "create" else change).run_validation(data["contact"])
        except ValidationError as exc:
            return _errors(exc, "contact")
        return BatchItem(data["op"], dict(fields), id=data.get("id"), match_on=data.get("match_on"))
