"""The Batch family's objects -> API JSON (dicts), in the official schema's field order."""

from __future__ import annotations

from typing import Any

from fakeopenai.families.batches.objects import Batch, File
from fakeopenai.http.rendering import Kinds


def file(f: File) -> dict[str, Any]:
    return {"id": f.id, "object": "file", "bytes": f.bytes, "created_at": f.created_at,
            "expires_at": f.expires_at, "filename": f.filename, "purpose": f.purpose, "status": f.status,
            "status_details": f.status_details}


def batch(b: Batch) -> dict[str, Any]:
    return {
        "id": b.id, "object": "batch", "endpoint": b.endpoint, "model": b.model, "errors": b.errors,
        "input_file_id": b.input_file_id, "completion_window": b.completion_window, "status": b.status,
        "output_file_id": b.output_file_id, "error_file_id": b.error_file_id, "created_at": b.created_at,
        "in_progress_at": b.in_progress_at, "expires_at": b.expires_at, "finalizing_at": b.finalizing_at,
        "completed_at": b.completed_at, "failed_at": b.failed_at, "expired_at": b.expired_at,
        "cancelling_at": b.cancelling_at, "cancelled_at": b.cancelled_at,
        "request_counts": dict(b.request_counts), "usage": b.usage, "metadata": b.metadata,
    }


# Each stored type: its kind (the compat profiles' name for it) and its renderer.
RENDER = Kinds({File: ("file", file), Batch: ("batch", batch)})
