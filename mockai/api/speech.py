"""`POST /v1/audio/speech`: the input text as real audio in six formats, whole or as `speech.audio.*` SSE events.

The spoken text travels inside the file (see `engine.audio_encoding`), so `/v1/audio/transcriptions` of a generated
file returns it. `stream_format: "sse"` sends the same bytes as the whole file, base64 in `speech.audio.delta` events.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterator, Mapping
from typing import Any, cast

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from mockai import errors
from mockai.api.models import resolve_model
from mockai.api.sse import event_stream
from mockai.engine.audio_encoding import CONTENT_TYPES, SpeechFormat, encode_speech
from mockai.engine.tokenizer import get_encoding
from mockai.engine.voice import SAMPLE_RATE, Delivery, delivery_for, synthesize
from mockai.state.catalog import ModelInfo

# tts-1 and tts-1-hd speak with nine voices; the promptable gpt-4o-mini-tts line adds four and takes custom voices.
CLASSIC_VOICES = ("alloy", "ash", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer")
VOICES = (*CLASSIC_VOICES, "ballad", "cedar", "marin", "verse")
# gpt-4o-mini-tts bills audio at $12 per million output tokens, which the pricing page puts at $0.015 a minute.
_AUDIO_TOKENS_PER_SECOND = 1250 / 60
_SSE_CHUNK_BYTES = 16 * 1024


async def create_speech(request: Request, body: dict[str, Any]) -> Response:
    model = resolve_model(request, body["model"], "speech", "v1/audio/speech")
    voice = _check_request(body, model)
    text: str = body["input"]
    delivery = delivery_for(voice, speed=float(body.get("speed", 1.0)), instructions=body.get("instructions") or "")
    response_format = cast(SpeechFormat, body.get("response_format") or "mp3")
    audio, seconds = await run_in_threadpool(_speak, text, delivery, response_format)
    if body.get("stream_format") == "sse":
        usage = _usage(model, text, body.get("instructions") or "", seconds)
        return event_stream(request, _events(audio, usage), done=False, model=model.id)
    return Response(audio, media_type=CONTENT_TYPES[response_format], headers={"openai-model": model.id})


def _check_request(body: Mapping[str, Any], model: ModelInfo) -> str:
    """The voice to speak with, once the knobs the model does not take are refused."""
    classic = model.family == "tts"
    if not body["input"].strip():
        raise errors.speech_input_empty()
    if classic and body.get("instructions"):
        raise errors.speech_parameter_not_supported("instructions", model.id)
    if classic and body.get("stream_format") == "sse":
        raise errors.speech_sse_not_supported(model.id)
    voice = body["voice"]
    if isinstance(voice, Mapping):
        if classic:
            raise errors.speech_parameter_not_supported("voice", model.id)
        return str(voice["id"])
    allowed = CLASSIC_VOICES if classic else VOICES
    if voice not in allowed:
        raise errors.invalid_value("voice", voice, allowed)
    return str(voice)


def _speak(text: str, delivery: Delivery, response_format: SpeechFormat) -> tuple[bytes, float]:
    pcm = synthesize(text, delivery)
    return encode_speech(pcm, response_format, text), len(pcm) / (2 * SAMPLE_RATE)


def _usage(model: ModelInfo, text: str, instructions: str, seconds: float) -> dict[str, int]:
    encoding = get_encoding(model.encoding or "o200k_base")
    input_tokens = len(encoding.encode(text + instructions, disallowed_special=()))
    output_tokens = math.ceil(seconds * _AUDIO_TOKENS_PER_SECOND)
    return {"input_tokens": input_tokens, "output_tokens": output_tokens, "total_tokens": input_tokens + output_tokens}


def _events(audio: bytes, usage: dict[str, int]) -> Iterator[dict[str, Any]]:
    for start in range(0, len(audio), _SSE_CHUNK_BYTES):
        chunk = audio[start : start + _SSE_CHUNK_BYTES]
        yield {"type": "speech.audio.delta", "audio": base64.b64encode(chunk).decode("ascii")}
    yield {"type": "speech.audio.done", "usage": usage}
