"""The Images API through the official SDK: real pictures (decoded with Pillow) of the asked size and
format, url answers the fake serves, usage, partial-image streams in the official order, edits with a
mask, variations, scripted files, colours and refusals, and the 400s. Every answer is spec-checked (the
``client`` fixture)."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from PIL import Image


def picture(b64: str | None) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(b64 or "")))


def png_bytes(size: tuple[int, int], colour: tuple[int, int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, colour).save(out, "PNG")
    return out.getvalue()


def test_gpt_image_answers_b64_pictures_of_the_asked_size_and_format_with_usage(client: openai.OpenAI) -> None:
    answer = client.images.generate(model="gpt-image-1", prompt="A lighthouse at dusk", size="1536x1024",
                                    output_format="jpeg", quality="low", n=2)
    assert answer.data is not None and len(answer.data) == 2
    first, second = (picture(item.b64_json) for item in answer.data)
    assert (first.format, first.size) == ("JPEG", (1536, 1024)) and second.size == (1536, 1024)
    assert first.tobytes() != second.tobytes()   # each picture of n its own
    assert (answer.size, answer.quality, answer.output_format, answer.background) == \
        ("1536x1024", "low", "jpeg", "opaque")
    assert answer.usage is not None and answer.usage.output_tokens == 2 * 400
    assert answer.usage.total_tokens == answer.usage.input_tokens + answer.usage.output_tokens
    assert answer.usage.input_tokens_details.text_tokens == answer.usage.input_tokens > 0


def test_same_prompt_and_seed_same_bytes_and_transparent_webp(client: openai.OpenAI) -> None:
    def draw(prompt: str) -> bytes:
        item = client.images.generate(model="gpt-image-1", prompt=prompt, size="1024x1024", output_format="webp",
                                      background="transparent").data
        assert item is not None
        return base64.b64decode(item[0].b64_json or "")

    same, again, other = draw("A red fox"), draw("A red fox"), draw("A blue whale")
    assert same == again != other
    image = Image.open(io.BytesIO(same))
    assert (image.format, image.size, image.mode) == ("WEBP", (1024, 1024), "RGBA")
    assert image.getpixel((0, 0))[3] == 0 and image.getextrema()[3] == (0, 255)   # a transparent background


def test_dall_e_answers_a_url_the_fake_serves(client: openai.OpenAI) -> None:
    answer = client.images.generate(model="dall-e-3", prompt="A castle", size="1792x1024")
    assert answer.data is not None and answer.usage is None
    [item] = answer.data
    assert item.revised_prompt == "A castle" and item.url is not None and item.b64_json is None
    fetched = httpx.get(item.url)   # over the socket, with no API key, as a signed URL needs none
    assert fetched.status_code == 200 and fetched.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(fetched.content)).size == (1792, 1024)
    small = client.images.generate(prompt="A castle", size="256x256", response_format="b64_json")  # dall-e-2
    assert small.data is not None and picture(small.data[0].b64_json).size == (256, 256)


def test_stream_sends_partial_images_then_the_completed_one(client: openai.OpenAI) -> None:
    events = list(client.images.generate(model="gpt-image-1", prompt="A tree", stream=True, partial_images=2,
                                         size="1024x1536", output_format="png"))
    assert [e.type for e in events] == ["image_generation.partial_image"] * 2 + ["image_generation.completed"]
    assert [getattr(e, "partial_image_index", None) for e in events] == [0, 1, None]
    pictures = [picture(e.b64_json) for e in events]
    assert all(p.size == (1024, 1536) for p in pictures) and len({p.tobytes() for p in pictures}) == 3
    done = events[-1]
    assert done.type == "image_generation.completed" and done.usage.output_tokens == 1584
    edits = list(client.images.edit(model="gpt-image-1", image=("in.png", png_bytes((64, 64), (9, 9, 9, 255))),
                                    prompt="Add a hat", stream=True))
    assert [e.type for e in edits] == ["image_edit.completed"]


def test_edit_draws_where_the_mask_is_transparent(client: openai.OpenAI) -> None:
    base = png_bytes((256, 256), (255, 0, 0, 255))
    mask_image = Image.new("RGBA", (256, 256), (0, 0, 0, 255))
    mask_image.paste((0, 0, 0, 0), (0, 0, 256, 128))   # the top half transparent: draw there
    mask = io.BytesIO()
    mask_image.save(mask, "PNG")
    answer = client.images.edit(model="dall-e-2", image=("base.png", base), mask=("mask.png", mask.getvalue()),
                                prompt="A bird", size="256x256", response_format="b64_json")
    assert answer.data is not None
    edited = picture(answer.data[0].b64_json).convert("RGB")
    assert edited.size == (256, 256)
    assert edited.getpixel((128, 250)) == (255, 0, 0)               # kept below the mask's hole
    assert edited.crop((0, 0, 256, 128)).getcolors(4096) != [(256 * 128, (255, 0, 0))]   # drawn in it
    several = client.images.edit(model="gpt-image-1", prompt="Merge", size="1024x1024",
                                 image=[("a.png", base), ("b.png", png_bytes((32, 32), (0, 0, 255, 255)))])
    assert several.data is not None and picture(several.data[0].b64_json).size == (1024, 1024)
    assert several.usage is not None and several.usage.input_tokens_details.image_tokens > 0


def test_variations_answer_n_pictures_of_the_size(client: openai.OpenAI) -> None:
    answer = client.images.create_variation(image=("in.png", png_bytes((64, 64), (0, 128, 0, 255))), n=3,
                                            size="512x512", response_format="b64_json")
    assert answer.data is not None and len(answer.data) == 3
    sizes = {picture(item.b64_json).size for item in answer.data}
    assert sizes == {(512, 512)}


def test_scripted_file_colour_and_refusal(client: openai.OpenAI, fake_openai: Any, tmp_path: Path) -> None:
    drawn = png_bytes((20, 10), (1, 2, 3, 255))
    (tmp_path / "cat.png").write_bytes(drawn)
    (tmp_path / "s.yaml").write_text(
        "images:\n"
        "  - match: {prompt: {contains: cat}}\n"
        "    file: cat.png\n"
        "  - match: {prompt: {contains: sky}, model: gpt-image-1}\n"
        "    colour: '#3366ff'\n"
        "  - match: {prompt: {contains: gore}}\n"
        "    refuse: [violence]\n")
    fake_openai.load(str(tmp_path / "s.yaml"))
    cat = client.images.generate(model="gpt-image-1", prompt="A cat on a mat")
    assert cat.data is not None and base64.b64decode(cat.data[0].b64_json or "") == drawn   # verbatim
    sky = client.images.generate(model="gpt-image-1", prompt="The sky", size="1024x1024", output_format="png")
    assert sky.data is not None and picture(sky.data[0].b64_json).convert("RGB").getcolors() == \
        [(1024 * 1024, (0x33, 0x66, 0xFF))]
    with pytest.raises(openai.BadRequestError) as refused:
        client.images.generate(model="gpt-image-1", prompt="Some gore")
    error = refused.value.body
    assert isinstance(error, dict)
    assert (error["code"], error["type"]) == ("moderation_blocked", "image_generation_user_error")
    assert error["message"].startswith("Your request was rejected by the safety system.")
    assert "safety_violations=[violence]" in error["message"]
    with pytest.raises(openai.BadRequestError) as old:
        client.images.generate(model="dall-e-3", prompt="Some gore")
    assert old.value.code == "content_policy_violation"


@pytest.mark.parametrize(("kwargs", "param"), [
    ({"model": "gpt-image-1", "size": "512x512"}, "size"),
    ({"model": "dall-e-3", "size": "1024x1536"}, "size"),
    ({"model": "dall-e-3", "n": 2}, "n"),
    ({"model": "gpt-image-1", "quality": "hd"}, "quality"),
    ({"model": "gpt-image-1", "response_format": "b64_json"}, "response_format"),   # "Unknown parameter"
    ({"model": "gpt-image-1", "background": "transparent", "output_format": "jpeg"}, "background"),
    ({"model": "gpt-image-1", "output_format": "gif"}, "output_format"),
    ({"model": "dall-e-2", "stream": True}, "stream"),
])
def test_bad_requests_name_their_param(client: openai.OpenAI, kwargs: dict[str, Any], param: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(prompt="p", **kwargs)
    assert caught.value.param == param


def test_an_upload_that_is_not_an_image_is_a_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.edit(model="gpt-image-1", image=("x.png", b"not a picture"), prompt="p")
    assert caught.value.param == "image" and "Invalid image file" in caught.value.message
