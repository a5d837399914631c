"""The Batch API with the Files API it reads and writes: uploads, batches whose lifecycle a
``batches:`` script drives (one step per read), and the output and error files they write.

The engine is ``files.py``, ``batches.py``, ``batch_input.py`` (validation as the service does
it) and ``batch_output.py`` (the output and error files; each line is answered by the family that
serves the batch's endpoint, through ``Family.batch_answerer``); the handlers
``api.py``, the JSON ``render.py``, the scenario part ``scenario.py`` with
``scenario.schema.json``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakeopenai.core.family import Family, ScriptKind, deferred, package_json, routes_of
from fakeopenai.families.batches import openapi_rules, scenario

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

NAME = "batches"   # world.NAME: the world module (and the engine's objects) is imported when first used
API = f"{__name__}.api"
ROUTES = routes_of(API, [
    ("/v1/batches/{batch_id}", "retrieve_batch", ["GET"]),
    ("/v1/batches", "create_batch", ["POST"]),
    ("/v1/batches", "list_batches", ["GET"]),
    ("/v1/files", "create_file", ["POST"]),
    ("/v1/files", "list_files", ["GET"]),
    ("/v1/files/{file_id}", "retrieve_file", ["GET"]),
    ("/v1/files/{file_id}", "delete_file", ["DELETE"]),
    ("/v1/files/{file_id}/content", "file_content", ["GET"]),
    ("/v1/batches/{batch_id}/cancel", "cancel_batch", ["POST"]),
])

OPENAPI_PATHS = (
    "/files", "/files/{file_id}", "/files/{file_id}/content",
    "/batches", "/batches/{batch_id}", "/batches/{batch_id}/cancel",
)


def file_store(state: TenantState, content: bytes, filename: str, purpose: str) -> dict[str, Any]:
    """A File made by another family (a completed Upload): stored, and its JSON."""
    from fakeopenai.families.batches.files import store_file
    from fakeopenai.families.batches.render import file

    return file(store_file(state, content, filename=filename, purpose=purpose))


def file_reader(state: TenantState, file_id: str) -> tuple[str, bytes] | None:
    """A File's name and bytes, for another family that reads Files (a vector store indexes them)."""
    from fakeopenai.families.batches.files import find_file

    item = find_file(state, file_id)
    if item is None:
        return None
    content = item._content
    return item.filename, content if isinstance(content, bytes) else b"".join(content)


def refresh_all(state: TenantState) -> None:
    """What time alone does to the tenant's batches (expiry), once it has any."""
    if NAME in state.worlds:   # no world made yet: no batches (and the engine not imported for nothing)
        from fakeopenai.families.batches.batches import refresh_all as refresh

        refresh(state)


def seed(state: TenantState) -> None:
    """Store the files the scenario pins."""
    part: scenario.BatchesPart | None = state.scenario.part(NAME)
    if part is None or not part.files:
        return   # every tenant is seeded: one with nothing to seed imports none of the engine
    from fakeopenai.families.batches.files import store_file

    for item in part.files:
        if item.get("id"):
            state.ids.reserve(item["id"])
        store_file(state, item["content"], filename=item.get("filename", "upload.jsonl"), purpose=item["purpose"],
                   object_id=item.get("id"))


FAMILY = Family(
    name=NAME,
    recorder=deferred(f"{__name__}.recorder", "BatchesConverter"),
    routes=ROUTES,
    openapi=lambda: package_json(__name__, "openapi.json"),
    openapi_paths=OPENAPI_PATHS,
    openapi_normalize=openapi_rules.normalize,
    # A batch's input and output lines (the 2025-04-29 spec's; the answers they hold are the schemas of the
    # families that answer them, in those families' parts).
    openapi_schemas=("BatchRequestInput", "BatchRequestOutput"),
    scenario_schema=scenario.schema,
    docs_sections=(("Seeded file", "seed_file"), ("Batch script", "batch_script"), ("Batch match", "batch_match"),
                   ("Batch step", "batch_step"), ("Batch response", "batch_response")),
    build=scenario.build,
    kinds=(ScriptKind(key="batches", noun="batch", plural="batches", id_field="batch_id",
                      failed_field="errors.data[0].code",
                      find=lambda state, batch_id: state.worlds[NAME].batches.get(batch_id),
                      describe=lambda batch: {"request_counts": dict(batch.request_counts)}),),
    new_world=deferred(f"{__name__}.world", "new_world"),
    seed=seed,
    on_clock=refresh_all,
    file_store=file_store,
    file_reader=file_reader,
    report_hints={"batch_response": "fix the custom_id or line of the scripted response (see the did-you-mean "
                                    "above), or give the script a match: (input_file_id, metadata) so it only "
                                    "serves the file it was written for"},
)
