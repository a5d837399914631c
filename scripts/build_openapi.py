"""Regenerate our OpenAPI document's parts from the vendored official specs in spec/:
fakeopenai/spec/openapi.json (the head and the schemas every family uses) and each registered
family's openapi.json (its paths, from Family.openapi_paths, and what they reach).

    python scripts/build_openapi.py          # writes the files
    python scripts/build_openapi.py --check  # exit 1 if a committed file is stale
"""

from __future__ import annotations

import datetime
import gzip
import json
import sys
from importlib import import_module
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fakeopenai.core.registry import families  # noqa: E402
from fakeopenai.spec.openapi import build_core, build_part  # noqa: E402

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_spec(name: str) -> dict:
    with gzip.open(ROOT / "spec" / name, "rt", encoding="utf-8") as handle:
        return yaml.load(handle, Loader=Loader)  # noqa: S506 - a safe loader


def _dump(doc: dict) -> str:
    return json.dumps(doc, indent=1, sort_keys=False, default=_plain) + "\n"


def _plain(value: object) -> str:
    """YAML reads an unquoted 2024-10-01 (an example in the spec) as a date: its ISO text."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def render() -> dict[Path, str]:
    """Every part's file and its text."""
    official = load_spec("openai-openapi.yaml.gz")
    legacy = load_spec("openai-openapi-2025-04-29.yaml.gz")
    out = {ROOT / "fakeopenai" / "spec" / "openapi.json": _dump(build_core(official, legacy))}
    for family in families():
        paths = family.openapi_paths
        if callable(paths):   # the generic family: every path no other family claims
            paths = paths(tuple(official["paths"]))
        if not paths and not family.openapi_schemas:
            continue
        folder = Path(import_module(f"fakeopenai.families.{family.name}").__file__).parent
        part = build_part(official, legacy, paths, family.openapi_schemas)
        out[folder / "openapi.json"] = _dump(part)
        if family.openapi_tables is not None:
            for name, data in family.openapi_tables(official, part).items():
                out[folder / name] = _dump(data)
    return out


def main() -> int:
    stale = []
    for target, text in render().items():
        if "--check" in sys.argv:
            if not target.exists() or target.read_text("utf-8") != text:
                stale.append(target)
            continue
        target.write_text(text, "utf-8")
        print(f"wrote {target.relative_to(ROOT)} ({len(text)} bytes)")
    for target in stale:
        print(f"{target.relative_to(ROOT)} is stale: run python scripts/build_openapi.py")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
