"""The OpenAPI document as clients need it: errors documented as
`application/problem+json` (with the `Problem` schema, the 422s included), the bearer
scheme, and an example for every response, built from the field examples of its schema."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.problems import Problem

MAX_DEPTH = 6


def example_of(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    """An example value for `schema`: its own example or first `examples`, else one made of
    its properties' examples (or a plain value of its type)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return example_of(components.get(name, {}), components, depth + 1)
    if "example" in schema:
        return schema["example"]
    if schema.get("examples"):
        return schema["examples"][0]
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if depth > MAX_DEPTH:
        return None
    for combined in ("anyOf", "oneOf", "allOf"):
        options = [s for s in schema.get(combined, []) if s.get("type") != "null"]
        if options:
            return example_of(options[0], components, depth + 1)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            name: example_of(part, components, depth + 1)
            for name, part in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [example_of(schema.get("items", {}), components, depth + 1)]
    fmt = schema.get("format")
    plain: dict[str | None, Any] = {
        "date-time": "2026-11-02T09:30:00Z", "date": "2026-11-02", "uuid": None,
    }  # fmt: skip
    if kind == "string":
        return plain.get(fmt) or "text"
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1)
    if kind == "number":
        return schema.get("minimum", 0.5)
    if kind == "boolean":
        return True
    return None


def custom_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = components["Problem"].pop("$defs", {})
    components.update(defs)
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            _complete(operation, components)
    app.openapi_schema = document
    return document


def _complete(operation: dict[str, Any], components: dict[str, Any]) -> None:
    for status, response in operation.get("responses", {}).items():
        content = response.get("content", {})
        if int(status) >= 400:
            response["content"] = {
                "application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/Problem"},
                    "example": {"type": "about:blank", "title": response.get("description", ""),
                                "status": int(status)},
                }
            }  # fmt: skip
            continue
        for media in content.values():
            if "example" not in media and "schema" in media:
                media["example"] = example_of(media["schema"], components)
