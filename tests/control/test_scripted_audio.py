"""A transcription rule's text becomes the transcript, in whatever format the request asked for."""

from __future__ import annotations

import io
import wave

import httpx

from mockai.testing import MockAI


def _wav(seconds: float) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(8000)
        writer.writeframes(b"\x00\x00" * int(8000 * seconds))
    return buffer.getvalue()


def test_a_scripted_transcript_is_returned_in_the_requested_format(mock: MockAI, http: httpx.Client) -> None:
    rule = mock.transcriptions.reply("Hello from the script.", when=mock.match(form__model="whisper-1"))
    response = http.post(
        "/v1/audio/transcriptions",
        files={"file": ("clip.wav", _wav(2.0), "audio/wav")},
        data={"model": "whisper-1", "response_format": "text"},
    )
    assert (response.status_code, response.text.strip()) == (200, "Hello from the script.")
    entry = mock.requests.last
    assert entry.rule_id == rule.id
    assert entry.json["file"]["filename"] == "clip.wav" and len(entry.json["file"]["sha256"]) == 64


def test_a_transcript_scripted_for_a_file_answers_for_those_bytes_only(mock: MockAI, http: httpx.Client) -> None:
    clip, other = _wav(1.0), _wav(1.5)
    mock.transcripts.script(clip, "Scripted by content hash.")

    def transcribe(audio: bytes, path: str = "/v1/audio/transcriptions") -> str:
        files = {"file": ("clip.wav", audio, "audio/wav")}
        response = http.post(path, files=files, data={"model": "whisper-1", "response_format": "text"})
        assert response.status_code == 200
        return response.text.strip()

    assert transcribe(clip) == "Scripted by content hash."
    assert transcribe(clip, "/v1/audio/translations") == "Scripted by content hash."
    assert transcribe(other) != "Scripted by content hash."
    mock.reset()
    assert transcribe(clip) != "Scripted by content hash."


def test_a_bad_digest_is_refused(mock: MockAI, http: httpx.Client) -> None:
    response = http.post("/_mockai/transcripts", json={"sha256": "abc", "text": "x"})
    assert (response.status_code, response.json()["error"]["param"]) == (400, "sha256")
