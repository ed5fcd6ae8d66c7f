"""Encoding synthesized speech into the six `response_format`s of `/v1/audio/speech`, the spoken text in its tags.

WAV and raw PCM are written here. MP3, Opus (in Ogg), AAC (ADTS) and FLAC come from FFmpeg's encoders through PyAV,
imported only when one of them is asked for; FFmpeg runs in bit-exact mode (no version strings, fixed Ogg serial
numbers), so the same samples give the same bytes. The text goes where `engine.audio.embedded_transcript` reads it
back, so transcribing a generated file returns what was spoken: a WAV `LIST/INFO/ICMT` comment, an ID3v2 `USLT`
(unsynchronised lyrics: the frame meant for a transcription) before the MP3 and AAC frames, and a `LYRICS` Vorbis
comment in FLAC and Ogg Opus. Raw PCM has nowhere to keep it.
"""

from __future__ import annotations

import io
import struct
from typing import Literal

from mockai.engine.voice import SAMPLE_RATE

__all__ = ["CONTENT_TYPES", "SpeechFormat", "encode_speech"]

SpeechFormat = Literal["mp3", "opus", "aac", "flac", "wav", "pcm"]

CONTENT_TYPES: dict[str, str] = {
    "mp3": "audio/mpeg",
    "opus": "audio/opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}
# (container, encoder, bit rate) for the formats FFmpeg encodes; mono speech needs no more than these rates.
_FFMPEG = {
    "mp3": ("mp3", "libmp3lame", 64_000),
    "opus": ("ogg", "libopus", 32_000),
    "aac": ("adts", "aac", 64_000),
    "flac": ("flac", "flac", 0),
}
# Containers whose tags FFmpeg writes as Vorbis comments; MP3 and ADTS get an ID3 tag written here instead.
_VORBIS_TAGGED = ("opus", "flac")


def encode_speech(pcm: bytes, response_format: SpeechFormat, text: str) -> bytes:
    """`pcm` (16-bit mono at `SAMPLE_RATE`) as a file of `response_format`, carrying `text` where it can."""
    if response_format == "pcm":
        return pcm
    if response_format == "wav":
        return _wav(pcm, text)
    encoded = _ffmpeg(pcm, response_format, text if response_format in _VORBIS_TAGGED else None)
    return encoded if response_format in _VORBIS_TAGGED else _id3_lyrics(text) + encoded


def _wav(pcm: bytes, text: str) -> bytes:
    fmt = struct.pack("<HHIIHH", 1, 1, SAMPLE_RATE, 2 * SAMPLE_RATE, 2, 16)  # PCM, mono, 16-bit
    comment = text.encode() + b"\x00"
    comment += b"\x00" * (len(comment) & 1)  # RIFF chunks are word-aligned
    info = b"INFO" + _chunk(b"ICMT", comment)
    body = b"WAVE" + _chunk(b"fmt ", fmt) + _chunk(b"LIST", info) + _chunk(b"data", pcm)
    return _chunk(b"RIFF", body)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + b"\x00" * (len(body) & 1)


def _id3_lyrics(text: str) -> bytes:
    """An ID3v2.3 tag holding one USLT frame: UTF-16 text (v2.3 has no UTF-8), language `und`, no description."""
    frame_body = b"\x01und" + "\ufeff\x00\ufeff".encode("utf-16-le") + text.encode("utf-16-le")
    frame = b"USLT" + struct.pack(">I", len(frame_body)) + b"\x00\x00" + frame_body
    size = len(frame)
    syncsafe = bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    return b"ID3\x03\x00\x00" + syncsafe + frame


def _ffmpeg(pcm: bytes, response_format: str, lyrics: str | None) -> bytes:
    import av  # PyAV bundles FFmpeg (~30 MB): loaded by the first speech request that needs it, not at start-up

    container_format, encoder, bit_rate = _FFMPEG[response_format]
    samples = len(pcm) // 2
    out_buffer = io.BytesIO()
    # id3v2_version=0: the MP3 muxer's own tag would hold only FFmpeg's name; ours is prepended instead.
    options = {"fflags": "+bitexact", **({"id3v2_version": "0"} if container_format == "mp3" else {})}
    with av.open(out_buffer, "w", format=container_format, options=options) as container:
        if lyrics is not None:
            container.metadata["LYRICS"] = lyrics
        stream = container.add_stream(encoder, rate=SAMPLE_RATE, layout="mono")
        assert isinstance(stream, av.AudioStream)  # an audio encoder's name gives an audio stream
        stream.codec_context.options = {"flags": "+bitexact"}
        if bit_rate:
            stream.codec_context.bit_rate = bit_rate
        frame = av.AudioFrame(format="s16", layout="mono", samples=samples)
        frame.planes[0].update(pcm)
        frame.sample_rate, frame.pts = SAMPLE_RATE, 0
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out_buffer.getvalue()
