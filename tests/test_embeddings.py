"""The Embeddings API through the official SDK: default base64 and float vectors, every input shape,
``dimensions``, usage, scripted vectors and the 400s. Every answer is checked against the official spec
(the ``client`` fixture)."""

from __future__ import annotations

import base64
import math
import struct
from typing import Any

import openai
import pytest

from fakeopenai.families.embeddings.vectors import embedding_vector


def _cosine(a: list[float], b: list[float]) -> float:
    return math.fsum(x * y for x, y in zip(a, b, strict=True))


def test_the_default_call_decodes_base64_into_unit_vectors(client: openai.OpenAI) -> None:
    answer = client.embeddings.create(model="text-embedding-3-small", input="The quick brown fox")
    [item] = answer.data
    assert answer.object == "list" and answer.model == "text-embedding-3-small" and item.index == 0
    assert len(item.embedding) == 1536 and math.isclose(_cosine(item.embedding, item.embedding), 1.0, abs_tol=1e-5)
    assert answer.usage.prompt_tokens == answer.usage.total_tokens > 0


def test_base64_is_little_endian_float32_of_the_float_vector(client: openai.OpenAI) -> None:
    floats = client.embeddings.create(model="text-embedding-3-large", input="hello", encoding_format="float")
    raw = client.embeddings.with_raw_response.create(model="text-embedding-3-large", input="hello",
                                                     encoding_format="base64").http_response.json()
    packed = base64.b64decode(raw["data"][0]["embedding"])
    decoded = struct.unpack(f"<{len(packed) // 4}f", packed)
    assert len(floats.data[0].embedding) == len(decoded) == 3072
    assert all(math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-7) for a, b in zip(floats.data[0].embedding, decoded,
                                                                                strict=True))


def test_vectors_are_a_function_of_model_and_input_as_in_batch_lines(client: openai.OpenAI) -> None:
    first = client.embeddings.create(model="text-embedding-3-small", input=["a", "b", "a"], encoding_format="float")
    vectors = [item.embedding for item in first.data]
    assert [item.index for item in first.data] == [0, 1, 2]
    assert vectors[0] == vectors[2] != vectors[1]
    assert vectors[0] == embedding_vector("text-embedding-3-small", "a", 1536)   # what a batch line gets
    other = client.embeddings.create(model="text-embedding-3-large", input="a", dimensions=1536,
                                     encoding_format="float")
    assert other.data[0].embedding != vectors[0]


def test_token_arrays_and_dimensions(client: openai.OpenAI) -> None:
    one = client.embeddings.create(model="text-embedding-3-small", input=[1212, 318, 257], dimensions=8,
                                   encoding_format="float")
    assert len(one.data) == 1 and len(one.data[0].embedding) == 8 and one.usage.prompt_tokens == 3
    many = client.embeddings.create(model="text-embedding-3-small", input=[[1, 2], [3, 4, 5]], dimensions=16)
    assert [len(item.embedding) for item in many.data] == [16, 16] and many.usage.total_tokens == 5
    assert math.isclose(_cosine(many.data[1].embedding, many.data[1].embedding), 1.0, abs_tol=1e-5)


@pytest.mark.anyio
async def test_the_async_client(async_client: openai.AsyncOpenAI) -> None:
    answer = await async_client.embeddings.create(model="text-embedding-3-small", input=["x", "y"], dimensions=4)
    assert [len(item.embedding) for item in answer.data] == [4, 4]


def test_scripted_vectors_and_similarity(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"embeddings": [
        {"match": {"input": {"equals": "cat"}}, "vector": [1, 0, 0, 0]},
        {"match": {"input": {"contains": "kitten"}}, "similar_to": "cat", "similarity": 0.9},
        {"match": {"input": {"regex": "^dog"}}, "similar_to": "cat", "similarity": 0.2},
        {"match": {"input": {"equals": "car"}}, "similar_to": "a vehicle", "similarity": 0.75}]})
    answer = client.embeddings.create(model="text-embedding-3-small", input=["cat", "a kitten", "dog", "car",
                                                                             "a vehicle"], dimensions=4)
    cat, kitten, dog, car, vehicle = (item.embedding for item in answer.data)
    assert cat == pytest.approx([1, 0, 0, 0], abs=1e-6)
    assert _cosine(cat, kitten) == pytest.approx(0.9, abs=1e-5)
    assert _cosine(cat, dog) == pytest.approx(0.2, abs=1e-5)
    assert _cosine(car, vehicle) == pytest.approx(0.75, abs=1e-5)
    full = client.embeddings.create(model="text-embedding-3-small", input="cat", encoding_format="float")
    assert len(full.data[0].embedding) == 1536 and full.data[0].embedding[:2] == pytest.approx([1, 0])


def test_a_scripted_vector_is_normalized_and_resized(fake_openai: Any, client: openai.OpenAI) -> None:
    fake_openai.load({"embeddings": [{"vector": [3, 4, 0, 5]}]})
    answer = client.embeddings.create(model="text-embedding-3-small", input="anything", dimensions=2)
    assert answer.data[0].embedding == pytest.approx([0.6, 0.8], abs=1e-6)


@pytest.mark.parametrize(("body", "param"), [
    ({"input": ""}, "input"),
    ({"input": []}, "input"),
    ({"input": ["ok", ""]}, "input"),
    ({"input": ["x"] * 2049}, "input"),
    ({"input": "x", "dimensions": 0}, "dimensions"),
    ({"input": "x", "dimensions": 1537}, "dimensions"),
    ({"input": "x", "dimensions": 10**30, "model": "my-embedder"}, "dimensions"),
    ({"input": "x", "dimensions": 8, "model": "text-embedding-ada-002"}, "dimensions"),
    ({"input": 5}, "input"),
])
def test_bad_requests_name_their_param(client: openai.OpenAI, body: dict[str, Any], param: str) -> None:
    body = {"model": "text-embedding-3-small", **body}
    with pytest.raises(openai.BadRequestError) as caught:
        client.post("/embeddings", body=body, cast_to=object)
    assert caught.value.status_code == 400 and caught.value.param == param
