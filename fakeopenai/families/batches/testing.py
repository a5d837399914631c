"""What the project's tests take from this family, read through the registry (``tests/family_tables.py``),
so a new family brings its own rows and no shared test table changes.

* ``ERROR_CASES``: its rows of the table of bad requests (``tests/test_errors.py``): (name, method, path,
  httpx request arguments, status, the error's ``param``); ``{name}`` in a path or body names an object
  that test's world made. Every route of the family needs at least one row.
* ``SDK_TEST_MODULES``: its test modules about what the SDK does with the answers, which run on
  openai 1.x too (``tests/test_client_matrix.py``).
"""

from __future__ import annotations

from typing import Any

CHAT = "/v1/chat/completions"
JSON = {"content-type": "application/json"}

ERROR_CASES: list[tuple[str, str, str, dict[str, Any], int, str | None]] = [
    ("upload: JSON body", "POST", "/v1/files", {"json": {"purpose": "batch"}}, 415, "file"),
    ("upload: no file", "POST", "/v1/files", {"files": {"purpose": (None, "batch")}}, 400, "file"),
    ("upload: no purpose", "POST", "/v1/files", {"files": {"file": ("a.txt", b"x")}}, 400, "purpose"),
    ("upload: bad purpose", "POST", "/v1/files", {"files": {"file": ("a.txt", b"x"), "purpose": (None, "fun")}},
     400, "purpose"),
    ("upload: batch file not .jsonl", "POST", "/v1/files",
     {"files": {"file": ("a.txt", b"{}\n"), "purpose": (None, "batch")}}, 400, "file"),
    ("upload: expiry too short", "POST", "/v1/files",
     {"files": {"file": ("a.txt", b"x"), "purpose": (None, "assistants"), "expires_after[anchor]": (None, "created_at"),
                "expires_after[seconds]": (None, "10")}}, 400, "expires_after.seconds"),
    ("upload: expiry anchor", "POST", "/v1/files",
     {"files": {"file": ("a.txt", b"x"), "purpose": (None, "assistants"), "expires_after[anchor]": (None, "now"),
                "expires_after[seconds]": (None, "3600")}}, 400, "expires_after.anchor"),
    ("upload: broken multipart", "POST", "/v1/files",
     {"content": b"--x\r\nbroken", "headers": {"content-type": "multipart/form-data; boundary=x"}}, 400, "file"),
    ("files: limit 10001", "GET", "/v1/files?limit=10001", {}, 400, "limit"),
    ("files: bad order", "GET", "/v1/files?order=up", {}, 400, "order"),
    ("files: unknown after", "GET", "/v1/files?after=file-nope", {}, 400, "after"),
    ("file: unknown id", "GET", "/v1/files/file-nope", {}, 404, "file_id"),
    ("file: delete unknown", "DELETE", "/v1/files/file-nope", {}, 404, "file_id"),
    ("file: content of unknown", "GET", "/v1/files/file-nope/content", {}, 404, "file_id"),
    ("batch: no input file", "POST", "/v1/batches", {"json": {"endpoint": CHAT, "completion_window": "24h"}}, 400,
     "input_file_id"),
    ("batch: unknown input file", "POST", "/v1/batches",
     {"json": {"input_file_id": "file-nope", "endpoint": CHAT, "completion_window": "24h"}}, 400, "input_file_id"),
    ("batch: input file purpose", "POST", "/v1/batches",
     {"json": {"input_file_id": "{notes_file}", "endpoint": CHAT, "completion_window": "24h"}}, 400,
     "input_file_id"),
    ("batch: endpoint not in the enum", "POST", "/v1/batches",
     {"json": {"input_file_id": "{file}", "endpoint": "/v1/nothing", "completion_window": "24h"}}, 400,
     "endpoint"),
    ("batch: endpoint not answered", "POST", "/v1/batches",
     {"json": {"input_file_id": "{file}", "endpoint": "/v1/videos", "completion_window": "24h"}}, 400,
     "endpoint"),
    ("batch: window", "POST", "/v1/batches",
     {"json": {"input_file_id": "{file}", "endpoint": CHAT, "completion_window": "48h"}}, 400,
     "completion_window"),
    ("batch: output expiry", "POST", "/v1/batches",
     {"json": {"input_file_id": "{file}", "endpoint": CHAT, "completion_window": "24h",
               "output_expires_after": {"anchor": "created_at", "seconds": 5}}}, 400,
     "output_expires_after.seconds"),
    ("batches: limit 101", "GET", "/v1/batches?limit=101", {}, 400, "limit"),
    ("batches: unknown after", "GET", "/v1/batches?after=batch_nope", {}, 400, "after"),
    ("batch: unknown id", "GET", "/v1/batches/batch_nope", {}, 404, "batch_id"),
    ("batch: cancel unknown", "POST", "/v1/batches/batch_nope/cancel", {}, 404, "batch_id"),
    ("batch: cancel finished", "POST", "/v1/batches/{done_batch}/cancel", {}, 400, "batch_id"),
]

SDK_TEST_MODULES = ("tests/test_files.py", "tests/test_batches.py", "tests/test_batch_scripts.py")
