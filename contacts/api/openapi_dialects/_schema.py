"""The building blocks of the dialects' OpenAPI descriptions.

The dialects' bodies are written as JSON Schema (OpenAPI 3.1's dialect) rather than serializers: their docs give
shapes that serializers cannot state (a value that is a string or an integer, a nullable object, a field that is
always `null`, a body that refuses unknown fields). Each dialect module registers its components here; `finish`
adds them to the document and marks the request bodies the dialect requires.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

Schema = dict[str, Any]

COMPONENTS: dict[str, Schema] = {}
OPERATIONS: set[str] = set()  # every dialect operationId
# operationId → what the dialect's doc says of it; replaces the view's docstring, which covers several operations.
DESCRIPTIONS: dict[str, str] = {}
# operationIds whose request body is required (drf-spectacular leaves raw-schema bodies optional).
REQUIRED_BODIES: set[str] = set()

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
NULL: Schema = {"type": "null"}
NULLABLE_STRING: Schema = {"type": ["string", "null"]}


def component(name: str, schema: Schema) -> Schema:
    """Registers `schema` as `#/components/schemas/<name>` and returns a reference to it."""
    COMPONENTS[name] = schema
    return ref(name)


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    return {"oneOf": [schema, NULL]}


def obj(properties: dict[str, Schema], *, required: list[str] | None = None, closed: bool = False) -> Schema:
    """An object; every property is required unless `required` lists the ones that are."""
    schema: Schema = {"type": "object", "properties": properties, "required": list(properties)}
    if required is not None:
        schema["required"] = required
    if not schema["required"]:
        del schema["required"]
    if closed:
        schema["additionalProperties"] = False
    return schema


def array(items: Schema, **limits: Any) -> Schema:
    return {"type": "array", "items": items, **limits}


def query(name: str, schema: Schema, description: str = "", *, required: bool = False, **kwargs: Any) -> Any:
    return OpenApiParameter(name, schema, OpenApiParameter.QUERY, required=required, description=description, **kwargs)


def path(name: str, schema: Schema, description: str = "") -> Any:
    return OpenApiParameter(name, schema, OpenApiParameter.PATH, required=True, description=description)


def header(name: str, description: str, *, required: bool = True) -> Any:
    return OpenApiParameter(name, STRING, OpenApiParameter.HEADER, required=required, description=description)


def constrained(base: Schema, **properties: Schema) -> Schema:
    """`base` with some of its properties narrowed (an error body whose code is fixed for one status)."""
    return {"allOf": [base, {"properties": properties}]}


def responses(
    errors: Callable[[int], Schema], statuses: dict[int, str], **successes: Any
) -> dict[int, OpenApiResponse]:
    """The success responses (`_200=(schema, description)`) and one error response per status in `statuses`,
    each with the dialect's error body for that status."""
    result = {
        int(code.lstrip("_")): OpenApiResponse(body, description=text) for code, (body, text) in successes.items()
    }
    result.update({status: OpenApiResponse(errors(status), description=text) for status, text in statuses.items()})
    return result


def operation(
    operation_id: str,
    summary: str,
    responses: dict,
    *,
    request: dict[str, Schema] | None = None,
    parameters: list | None = None,
    body_required: bool = True,
    description: str | None = None,
) -> Callable:
    """`@extend_schema` for one dialect operation; `request` maps each media type to its body schema."""
    OPERATIONS.add(operation_id)
    if request and body_required:
        REQUIRED_BODIES.add(operation_id)
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description=description,
        request=request,
        responses=responses,
        parameters=parameters or [],
    )


def json_body(schema: Schema) -> dict[str, Schema]:
    return {"application/json": schema}


def finish(result: dict[str, Any]) -> dict[str, Any]:
    """Adds the dialects' components to the document and marks their required request bodies."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(COMPONENTS)
    result["components"]["schemas"] = dict(sorted(result["components"]["schemas"].items()))
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or operation.get("operationId") not in OPERATIONS:
                continue
            operation["responses"] = dict(sorted(operation["responses"].items()))
            if operation["operationId"] in DESCRIPTIONS:
                operation["description"] = DESCRIPTIONS[operation["operationId"]]
            _add_headers(operation)
            if operation["operationId"] in REQUIRED_BODIES:
                operation["requestBody"]["required"] = True
    return result


_RETRY_AFTER = {"schema": INTEGER, "required": True, "description": "Seconds until the next request may succeed."}
_CHALLENGE = {"schema": STRING, "required": True, "description": "Why the credentials were refused."}
# Awal sends these on every answer (docs/dialects/awal.md, "Errors" and "Rate limits").
_AWAL_HEADERS = {
    "X-Request-ID": {"schema": STRING, "required": True, "description": "An error body's `request_id`."},
    "X-RateLimit-Limit": {"schema": INTEGER, "required": True},
    "X-RateLimit-Remaining": {"schema": INTEGER, "required": True, "description": "After this request."},
    "X-RateLimit-Reset": {"schema": INTEGER, "required": True, "description": "Unix time the budget is back."},
}


def _add_headers(operation: dict[str, Any]) -> None:
    for status, response in operation["responses"].items():
        headers = response.setdefault("headers", {})
        if status in ("429", "503"):
            headers["Retry-After"] = _RETRY_AFTER
        # The token endpoint challenges only a client that used Basic.
        if status == "401" and operation["operationId"] != "sfmc_token":
            headers["WWW-Authenticate"] = _CHALLENGE
        if operation["operationId"].startswith("awal_"):
            headers.update(_AWAL_HEADERS)
        if not headers:
            del response["headers"]
