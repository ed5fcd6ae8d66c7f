"""`POST /v1/audio/{transcriptions,translations}` through the official SDK and raw HTTP."""

from __future__ import annotations

import hashlib
import io
import re
import struct
import wave
from typing import Any

import httpx
import pytest

from mockai.api.app import services_of
from mockai.server import ServerThread

SRT_BLOCK = re.compile(r"(\d+)\n(\d\d:\d\d:\d\d,\d{3}) --> (\d\d:\d\d:\d\d,\d{3})\n(.+)\n\n")
VTT_CUE = re.compile(r"(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})\n(.+)\n\n")


def wav(seconds: float, *, comment: str | None = None, tone: int = 0, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(struct.pack("<h", tone) * round(rate * seconds))
    data = buffer.getvalue()
    if comment is None:
        return data
    text = comment.encode() + b"\x00"
    text += b"\x00" * (len(text) & 1)
    info = b"INFO" + b"ICMT" + struct.pack("<I", len(text)) + text
    body = data[12:] + b"LIST" + struct.pack("<I", len(info)) + info
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body


def mp3_with_lyrics(lyrics: str) -> bytes:
    frame_body = b"\x03eng\x00" + lyrics.encode()
    frame = b"USLT" + struct.pack(">I", len(frame_body)) + b"\x00\x00" + frame_body
    tag = frame + bytes(10)
    size = len(tag)
    header = b"ID3\x03\x00\x00" + bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    return header + tag + b"\xff\xfb\x90\x00" + bytes(47996)  # 3 s at 128 kbit/s


GREETING = "Hello, my name is Wolfgang and I come from Germany. Where are you heading today?"


def test_metadata_transcript_in_json(client: Any) -> None:
    result = client.audio.transcriptions.create(model="whisper-1", file=("hello.wav", wav(4.2, comment=GREETING)))
    assert result.text == GREETING
    assert result.usage.type == "duration" and result.usage.seconds == 5


def test_registered_script_wins_over_metadata(client: Any, server: ServerThread) -> None:
    audio = wav(2.0, comment="metadata text", tone=7)
    services_of(server.app).transcripts.register(hashlib.sha256(audio).hexdigest(), "The scripted answer.")  # type: ignore[arg-type]
    result = client.audio.transcriptions.create(model="whisper-1", file=("script.wav", audio))
    assert result.text == "The scripted answer."


def test_id3_lyrics_in_an_mp3(client: Any) -> None:
    result = client.audio.transcriptions.create(model="whisper-1", file=("song.mp3", mp3_with_lyrics(GREETING)))
    assert result.text == GREETING


def test_verbose_json_segments_and_words_follow_the_duration(client: Any) -> None:
    result = client.audio.transcriptions.create(
        model="whisper-1",
        file=("hello.wav", wav(6.5, comment=GREETING)),
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
        temperature=0.2,
    )
    assert (result.duration, result.language, result.text) == (6.5, "english", GREETING)
    assert result.segments[0].start == 0.0 and result.segments[-1].end == 6.5
    assert all(s.temperature == 0.2 and s.tokens for s in result.segments)
    assert [w.word for w in result.words][:3] == ["Hello", "my", "name"]
    assert result.words[-1].end == 6.5


@pytest.mark.parametrize("response_format", ["srt", "vtt", "text"])
def test_text_formats_parse(client: Any, response_format: str) -> None:
    seconds = 3725.5 if response_format == "srt" else 4.0
    audio = wav(seconds, comment=GREETING, rate=1000)
    body = client.audio.transcriptions.create(
        model="whisper-1", file=("hello.wav", audio), response_format=response_format
    )
    assert isinstance(body, str)
    if response_format == "srt":
        blocks = SRT_BLOCK.findall(body)
        assert SRT_BLOCK.sub("", body) == ""
        assert blocks[0][:2] == ("1", "00:00:00,000") and blocks[-1][2] == "01:02:05,500"
    elif response_format == "vtt":
        assert body.startswith("WEBVTT\n\n")
        cues = VTT_CUE.findall(body)
        assert cues and cues[-1][1] == "00:00:04.000"
    else:
        assert body == GREETING + "\n"


def test_text_formats_are_plain_text(http: httpx.Client) -> None:
    files = {"file": ("hello.wav", wav(1.0, comment="Hi."), "audio/wav")}
    response = http.post("/v1/audio/transcriptions", files=files, data={"model": "whisper-1", "response_format": "srt"})
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_translation_answers_in_english(client: Any) -> None:
    # The SDK marks translations deprecated; the endpoint still answers.
    with pytest.warns(DeprecationWarning):
        result = client.audio.translations.create(model="whisper-1", file=("german.wav", wav(3.0, comment=GREETING)))
    assert result.text == GREETING
    with pytest.warns(DeprecationWarning):
        verbose = client.audio.translations.create(
            model="whisper-1", file=("german.wav", wav(3.0, comment=GREETING)), response_format="verbose_json"
        )
    assert verbose.language == "english" and verbose.segments


def test_files_without_text_get_generated_text_that_scales_with_duration(http: httpx.Client) -> None:
    def words(seconds: float) -> list[str]:
        files = {"file": ("speech.wav", wav(seconds), "audio/wav")}
        return str(
            http.post("/v1/audio/transcriptions", files=files, data={"model": "whisper-1"}).json()["text"]
        ).split()

    short, long = words(4.0), words(20.0)
    assert 5 <= len(short) <= 15 and 40 <= len(long) <= 60
    assert words(4.0) == short  # same bytes, same text


def test_generated_chinese_when_the_language_is_zh(http: httpx.Client) -> None:
    files = {"file": ("speech.wav", wav(5.0, tone=3), "audio/wav")}
    data = {"model": "whisper-1", "language": "zh", "response_format": "verbose_json"}
    body = http.post("/v1/audio/transcriptions", files=files, data=data).json()
    assert body["language"] == "chinese"
    assert re.search(r"[\u4e00-\u9fff]", body["text"])


def upload(name: str, data: bytes) -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name, data, "application/octet-stream")}


REFUSALS = [
    ("bad-extension", upload("notes.txt", b"hello"), {}, 400, "invalid_request_error", None, None),
    ("too-large", upload("big.mp3", bytes(25 * 1024 * 1024 + 1)), {}, 413, "server_error", None, None),
    ("too-short", upload("blip.wav", wav(0.05)), {}, 400, "invalid_request_error", "file", "audio_too_short"),
    ("corrupt-wav", upload("bad.wav", b"RIFF\x04\x00\x00\x00WAVE"), {}, 400, "invalid_request_error", "file",
     "invalid_value"),
    ("bad-language", upload("a.wav", wav(1.0)), {"language": "xx"}, 400, "invalid_request_error", "language",
     "invalid_language_format"),
    ("granularity-without-verbose", upload("a.wav", wav(1.0)), {"timestamp_granularities[]": "word"}, 400,
     "invalid_request_error", "timestamp_granularities", "invalid_value"),
    ("diarized-json", upload("a.wav", wav(1.0)), {"response_format": "diarized_json"}, 400, "invalid_request_error",
     "response_format", "invalid_value"),
    ("stream", upload("a.wav", wav(1.0)), {"stream": "true"}, 400, "invalid_request_error", "stream", "invalid_value"),
    ("temperature-2", upload("a.wav", wav(1.0)), {"temperature": "2"}, 400, "invalid_request_error", "temperature",
     "decimal_above_max_value"),
    ("unknown-model", upload("a.wav", wav(1.0)), {"model": "wav2vec-9"}, 404, "invalid_request_error", None,
     "model_not_found"),
    ("chat-model", upload("a.wav", wav(1.0)), {"model": "gpt-4"}, 404, "invalid_request_error", "model", None),
    ("missing-file", {}, {"dummy": None}, 400, "invalid_request_error", "file", "missing_required_parameter"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("files", "fields", "status", "kind", "param", "code"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_refusals(
    http: httpx.Client,
    files: dict[str, Any],
    fields: dict[str, Any],
    status: int,
    kind: str,
    param: str | None,
    code: str | None,
) -> None:
    data = {k: v for k, v in {"model": "whisper-1", **fields}.items() if v is not None}
    if not files:  # still a multipart request, with only the text fields
        files = {"model": (None, data.pop("model"))}
    response = http.post("/v1/audio/transcriptions", files=files, data=data)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["type"], error["param"], error["code"]) == (kind, param, code)


def test_bad_extension_wording(http: httpx.Client) -> None:
    response = http.post("/v1/audio/translations", files=upload("notes.txt", b"x"), data={"model": "whisper-1"})
    assert response.json()["error"]["message"] == (
        "Invalid file format. Supported formats: "
        "['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']"
    )
