"""The Embeddings API: ``POST /v1/embeddings``.

Vectors are deterministic unit vectors from a hash of the model and the input
(:func:`vectors.embedding_vector`, the same a batch line gets), or, for the inputs
an ``embeddings:`` scenario entry matches, a scripted vector (fixed, or at a given cosine
similarity to another text's). The engine is ``embeddings.py`` (no HTTP), the handler ``api.py``,
the scenario part ``scenario.py`` with ``scenario.schema.json``.
"""

from __future__ import annotations

from fakeopenai.core.family import Family, deferred, package_json, routes_of
from fakeopenai.families.embeddings import scenario

API = f"{__name__}.api"
ROUTES = routes_of(API, [("/v1/embeddings", "create_embeddings", ["POST"])])

OPENAPI_PATHS = ("/embeddings",)

FAMILY = Family(
    name="embeddings",
    recorder=deferred(f"{__name__}.recorder", "EmbeddingsConverter"),
    routes=ROUTES,
    openapi=lambda: package_json(__name__, "openapi.json"),
    openapi_paths=OPENAPI_PATHS,
    scenario_schema=scenario.schema,
    docs_sections=(("Embedding entry", "embedding_entry"),),
    build=scenario.build,
    batch_answerer=deferred(f"{__name__}.embeddings", "batch_answerer"),
    embedder=deferred(f"{__name__}.vectors", "embedding_vector"),
)
