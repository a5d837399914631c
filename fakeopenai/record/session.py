"""The pytest fixture's fake while a test is recorded (``pytest --fake-openai-record=URL``): clients it
makes, and the environment it gives, go to the recording proxy; everything else is the fake's."""

from __future__ import annotations

import hashlib
import re
from typing import Any

RECORD_MODES = ("once", "rewrite")
NAME_CHARS = 120     # of a test's name in its file name (file systems refuse names past 255 bytes)


def file_name(test_name: str) -> str:
    """A test's name as a scenario file name: ``test_x[a b]`` -> ``test_x-a_b.yaml``; a name longer than
    ``NAME_CHARS`` (a long parameter id) is cut there and ends with a hash of the whole name instead."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name.replace("[", "-").rstrip("]")).strip("_")
    if len(name) > NAME_CHARS:
        name = name[:NAME_CHARS] + "-" + hashlib.sha256(test_name.encode()).hexdigest()[:12]
    return f"{name or 'test'}.yaml"


class RecordingFake:
    """Delegates to the fake (``fake_openai.clock``, ``.requests``, ...), but its ``base_url``, ``env()``,
    ``client()`` and ``async_client()`` are the proxy's, so what the test does reaches the upstream."""

    recording = True

    def __init__(self, fake: Any, proxy_base_url: str, recorder: Any, path: Any) -> None:
        self._fake = fake
        self._base_url = proxy_base_url
        self.recorder = recorder
        self.path = path

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fake, name)

    @property
    def base_url(self) -> str:
        return self._base_url

    def env(self) -> dict[str, str]:
        return {"OPENAI_BASE_URL": self._base_url, "OPENAI_API_KEY": self._fake.api_key}

    def client(self, **kwargs: Any) -> Any:
        import openai

        kwargs.setdefault("api_key", self._fake.api_key)
        kwargs.setdefault("base_url", self._base_url)
        return openai.OpenAI(**kwargs)

    def async_client(self, **kwargs: Any) -> Any:
        import openai

        kwargs.setdefault("api_key", self._fake.api_key)
        kwargs.setdefault("base_url", self._base_url)
        return openai.AsyncOpenAI(**kwargs)
