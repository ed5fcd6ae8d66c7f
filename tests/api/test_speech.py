"""`POST /v1/audio/speech` through the official SDK: real audio in every format, the text round-trips through
transcription, speed and voice shape the sound, SSE carries the same bytes, and bad requests get the right 400."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import av
import httpx
import pytest

GREETING = "Hello, my name is Wolfgang and I come from Germany. Where are you heading today?"
BYTES_PER_SECOND = 48_000  # 16-bit mono at 24 kHz


def speak(client: Any, **options: Any) -> Any:
    request = {"model": "tts-1", "voice": "alloy", "input": GREETING, **options}
    return client.audio.speech.create(**request)


def decoded_seconds(audio: bytes) -> tuple[float, int]:
    """What FFmpeg itself makes of the file: its decoded length and channel count."""
    with av.open(io.BytesIO(audio)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return samples / stream.codec_context.sample_rate, stream.codec_context.channels


@pytest.mark.parametrize(
    ("response_format", "filename"),
    [("wav", "speech.wav"), ("mp3", "speech.mp3"), ("flac", "speech.flac"), ("opus", "speech.ogg")],
)
def test_transcribing_the_speech_gives_back_its_text(client: Any, response_format: str, filename: str) -> None:
    audio = speak(client, response_format=response_format).content
    transcript = client.audio.transcriptions.create(model="whisper-1", file=(filename, audio))
    assert transcript.text == GREETING


@pytest.mark.parametrize("response_format", ["mp3", "opus", "aac", "flac", "wav"])
def test_every_container_decodes_to_the_spoken_length(client: Any, response_format: str) -> None:
    spoken = len(speak(client, response_format="pcm").content) / BYTES_PER_SECOND
    seconds, channels = decoded_seconds(speak(client, response_format=response_format).content)
    assert channels == 1
    assert seconds == pytest.approx(spoken, abs=0.1)  # lossy codecs pad a frame at each end


@pytest.mark.parametrize(
    ("response_format", "content_type", "magic"),
    [
        ("mp3", "audio/mpeg", b"ID3"),
        ("opus", "audio/opus", b"OggS"),
        ("aac", "audio/aac", b"ID3"),
        ("flac", "audio/flac", b"fLaC"),
        ("wav", "audio/wav", b"RIFF"),
    ],
)
def test_each_format_has_its_media_type_and_signature(
    client: Any, response_format: str, content_type: str, magic: bytes
) -> None:
    response = speak(client, response_format=response_format)
    assert response.response.headers["content-type"] == content_type
    assert response.content.startswith(magic)


def test_mp3_is_the_default_and_pcm_is_bare_samples(client: Any) -> None:
    assert speak(client).content.startswith(b"ID3")
    pcm = speak(client, response_format="pcm").content
    assert len(pcm) % 2 == 0 and not pcm.startswith((b"RIFF", b"ID3"))


def test_same_request_same_bytes_and_voices_differ(client: Any) -> None:
    first = speak(client, voice="onyx", response_format="opus").content
    assert speak(client, voice="onyx", response_format="opus").content == first
    assert speak(client, voice="nova", response_format="opus").content != first


def test_length_follows_the_text_and_the_speed(client: Any) -> None:
    normal = len(speak(client, response_format="pcm").content)
    assert normal / BYTES_PER_SECOND == pytest.approx(GREETING.count(" ") / 2.5, rel=0.25)  # about 2.5 words/s
    assert len(speak(client, response_format="pcm", speed=2.0).content) == pytest.approx(normal / 2, rel=0.01)
    assert len(speak(client, response_format="pcm", speed=0.25).content) == pytest.approx(normal * 4, rel=0.01)
    longer = len(speak(client, response_format="pcm", input=GREETING + " " + GREETING).content)
    assert longer == pytest.approx(2 * normal, rel=0.05)


def test_instructions_and_custom_voices_speak_with_the_promptable_model(client: Any) -> None:
    plain = speak(client, model="gpt-4o-mini-tts", response_format="pcm").content
    slowly = speak(client, model="gpt-4o-mini-tts", response_format="pcm", instructions="Speak slowly.").content
    assert len(slowly) > len(plain)
    custom = speak(client, model="gpt-4o-mini-tts", voice={"id": "voice_1234"}, response_format="wav").content
    assert client.audio.transcriptions.create(model="whisper-1", file=("custom.wav", custom)).text == GREETING


def test_sse_events_carry_the_same_bytes_as_the_file(client: Any) -> None:
    options = {"model": "gpt-4o-mini-tts", "voice": "coral", "input": GREETING, "response_format": "wav"}
    whole = client.audio.speech.create(**options).content
    with client.audio.speech.with_streaming_response.create(**options, stream_format="sse") as streamed:
        assert streamed.headers["content-type"].startswith("text/event-stream")
        events = [json.loads(line[6:]) for line in streamed.iter_lines() if line.startswith("data: ")]
    assert [event["type"] for event in events[:-1]] == ["speech.audio.delta"] * (len(events) - 1)
    assert b"".join(base64.b64decode(event["audio"]) for event in events[:-1]) == whole
    usage = events[-1]["usage"]
    assert events[-1]["type"] == "speech.audio.done"
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] and usage["output_tokens"] > 50


BAD_REQUESTS = [
    ("unknown-voice", {"voice": "bob"}, "voice", "invalid_value"),
    ("promptable-only-voice-on-tts-1", {"voice": "marin"}, "voice", "invalid_value"),
    ("custom-voice-on-tts-1", {"voice": {"id": "voice_1234"}}, "voice", "unsupported_parameter"),
    ("instructions-on-tts-1", {"instructions": "Whisper."}, "instructions", "unsupported_parameter"),
    ("sse-on-tts-1", {"stream_format": "sse"}, "stream_format", "unsupported_value"),
    ("speed-too-fast", {"speed": 4.5}, "speed", "decimal_above_max_value"),
    ("speed-too-slow", {"speed": 0.2}, "speed", "decimal_below_min_value"),
    ("unknown-format", {"response_format": "ogg"}, "response_format", "invalid_value"),
    ("input-too-long", {"input": "a" * 4097}, "input", "string_above_max_length"),
    ("empty-input", {"input": " "}, "input", "invalid_value"),
    ("missing-voice", {"voice": None}, "voice", "missing_required_parameter"),
    ("unknown-argument", {"pitch": 2}, "pitch", "unknown_parameter"),
]


@pytest.mark.parametrize(
    ("changes", "param", "code"), [row[1:] for row in BAD_REQUESTS], ids=[r[0] for r in BAD_REQUESTS]
)
def test_bad_requests_get_the_real_400(http: httpx.Client, changes: dict[str, Any], param: str, code: str) -> None:
    body = {"model": "tts-1", "voice": "alloy", "input": GREETING, **changes}
    response = http.post("/v1/audio/speech", json={k: v for k, v in body.items() if v is not None})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)


def test_a_model_that_does_not_speak_is_refused(http: httpx.Client) -> None:
    response = http.post("/v1/audio/speech", json={"model": "whisper-1", "voice": "alloy", "input": GREETING})
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["param"] == "model" and "v1/audio/speech" in error["message"]
