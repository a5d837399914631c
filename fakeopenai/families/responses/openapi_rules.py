"""What the live Responses API sends and takes that its official schemas do not say (the family's
``Family.openapi_normalize``, applied by :func:`fakeopenai.spec.openapi.normalize`)."""

from __future__ import annotations

from typing import Any

from fakeopenai.spec.openapi import allow_null, schema_parts

NULL_RESPONSE_FIELDS = ("usage", "user")


def normalize(schemas: dict[str, Any]) -> None:
    """A ``Response`` carries ``usage`` and ``user`` as null until they have a value, as the live API
    sends them (background guide; real captures); a function tool may leave out ``strict`` (the live
    API takes it as true, and echoes it so): the SDKs send tools without it."""
    for part in schema_parts(schemas, "Response"):
        for prop in NULL_RESPONSE_FIELDS:
            if prop in part.get("properties", {}):
                part["properties"][prop] = allow_null(part["properties"][prop])
    function_tool = schemas.get("FunctionTool")
    if function_tool is not None and "strict" in function_tool.get("required", []):
        function_tool["required"] = [name for name in function_tool["required"] if name != "strict"]
