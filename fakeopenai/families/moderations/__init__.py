"""The Moderations API: ``POST /v1/moderations``. Not flagged by default (small scores fixed by
a hash of the input, :func:`scores.moderation_result`, as batch lines get);
``moderations:`` entries flag categories with scores for the inputs they match. The engine is
``moderations.py`` (no HTTP), the handler ``api.py``, the scenario part ``scenario.py``."""

from __future__ import annotations

from fakeopenai.core.family import Family, deferred, package_json, routes_of
from fakeopenai.families.moderations import scenario

API = f"{__name__}.api"
ROUTES = routes_of(API, [("/v1/moderations", "create_moderation", ["POST"])])

OPENAPI_PATHS = ("/moderations",)

FAMILY = Family(
    name="moderations",
    recorder=deferred(f"{__name__}.recorder", "ModerationsConverter"),
    routes=ROUTES,
    openapi=lambda: package_json(__name__, "openapi.json"),
    openapi_paths=OPENAPI_PATHS,
    scenario_schema=scenario.schema,
    docs_sections=(("Moderation entry", "moderation_entry"),),
    build=scenario.build,
    batch_answerer=deferred(f"{__name__}.moderations", "batch_answerer"),
)
