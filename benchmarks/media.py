"""Row 9: a 1024x1024 picture and about 10 s of speech in each ``response_format``, through the SDK against
``fakeopenai serve``.

    python -m benchmarks.media [--rounds 30]

Each round asks for a picture with a prompt of its own and for a sentence of its own in each format (new
pseudo-words of the same lengths, so the same duration): no answer is ever served again from a cache of
answers. An mp3 or aac answer is made of its words' sounds, each encoded once per process
(``fakeopenai/families/media/speech.py``): the first rounds encode most of them, later rounds few. The
figure is the median per call; the first call of each kind (imports, empty caches) is shown beside it.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import time
import wave
from collections.abc import Callable
from typing import Any

from benchmarks.servers import fakeopenai_server

BAR_MS = 50.0
FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
# The word lengths of a 10.0 s answer (a 60 ms tone a letter, a 90 ms pause after each word and before the first)
WORD_LENGTHS = (3, 5, 5, 3, 5, 4, 3, 4, 3, 5, 5, 5, 4, 4, 4, 6, 4, 3, 3, 5, 4, 3, 8, 5, 8, 6, 4, 3)
SYLLABLES = [c + v for c in "bdfklmnprstvz" for v in "aeiou"]


def sentence(round_number: int) -> str:
    """Pseudo-words of ``WORD_LENGTHS`` letters, new for each round."""
    pick = random.Random(f"round {round_number}").choice
    return " ".join("".join(pick(SYLLABLES) for _ in range(length // 2 + 1))[:length] for length in WORD_LENGTHS)


def seconds_of_speech(client: Any) -> float:
    wav = client.audio.speech.create(model="gpt-4o-mini-tts", voice="alloy", input=sentence(-1),
                                     response_format="wav").read()
    with wave.open(io.BytesIO(wav)) as file:
        return file.getnframes() / file.getframerate()


def calls(client: Any) -> dict[str, Callable[[int], object]]:
    def image(round_number: int) -> object:
        answer = client.images.generate(model="gpt-image-1", prompt=f"A lighthouse at dusk, take {round_number}",
                                        size="1024x1024")
        assert answer.data and answer.data[0].b64_json
        return answer

    def speech(response_format: str) -> Callable[[int], object]:
        def call(round_number: int) -> object:
            audio = client.audio.speech.create(model="gpt-4o-mini-tts", voice="alloy", input=sentence(round_number),
                                               response_format=response_format).read()
            assert len(audio) > 10_000
            return audio
        return call

    return {"image": image, **{response_format: speech(response_format) for response_format in FORMATS}}


def measure(rounds: int = 30) -> dict[str, Any]:
    import openai

    with fakeopenai_server() as (_, base_url):
        client = openai.OpenAI(base_url=base_url, api_key="sk-bench", max_retries=0)
        measured = calls(client)
        first = {}
        for name, call in measured.items():
            started = time.perf_counter()
            call(0)
            first[name] = (time.perf_counter() - started) * 1000
        seconds = seconds_of_speech(client)
        times: dict[str, list[float]] = {name: [] for name in measured}
        for round_number in range(1, rounds + 1):
            for name, call in measured.items():
                started = time.perf_counter()
                call(round_number)
                times[name].append((time.perf_counter() - started) * 1000)
    medians = {name: statistics.median(values) for name, values in times.items()}
    return {"seconds": seconds, "median_ms": medians, "first_ms": first, "target": f"< {BAR_MS:g} ms",
            "passed": {name: ms < BAR_MS for name, ms in medians.items()}}


def rows(result: dict[str, Any]) -> list[tuple[str, float, float, bool]]:
    """(label, median ms, first ms, met) per call, the picture first."""
    labels = {"image": "images.generate 1024x1024 (gpt-image-1)",
              **{name: f"audio.speech.create {result['seconds']:.1f} s, {name}" for name in FORMATS}}
    return [(labels[name], result["median_ms"][name], result["first_ms"][name], result["passed"][name])
            for name in labels]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    result = measure(parser.parse_args().rounds)
    for label, median, first, met in rows(result):
        print(f"{label}: median {median:.2f} ms, first {first:.0f} ms (target {result['target']}: "
              f"{'met' if met else 'NOT met'})")


if __name__ == "__main__":
    main()
