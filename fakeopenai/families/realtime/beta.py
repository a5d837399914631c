"""The beta protocol (``OpenAI-Beta: realtime=v1``, ``client.beta.realtime``, the Agents SDK's older
releases): the same session, its events renamed and reshaped at the edge. The engine speaks GA only;
this module turns a beta client event into the GA one (``session.update``'s flat session,
``response.create``'s ``modalities`` / ``voice`` / ``output_audio_format``) and each GA server event into
the beta one (``response.text.delta`` for ``response.output_text.delta``, ``conversation.item.created``
for ``conversation.item.added`` (no ``.done``), a flat session, ``conversation.created`` after
``session.created``). No HTTP here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

TO_GA_FORMAT = {"pcm16": "audio/pcm", "g711_ulaw": "audio/pcmu", "g711_alaw": "audio/pcma"}
TO_BETA_FORMAT = {ga: beta for beta, ga in TO_GA_FORMAT.items()}
RENAMED = {"response.output_text.delta": "response.text.delta", "response.output_text.done": "response.text.done",
           "response.output_audio.delta": "response.audio.delta", "response.output_audio.done": "response.audio.done",
           "response.output_audio_transcript.delta": "response.audio_transcript.delta",
           "response.output_audio_transcript.done": "response.audio_transcript.done",
           "conversation.item.added": "conversation.item.created"}
CONTENT_TYPES = {"output_text": "text", "output_audio": "audio"}


def is_beta(headers: list[tuple[bytes, bytes]], subprotocols: list[str]) -> bool:
    """The client asked for the beta protocol: the header, or (browsers) the ``openai-beta.realtime-v1``
    subprotocol."""
    header = b",".join(value for key, value in headers if key == b"openai-beta")
    return b"realtime=v1" in header or "openai-beta.realtime-v1" in subprotocols


def _format(value: Any) -> Any:
    return {"type": TO_GA_FORMAT.get(value, value)} if isinstance(value, str) else value


def _modalities(value: Any) -> Any:
    """Beta ``["text", "audio"]`` (audio with its transcript) is GA ``["audio"]``."""
    return (["audio"] if "audio" in value else list(value)) if isinstance(value, list) else value


def incoming(data: dict[str, Any]) -> dict[str, Any]:
    """A beta client event as the engine reads it (GA)."""
    kind = data.get("type")
    if kind == "session.update" and isinstance(data.get("session"), dict):
        beta = data["session"]
        session: dict[str, Any] = {key: beta[key] for key in ("instructions", "tools", "tool_choice", "tracing")
                                   if key in beta}
        if "modalities" in beta:
            session["output_modalities"] = _modalities(beta["modalities"])
        if "max_response_output_tokens" in beta:
            session["max_output_tokens"] = beta["max_response_output_tokens"]
        audio_in = {ga: (_format(beta[key]) if ga == "format" else beta[key]) for key, ga in (
            ("input_audio_format", "format"), ("input_audio_transcription", "transcription"),
            ("turn_detection", "turn_detection"), ("input_audio_noise_reduction", "noise_reduction"))
            if key in beta}
        audio_out = {ga: (_format(beta[key]) if ga == "format" else beta[key]) for key, ga in (
            ("output_audio_format", "format"), ("voice", "voice"), ("speed", "speed")) if key in beta}
        if audio_in or audio_out:
            session["audio"] = {side: part for side, part in (("input", audio_in), ("output", audio_out)) if part}
        return {**data, "session": session}
    if kind == "response.create" and isinstance(data.get("response"), dict):
        beta = dict(data["response"])
        out = {key: value for key, value in beta.items()
               if key not in ("modalities", "voice", "output_audio_format", "max_response_output_tokens")}
        if "modalities" in beta:
            out["output_modalities"] = _modalities(beta["modalities"])
        if "max_response_output_tokens" in beta:
            out["max_output_tokens"] = beta["max_response_output_tokens"]
        output = {ga: (_format(beta[key]) if ga == "format" else beta[key])
                  for key, ga in (("output_audio_format", "format"), ("voice", "voice")) if key in beta}
        if output:
            out["audio"] = {"output": output}
        return {**data, "response": out}
    return data


def session(config: dict[str, Any]) -> dict[str, Any]:
    """The beta (flat) session of a GA configuration."""
    audio_in, audio_out = config["audio"]["input"], config["audio"]["output"]
    return {"id": config["id"], "object": "realtime.session", "model": config["model"],
            "expires_at": config["expires_at"],
            "modalities": ["text", "audio"] if "audio" in config["output_modalities"] else ["text"],
            "instructions": config.get("instructions", ""), "voice": audio_out.get("voice"),
            "input_audio_format": TO_BETA_FORMAT.get(audio_in["format"].get("type"), "pcm16"),
            "output_audio_format": TO_BETA_FORMAT.get(audio_out["format"].get("type"), "pcm16"),
            "input_audio_transcription": audio_in.get("transcription"),
            "input_audio_noise_reduction": audio_in.get("noise_reduction"),
            "turn_detection": audio_in.get("turn_detection"), "tools": config.get("tools", []),
            "tool_choice": config.get("tool_choice", "auto"), "temperature": 0.8,
            "max_response_output_tokens": config.get("max_output_tokens", "inf"), "speed": audio_out.get("speed", 1.0),
            "tracing": config.get("tracing")}


def _item(item: dict[str, Any]) -> dict[str, Any]:
    if not item.get("content"):
        return item
    return {**item, "content": [{**part, "type": CONTENT_TYPES.get(part.get("type"), part.get("type"))}
                                for part in item["content"]]}


def _response(response: dict[str, Any]) -> dict[str, Any]:
    out = {key: value for key, value in response.items() if key not in ("audio", "output_modalities")}
    out["modalities"] = ["text", "audio"] if "audio" in response.get("output_modalities", ()) else ["text"]
    output = (response.get("audio") or {}).get("output") or {}
    out["voice"] = output.get("voice")
    out["output_audio_format"] = TO_BETA_FORMAT.get(str((output.get("format") or {}).get("type")), "pcm16")
    if "output" in out:
        out["output"] = [_item(item) for item in out["output"]]
    return out


def outgoing(events: list[dict[str, Any]], conversation: Callable[[], dict[str, Any]]) -> list[dict[str, Any]]:
    """GA server events as a beta client gets them (``conversation()``: the ``conversation.created`` event
    that follows ``session.created``)."""
    out = []
    for event in events:
        kind = event["type"]
        if kind == "conversation.item.done":
            continue
        event = {**event, "type": RENAMED.get(kind, kind)}
        if "session" in event:
            event["session"] = session(event["session"])
        if "item" in event:
            event["item"] = _item(event["item"])
        if "response" in event:
            event["response"] = _response(event["response"])
        out.append(event)
        if kind == "session.created":
            out.append(conversation())
    return out
