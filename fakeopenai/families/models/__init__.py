"""The Models API: ``GET /v1/models`` and ``GET /v1/models/{model}``, from the scenario's
``models:`` list, else a current default list. The engine is ``models.py`` (no HTTP), the
handlers ``api.py``, the scenario part ``scenario.py`` with ``scenario.schema.json``."""

from __future__ import annotations

from fakeopenai.core.family import Family, package_json, routes_of
from fakeopenai.families.models import models, scenario

API = f"{__name__}.api"
ROUTES = routes_of(API, [
    ("/v1/models", "list_models", ["GET"]), ("/v1/models/{model}", "retrieve_model", ["GET"]),
    ("/v1/models/{model}", "delete_model", ["DELETE"]),
])

OPENAPI_PATHS = ("/models", "/models/{model}")

FAMILY = Family(
    name="models",
    routes=ROUTES,
    openapi=lambda: package_json(__name__, "openapi.json"),
    openapi_paths=OPENAPI_PATHS,
    scenario_schema=scenario.schema,
    docs_sections=(("Model entry", "model_entry"),),
    build=scenario.build,
    new_world=models.new_world,
    model_ids=lambda state: [entry.id for entry in models.listed(state)],
)
