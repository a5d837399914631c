"""A realtime session's configuration: the GA defaults the live API shows in ``session.created``, and
``session.update`` merged over them (a nested object is merged key by key, as the live API does: an
update naming only ``audio.output.voice`` keeps the input format). No HTTP here."""

from __future__ import annotations

import copy
from typing import Any

from fakeopenai.core.errors import InvalidRequestError
from fakeopenai.families.realtime.audio import FORMATS

SESSION_SECONDS = 3600   # the live API closes a session after 60 minutes: expires_at

SERVER_VAD = {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300, "silence_duration_ms": 200,
              "idle_timeout_ms": None, "create_response": True, "interrupt_response": True}
SEMANTIC_VAD = {"type": "semantic_vad", "eagerness": "auto", "create_response": True, "interrupt_response": True}
VOICES = ("alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar")


def default_session(session_id: str, model: str, expires_at: int) -> dict[str, Any]:
    """The ``session`` of ``session.created`` for a new realtime (speech to speech) session."""
    return {
        "type": "realtime", "object": "realtime.session", "id": session_id, "model": model,
        "output_modalities": ["audio"], "instructions": "", "tools": [], "tool_choice": "auto",
        "max_output_tokens": "inf", "tracing": None, "truncation": "auto", "prompt": None,
        "expires_at": expires_at,
        "audio": {
            # No transcription and no noise_reduction: left out (the live API shows null, which the
            # spec's schema does not allow; a client reads either as "none").
            "input": {"format": {"type": "audio/pcm", "rate": 24000}, "turn_detection": dict(SERVER_VAD)},
            "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy", "speed": 1.0},
        },
    }


def transcription_session(session_id: str, expires_at: int) -> dict[str, Any]:
    """The ``session`` of ``session.created`` for a transcription session (``?intent=transcription``): audio
    in, transcripts out, no responses."""
    return {
        "type": "transcription", "object": "realtime.transcription_session", "id": session_id,
        "expires_at": expires_at,
        "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000},
                            "transcription": {"model": "gpt-4o-transcribe", "prompt": ""},
                            "turn_detection": {key: SERVER_VAD[key] for key in (
                                "type", "threshold", "prefix_padding_ms", "silence_duration_ms")}}},
    }


def _merge(target: dict[str, Any], update: dict[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict) and key not in ("format", "turn_detection"):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def update_session(session: dict[str, Any], update: Any, *, voice_locked: bool) -> dict[str, Any]:
    """``session`` with ``update`` (a ``session.update``'s ``session``) applied, after it was checked;
    ``voice_locked``: the model has answered with audio (the voice can no longer change)."""
    if not isinstance(update, dict):
        raise InvalidRequestError("Invalid type for 'session': expected an object.", param="session",
                                  code="invalid_type")
    kind = update.get("type")
    if session["type"] == "transcription" and (update.keys() - {"type", "audio", "include"}):
        extra = sorted(update.keys() - {"type", "audio", "include"})[0]
        raise InvalidRequestError(f"Unknown parameter: 'session.{extra}': a transcription session takes audio "
                                  "and include.", param=f"session.{extra}", code="unknown_parameter")
    if kind is not None and kind != session["type"]:
        raise InvalidRequestError(f"Invalid value: '{kind}'. Cannot change the session type from "
                                  f"'{session['type']}' once the session is created.", param="session.type",
                                  code="invalid_value")
    _check(update)
    new = copy.deepcopy(session)
    audio = update.get("audio") or {}
    turn = (audio.get("input") or {}).get("turn_detection", ...)
    voice = (audio.get("output") or {}).get("voice")
    if "output" in audio and "output" not in session["audio"]:
        raise InvalidRequestError("Unknown parameter: 'session.audio.output': a transcription session has no "
                                  "output.", param="session.audio.output", code="unknown_parameter")
    if voice_locked and voice is not None and voice != session["audio"]["output"]["voice"]:
        raise InvalidRequestError("Cannot update a conversation's voice if assistant audio is present.",
                                  param="session.audio.output.voice", code="cannot_update_voice")
    _merge(new, {key: value for key, value in update.items() if key != "type"})
    if isinstance(turn, dict):   # a VAD type given: its defaults, then the fields the update names
        base = SEMANTIC_VAD if turn.get("type") == "semantic_vad" else SERVER_VAD
        new["audio"]["input"]["turn_detection"] = {**base, **turn}
    for side in new["audio"]:
        fmt = new["audio"][side].get("format")
        if isinstance(fmt, dict) and fmt.get("type") == "audio/pcm":
            fmt.setdefault("rate", 24000)
    return new


def _check(update: dict[str, Any]) -> None:
    modalities = update.get("output_modalities")
    if modalities is not None and (not isinstance(modalities, list) or not modalities
                                   or any(m not in ("text", "audio") for m in modalities)):
        raise InvalidRequestError(f"Invalid value: {modalities!r}. Supported values are: ['text'] and ['audio'].",
                                  param="session.output_modalities", code="invalid_value")
    audio = update.get("audio")
    if audio is None:
        return
    if not isinstance(audio, dict):
        raise InvalidRequestError("Invalid type for 'session.audio': expected an object.", param="session.audio",
                                  code="invalid_type")
    for side in ("input", "output"):
        fmt = (audio.get(side) or {}).get("format")
        if fmt is not None and (not isinstance(fmt, dict) or fmt.get("type") not in FORMATS):
            shown = fmt.get("type") if isinstance(fmt, dict) else fmt
            raise InvalidRequestError(f"Invalid value: '{shown}'. Supported values are: "
                                      f"{', '.join(repr(f) for f in FORMATS)}.",
                                      param=f"session.audio.{side}.format.type", code="invalid_value")
    voice = (audio.get("output") or {}).get("voice")
    if voice is not None and not isinstance(voice, (str, dict)):
        raise InvalidRequestError("Invalid type for 'session.audio.output.voice': expected a string.",
                                  param="session.audio.output.voice", code="invalid_type")
    turn = (audio.get("input") or {}).get("turn_detection")
    if turn is not None and (not isinstance(turn, dict) or turn.get("type") not in ("server_vad", "semantic_vad")):
        raise InvalidRequestError("Invalid value for 'session.audio.input.turn_detection.type': supported values "
                                  "are 'server_vad' and 'semantic_vad'.",
                                  param="session.audio.input.turn_detection.type", code="invalid_value")


def output_format(session: dict[str, Any]) -> str:
    return str(session["audio"]["output"]["format"].get("type", "audio/pcm"))


def input_format(session: dict[str, Any]) -> str:
    return str(session["audio"]["input"]["format"].get("type", "audio/pcm"))
