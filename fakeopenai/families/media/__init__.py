"""Images and audio with real bytes (SPEC 11.4): ``POST /v1/images/generations``, ``/edits``,
``/variations`` (pictures of the asked size and format, partial images when streamed, the urls the
fake serves under ``/media/images/``), ``POST /v1/audio/speech`` (audio in every response_format,
as bytes or ``speech.audio.*`` events) and ``/transcriptions``, ``/translations`` (every
response_format, ``transcript.text.*`` events). ``images:``, ``speech:`` and ``transcriptions:``
scenario entries script the answers. Engines: ``images.py`` (+ ``draw.py``), ``speech.py`` (+
``encoders.py``), ``transcripts.py``; handlers ``api.py``; the scenario part ``scenario.py``; ``recorder.py``
records them (pictures and audio kept as files beside the scenario).
"""

from __future__ import annotations

from fakeopenai.core.family import Family, deferred, package_json, routes_of
from fakeopenai.families.media import scenario

API = f"{__name__}.api"
IMAGE_PATH = "/media/images/"   # where the urls of the pictures are served (no key needed)
ROUTES = routes_of(API, [
    ("/v1/images/generations", "generate_images", ["POST"]),
    ("/v1/images/edits", "edit_images", ["POST"]),
    ("/v1/images/variations", "image_variations", ["POST"]),
    (IMAGE_PATH + "{name}", "served_image", ["GET"]),
    ("/v1/audio/speech", "create_speech", ["POST"]),
    ("/v1/audio/transcriptions", "create_transcription", ["POST"]),
    ("/v1/audio/translations", "create_translation", ["POST"]),
])

OPENAPI_PATHS = ("/images/generations", "/images/edits", "/images/variations", "/audio/speech",
                 "/audio/transcriptions", "/audio/translations")

FAMILY = Family(
    name="media",
    recorder=deferred(f"{__name__}.recorder", "converters"),
    routes=ROUTES,
    openapi=lambda: package_json(__name__, "openapi.json"),
    openapi_paths=OPENAPI_PATHS,
    scenario_schema=scenario.schema,
    docs_sections=(("Image entry", "image_entry"), ("Speech entry", "speech_entry"),
                   ("Transcription entry", "transcription_entry")),
    build=scenario.build,
)
