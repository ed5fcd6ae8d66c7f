"""`POST /v1/audio/{transcriptions,translations}`: a scripted, embedded or generated transcript in five formats.

The text comes, in order, from a transcript a test registered for the file's sha256 (`services.transcripts`), from
the file's own metadata, or from the token model with a length that follows the audio's duration.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from mockai import errors
from mockai.api.models import resolve_model
from mockai.api.responses import json_response
from mockai.api.scripting import scripted_content
from mockai.api.services import services
from mockai.engine.audio import audio_duration, embedded_transcript
from mockai.engine.speech import speech_text
from mockai.engine.token_model import corpus_model
from mockai.engine.tokenizer import get_encoding
from mockai.engine.transcript import WHISPER_LANGUAGES, build_transcript, detect_language, format_transcript

MAX_AUDIO_BYTES = 25 * 1024 * 1024
MIN_SECONDS = 0.1
FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
ENCODING = "cl100k_base"


async def create_transcription(request: Request, body: dict[str, Any]) -> Response:
    return await transcribe(request, body, task="transcribe")


async def create_translation(request: Request, body: dict[str, Any]) -> Response:
    return await transcribe(request, body, task="translate")


async def transcribe(request: Request, body: dict[str, Any], *, task: str) -> Response:
    app = services(request)
    path = "v1/audio/transcriptions" if task == "transcribe" else "v1/audio/translations"
    model = resolve_model(request, body["model"], "transcriptions" if task == "transcribe" else "translations", path)
    response_format = body.get("response_format") or "json"
    granularities = check_options(body, model.id, response_format)
    data, filename = await read_audio(body["file"])
    duration = measure(data, filename)
    language = WHISPER_LANGUAGES[body["language"]] if task == "transcribe" and body.get("language") else None
    scripted = scripted_content(request)  # a `mockai.transcriptions.reply("...")` rule wins over everything else
    text = (
        (scripted.content if scripted is not None else None)
        or app.transcripts.lookup(data)
        or embedded(data, task)
        or generated(request, data, duration, language, body)
    )
    encoding = get_encoding(ENCODING)
    transcript = build_transcript(
        text,
        duration,
        language=language or ("english" if task == "translate" else detect_language(text)),
        encode=lambda piece: encoding.encode(piece, disallowed_special=()),
        temperature=float(body.get("temperature") or 0.0),
    )
    answer = format_transcript(transcript, response_format, task=task, granularities=granularities)
    return json_response(answer, model=model.id) if isinstance(answer, dict) else PlainTextResponse(answer)


def check_options(body: dict[str, Any], model: str, response_format: str) -> list[str]:
    """The request knobs whisper-1 refuses; returns the timestamp granularities to report."""
    if response_format not in FORMATS:
        raise errors.invalid_value("response_format", response_format, FORMATS)
    if body.get("stream"):
        raise errors.streaming_not_supported(model)
    language = body.get("language")
    if language and language not in WHISPER_LANGUAGES:
        raise errors.invalid_language(language)
    granularities: list[str] | None = body.get("timestamp_granularities")
    if granularities and response_format != "verbose_json":
        raise errors.granularities_need_verbose_json()
    return granularities or ["segment"]


async def read_audio(upload: Any) -> tuple[bytes, str]:
    if not isinstance(upload, UploadFile):
        raise errors.invalid_audio_format()
    filename = upload.filename or ""
    if "." not in filename or filename.rsplit(".", 1)[-1].lower() not in errors.AUDIO_FORMATS:
        raise errors.invalid_audio_format()
    data = await upload.read()
    if len(data) > MAX_AUDIO_BYTES:
        raise errors.audio_too_large(MAX_AUDIO_BYTES, len(data))
    return data, filename


def measure(data: bytes, filename: str) -> float:
    try:
        duration, _exact = audio_duration(data, filename)
    except ValueError:
        raise errors.audio_unreadable() from None
    if duration < MIN_SECONDS:
        raise errors.audio_too_short()
    return duration


def embedded(data: bytes, task: str) -> str | None:
    """Metadata text; a translation uses it only when it is already English (mockai does not translate)."""
    text = embedded_transcript(data)
    if text and task == "translate" and detect_language(text) != "english":
        return None
    return text


def generated(request: Request, data: bytes, duration: float, language: str | None, body: dict[str, Any]) -> str:
    seed = services(request).settings.seed
    digest = hashlib.sha256(f"{seed}\x00{language}\x00{body.get('prompt', '')}\x00".encode() + data).digest()
    return speech_text(
        corpus_model(ENCODING),
        get_encoding(ENCODING),
        duration,
        chinese=language in ("chinese", "cantonese"),
        rng=random.Random(int.from_bytes(digest[:8], "big")),
        prompt=str(body.get("prompt") or ""),
    )
