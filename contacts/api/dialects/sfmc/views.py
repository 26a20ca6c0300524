"""Salesforce Marketing Cloud: the contacts REST endpoints under `/sfmc/` (the token endpoint is in token.py)."""

from __future__ import annotations

import secrets
from collections import defaultdict
from typing import Any

from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from contacts.api import openapi_dialects
from contacts.api.base import DialectAPIView
from contacts.api.dialects.sfmc import attribute_sets, contact_requests, serializers
from contacts.api.dialects.sfmc.contact_requests import ContactRequest, Violation
from contacts.api.errors import DialectError
from contacts.db import UnicodeLower
from contacts.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from contacts.models import Contact, Scope
from contacts.services.contacts import delete_contact, update_contact, upsert_contact

_IDENTITY_TAKEN = "A MobilePush Device ID or LINE Address ID in this request already belongs to another contact"


class ContactOperationFailed(DialectError):
    """A create/update that breaks one or more rules; rendered as `operationStatus: "FAIL"`."""

    def __init__(self, request: ContactRequest | None, violations: list[Violation], status: int) -> None:
        super().__init__("; ".join(violation.message for violation in violations))
        self.request, self.violations, self.status = request, violations, status

    def response(self, view: DialectAPIView) -> Response:
        return Response(serializers.failed_operation_body(self.request, self.violations), status=self.status)


class SfmcAPIView(DialectAPIView):
    """Contacts endpoints: Bearer access token from `/v2/token` (the registry's default), JSON bodies."""

    parser_classes = [JSONParser]


class SfmcContactsView(SfmcAPIView):
    """`POST` creates (or, for a known `contactKey`, updates); `PATCH` updates. Rule violations are reported
    together, one `resultMessages` entry each: POST answers 400, PATCH 200 as SFMC does."""

    required_scopes = {"POST": Scope.CONTACTS_CREATE, "PATCH": Scope.CONTACTS_UPDATE}

    @openapi_dialects.sfmc_contact_create
    def post(self, request: Request) -> Response:
        return self._save(request, creating=True)

    @openapi_dialects.sfmc_contact_update
    def patch(self, request: Request) -> Response:
        return self._save(request, creating=False)

    def _save(self, request: Request, *, creating: bool) -> Response:
        failure_status = 400 if creating else 200
        parsed = contact_requests.parse_contact_request(serializers.require_object(request.data))
        contact = None
        violations = list(parsed.violations)
        # A create by contactKey alone is checked against nothing stored: the service finds the contact, if any.
        if parsed.target_readable and not (creating and parsed.contact_id is None):
            contact, missing = self._find_target(parsed, creating=creating)
            if missing:
                violations.append(missing)
        # A create must stand on its own; an update is checked against the sets the contact will end up with,
        # so without a contact there is nothing to check an update against.
        if parsed.sets_readable and (creating or contact is not None):
            sets = parsed.sets if creating else {**_stored_sets(contact), **parsed.sets}
            violations += contact_requests.dependency_violations(sets)
        if violations:
            raise ContactOperationFailed(parsed, violations, failure_status)

        may_update = not creating or request.user.has_scope(Scope.CONTACTS_UPDATE)
        if contact is not None and not may_update:
            raise PermissionDenied(Scope.CONTACTS_UPDATE)
        arguments = {
            **attribute_sets.canonical_fields(parsed.sets),
            # Only the sets given change; an update keeps the others.
            "attributes": parsed.sets,
            "attributes_mode": "merge",
            "channel_identities": attribute_sets.channel_identities(parsed.sets),
        }
        try:
            if creating and parsed.contact_key is not None:
                contact, is_new = upsert_contact(
                    organization=self.organization, match_on="contact_key", contact_key=parsed.contact_key, **arguments
                )
            else:
                contact, is_new = update_contact(contact, **arguments), False
        except NotFound:
            # Deleted by a concurrent request after we found it: the same answer as if it had never existed.
            raise ContactOperationFailed(parsed, [_not_found(parsed)], failure_status) from None
        except (ValidationFailed, Conflict) as error:
            raise ContactOperationFailed(parsed, [_violation(error)], failure_status) from None
        if not is_new and not may_update:
            # A concurrent create of the key won: ours became an update this credential may not make (the
            # request's transaction is rolled back with the error).
            raise PermissionDenied(Scope.CONTACTS_UPDATE)
        return Response(serializers.contact_operation_body(contact, is_new=is_new))

    def _find_target(self, parsed: ContactRequest, *, creating: bool) -> tuple[Contact | None, Violation | None]:
        """The contact the request names, read to check the request against it (the service writes)."""
        contacts = Contact.objects.filter(organization=self.organization)
        if parsed.contact_key is not None:
            contact = contacts.filter(contact_key=parsed.contact_key).first()
            if parsed.contact_id is not None and (contact is None or contact.pk != parsed.contact_id):
                return None, Violation(
                    "ContactIDMismatch", f"contactID {parsed.contact_id} is not the contact with this contactKey"
                )
            if contact is None and not creating:
                return None, _not_found(parsed)
        else:
            contact = contacts.filter(pk=parsed.contact_id).first()
            if contact is None:
                return None, _not_found(parsed)
        if contact is not None:
            contact.organization = self.organization  # already loaded with the token; saves a query
        return contact, None


def _stored_sets(contact: Contact) -> dict[str, Any]:
    # Attributes can be edited in the admin; anything but an object is treated as no sets.
    return dict(contact.attributes) if isinstance(contact.attributes, dict) else {}


def _not_found(parsed: ContactRequest) -> Violation:
    if parsed.contact_key is not None:
        return Violation("ContactNotFound", f"No contact with contactKey {parsed.contact_key}")
    return Violation("ContactNotFound", f"No contact with contactID {parsed.contact_id}")


def _violation(error: ValidationFailed | Conflict) -> Violation:
    if isinstance(error, Conflict) and error.field == "channel_identities":
        return Violation("DuplicateValue", _IDENTITY_TAKEN)
    where = attribute_sets.FIELD_ATTRIBUTES.get(error.field or "", "")
    message = f"{where}: {error.message}" if where else error.message
    if isinstance(error, Conflict):
        return Violation("DuplicateValue", message)
    return Violation("InvalidAttributeValue", message)


class SfmcContactDeleteView(SfmcAPIView):
    """`POST /contacts/v1/contacts/actions/delete?type=keys|ids`. Deletion is immediate; keys or ids that name
    no contact are reported as warnings, not failures, so a retried request still succeeds."""

    required_scopes = {"POST": Scope.CONTACTS_DELETE}

    @openapi_dialects.sfmc_contact_delete
    def post(self, request: Request) -> Response:
        parsed = serializers.parse_delete_request(serializers.query_param(request.query_params, "type"), request.data)
        contacts = Contact.objects.filter(organization=self.organization)
        if parsed.by == "keys":
            found = {contact.contact_key: contact for contact in contacts.filter(contact_key__in=parsed.values)}
        else:
            found = {contact.pk: contact for contact in contacts.filter(pk__in=parsed.values)}
        gone = set()
        # Ascending id: the lock order of every write path.
        for value, contact in sorted(found.items(), key=lambda item: item[1].pk):
            try:
                delete_contact(contact)
            except NotFound:  # a concurrent request deleted it first: reported like any unknown key
                gone.add(value)
        missing = [value for value in parsed.values if value not in found or value in gone]
        operation_id = secrets.randbelow(2**31 - 1) + 1
        return Response(serializers.delete_operation_body(operation_id, missing, parsed.by))


class SfmcEmailSearchView(SfmcAPIView):
    """`POST /contacts/v1/addresses/email/search`: contact keys per email address, oldest first."""

    required_scopes = {"POST": Scope.CONTACTS_READ}

    @openapi_dialects.sfmc_email_search
    def post(self, request: Request) -> Response:
        parsed = serializers.parse_email_search_request(request.data)
        contacts = (
            Contact.objects.annotate(email_lower=UnicodeLower("email"))
            .filter(
                organization=self.organization,
                email_lower__in={address.lower() for address in parsed.addresses},
                contact_key__isnull=False,
            )
            .exclude(contact_key="")
            .only("email", "contact_key", "created_at")
            .order_by("created_at", "id")
        )
        matches: dict[str, list[Contact]] = defaultdict(list)
        for contact in contacts:
            matches[contact.email_lower].append(contact)
        return Response(serializers.email_search_body(parsed, matches))


class SfmcAttributeSetDefinitionsView(SfmcAPIView):
    """`GET /contacts/v1/attributeSetDefinitions`: the attribute sets this dialect understands."""

    required_scopes = {"GET": Scope.CONTACTS_READ}

    @openapi_dialects.sfmc_attribute_sets
    def get(self, request: Request) -> Response:
        page, size = serializers.parse_page(request.query_params)
        return Response(serializers.attribute_set_definitions_body(page, size))
