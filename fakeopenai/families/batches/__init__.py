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

from fakeopenai.core.family import Family, ScriptKind, lazy, package_json
from fakeopenai.families.batches import api, batches, openapi_rules, scenario
from fakeopenai.families.batches.world import NAME, new_world, world

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

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


def seed(state: TenantState) -> None:
    """Store the files the scenario pins."""
    from fakeopenai.families.batches.files import store_file

    part: scenario.BatchesPart | None = state.scenario.part(NAME)
    for item in part.files if part is not None else ():
        if item.get("id"):
            state.ids.reserve(item["id"])
        store_file(state, item["content"], filename=item.get("filename", "upload.jsonl"), purpose=item["purpose"],
                   object_id=item.get("id"))


FAMILY = Family(
    name=NAME,
    recorder=lazy(f"{__name__}.recorder", "BatchesConverter"),
    routes=api.ROUTES,
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
                      find=lambda state, batch_id: world(state).batches.get(batch_id),
                      describe=lambda batch: {"request_counts": dict(batch.request_counts)}),),
    new_world=new_world,
    seed=seed,
    on_clock=batches.refresh_all,
    file_store=file_store,
    file_reader=file_reader,
    report_hints={"batch_response": "fix the custom_id or line of the scripted response (see the did-you-mean "
                                    "above), or give the script a match: (input_file_id, metadata) so it only "
                                    "serves the file it was written for"},
)
