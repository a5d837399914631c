"""The media family's part of the scenario format: ``images:`` (a file, a colour or a refusal for
the image requests an entry matches), ``speech:`` (an audio file for the speech requests it matches)
and ``transcriptions:`` (the text of the uploads it matches).

A ``file:`` is read when the scenario is loaded, by one rule (:func:`_read_file`): a relative path
is relative to the scenario file's folder (``fakeopenai record`` writes its pictures and audio in
``<scenario name>.media/`` beside the file and names them so), and a scenario sent over HTTP reads
no file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fakeopenai.core.family import Built, package_json
from fakeopenai.scripting.matching import TextMatch

if TYPE_CHECKING:
    from fakeopenai.scenario.build import Builder

IMAGES = "images"
SPEECH = "speech"
TRANSCRIPTIONS = "transcriptions"
AUDIO_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")   # a speech file's extension: its response_format


@dataclass(frozen=True, slots=True)
class ImageEntry:
    index: int
    prompt: TextMatch | None
    model: str | None = None
    files: tuple[bytes, ...] | None = None   # picture i of a request answers files[i] (the last for the rest)
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
class SpeechEntry:
    index: int
    input: TextMatch | None
    voice: str | None
    model: str | None
    file: bytes
    format: str            # the file's response_format (its extension)
    seconds: float         # its duration
    line: int | None = None
    column: int | None = None

    key = SPEECH

    @property
    def name(self) -> str:
        return f"{SPEECH}[{self.index}]"


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
    speech = tuple(_speech(builder, index, item) for index, item in enumerate(data.get(SPEECH) or []))
    transcripts = tuple(_transcription(builder, index, item)
                        for index, item in enumerate(data.get(TRANSCRIPTIONS) or []))
    if not images and not speech and not transcripts:
        return Built()
    return Built(part={IMAGES: images, SPEECH: speech, TRANSCRIPTIONS: transcripts},
                 entries=images + speech + transcripts)


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
    files = None
    if "file" in item:
        listed = isinstance(item["file"], list)
        names = item["file"] if listed else [item["file"]]
        files = tuple(_image_file(builder, path + (("file", i) if listed else ("file",)), name)
                      for i, name in enumerate(names))
    line, column = builder.nth(builder.positions.item_positions((IMAGES,)), index)
    return ImageEntry(index=index, prompt=builder.text_match(match.get("prompt")), model=match.get("model"),
                      files=files, colour=colour,
                      refuse=tuple(item["refuse"]) if "refuse" in item else None,
                      revised_prompt=item.get("revised_prompt"), line=line, column=column)


def _read_file(builder: Builder, path: tuple[Any, ...], name: str, instead: str) -> tuple[bytes, Path]:
    """The one rule for a media entry's ``file``: a relative path is relative to the scenario file's
    folder; refused for a scenario sent over HTTP (``instead``: what to use then)."""
    file_path = Path(name)
    if not builder.allow_paths:
        builder.error(path, f"scenarios loaded over HTTP may not read files from disk; {instead}")
        return b"", file_path
    builder.read_disk = True
    if not file_path.is_absolute() and builder.base_dir is not None:
        file_path = builder.base_dir / file_path
    try:
        return file_path.read_bytes(), file_path
    except OSError as exc:
        builder.error(path, f"cannot read {str(file_path)!r}: {exc.strerror}")
        return b"", file_path


def _image_file(builder: Builder, path: tuple[Any, ...], name: str) -> bytes:
    from PIL import Image, UnidentifiedImageError

    content, file_path = _read_file(builder, path, name, "use colour instead")
    if not content:
        return content
    try:
        from io import BytesIO

        Image.open(BytesIO(content)).verify()
    except (UnidentifiedImageError, OSError, SyntaxError):
        builder.error(path, f"{str(file_path)!r} is not an image Pillow can read (png, jpeg, webp, gif)")
    return content


def _speech(builder: Builder, index: int, item: dict[str, Any]) -> SpeechEntry:
    from fakeopenai.families.media.speech import seconds_of

    path = (SPEECH, index)
    match = item.get("match") or {}
    builder.check_regex(path + ("match", "input"), match.get("input"))
    extension = Path(item["file"]).suffix.lower().lstrip(".")
    seconds = 0.0
    if extension not in AUDIO_FORMATS:
        builder.error(path + ("file",), f"{item['file']!r}: a speech file's extension names its format: "
                      + ", ".join(f".{name}" for name in AUDIO_FORMATS))
        content = b""
    else:
        content, file_path = _read_file(builder, path + ("file",), item["file"], "leave speech to the generator")
        if content:
            try:
                seconds = seconds_of(content, extension)
            except ValueError:
                builder.error(path + ("file",), f"{str(file_path)!r} is not {extension} audio PyAV can read")
    line, column = builder.nth(builder.positions.item_positions((SPEECH,)), index)
    return SpeechEntry(index=index, input=builder.text_match(match.get("input")), voice=match.get("voice"),
                       model=match.get("model"), file=content, format=extension, seconds=seconds, line=line,
                       column=column)


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
