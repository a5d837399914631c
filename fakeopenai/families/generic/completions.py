"""Batch lines of the legacy ``/v1/completions`` endpoint (the ``Family.batch_answerer`` hook of the
generic family, which serves that path): a text completion per prompt, with usage, a pure function of
the body and the line's key. The text is :func:`fakeopenai.spec.generate.generated_text`, cut at
``max_tokens`` (16 by default, as the endpoint's) with :func:`fakeopenai.spec.generate.cut_to_tokens`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakeopenai.core.family import BatchLines
from fakeopenai.core.ids import derived_id
from fakeopenai.spec.generate import count_tokens, cut_to_tokens, generated_text

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

ENDPOINT = "/v1/completions"
FINGERPRINT = "fp_fakeopenai"


def _text_of(value: Any) -> str:
    return value if isinstance(value, str) else " ".join(v for v in value if isinstance(v, str)) \
        if isinstance(value, list) else ""


def answer(body: dict[str, Any], key: str, created: int, content: str | None) -> dict[str, Any]:
    """The ``text_completion`` for ``body``: one choice per prompt; ``content`` replaces the text."""
    prompts = body.get("prompt")
    prompts = prompts if isinstance(prompts, list) and prompts and not isinstance(prompts[0], int) else [prompts]
    prompt_tokens = sum(len(p) if isinstance(p, list) and all(isinstance(t, int) for t in p)
                        else count_tokens(_text_of(p)) for p in prompts)
    limit = body.get("max_tokens", 16)
    choices, completion = [], 0
    for index in range(len(prompts)):
        text = " " + (content if content is not None else generated_text(key if index == 0 else f"{key}|{index}"))
        cut = isinstance(limit, int) and not isinstance(limit, bool) and 0 < limit < count_tokens(text)
        if cut:
            text = cut_to_tokens(text, limit)
        completion += count_tokens(text)
        choices.append({"text": text, "index": index, "logprobs": None, "finish_reason": "length" if cut else "stop"})
    return {"id": derived_id("cmpl-", key), "object": "text_completion", "created": created,
            "model": body.get("model", ""), "choices": choices, "system_fingerprint": FINGERPRINT,
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion,
                      "total_tokens": prompt_tokens + completion}}


def batch_answerer(state: TenantState, endpoint: str) -> BatchLines | None:
    if endpoint != ENDPOINT:
        return None
    return BatchLines(answer=lambda body, key, created, content: (200, answer(body, key, created, content)),
                      pure=True, required=("prompt",))
