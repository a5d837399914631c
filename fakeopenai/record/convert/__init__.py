"""Exchanges (recorded by the proxy, or read from a cassette) to an ordinary scenario.

Each API family's converter is its ``Family.recorder`` (``families/<name>/recorder.py``), read from
the registry when a conversion runs: it is fed every successful exchange in order, takes those of
its endpoints, and gives its part of the scenario (a top-level key and its entries). Upstream
errors become ``faults:`` here, before any converter sees them. Ids and timestamps are never
copied (the fake makes its own); no header but the retry hints of an error reaches the file.

A family's converter is a class with ``key``, ``feed`` and ``entries`` (``common.Converter``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

from fakeopenai.core.registry import families
from fakeopenai.record.convert.common import RETRY_HEADERS, Converter, ConvertOptions, path_glob
from fakeopenai.record.exchange import Exchange

__all__ = ["ConvertOptions", "Converter", "converters", "path_glob", "scenario_from", "scenario_yaml"]


def converters() -> list[Converter]:
    """A new converter of each registered family that has one (``Family.recorder``), in registry order."""
    return [family.recorder() for family in families() if family.recorder is not None]


# --- upstream errors: faults ------------------------------------------------------------------------

def _fault(ex: Exchange) -> dict[str, Any]:
    if ex.broken and ex.streamed and ex.status < 400:     # the stream broke partway: a stream fault
        return {"after_events": len(ex.events()), "disconnect": True}
    if ex.broken:
        return {"disconnect": True}
    fault: dict[str, Any] = {"status": ex.status}
    body = ex.response_json()
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        fields = {k: error[k] for k in ("message", "type", "code", "param") if error.get(k) is not None}
        if fields:
            fault["error"] = fields
    headers = {k: v for k, v in ex.response_headers.items() if k in RETRY_HEADERS}
    if headers:
        fault["headers"] = headers
    return fault


def _faults(exchanges: list[Exchange]) -> tuple[list[dict[str, Any]], list[Exchange]]:
    """Upstream errors (and dropped connections) as faults at the same point: the requests to the same
    method and path glob before them go through (``after``), then ``times`` in a row fail alike."""
    faults: list[dict[str, Any]] = []
    ok: list[Exchange] = []
    seen: dict[tuple[str, str], int] = {}
    open_fault: dict[tuple[str, str], dict[str, Any]] = {}
    for ex in exchanges:
        key = (ex.method, path_glob(ex.path))
        count = seen.get(key, 0)
        seen[key] = count + 1
        if ex.status < 400 and not ex.broken:
            open_fault.pop(key, None)
            ok.append(ex)
            continue
        if ex.broken and ex.streamed and ex.status < 400:
            ok.append(ex)       # its events so far are content; the fault cuts the replayed stream there
        answer = _fault(ex)
        current = open_fault.get(key)
        if current is not None and {k: v for k, v in current.items() if k not in ("match", "after", "times")} \
                == answer:
            current["times"] = current.get("times", 1) + 1
            continue
        fault: dict[str, Any] = {"match": {"method": key[0], "path": key[1]}}
        if count:
            fault["after"] = count
        fault.update(answer)
        faults.append(fault)
        open_fault[key] = fault
    return faults, ok


def scenario_from(exchanges: Iterable[Exchange], options: ConvertOptions | None = None) -> dict[str, Any]:
    """The scenario (a dict, ready for YAML) that replays these exchanges."""
    options = options or ConvertOptions()
    faults, ok = _faults(list(exchanges))
    made = converters()
    for ex in ok:
        for converter in made:
            if converter.feed(ex):
                break
    scenario: dict[str, Any] = {}
    if options.name:
        scenario["name"] = options.name
    scenario["description"] = options.description or "Recorded by fakeopenai record."
    for converter in made:
        objects = getattr(converter, "objects", None)
        files = objects() if objects else []
        if files:
            scenario.setdefault("objects", {})["files"] = files
    for converter in made:
        entries = converter.entries(options)
        if entries:
            scenario[converter.key] = entries
    if faults:
        scenario["faults"] = faults
    return scenario


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value and value.strip() == value.rstrip("\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def scenario_yaml(scenario: dict[str, Any], header: str = "") -> str:
    """The scenario as YAML (keys in their order; deterministic)."""
    text = yaml.dump(scenario, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120,
                     default_flow_style=None)
    return "".join(f"# {line}\n" for line in header.splitlines()) + text
