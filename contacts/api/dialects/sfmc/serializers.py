"""Request bodies of the sibling endpoints read into plain values, and models rendered in SFMC's shapes."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict
from django.utils import timezone

from contacts.api.dialects.sfmc import attribute_sets
from contacts.api.dialects.sfmc.contact_requests import ContactRequest, Violation, positive_integer
from contacts.api.dialects.sfmc.errors import (
    INVALID_PARAMETER,
    MALFORMED_REQUEST,
    MISSING_PARAMETER,
    TOO_MANY_VALUES,
    SfmcRequestError,
)
from contacts.models import Contact
from contacts.selectors import rendered

# What an optional value the contact does not have renders as: null (a contact created elsewhere has no
# contactKey). The contract's only empty value, `"documentation": ""` in error bodies, is a field SFMC always
# sends empty, not a missing value.
EMPTY_VALUE = None
MAX_DELETE_VALUES = 100
MAX_SEARCH_ADDRESSES = 100
MAX_SEARCH_COUNT = 100
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


def new_message_id() -> str:
    return str(uuid.uuid4())


def sfmc_datetime(value) -> str:
    """SFMC's timestamps: ISO 8601 in UTC with milliseconds, e.g. `2026-11-23T09:30:00.123Z`."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def require_object(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise SfmcRequestError(400, MALFORMED_REQUEST, "The request body must be a JSON object")
    return data


def required_array(data: Mapping[str, Any], name: str) -> list[Any]:
    """The body's member `name`, which must be a non-empty array."""
    values = data.get(name)
    if values is None:
        raise SfmcRequestError(400, MISSING_PARAMETER, f"{name} is required")
    if not isinstance(values, list) or not values:
        raise SfmcRequestError(400, INVALID_PARAMETER, f"{name} must be a non-empty array")
    return values


def query_param(query: QueryDict, name: str) -> str | None:
    """The value of query parameter `name`, its name matched ignoring case as SFMC does (fuel-rest lowercases
    the whole URL: `$pagesize`). Given more than once, in any spelling, the values must agree."""
    wanted = name.lower()
    values = {value for key, given in query.lists() if key.lower() == wanted for value in given}
    if len(values) > 1:
        raise SfmcRequestError(400, INVALID_PARAMETER, f"{name} is given more than once with different values")
    return next(iter(values), None)


# --- contacts create / update ---------------------------------------------------------------------------------


def result_message(violation: Violation) -> dict[str, str]:
    return {
        "resultType": "Error",
        "resultCode": violation.code,
        "resultClass": "Contact",
        "resultMessage": violation.message,
    }


def contact_operation_body(contact: Contact, *, is_new: bool) -> dict[str, Any]:
    """The contract's create response (also PATCH's), `rowsAffetcted` spelled as the vendor spells it."""
    return {
        "operationStatus": "OK",
        "rowsAffetcted": 1,
        "contactKey": rendered(contact.contact_key, EMPTY_VALUE),
        "contactId": contact.pk,
        "contactTypeID": 0,
        "isNewContactKey": is_new,
        "requestServiceMessageID": new_message_id(),
        "hasErrors": False,
        "resultMessages": [],
        "serviceMessageID": new_message_id(),
    }


def failed_operation_body(request: ContactRequest | None, violations: Sequence[Violation]) -> dict[str, Any]:
    return {
        "operationStatus": "FAIL",
        "rowsAffetcted": 0,
        "contactKey": request.contact_key if request else None,
        "contactId": request.contact_id if request else None,
        "contactTypeID": 0,
        "isNewContactKey": False,
        "requestServiceMessageID": new_message_id(),
        "hasErrors": True,
        "resultMessages": [result_message(violation) for violation in violations],
        "serviceMessageID": new_message_id(),
    }


# --- delete -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeleteRequest:
    by: str  # "keys" or "ids"
    values: list[Any]


def parse_delete_request(query_type: str | None, data: Any) -> DeleteRequest:
    if query_type in (None, ""):
        raise SfmcRequestError(400, MISSING_PARAMETER, "The type query parameter is required: keys or ids")
    if query_type.lower() not in ("keys", "ids"):
        raise SfmcRequestError(400, INVALID_PARAMETER, f"Unknown type {query_type!r}: expected keys or ids")
    query_type = query_type.lower()
    data = require_object(data)
    values = required_array(data, "values")
    if len(values) > MAX_DELETE_VALUES:
        raise SfmcRequestError(400, TOO_MANY_VALUES, f"values accepts at most {MAX_DELETE_VALUES} entries")
    operation = data.get("DeleteOperationType", "ContactAndAttributes")
    if operation != "ContactAndAttributes":
        raise SfmcRequestError(
            400, INVALID_PARAMETER, "DeleteOperationType must be ContactAndAttributes (the only supported type)"
        )
    if query_type == "keys":
        if not all(isinstance(value, str) and value.strip() for value in values):
            raise SfmcRequestError(400, INVALID_PARAMETER, "values must be contact keys (non-empty strings)")
        return DeleteRequest("keys", list(dict.fromkeys(value.strip() for value in values)))
    ids = [positive_integer(value) for value in values]
    if None in ids:
        raise SfmcRequestError(400, INVALID_PARAMETER, "values must be contact ids (positive integers)")
    return DeleteRequest("ids", list(dict.fromkeys(ids)))


def delete_operation_body(operation_id: int, missing: Sequence[Any], by: str) -> dict[str, Any]:
    label = "key" if by == "keys" else "id"
    return {
        "operationInitiated": True,
        "operationID": operation_id,
        "requestServiceMessageID": new_message_id(),
        "responseDateTime": sfmc_datetime(timezone.now()),
        "hasErrors": False,
        "resultMessages": [
            {
                "resultType": "Warning",
                "resultCode": "ContactNotFound",
                "resultClass": "Contact",
                "resultMessage": f"No contact with {label} {value}",
            }
            for value in missing
        ],
        "serviceMessageID": new_message_id(),
    }


# --- email search -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmailSearchRequest:
    addresses: list[str]
    maximum_count: int


def parse_email_search_request(data: Any) -> EmailSearchRequest:
    data = require_object(data)
    addresses = required_array(data, "channelAddressList")
    if not all(isinstance(address, str) and address.strip() for address in addresses):
        raise SfmcRequestError(400, INVALID_PARAMETER, "channelAddressList must contain email addresses (strings)")
    if len(addresses) > MAX_SEARCH_ADDRESSES:
        raise SfmcRequestError(
            400, TOO_MANY_VALUES, f"channelAddressList accepts at most {MAX_SEARCH_ADDRESSES} addresses"
        )
    maximum = data.get("maximumCount", 1)
    if isinstance(maximum, bool) or not isinstance(maximum, int) or not 1 <= maximum <= MAX_SEARCH_COUNT:
        raise SfmcRequestError(400, INVALID_PARAMETER, f"maximumCount must be an integer from 1 to {MAX_SEARCH_COUNT}")
    return EmailSearchRequest([address.strip() for address in addresses], maximum)


def email_search_body(request: EmailSearchRequest, matches: Mapping[str, list[Contact]]) -> dict[str, Any]:
    return {
        "channelAddressResponseEntities": [
            {
                "contactKeyDetails": [
                    {"contactKey": contact.contact_key, "createDate": sfmc_datetime(contact.created_at)}
                    for contact in matches.get(address.lower(), [])[: request.maximum_count]
                ],
                "channelAddress": address,
            }
            for address in request.addresses
        ],
        "operationStatus": "OK",
        "requestServiceMessageID": new_message_id(),
        "responseDateTime": sfmc_datetime(timezone.now()),
        "hasErrors": False,
        "resultMessages": [],
        "serviceMessageID": new_message_id(),
    }


# --- attribute set definitions ----------------------------------------------------------------------------------


def parse_page(query: QueryDict) -> tuple[int, int]:
    """`$page`/`$pageSize` (SFMC's spelling) or `page`/`pageSize`, in any case; 1-based pages."""
    page = _positive(query, "page", 1, None)
    size = _positive(query, "pageSize", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    return page, size


def _positive(query: QueryDict, name: str, default: int, maximum: int | None) -> int:
    raw = query_param(query, f"${name}")
    if raw is None:
        raw = query_param(query, name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or int(raw) < 1 or (maximum is not None and int(raw) > maximum):
        limit = f" from 1 to {maximum}" if maximum else " of at least 1"
        raise SfmcRequestError(400, INVALID_PARAMETER, f"${name} must be an integer{limit}")
    return int(raw)


def attribute_set_definition(definition: attribute_sets.AttributeSetDefinition) -> dict[str, Any]:
    set_id = attribute_sets.definition_id(definition.name)
    return {
        "id": set_id,
        "key": definition.key,
        "name": {"value": definition.name},
        "fullyQualifiedName": definition.name,
        "isReadOnly": False,
        "attributes": [
            {
                "id": attribute_sets.definition_id(definition.name, attribute.name),
                "key": attribute.name.replace(" ", ""),
                "name": {"value": attribute.name},
                "dataType": attribute.data_type,
                "isNullable": not attribute.required,
                "displayOrder": order,
                "fullyQualifiedName": f"{definition.name}.{attribute.name}",
                "parentId": set_id,
            }
            for order, attribute in enumerate(definition.attributes, start=1)
        ],
    }


def attribute_set_definitions_body(page: int, size: int) -> dict[str, Any]:
    definitions = list(attribute_sets.ATTRIBUTE_SETS.values())
    start = (page - 1) * size
    return {
        "page": page,
        "pageSize": size,
        "count": len(definitions),
        "items": [attribute_set_definition(definition) for definition in definitions[start : start + size]],
    }
