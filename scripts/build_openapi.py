"""Regenerate fakeopenai/openapi.json from the vendored official specs in spec/.

    python scripts/build_openapi.py          # writes the file
    python scripts/build_openapi.py --check  # exit 1 if the committed file is stale
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fakeopenai.openapi import build_subset  # noqa: E402

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_spec(name: str) -> dict:
    with gzip.open(ROOT / "spec" / name, "rt", encoding="utf-8") as handle:
        return yaml.load(handle, Loader=Loader)  # noqa: S506 - a safe loader


def render() -> str:
    doc = build_subset(load_spec("openai-openapi.yaml.gz"), load_spec("openai-openapi-2025-04-29.yaml.gz"))
    return json.dumps(doc, indent=1, sort_keys=False) + "\n"


def main() -> int:
    target = ROOT / "fakeopenai" / "openapi.json"
    text = render()
    if "--check" in sys.argv:
        if not target.exists() or target.read_text("utf-8") != text:
            print(f"{target} is stale: run python scripts/build_openapi.py")
            return 1
        print(f"{target}: up to date")
        return 0
    target.write_text(text, "utf-8")
    print(f"wrote {target} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
