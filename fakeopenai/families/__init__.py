"""The API families fakeopenai serves: the one registry everything else reads.

Adding a family is its folder plus one line here (``docs/architecture.md``, "Add a family").
Readers look :data:`FAMILIES` up when they run (:func:`fakeopenai.core.registry.families`), not when
they are imported, so a test can register a family of its own for the length of a test.
"""

from __future__ import annotations

from fakeopenai.core.family import Family
from fakeopenai.families import (
    assistants,
    batches,
    chat,
    embeddings,
    generic,
    media,
    models,
    moderations,
    realtime,
    responses,
    vector_stores,
    webhooks,
)

FAMILIES: tuple[Family, ...] = (
    assistants.FAMILY,
    batches.FAMILY,
    chat.FAMILY,
    embeddings.FAMILY,
    media.FAMILY,
    models.FAMILY,
    moderations.FAMILY,
    responses.FAMILY,
    realtime.FAMILY,
    vector_stores.FAMILY,
    webhooks.FAMILY,  # no API paths: the signed deliveries the families' end states make (state.notify)
    generic.FAMILY,   # last: every spec operation the families above do not claim
)
