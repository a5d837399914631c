"""What the live Batch and Files APIs send that their official schemas do not say (the family's
``Family.openapi_normalize``, applied by :func:`fakeopenai.spec.openapi.normalize`)."""

from __future__ import annotations

from typing import Any

from fakeopenai.spec.openapi import allow_null

NULL_OPTIONAL_FIELDS = ("Batch", "OpenAIFile")


def normalize(schemas: dict[str, Any]) -> None:
    """The unset optional fields of a ``Batch`` and a File are null (the API reference's own examples
    use null); a File's ``purpose`` is any purpose a file can be uploaded with (the spec's upload enum,
    ``CreateFileRequest``, has ``evals``; its File enum does not)."""
    for name in NULL_OPTIONAL_FIELDS:
        if name in schemas:
            schema = schemas[name]
            required = set(schema.get("required", []))
            for prop, sub in schema.get("properties", {}).items():
                if prop not in required:
                    schema["properties"][prop] = allow_null(sub)
    upload_purposes = schemas.get("CreateFileRequest", {}).get("properties", {}).get("purpose", {}).get("enum", [])
    file_purpose = schemas.get("OpenAIFile", {}).get("properties", {}).get("purpose")
    if file_purpose is not None and "enum" in file_purpose:
        file_purpose["enum"] += [p for p in upload_purposes if p not in file_purpose["enum"]]
