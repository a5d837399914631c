"""Exchanges (recorded by the proxy, or read from a cassette) to an ordinary scenario.

Each API family's converter is its ``Family.recorder`` (``families/<name>/recorder.py``), read from
the registry when a conversion runs: it is fed every successful exchange in order, takes those of
its endpoints, and gives its part of the scenario (a top-level key and its entries). Upstream
errors become ``faults:`` here, before any converter sees them. Ids and timestamps are never
copied (the fake makes its own); no header but the retry hints of an error reaches the file.

A family's converter is a class with ``key``, ``feed`` and ``entries`` (``common.Converter``); a
family with several keys gives a list of them. Pictures and audio are not put in the YAML: their
entries name files in a folder beside the scenario (``ConvertOptions.media_folder``), and
:func:`recording` gives those files' bytes with the scenario, for :func:`write_recording`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from fakeopenai.core.registry import families
from fakeopenai.record.convert.common import RETRY_HEADERS, Converter, ConvertOptions, path_glob
from fakeopenai.record.exchange import Exchange

__all__ = ["ConvertOptions", "Converter", "Recording", "converters", "path_glob", "recording", "scenario_from",
           "scenario_yaml", "write_recording"]


def converters() -> list[Converter]:
    """New converters of each registered family that has them (``Family.recorder``: one, or a list), in
    registry order."""
    made: list[Converter] = []
    for family in families():
        if family.recorder is not None:
            mine = family.recorder()
            made.extend(mine if isinstance(mine, list) else [mine])
    return made


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


class Recording(NamedTuple):
    scenario: dict[str, Any]     # ready for YAML
    media: dict[str, bytes]      # the files its entries name: path relative to the scenario file -> bytes


def scenario_from(exchanges: Iterable[Exchange], options: ConvertOptions | None = None) -> dict[str, Any]:
    """The scenario (a dict, ready for YAML) that replays these exchanges (its media files: :func:`recording`)."""
    return recording(exchanges, options).scenario


def recording(exchanges: Iterable[Exchange], options: ConvertOptions | None = None) -> Recording:
    """The scenario that replays these exchanges, and the media files its entries name."""
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
    media: dict[str, bytes] = {}
    for converter in made:
        entries = converter.entries(options)
        if entries:
            scenario[converter.key] = entries
        files = getattr(converter, "media", None)
        if files is not None:
            media.update(files())
    if faults:
        scenario["faults"] = faults
    return Recording(scenario, media)


def write_recording(out: Path, text: str, media: dict[str, bytes]) -> None:
    """The scenario file ``out`` (its YAML ``text``) and, beside it, the media files its entries name."""
    out.parent.mkdir(parents=True, exist_ok=True)
    for name, content in media.items():
        path = out.parent / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    out.write_text(text, encoding="utf-8")


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
