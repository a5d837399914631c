"""What the live API sends that the shipped spec's schemas of the generic family's operations do not say
yet (the family's ``Family.openapi_normalize``, applied by :func:`fakeopenai.spec.openapi.normalize`)."""

from __future__ import annotations

from typing import Any

# Properties newer than the spec that the SDKs already require (openai-python 3.63): schema -> properties.
NEWER_PROPERTIES: dict[str, dict[str, Any]] = {
    "VoiceResource": {"type": {"type": "string", "enum": ["audio_sample", "prompt"],
                               "description": "How the voice was created."}},
}


def normalize(schemas: dict[str, Any]) -> None:
    """A voice says how it was made (``type``), as the live API and the SDK's ``Voice`` do."""
    for name, properties in NEWER_PROPERTIES.items():
        schema = schemas.get(name)
        if schema is not None:
            schema.setdefault("properties", {}).update(properties)
