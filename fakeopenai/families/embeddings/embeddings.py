"""The Embeddings engine (no HTTP): one request body in, the answer's dict out.

Usage::

    answer = create_embeddings(state, {"model": "text-embedding-3-small", "input": ["a", "b"]})
    answer["data"][1]["embedding"]      # a list of 1,536 floats of length 1 (or base64 when asked)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from fakeopenai.core.errors import APIError, InvalidRequestError
from fakeopenai.core.family import BatchLines
from fakeopenai.core.known_models import check_model
from fakeopenai.families.embeddings.scenario import NAME, EmbeddingEntry
from fakeopenai.families.embeddings.vectors import (
    EMBEDDING_DIMENSIONS,
    MAX_EMBEDDING_DIMENSIONS,
    embedding_dimensions,
    embedding_vector,
    encode_embedding,
)
from fakeopenai.spec.generate import count_tokens

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

MAX_INPUTS = 2048
MAX_BATCH_INPUTS = 50_000   # inputs across all the requests of an embeddings batch

NO_DIMENSIONS = frozenset({"text-embedding-ada-002"})   # models that take no `dimensions`
INVALID_INPUT = "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."


def inputs_of(value: Any) -> list[Any]:
    """The request's inputs, one per embedding: strings or token arrays."""
    if isinstance(value, list) and value and not isinstance(value[0], int):
        return value
    return [value]


def check_request(body: dict[str, Any]) -> None:
    """The 400s the schema does not give: empty text, too many inputs, dimensions a model refuses."""
    value = body.get("input")
    if value == "" or value == [] or value is None:
        raise InvalidRequestError(INVALID_INPUT, param="input", code="invalid_value")
    if isinstance(value, list) and len(value) > MAX_INPUTS:
        raise InvalidRequestError(f"Invalid 'input': array too long. Expected an array with maximum length "
                                  f"{MAX_INPUTS}, but got an array with length {len(value)} instead.",
                                  param="input", code="array_above_max_length")
    if any(item == "" or item == [] for item in inputs_of(value)):
        raise InvalidRequestError(INVALID_INPUT, param="input", code="invalid_value")
    dimensions = body.get("dimensions")
    if isinstance(dimensions, int) and not isinstance(dimensions, bool):
        if dimensions < 1:
            raise InvalidRequestError(f"Invalid 'dimensions': integer below minimum value. Expected a value >= 1, "
                                      f"but got {dimensions!r} instead.", param="dimensions",
                                      code="integer_below_min_value")
        most = EMBEDDING_DIMENSIONS.get(str(body.get("model")), MAX_EMBEDDING_DIMENSIONS)
        if dimensions > most:
            raise InvalidRequestError(f"Invalid 'dimensions': this model's embeddings have at most {most} "
                                      f"dimensions, but {dimensions} were asked for.", param="dimensions",
                                      code="invalid_value")
        if str(body.get("model")) in NO_DIMENSIONS:
            raise InvalidRequestError("This model does not support specifying dimensions.", param="dimensions",
                                      code="invalid_value")


def create_embeddings(state: TenantState, body: dict[str, Any]) -> dict[str, Any]:
    check_request(body)
    check_model(state, body.get("model"))
    model = str(body.get("model", ""))
    dimensions = embedding_dimensions(model, body.get("dimensions"))
    entries: tuple[EmbeddingEntry, ...] = state.scenario.parts.get(NAME, ())
    data, tokens = [], 0
    for index, item in enumerate(inputs_of(body["input"])):
        entry = _entry_for(entries, model, item) if entries else None
        if entry is not None:
            state.record_entry_use(entry)
        vector = vector_of(entries, model, item, dimensions)
        tokens += len(item) if isinstance(item, list) else count_tokens(item)
        data.append({"object": "embedding", "index": index,
                     "embedding": encode_embedding(vector, body.get("encoding_format"))})
    return {"object": "list", "data": data, "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


def vector_of(entries: tuple[EmbeddingEntry, ...], model: str, item: Any, dimensions: int, depth: int = 0) -> \
        list[float]:
    """The embedding of one input: the first matching entry's, else the generated one."""
    entry = _entry_for(entries, model, item) if depth < 8 else None
    if entry is None:
        return embedding_vector(model, item, dimensions)
    if entry.vector is not None:
        return _normalized(list(entry.vector[:dimensions]) + [0.0] * max(0, dimensions - len(entry.vector)))
    base = vector_of(entries, model, entry.similar_to, dimensions, depth + 1)
    own = embedding_vector(model, item, dimensions)
    projection = math.fsum(a * b for a, b in zip(own, base, strict=True))
    orthogonal = _normalized([a - projection * b for a, b in zip(own, base, strict=True)])
    s = max(-1.0, min(1.0, entry.similarity))
    rest = math.sqrt(max(0.0, 1.0 - s * s))
    return _normalized([s * b + rest * o for b, o in zip(base, orthogonal, strict=True)])


def _entry_for(entries: tuple[EmbeddingEntry, ...], model: str, item: Any) -> EmbeddingEntry | None:
    if not isinstance(item, str):
        return None
    for entry in entries:
        if entry.model is not None and entry.model != model:
            continue
        if entry.input is None or entry.input.test(item):
            return entry
    return None


def _normalized(vector: list[float]) -> list[float]:
    norm = math.sqrt(math.fsum(x * x for x in vector))
    return [x / norm for x in vector] if norm else vector


def batch_answerer(state: TenantState, endpoint: str) -> BatchLines | None:
    """``/v1/embeddings`` batch lines answered as ``POST /embeddings`` answers them (the
    ``Family.batch_answerer`` hook): the same vectors, a scripted one for an input an ``embeddings:``
    entry matches, a bad line its 400. A batch script's ``content`` is the line's input."""
    if endpoint != "/v1/embeddings":
        return None
    entries: tuple[EmbeddingEntry, ...] = state.scenario.parts.get(NAME, ())

    def answer(body: dict[str, Any], key: str, created: int, content: str | None) -> tuple[int, dict[str, Any]]:
        try:
            return 200, create_embeddings(state, body if content is None else {**body, "input": content})
        except APIError as error:
            return error.status_code, error.to_dict()

    return BatchLines(answer=answer, pure=not entries, required=("input",),
                      tasks=lambda body: len(inputs_of(body.get("input"))), max_tasks=MAX_BATCH_INPUTS,
                      task_noun="inputs", task_param="body.input")
