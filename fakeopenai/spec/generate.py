"""Deterministic generated content: text, token counts, JSON Schema instances, pattern strings.

Every function takes a ``key`` (the scenario seed plus the object's identity), so
the same scenario and requests give the same text in every process. One Faker
instance is shared; it is re-seeded per call under a lock because seeding and
drawing must not interleave between threads.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import string
import struct
import sys
import threading
from collections.abc import Callable
from functools import lru_cache
from operator import itemgetter
from typing import Any

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _faker() -> Any:
    from faker import Faker

    return Faker("en_US")


def sentence_text(key: str, words: int = 12) -> str:
    """About ``words`` words of English-looking text, as sentences."""
    fake = _faker()
    with _lock:
        fake.seed_instance(key)
        parts: list[str] = []
        count = 0
        while count < words:
            take = min(max(3, words - count), 12)
            sentence = fake.sentence(nb_words=take, variable_nb_words=False)
            parts.append(sentence)
            count += len(sentence.split())
    return " ".join(parts)


def answer_text(format_type: Any, schema: Any, key: str, words: int | None = None) -> str:
    """A generated answer in the format the request asked for: an instance of ``schema`` for
    ``json_schema`` (so ``responses.parse`` / ``chat.completions.parse`` read it), a JSON object for
    ``json_object``, else :func:`generated_text` (``words`` words, or 8-24 when None). The one
    generator of a model's answer, for a direct call and a batch line alike."""
    if format_type == "json_schema":
        return json.dumps(schema_instance(schema if isinstance(schema, dict) else {"type": "object"}, key),
                          ensure_ascii=False)
    if format_type == "json_object":
        return json.dumps({"answer": generated_text(key, words)}, ensure_ascii=False)
    return generated_text(key, words)


# Fields that say how a request is carried, not what it asks: a batch line cannot hold them as a direct
# call does (it is never streamed, stored or in the background), so they are not part of request_key.
CARRIAGE_FIELDS = frozenset({"stream", "stream_options", "store", "background"})


def request_key(seed: Any, body: dict[str, Any]) -> str:
    """The key of what an unscripted request is answered with: the scenario seed and a digest of the
    body (but :data:`CARRIAGE_FIELDS`), so a direct call and a batch line with the same body get the
    same answer, and the same request asked twice the same text."""
    if not CARRIAGE_FIELDS.isdisjoint(body):
        body = {k: v for k, v in body.items() if k not in CARRIAGE_FIELDS}
    asked = _canonical(body).encode("utf-8", "surrogatepass")
    return f"{seed}|" + _blake2b(asked, digest_size=12).hexdigest()


# JSON with sorted keys (a batch line's body and an SDK's hold their fields in different orders); made once,
# as json.dumps would make an encoder per call. Bodies are parsed JSON: no cycles to check for.
_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False).encode


@lru_cache(maxsize=1)
def _word_list() -> tuple[str, ...]:
    # Where faker is imported already (its pytest plugin imports it in every test run), its module is cheaper.
    words = None if "faker" in sys.modules else _word_list_in_source()
    if words is not None:
        return words
    from faker.providers.lorem.en_US import Provider

    return tuple(Provider.word_list)


def _word_list_in_source() -> tuple[str, ...] | None:
    """Faker's English lorem ``word_list``, read from the source of its module rather than imported:
    importing any module of faker runs ``faker/__init__.py``, which looks up every locale of every
    provider (about 60 ms, most of a process's first generated answer) for a tuple of words. None
    where the source does not hold that tuple as a literal (then the module is imported)."""
    import ast
    from importlib.util import find_spec
    from pathlib import Path

    spec = find_spec("faker")   # a top-level package: found, not imported
    if spec is None or not spec.submodule_search_locations:
        return None
    source = Path(spec.submodule_search_locations[0], "providers", "lorem", "en_US", "__init__.py")
    try:
        module = ast.parse(source.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError):
        return None
    for node in module.body:
        if isinstance(node, ast.ClassDef) and node.name == "Provider":
            for item in node.body:
                if (isinstance(item, ast.Assign) and len(item.targets) == 1
                        and isinstance(item.targets[0], ast.Name) and item.targets[0].id == "word_list"):
                    try:
                        words = ast.literal_eval(item.value)
                    except (ValueError, TypeError):
                        return None
                    if isinstance(words, (tuple, list)) and words and all(isinstance(w, str) for w in words):
                        return tuple(words)
    return None


@lru_cache(maxsize=1)
def _word_of_pick() -> tuple[str, ...]:
    """The word each 16-bit pick names (``words[pick % len(words)]``), looked up once."""
    words = _word_list()
    return tuple(words[i % len(words)] for i in range(65536))


def load_ahead() -> Callable[[], object] | None:
    """The one-time load generated text needs (Faker's word list, an import, and the pick table:
    about 90 ms together) while it has not happened yet, for a caller that can run it off the event
    loop (a batch's answers); else None. It touches no tenant state."""
    return None if _word_of_pick.cache_info().currsize else _word_of_pick


def generated_text(key: str, words: int | None = None) -> str:
    """``words`` words (8-24 when None, picked by the key) of Faker's English lorem vocabulary, as
    sentences, fixed per ``key``. One hash of the key picks the length and every word: seeding a
    Faker instance per answer (:func:`sentence_text`) costs about 80 µs, and a 50,000-line batch
    would spend four of its ten seconds there."""
    return generated_words(key, words)[0]


def generated_words(key: str, words: int | None = None) -> tuple[str, int]:
    """:func:`generated_text` and its number of words (the lorem words hold no spaces)."""
    if words is None or words <= 24:
        digest = _blake2b(key.encode(), digest_size=52).digest()
    else:
        digest = hashlib.shake_256(key.encode()).digest(4 + 2 * words)
    count = 8 + digest[0] % 17 if words is None else max(1, words)
    unpack = _unpack.get(count) or struct.Struct(f">{count}H").unpack_from
    picks = itemgetter(*unpack(digest, 4))(_word_of_pick())
    if count == 1:
        picks = (picks,)   # itemgetter of one index gives the item itself
    first = min(count, 4 + digest[1] % 9)  # the first sentence: 4-12 words, then sentences of 12
    sentences = [picks[:first], *(picks[i:i + 12] for i in range(first, count, 12))]
    return " ".join(" ".join(sentence).capitalize() + "." for sentence in sentences), count


_blake2b = hashlib.blake2b
_unpack = {count: struct.Struct(f">{count}H").unpack_from for count in range(1, 25)}


def cut_to_tokens(text: str, limit: int) -> str:
    """The longest run of whole words of ``text`` within ``limit`` tokens (a token cap reached)."""
    out = ""
    for word in split_words(text, 1):
        if count_tokens(out + word) > limit:
            break
        out += word
    return out.rstrip()


def count_tokens(text: str) -> int:
    """A stable token estimate: about four characters a token, at least one per word."""
    if not text:
        return 0
    # max(words, math.ceil(len(text) / 4)), in integers and without max() (its call parses keywords).
    words, quarters = len(text.split()), (len(text) + 3) // 4
    return words if words > quarters else quarters


_WORD = re.compile(r"\s*\S+")


def split_words(text: str, per_chunk: int) -> list[str]:
    """Deterministic chunks of ``per_chunk`` words whose concatenation is ``text``."""
    words = _WORD.findall(text)
    chunks = ["".join(words[i:i + per_chunk]) for i in range(0, len(words), per_chunk)]
    rest = text[len("".join(words)):]
    if rest:
        chunks.append(rest) if not chunks else chunks.__setitem__(-1, chunks[-1] + rest)
    return chunks or [text]


# ----------------------------------------------------------------------------- JSON Schema instances

_FORMATS = {"date-time": "2026-01-{day:02d}T{hour:02d}:00:00Z", "date": "2026-01-{day:02d}",
            "time": "{hour:02d}:00:00", "email": "user{n}@example.com", "uri": "https://example.com/{n}",
            "uuid": "00000000-0000-4000-8000-{n:012d}", "hostname": "host{n}.example.com",
            "ipv4": "192.0.2.{byte}", "ipv6": "2001:db8::{byte:x}", "duration": "PT{hour}H"}


def _hash(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")


def schema_instance(schema: dict[str, Any], key: str) -> Any:
    """A JSON value valid against ``schema`` (the JSON Schema subset of Structured Outputs: objects,
    arrays, strings, numbers, booleans, enums, consts, ``anyOf``, ``$ref`` to ``$defs``), the same for
    the same ``key``. Objects get every property (required or not), arrays one item (or
    ``minItems``), strings a few seeded words (or a value of their ``format``)."""
    return _Instance(schema).make(schema, key, 0)


class _Instance:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < 32:
            ref = schema["$ref"]
            target: Any = self.root
            if ref != "#":
                for part in ref.removeprefix("#/").split("/"):
                    target = target[part.replace("~1", "/").replace("~0", "~")]
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **siblings}
            seen += 1
        return schema

    def make(self, schema: Any, key: str, depth: int) -> Any:
        if not isinstance(schema, dict):
            return None if schema is False else "text"
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            values = schema["enum"]
            return values[_hash(key) % len(values)]
        for combinator in ("anyOf", "oneOf"):
            branches = schema.get(combinator)
            if isinstance(branches, list) and branches:
                # The first branch that is not null (Optional[X] is anyOf [X, null]); null once deep.
                real = [b for b in branches if not (isinstance(b, dict) and self.resolve(b).get("type") == "null")]
                nulls = [b for b in branches if b not in real]
                pick = nulls[0] if depth >= 8 and nulls else (real or branches)[0]
                return self.make(pick, key, depth + 1)
        if schema.get("allOf"):
            merged: dict[str, Any] = {}
            for part in [*schema["allOf"], {k: v for k, v in schema.items() if k != "allOf"}]:
                part = self.resolve(part) if isinstance(part, dict) else {}
                properties = {**merged.get("properties", {}), **part.get("properties", {})}
                required = [*merged.get("required", ()), *part.get("required", ())]
                merged.update(part)
                merged.update({"properties": properties, "required": required} if properties else {})
            return self.make(merged, key, depth + 1)
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"]
            kind = kinds[0] if kinds else "null"
        if kind is None:
            kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
        return getattr(self, "_" + kind, self._string)(schema, key, depth)

    def _object(self, schema: dict[str, Any], key: str, depth: int) -> dict[str, Any]:
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or ())
        return {name: self.make(sub, f"{key}.{name}", depth + 1) for name, sub in properties.items()
                if depth < 8 or name in required}

    def _array(self, schema: dict[str, Any], key: str, depth: int) -> list[Any]:
        prefix = list(schema.get("prefixItems") or ())
        count = max(1 if depth < 8 else 0, int(schema.get("minItems") or 0), len(prefix))
        if schema.get("maxItems") is not None:
            count = min(count, int(schema["maxItems"]))
        items = schema.get("items", {})
        return [self.make(prefix[i] if i < len(prefix) else items, f"{key}[{i}]", depth + 1) for i in range(count)]

    def _string(self, schema: dict[str, Any], key: str, depth: int) -> str:
        n = _hash(key)
        low, high = int(schema.get("minLength") or 0), schema.get("maxLength")
        if isinstance(schema.get("pattern"), str):
            for attempt in range(16):   # a seeded match of the pattern, within the length bounds
                text = pattern_text(schema["pattern"], f"{key}#{attempt}")
                if text is None:
                    break
                if low <= len(text) and (high is None or len(text) <= int(high)):
                    return text
        template = _FORMATS.get(schema.get("format") or "")
        if template:
            text = template.format(day=n % 28 + 1, hour=n % 24, n=n % 10**12, byte=n % 254 + 1)
        else:
            text = sentence_text(key, 3).rstrip(".")
        if len(text) < low:
            text += "x" * (low - len(text))
        if high is not None:
            text = text[:int(high)]
        return text

    def _integer(self, schema: dict[str, Any], key: str, depth: int) -> int:
        low, high = _bounds(schema, integer=True)
        value = low + _hash(key) % (high - low + 1)
        step = schema.get("multipleOf")
        if isinstance(step, int) and step > 0:
            value = (value // step) * step if (value // step) * step >= low else ((value // step) + 1) * step
        return int(value)

    def _number(self, schema: dict[str, Any], key: str, depth: int) -> float:
        low, high = _bounds(schema, integer=False)
        value = low + (_hash(key) % 10_000) / 10_000 * (high - low)
        step = schema.get("multipleOf")
        if isinstance(step, (int, float)) and not isinstance(step, bool) and step > 0:
            multiple = math.ceil(low / step) * step
            if multiple <= high:   # the first multiple in the bounds, else the bounds win
                count = int((high - multiple) // step)
                multiple += (_hash(key) % (count + 1)) * step
                return float(round(multiple, 10))
        return float(round(value, 2) if low <= round(value, 2) <= high else value)

    def _boolean(self, schema: dict[str, Any], key: str, depth: int) -> bool:
        return _hash(key) % 2 == 0

    def _null(self, schema: dict[str, Any], key: str, depth: int) -> None:
        return None


def _bounds(schema: dict[str, Any], *, integer: bool) -> tuple[Any, Any]:
    low = schema.get("minimum", 0 if "maximum" not in schema or schema["maximum"] >= 0 else schema["maximum"] - 100)
    high = schema.get("maximum", low + 100)
    if "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"] + (1 if integer else 0.01)
    if "exclusiveMaximum" in schema:
        high = schema["exclusiveMaximum"] - (1 if integer else 0.01)
    if integer:
        low, high = math.ceil(low), math.floor(high)
    return low, max(low, high)


# ----------------------------------------------------------------------------- strings of a pattern

_PATTERN_ALPHABET = string.ascii_letters + string.digits + "_- .@"
_CATEGORIES = {"CATEGORY_DIGIT": string.digits, "CATEGORY_NOT_DIGIT": string.ascii_letters + "_- ",
               "CATEGORY_SPACE": " ", "CATEGORY_NOT_SPACE": string.ascii_letters + string.digits,
               "CATEGORY_WORD": string.ascii_letters + string.digits + "_", "CATEGORY_NOT_WORD": "-. @"}
_EXTRA_REPEATS = 3   # a * or + repeats at most this many times past its minimum: short, readable values


def pattern_text(pattern: str, key: str) -> str | None:
    """A string that ``re.search(pattern, ...)`` matches (JSON Schema's ``pattern`` is a search), the same
    for the same ``key``; None when the pattern does not parse or what is drawn does not match (a
    lookaround the drawing does not follow). Drawn from Python's own parse of the pattern, with a
    fixed alphabet and :class:`random.Random` seeded from ``key``: nothing depends on hash
    randomization (a set of characters has no fixed order between runs)."""
    from re import _parser  # type: ignore[attr-defined]

    try:
        parsed = _parser.parse(pattern)
        text = _Drawing(random.Random(_hash(key))).nodes(parsed)
        return text if re.search(pattern, text) else None
    except (re.error, RecursionError, KeyError, IndexError, OverflowError):
        return None


class _Drawing:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.groups: dict[int, str] = {}

    def nodes(self, nodes: Any) -> str:
        return "".join(self.node(str(op), value) for op, value in nodes)

    def node(self, op: str, value: Any) -> str:
        if op == "LITERAL":
            return chr(value)
        if op == "NOT_LITERAL":
            return self.rng.choice(_PATTERN_ALPHABET.replace(chr(value), ""))
        if op == "ANY":
            return self.rng.choice(string.ascii_letters)
        if op == "IN":
            return self.rng.choice(self.choices(value))
        if op == "BRANCH":
            return self.nodes(self.rng.choice(value[1]))
        if op == "SUBPATTERN":
            group, text = value[0], self.nodes(value[-1])
            if group:
                self.groups[group] = text
            return text
        if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = value
            times = low + self.rng.randint(0, max(0, min(high - low, _EXTRA_REPEATS)))
            return "".join(self.nodes(sub) for _ in range(times))
        if op == "GROUPREF":
            return self.groups.get(value, "")
        if op == "ATOMIC_GROUP":
            return self.nodes(value)
        return ""   # AT (anchors), lookarounds, and what has no text of its own

    def choices(self, items: Any) -> str:
        allowed, negated = "", False
        for op, value in items:
            op = str(op)
            if op == "NEGATE":
                negated = True
            elif op == "LITERAL":
                allowed += chr(value)
            elif op == "RANGE":
                allowed += "".join(chr(c) for c in range(value[0], min(value[1], value[0] + 255) + 1))
            elif op == "CATEGORY":
                allowed += _CATEGORIES.get(str(value), "")
        if negated:
            return "".join(c for c in _PATTERN_ALPHABET if c not in allowed) or "~"
        return allowed or "~"


_WORDS = re.compile(r"\w+")
STOPWORDS = frozenset(
    "a an and are as at be but by can do does for from has have how i if in into is it its me my no not of on "
    "or our so than that the their them then there these they this to was we were what when where which who "
    "why will with you your".split())


def content_words(text: str) -> dict[str, int]:
    """The words of ``text`` that carry meaning, each with its count: lower-cased, stop words out,
    a plural ``s`` off (``refunds`` is ``refund``). What a generated embedding is mostly a bag of, and what
    a vector store's ``rewrite_query`` keeps."""
    counts: dict[str, int] = {}
    for word in _WORDS.findall(text.lower()):
        if word in STOPWORDS:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        counts[word] = counts.get(word, 0) + 1
    return counts
