"""The OpenAPI document as the service really answers: problem documents on errors, hours as numbers."""

from __future__ import annotations

from litestar import Litestar
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Reference, Schema
from litestar.openapi.spec.enums import OpenAPIType

from ce_service.errors import PROBLEM_JSON

PROBLEM = Schema(
    type=OpenAPIType.OBJECT,
    required=["type", "title", "status", "detail"],
    properties={
        "type": Schema(type=OpenAPIType.STRING, description="urn:ce-service:problem:<slug>"),
        "title": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING),
        "errors": Schema(type=OpenAPIType.ARRAY, description="which fields are wrong, and why",
                         items=Schema(type=OpenAPIType.OBJECT, required=["field", "message", "code", "params"],
                                      properties={
                                          "field": Schema(type=OpenAPIType.STRING),
                                          "message": Schema(type=OpenAPIType.STRING, description="in English"),
                                          "code": Schema(type=OpenAPIType.STRING, description=(
                                              "why, as a short code (required, too_long, too_large, in_future, "
                                              "bad_national_id, file_too_large, ...); invalid when none is finer")),
                                          "params": Schema(type=OpenAPIType.OBJECT, description=(
                                              "the numbers the code needs, e.g. {\"max\": 200} or {\"max_mb\": 10}"))})),
    },
)

# Every operation may answer these; the text says when.
PROBLEMS = {
    400: "Malformed request: not JSON, not UTF-8, or a form that cannot be read",
    401: "No credentials, or unknown ones",
    403: "These credentials may not do this (or a missing CSRF token)",
    404: "No such person, record or resource in the caller's scope",
    409: "The state changed: already decided, revoked or submitted",
    413: "The body, batch or file is larger than allowed",
    422: "A field is invalid; `errors` names each and why",
    429: "Too many requests or sign-in failures; see Retry-After",
    503: "A dependency (PostgreSQL, Redis) is unavailable; see Retry-After",
}
OPERATIONS = ("get", "put", "post", "patch", "delete")


def correct_document(app: Litestar) -> None:
    """Fix the generated document in place (it is built once and cached: what /schema/openapi.json serves)."""
    document = app.openapi_schema
    _document_problems(document)
    for schema in document.components.schemas.values():
        _numbers_are_numbers(schema)


def _numbers_are_numbers(schema) -> None:
    """`float | int` fields (hours: 20 or 20.5) are one JSON number, not a oneOf that 20 matches twice."""
    if not isinstance(schema, Schema):
        return
    for name, prop in list((schema.properties or {}).items()):
        if isinstance(prop, Schema) and prop.one_of and {getattr(o, "type", None) for o in prop.one_of} == {
                OpenAPIType.NUMBER, OpenAPIType.INTEGER}:
            schema.properties[name] = Schema(type=OpenAPIType.NUMBER, description=prop.description)
        else:
            _numbers_are_numbers(prop)
    if isinstance(schema.items, Schema):
        _numbers_are_numbers(schema.items)
    for option in schema.one_of or []:
        _numbers_are_numbers(option)


def _document_problems(document) -> None:
    """Replace litestar's own error responses with ours, on every operation."""
    document.components.schemas["Problem"] = PROBLEM
    reference = Reference(ref="#/components/schemas/Problem")
    for path, item in (document.paths or {}).items():
        if path in ("/health", "/ready"):
            continue   # their 503 is their own JSON status, not a problem document
        for name in OPERATIONS:
            operation = getattr(item, name, None)
            if operation is None:
                continue
            responses = operation.responses or {}
            for code in [c for c in responses if str(c).startswith(("4", "5"))]:
                del responses[code]
            for code, description in PROBLEMS.items():
                responses[str(code)] = OpenAPIResponse(
                    description=description, content={PROBLEM_JSON: OpenAPIMediaType(schema=reference)})
            operation.responses = responses
