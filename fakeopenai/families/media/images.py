"""The Images engine (no HTTP): generations, edits and variations as real pictures.

Each picture is the identicon of a key made of the scenario seed, the model, the prompt, the input
pictures' hash and the picture's index (:mod:`draw`), so the same prompt and seed give the same bytes,
in the asked size and ``output_format``; edits draw it where the mask is transparent. An ``images:``
entry that matches answers its file, a flat colour, or the live API's safety refusal. dall-e models
answer a ``url`` (:func:`served`: the bytes kept under a name made of their hash) unless
``b64_json`` is asked; gpt-image models answer ``b64_json`` with ``usage``, and stream partial
images when asked.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fakeopenai.core.errors import InvalidRequestError
from fakeopenai.core.ids import request_id
from fakeopenai.core.known_models import check_model
from fakeopenai.families.media import draw
from fakeopenai.families.media.scenario import IMAGES, ImageEntry
from fakeopenai.spec.generate import count_tokens

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState

GPT_IMAGE_SIZES = ("1024x1024", "1024x1536", "1536x1024", "auto")
SIZES = {"dall-e-2": ("256x256", "512x512", "1024x1024"), "dall-e-3": ("1024x1024", "1792x1024", "1024x1792")}
QUALITIES = {"dall-e-2": ("standard", "auto"), "dall-e-3": ("standard", "hd", "auto")}
GPT_QUALITIES = ("low", "medium", "high", "auto")
# gpt-image-1's output tokens per picture (the pricing page's table), by quality and size
OUTPUT_TOKENS = {"low": {"1024x1024": 272, "1024x1536": 408, "1536x1024": 400},
                 "medium": {"1024x1024": 1056, "1024x1536": 1584, "1536x1024": 1568},
                 "high": {"1024x1024": 4160, "1024x1536": 6240, "1536x1024": 6208}}
IMAGE_INPUT_TOKENS = 194   # an input picture's tokens (low fidelity), a stable estimate
DEFAULT_MODEL = {"generations": "dall-e-2", "edits": "gpt-image-1.5", "variations": "dall-e-2"}
STREAM_EVENT = {"generations": "image_generation", "edits": "image_edit"}
KINDS = {"generations": "image generation", "edits": "image edit", "variations": "image variation"}   # on the timeline
SERVED_LIMIT = 256


@dataclass(slots=True)
class Answer:
    """The JSON answer, or the events of a stream."""

    data: dict[str, Any] | None = None
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Inputs:
    """What an edit or a variation uploaded: the pictures and the mask (their bytes)."""

    images: tuple[bytes, ...] = ()
    mask: bytes | None = None


def is_gpt_image(model: str) -> bool:
    return not model.startswith("dall-e")


def create(state: TenantState, operation: str, body: dict[str, Any], base_url: str,
           inputs: Inputs = Inputs()) -> Answer:
    """``operation``: generations, edits or variations; ``base_url`` where :func:`served` names live."""
    model = str(body.get("model") or DEFAULT_MODEL[operation])
    check_model(state, model)
    gpt = is_gpt_image(model)
    width, height, size = _size(model, body.get("size"))
    n = _n(model, body.get("n"))
    quality = _quality(model, body.get("quality"))
    output_format = str(body.get("output_format") or "png") if gpt else "png"
    background = str(body.get("background") or "auto")
    if gpt and background == "transparent" and output_format == "jpeg":
        raise InvalidRequestError("Transparent background is not supported for the jpeg output format: "
                                  "ask for png or webp.", param="background", code="invalid_value")
    transparent = gpt and background == "transparent"
    response_format = body.get("response_format")
    if gpt and response_format is not None:   # the live API's words: gpt-image models always answer b64_json
        raise InvalidRequestError("Unknown parameter: 'response_format'.", param="response_format",
                                  code="unknown_parameter")
    stream = body.get("stream") is True
    if stream and not gpt:
        raise InvalidRequestError(f"Streaming is not supported for {model}: use a gpt-image model.",
                                  param="stream", code="invalid_value")
    pictures, mask = _read_inputs(model, operation, inputs)
    prompt = body.get("prompt") if isinstance(body.get("prompt"), str) else None
    entry = _entry_for(state, prompt, model)
    kind = KINDS[operation]
    if entry is not None and entry.refuse is not None:
        refusal = _refusal(state, model, entry.refuse)
        state.timeline.answered(state, kind, "failed", said_refusal, (refusal.code, entry.refuse), entry)
        raise refusal
    state.timeline.answered(state, kind, "completed", said_pictures,
                            (n, size, output_format, entry, int(body.get("partial_images") or 0) if stream else None),
                            entry)
    base_key = "|".join((str(state.scenario.seed), model, operation, prompt or "",
                         hashlib.sha256(b"".join(inputs.images) + (inputs.mask or b"")).hexdigest()))
    created = state.clock.now
    usage = _usage(prompt or "", len(pictures), quality, size, n) if gpt else None
    if stream:
        return Answer(events=_stream_events(operation, base_key, entry, pictures, mask, n, body, created,
                                            width, height, size, quality, background, output_format, usage))
    data = []
    for index in range(n):
        content = _picture(base_key, index, entry, pictures, mask, width, height, transparent,
                           output_format, body.get("output_compression"))
        item: dict[str, Any] = {}
        if gpt or response_format == "b64_json":
            item["b64_json"] = base64.b64encode(content).decode("ascii")
        else:
            item["url"] = base_url + served_name(content, output_format)
        if model == "dall-e-3" and prompt is not None:
            item["revised_prompt"] = entry.revised_prompt if entry and entry.revised_prompt else prompt
        data.append(item)
    answer: dict[str, Any] = {"created": created, "data": data}
    if gpt:
        answer.update(background="transparent" if transparent else "opaque", output_format=output_format,
                      quality=quality)
        if size in OUTPUT_TOKENS["low"]:
            answer["size"] = size
        answer["usage"] = usage
    return Answer(data=answer)


def said_pictures(n: int, size: str, output_format: str, entry: ImageEntry | None, partials: int | None) -> str:
    """What an image answer was, on the timeline: ``2 pictures 1536x1024 jpeg``, the entry's file or colour."""
    said = f"{n} picture{'s' if n > 1 else ''} "
    if entry is not None and entry.files is not None:
        said += "from the entry's file" + ("s" if len(entry.files) > 1 else "")
    else:
        said += f"{size} {output_format}"
        if entry is not None and entry.colour is not None:
            said += ", colour #{:02x}{:02x}{:02x}".format(*entry.colour)
    if partials is not None:
        said += f", streamed with {partials} partial image{'s' if partials != 1 else ''} each"
    return said


def said_refusal(code: str | None, categories: tuple[str, ...]) -> str:
    return f"refused ({code})" + (f": {', '.join(categories)}" if categories else "")


# ----------------------------------------------------------------------------- served urls
_SERVED: OrderedDict[str, bytes] = OrderedDict()


def served_name(content: bytes, output_format: str) -> str:
    """Keep ``content`` under a name made of its hash (the same bytes, the same name, for every tenant:
    the URL needs no key, as the live API's signed URLs need none) and return the name."""
    name = f"img-{hashlib.sha256(content).hexdigest()[:24]}.{'jpg' if output_format == 'jpeg' else output_format}"
    _SERVED[name] = content
    _SERVED.move_to_end(name)
    while len(_SERVED) > SERVED_LIMIT:
        _SERVED.popitem(last=False)
    return name


def served(name: str) -> tuple[bytes, str] | None:
    """The bytes and media type of a served name, None when unknown (or pushed out by newer ones)."""
    content = _SERVED.get(name)
    if content is None:
        return None
    ext = name.rsplit(".", 1)[-1]
    return content, draw.MEDIA_TYPES["jpeg" if ext == "jpg" else ext]


# ----------------------------------------------------------------------------- checks
def _size(model: str, value: Any) -> tuple[int, int, str]:
    allowed: tuple[str, ...]
    if is_gpt_image(model):
        allowed, default = GPT_IMAGE_SIZES, "auto"
    else:
        allowed = SIZES.get(model, SIZES["dall-e-2"])
        default = "1024x1024"
    size = str(value or default)
    free = model.startswith("gpt-image-2") and re.fullmatch(r"(\d{2,4})x(\d{2,4})", size)
    if size not in allowed and not free:
        listed = ", ".join(f"'{s}'" for s in allowed[:-1]) + f", and '{allowed[-1]}'"
        raise InvalidRequestError(f"Invalid value: '{size}'. Supported values are: {listed}.", param="size",
                                  code="invalid_value")
    if size == "auto":
        return 1024, 1024, "1024x1024"
    width, height = (int(part) for part in size.split("x"))
    if not (16 <= width <= 3840 and 16 <= height <= 3840):
        raise InvalidRequestError(f"Invalid value: '{size}'. Each side must be between 16 and 3840 pixels.",
                                  param="size", code="invalid_value")
    return width, height, size


def _n(model: str, value: Any) -> int:
    n = 1 if value is None else int(value)
    if not 1 <= n <= 10:
        raise InvalidRequestError(f"Invalid 'n': expected a value between 1 and 10, but got {n} instead.",
                                  param="n", code="invalid_value")
    if model == "dall-e-3" and n != 1:
        raise InvalidRequestError("You must provide n=1 for this model.", param="n", code="invalid_value")
    return n


def _quality(model: str, value: Any) -> str:
    allowed = GPT_QUALITIES if is_gpt_image(model) else QUALITIES.get(model, QUALITIES["dall-e-2"])
    quality = str(value or "auto")
    if quality not in allowed:
        raise InvalidRequestError(f"Invalid value: '{quality}'. Supported values for {model} are: "
                                  + ", ".join(f"'{q}'" for q in allowed) + ".", param="quality",
                                  code="invalid_value")
    if is_gpt_image(model):
        return "medium" if quality == "auto" else quality
    return "hd" if quality == "hd" else "standard"


def _read_inputs(model: str, operation: str, inputs: Inputs) -> tuple[list[Any], Any]:
    if operation == "generations":
        return [], None
    if len(inputs.images) > (1 if not is_gpt_image(model) else 16):
        raise InvalidRequestError(f"{model} takes one image; gpt-image models take up to 16.", param="image",
                                  code="invalid_value")
    pictures = []
    for index, data in enumerate(inputs.images):
        try:
            pictures.append(draw.read(data))
        except draw.NotAnImage:
            raise InvalidRequestError(f"Invalid image file or mode for image {index + 1}, please check your "
                                      "image file.", param="image", code="invalid_image_file") from None
    mask = None
    if inputs.mask is not None:
        try:
            mask = draw.read(inputs.mask)
        except draw.NotAnImage:
            raise InvalidRequestError("Invalid mask image file, please check your mask file.", param="mask",
                                      code="invalid_image_file") from None
        if pictures and mask.size != pictures[0].size:
            raise InvalidRequestError("Invalid mask: the mask and the image must have the same dimensions.",
                                      param="mask", code="invalid_value")
    return pictures, mask


def _entry_for(state: TenantState, prompt: str | None, model: str) -> ImageEntry | None:
    part = state.scenario.parts.get("media") or {}
    for entry in part.get(IMAGES, ()):
        if entry.model is not None and entry.model != model:
            continue
        if entry.prompt is not None and (prompt is None or not entry.prompt.test(prompt)):
            continue
        state.record_entry_use(entry)
        return entry
    return None


def _refusal(state: TenantState, model: str, categories: tuple[str, ...]) -> InvalidRequestError:
    if not is_gpt_image(model):
        return InvalidRequestError("Your request was rejected as a result of our safety system. Your prompt may "
                                   "contain text that is not allowed by our safety system.", param=None,
                                   code="content_policy_violation")
    named = f" safety_violations=[{', '.join(categories)}]." if categories else ""
    return InvalidRequestError(
        "Your request was rejected by the safety system. If you believe this is an error, contact us at "
        f"help.openai.com and include the request ID {request_id(state.request_count, state.scenario.seed)}."
        + named, param=None, code="moderation_blocked", type="image_generation_user_error")


# ----------------------------------------------------------------------------- pictures
def _picture(base_key: str, index: int, entry: ImageEntry | None, pictures: list[Any], mask: Any, width: int,
             height: int, transparent: bool, output_format: str, compression: Any, drawn: float = 1.0) -> bytes:
    """Picture ``index`` of a request: the entry's file (the last one for the rest), else drawn."""
    if entry is not None and entry.files is not None:
        return entry.files[min(index, len(entry.files) - 1)]
    if entry is not None and entry.colour is not None:
        picture = draw.flat(entry.colour, width, height)
    else:
        picture = draw.identicon(f"{base_key}#{index}", width, height, transparent=transparent, drawn=drawn)
        if pictures and drawn >= 1.0:
            picture = draw.edit(pictures[0], picture, mask)
    return draw.encode(picture, output_format, compression if isinstance(compression, int) else None)


def _usage(prompt: str, images: int, quality: str, size: str, n: int) -> dict[str, Any]:
    table = OUTPUT_TOKENS.get(quality, OUTPUT_TOKENS["medium"])
    if size in table:
        per_image = table[size]
    else:
        width, height = (int(part) for part in size.split("x"))
        per_image = max(16, round(table["1024x1024"] * width * height / (1024 * 1024)))
    text, image = count_tokens(prompt), images * IMAGE_INPUT_TOKENS
    output = per_image * n
    return {"input_tokens": text + image, "input_tokens_details": {"text_tokens": text, "image_tokens": image},
            "output_tokens": output, "total_tokens": text + image + output}


def _stream_events(operation: str, base_key: str, entry: ImageEntry | None, pictures: list[Any], mask: Any,
                   n: int, body: dict[str, Any], created: int, width: int, height: int, size: str, quality: str,
                   background: str, output_format: str, usage: dict[str, Any] | None) -> \
        list[tuple[str, dict[str, Any]]]:
    """Per picture: ``partial_images`` partial pictures (more of the grid drawn each time), then the
    whole one, with the usage of the request."""
    prefix = STREAM_EVENT.get(operation, "image_edit")
    partials = int(body.get("partial_images") or 0)
    transparent = background == "transparent"
    shown = {"created_at": created, "size": size if size in GPT_IMAGE_SIZES else "auto", "quality": quality,
             "background": background if background in ("transparent", "opaque") else "opaque",
             "output_format": output_format}
    events = []
    for index in range(n):
        for step in range(partials):
            content = _picture(base_key, index, entry, pictures, mask, width, height, transparent, output_format,
                               body.get("output_compression"), drawn=(step + 1) / (partials + 1))
            events.append((f"{prefix}.partial_image", {
                "type": f"{prefix}.partial_image", "b64_json": base64.b64encode(content).decode("ascii"),
                **shown, "partial_image_index": step}))
        content = _picture(base_key, index, entry, pictures, mask, width, height, transparent, output_format,
                           body.get("output_compression"))
        events.append((f"{prefix}.completed", {"type": f"{prefix}.completed",
                                               "b64_json": base64.b64encode(content).decode("ascii"),
                                               **shown, "usage": usage}))
    return events
