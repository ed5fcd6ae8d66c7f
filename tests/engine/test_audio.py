"""Tests for mockai.engine.audio: exact and estimated durations, and transcripts embedded in metadata."""

from __future__ import annotations

import io
import struct
import wave

import pytest

from mockai.engine.audio import audio_duration, embedded_transcript


def make_wav(seconds: float, *, rate: int = 16000, channels: int = 1, comment: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(b"\x00\x00" * channels * round(rate * seconds))
    data = buffer.getvalue()
    if comment is None:
        return data
    text = comment.encode() + b"\x00"
    text += b"\x00" * (len(text) & 1)
    info = b"INFO" + b"INAM" + struct.pack("<I", 6) + b"Title\x00" + b"ICMT" + struct.pack("<I", len(text)) + text
    chunk = b"LIST" + struct.pack("<I", len(info)) + info
    body = data[12:] + chunk
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body


def syncsafe(n: int) -> bytes:
    return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])


def id3_frame(frame_id: bytes, body: bytes, major: int) -> bytes:
    size = syncsafe(len(body)) if major == 4 else struct.pack(">I", len(body))
    return frame_id + size + b"\x00\x00" + body


def make_mp3(frames: list[bytes], *, major: int = 3, audio_bytes: int = 16000) -> bytes:
    tag = b"".join(frames) + b"\x00" * 10  # padding ends the frame list
    header = b"ID3" + bytes([major, 0, 0]) + syncsafe(len(tag))
    # MPEG-1 Layer III, 128 kbit/s, 44.1 kHz frame header, then filler.
    audio = b"\xff\xfb\x90\x00" + b"\x00" * (audio_bytes - 4)
    return header + tag + audio


def make_flac(rate: int, total_samples: int) -> bytes:
    packed = (rate << 44) | (0 << 41) | (15 << 36) | total_samples
    info = struct.pack(">HH", 4096, 4096) + b"\x00" * 6 + packed.to_bytes(8, "big") + b"\x00" * 16
    return b"fLaC" + bytes([0x80]) + len(info).to_bytes(3, "big") + info + b"\x00" * 100


@pytest.mark.parametrize(("seconds", "rate", "channels"), [(1.0, 16000, 1), (2.5, 44100, 2), (0.1, 8000, 1)])
def test_wav_duration_is_exact(seconds: float, rate: int, channels: int) -> None:
    duration, exact = audio_duration(make_wav(seconds, rate=rate, channels=channels), "speech.wav")
    assert exact
    assert duration == pytest.approx(seconds, abs=1 / rate)


def test_flac_duration_comes_from_streaminfo() -> None:
    assert audio_duration(make_flac(48000, 48000 * 3), "a.flac") == (3.0, True)


def test_mp3_duration_is_estimated_from_the_frame_bitrate() -> None:
    duration, exact = audio_duration(make_mp3([], audio_bytes=32000), "a.mp3")
    assert not exact
    assert duration == pytest.approx(2.0)


def test_other_formats_are_estimated_from_size() -> None:
    duration, exact = audio_duration(b"\x00" * 16000, "clip.m4a")
    assert not exact and duration == pytest.approx(1.0)


def test_damaged_wav_is_refused() -> None:
    with pytest.raises(ValueError, match="fmt and data"):
        audio_duration(b"RIFF\x04\x00\x00\x00WAVE", "bad.wav")


def test_wav_comment_is_the_embedded_transcript() -> None:
    assert embedded_transcript(make_wav(0.5, comment="Hello from the metadata")) == "Hello from the metadata"
    assert embedded_transcript(make_wav(0.5)) is None


@pytest.mark.parametrize("major", [3, 4])
def test_id3_lyrics_win_over_comments(major: int) -> None:
    comm = id3_frame(b"COMM", b"\x00eng\x00a comment", major)
    lyrics = id3_frame(b"USLT", b"\x03eng\x00The lyrics say hello", major)
    title = id3_frame(b"TIT2", b"\x00A title", major)
    assert embedded_transcript(make_mp3([title, comm, lyrics], major=major)) == "The lyrics say hello"
    assert embedded_transcript(make_mp3([title, comm], major=major)) == "a comment"
    assert embedded_transcript(make_mp3([title], major=major)) is None


def test_id3_utf16_text_with_description() -> None:
    body = b"\x01eng" + "desc".encode("utf-16") + b"\x00\x00" + "你好,世界".encode("utf-16")
    assert embedded_transcript(make_mp3([id3_frame(b"COMM", body, 3)])) == "你好,世界"
