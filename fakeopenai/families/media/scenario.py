"""The media family's part of the scenario format: ``images:`` (a file, a colour or a refusal for
the image requests an entry matches) and ``transcriptions:`` (the text of the uploads it matches)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fakeopenai.core.family import Built, package_json
from fakeopenai.scripting.matching import TextMatch

if TYPE_CHECKING:
    from fakeopenai.scenario.build import Builder

IMAGES = "images"
TRANSCRIPTIONS = "transcriptions"


@dataclass(frozen=True, slots=True)
class ImageEntry:
    index: int
    prompt: TextMatch | None
    model: str | None = None
    file: bytes | None = None
    colour: tuple[int, int, int] | None = None
    refuse: tuple[str, ...] | None = None
    revised_prompt: str | None = None
    line: int | None = None
    column: int | None = None

    key = IMAGES   # how a strict teardown names an entry no request used: images[0]

    @property
    def name(self) -> str:
        return f"{IMAGES}[{self.index}]"


@dataclass(frozen=True, slots=True)
class TranscriptionEntry:
    index: int
    file: TextMatch | None
    prompt: TextMatch | None
    model: str | None
    text: str
    language: str = "english"
    speakers: tuple[str, ...] = ("A", "B")
    line: int | None = None
    column: int | None = None

    key = TRANSCRIPTIONS

    @property
    def name(self) -> str:
        return f"{TRANSCRIPTIONS}[{self.index}]"


def schema() -> dict[str, Any]:
    return package_json(__package__, "scenario.schema.json")


def build(builder: Builder, data: dict[str, Any]) -> Built:
    images = tuple(_image(builder, index, item) for index, item in enumerate(data.get(IMAGES) or []))
    transcripts = tuple(_transcription(builder, index, item)
                        for index, item in enumerate(data.get(TRANSCRIPTIONS) or []))
    if not images and not transcripts:
        return Built()
    return Built(part={IMAGES: images, TRANSCRIPTIONS: transcripts}, entries=images + transcripts)


def _image(builder: Builder, index: int, item: dict[str, Any]) -> ImageEntry:
    from PIL import ImageColor

    path = (IMAGES, index)
    match = item.get("match") or {}
    builder.check_regex(path + ("match", "prompt"), match.get("prompt"))
    given = [key for key in ("file", "colour", "refuse") if key in item]
    if len(given) != 1:
        builder.error(path, "an images entry needs exactly one of file, colour or refuse")
    colour = None
    if "colour" in item:
        try:
            colour = ImageColor.getrgb(item["colour"])[:3]
        except ValueError:
            builder.error(path + ("colour",), f"unknown colour {item['colour']!r}: a CSS colour name "
                          "(red, teal ...) or #rrggbb")
    content = _read(builder, path + ("file",), item["file"]) if "file" in item else None
    line, column = builder.nth(builder.positions.item_positions((IMAGES,)), index)
    return ImageEntry(index=index, prompt=builder.text_match(match.get("prompt")), model=match.get("model"),
                      file=content, colour=colour,
                      refuse=tuple(item["refuse"]) if "refuse" in item else None,
                      revised_prompt=item.get("revised_prompt"), line=line, column=column)


def _read(builder: Builder, path: tuple[Any, ...], name: str) -> bytes:
    from PIL import Image, UnidentifiedImageError

    if not builder.allow_paths:
        builder.error(path, "scenarios loaded over HTTP may not read files from disk; use colour instead")
        return b""
    builder.read_disk = True
    file_path = Path(name)
    if not file_path.is_absolute() and builder.base_dir is not None:
        file_path = builder.base_dir / file_path
    try:
        content = file_path.read_bytes()
    except OSError as exc:
        builder.error(path, f"cannot read {str(file_path)!r}: {exc.strerror}")
        return b""
    try:
        from io import BytesIO

        Image.open(BytesIO(content)).verify()
    except (UnidentifiedImageError, OSError, SyntaxError):
        builder.error(path, f"{str(file_path)!r} is not an image Pillow can read (png, jpeg, webp, gif)")
    return content


def _transcription(builder: Builder, index: int, item: dict[str, Any]) -> TranscriptionEntry:
    path = (TRANSCRIPTIONS, index)
    match = item.get("match") or {}
    for key in ("file", "prompt"):
        builder.check_regex(path + ("match", key), match.get(key))
    line, column = builder.nth(builder.positions.item_positions((TRANSCRIPTIONS,)), index)
    return TranscriptionEntry(index=index, file=builder.text_match(match.get("file")),
                              prompt=builder.text_match(match.get("prompt")), model=match.get("model"),
                              text=item["text"], language=item.get("language", "english"),
                              speakers=tuple(item.get("speakers") or ("A", "B")), line=line, column=column)
