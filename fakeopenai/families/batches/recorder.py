"""Recorded files and batches to ``batches:`` scripts and ``objects: files:`` (the family's
``Family.recorder``, read by ``fakeopenai record`` through the registry)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fakeopenai.record.convert.common import (
    Converter,
    ConvertOptions,
    multipart_fields,
    plain_text,
)
from fakeopenai.record.exchange import Exchange


@dataclass
class _Batch:
    request: dict[str, Any]
    seen: list[dict[str, Any]] = field(default_factory=list)


class BatchesConverter(Converter):
    """Files and batches: each batch's statuses (with progress), its output and error lines as
    ``responses:``; an input file the recording never uploaded becomes an ``objects.files`` entry."""

    key = "batches"

    def __init__(self) -> None:
        self.batches: dict[str, _Batch] = {}
        self.order: list[_Batch] = []
        self.uploaded: dict[str, tuple[str | None, str]] = {}     # id -> (filename, purpose)
        self.contents: dict[str, bytes] = {}

    def feed(self, ex: Exchange) -> bool:
        parts = ex.path.split("/")[1:]
        if len(parts) < 2 or parts[1] not in ("files", "batches"):
            return False
        answer = ex.response_json()
        if parts[1] == "files":
            if ex.method == "POST" and len(parts) == 2 and isinstance(answer, dict):
                fields = multipart_fields(ex)
                filename, content = fields.get("file", (None, b""))
                self.uploaded[answer.get("id", "")] = (filename, str(answer.get("purpose", "batch")))
                self.contents[answer.get("id", "")] = content
            elif ex.method == "GET" and len(parts) == 4 and parts[3] == "content":
                self.contents[parts[2]] = ex.response_body
            return True
        if not isinstance(answer, dict) or answer.get("object") != "batch":
            return True
        batch = self.batches.get(answer["id"])
        if batch is None:
            batch = _Batch(ex.request_json() or {} if ex.method == "POST" and len(parts) == 2 else {})
            self.batches[answer["id"]] = batch
            self.order.append(batch)
        batch.seen.append(answer)
        return True

    @staticmethod
    def _progress(obj: dict[str, Any]) -> float | None:
        counts = obj.get("request_counts") or {}
        total = counts.get("total") or 0
        if not total:
            return None
        return round((counts.get("completed", 0) + counts.get("failed", 0)) / total, 6)

    @staticmethod
    def _answer(line: dict[str, Any]) -> dict[str, Any] | None:
        custom_id = line.get("custom_id")
        error = line.get("error")
        response = line.get("response") or {}
        if isinstance(error, dict):
            if error.get("code") in ("batch_failed", "batch_expired", "batch_cancelled"):
                return None          # the fake writes these for the unfinished requests itself
            return {"custom_id": custom_id, "error": {k: error[k] for k in ("code", "message") if error.get(k)}}
        status = response.get("status_code", 200)
        if status >= 400:
            return {"custom_id": custom_id, "status_code": status}
        body = response.get("body")
        text = plain_text(body)
        if text is not None:
            return {"custom_id": custom_id, "content": text}
        return {"custom_id": custom_id, "body": body}

    def _lines(self, file_id: Any) -> list[dict[str, Any]]:
        data = self.contents.get(file_id) if isinstance(file_id, str) else None
        out = []
        for raw in (data or b"").splitlines():
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if isinstance(line, dict):
                out.append(line)
        return out

    def entries(self, options: ConvertOptions) -> list[dict[str, Any]]:
        scripts = []
        for batch in self.order:
            final = batch.seen[-1]
            script: dict[str, Any] = {}
            match: dict[str, Any] = {}
            endpoint = batch.request.get("endpoint") or final.get("endpoint")
            if endpoint:
                match["endpoint"] = endpoint
            if batch.request.get("metadata"):
                match["metadata"] = batch.request["metadata"]
            if match:
                script["match"] = match
            steps: list[dict[str, Any]] = []
            for obj in batch.seen:
                step: dict[str, Any] = {"status": obj.get("status")}
                progress = self._progress(obj)
                if obj.get("status") == "in_progress" and progress is not None:
                    step["progress"] = progress
                if obj.get("status") == "failed" and (obj.get("errors") or {}).get("data"):
                    step["errors"] = [{k: e[k] for k in ("code", "message", "param", "line") if e.get(k) is not None}
                                      for e in obj["errors"]["data"]]
                if steps and {k: v for k, v in steps[-1].items() if k != "reads"} == step:
                    steps[-1]["reads"] = steps[-1].get("reads", 1) + 1
                else:
                    steps.append(step)
            if steps and steps[0]["status"] != "validating":
                steps.insert(0, {"status": "validating"})
            script["steps"] = steps
            outputs = self._lines(final.get("output_file_id"))
            answers = [a for a in (self._answer(line) for line in outputs + self._lines(final.get("error_file_id")))
                       if a is not None]
            if answers:
                script["responses"] = answers
            inputs = [line.get("custom_id") for line in self._lines(final.get("input_file_id"))]
            order = [line.get("custom_id") for line in outputs]
            if order and inputs:
                kept = [c for c in inputs if c in order]
                if order == kept:
                    script["output_order"] = "input"
                elif order == kept[::-1]:
                    script["output_order"] = "reversed"
            scripts.append(script)
        return scripts

    def objects(self) -> list[dict[str, Any]]:
        """Input files the batches read that were not uploaded while recording (they existed before)."""
        files = []
        for batch in self.order:
            file_id = batch.request.get("input_file_id") or batch.seen[-1].get("input_file_id")
            if file_id and file_id not in self.uploaded and file_id in self.contents:
                files.append({"id": file_id, "purpose": "batch", "filename": "input.jsonl",
                              "content": self.contents[file_id].decode("utf-8", "replace")})
        return files
