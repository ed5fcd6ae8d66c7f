"""Facts read from audio files: their duration (exact for WAV, FLAC and Ogg Opus, estimated otherwise) and
embedded text."""

from __future__ import annotations

import struct

__all__ = ["audio_duration", "embedded_transcript"]

# Typical encoder bitrates (bits per second), used to estimate the length of compressed formats we do not
# parse frame by frame. Estimates are reported as such (``exact=False``).
_TYPICAL_BITRATE = {
    "mp3": 128_000,
    "mpeg": 128_000,
    "mpga": 128_000,
    "m4a": 128_000,
    "mp4": 128_000,
    "ogg": 112_000,
    "oga": 112_000,
    "webm": 96_000,
    "flac": 700_000,
    "wav": 1_411_200,
}
# MPEG-1 Layer III bitrates (kbit/s) by header index, and sample rates by version.
_MP3_BITRATES_V1 = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MP3_BITRATES_V2 = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_VORBIS_TEXT_KEYS = ("LYRICS", "DESCRIPTION", "COMMENT")
_OPUS_RATE = 48_000  # Ogg Opus granule positions count 48 kHz samples whatever the input rate was


def audio_duration(data: bytes, filename: str) -> tuple[float, bool]:
    """Length in seconds, and whether it is exact.

    WAV (RIFF fmt/data) and FLAC (STREAMINFO) give exact lengths; MP3 is estimated from its
    first frame's bitrate; other formats from their size at a typical bitrate.
    Raises ``ValueError`` for a WAV or FLAC file whose header cannot be read.
    """
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return _wav_duration(data), True
    if data[:4] == b"fLaC":
        return _flac_duration(data)
    if data[:4] == b"OggS" and data[28:36] == b"OpusHead":
        return _opus_duration(data), True
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension in ("mp3", "mpeg", "mpga") or data[:3] == b"ID3":
        bitrate = _mp3_bitrate(data)
        if bitrate:
            return (len(data) - _id3_size(data)) * 8 / bitrate, False
    bitrate = _TYPICAL_BITRATE.get(extension, 128_000)
    return len(data) * 8 / bitrate, False


def embedded_transcript(data: bytes) -> str | None:
    """Transcript text stored in the file's own metadata, if any.

    Read, in order: a WAV ``LIST``/``INFO`` ``ICMT`` (comment) sub-chunk; an ID3v2 ``USLT``
    (unsynchronised lyrics) frame, then a ``COMM`` (comment) frame; in FLAC and Ogg (Opus or Vorbis)
    the Vorbis comment ``LYRICS``, then ``DESCRIPTION``, then ``COMMENT``.  Titles (``INAM``, ``TIT2``,
    ``TITLE``) are deliberately not used: a title names a recording, it does not transcribe it.
    """
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        text = _riff_info(data).get(b"ICMT")
        return text or None
    if data[:4] in (b"fLaC", b"OggS"):
        comments = _flac_comments(data) if data[:4] == b"fLaC" else _ogg_comments(data)
        return next((comments[key] for key in _VORBIS_TEXT_KEYS if comments.get(key)), None)
    if data[:3] == b"ID3":
        frames = _id3_frames(data)
        for frame_id in (b"USLT", b"COMM"):
            if frames.get(frame_id):
                return frames[frame_id]
    return None


def _riff_chunks(data: bytes, start: int, stop: int) -> list[tuple[bytes, bytes]]:
    chunks = []
    pos = start
    while pos + 8 <= stop:
        kind = data[pos : pos + 4]
        (size,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        body = data[pos + 8 : min(stop, pos + 8 + size)]
        chunks.append((kind, body))
        pos += 8 + size + (size & 1)  # chunks are word-aligned
    return chunks


def _wav_duration(data: bytes) -> float:
    chunks = dict(_riff_chunks(data, 12, len(data)))
    fmt, samples = chunks.get(b"fmt "), chunks.get(b"data")
    if fmt is None or len(fmt) < 16 or samples is None:
        raise ValueError("WAV file has no readable fmt and data chunks")
    channels, rate, block_align = (int(v) for v in struct.unpack("<2xHI4xH", fmt[:14]))
    if rate == 0 or block_align == 0 or channels == 0:
        raise ValueError("WAV fmt chunk has a zero sample rate, channel count or block size")
    return (len(samples) // block_align) / rate


def _riff_info(data: bytes) -> dict[bytes, str]:
    for kind, body in _riff_chunks(data, 12, len(data)):
        if kind == b"LIST" and body[:4] == b"INFO":
            return {
                sub: text.rstrip(b"\x00").decode("utf-8", "replace").strip()
                for sub, text in _riff_chunks(body, 4, len(body))
            }
    return {}


def _flac_duration(data: bytes) -> tuple[float, bool]:
    # STREAMINFO is always the first metadata block: 18 bytes in, 20 bits of sample rate,
    # 3 of channels, 5 of bits per sample and 36 of total samples.
    if len(data) < 8 + 34 or data[4] & 0x7F != 0:
        raise ValueError("FLAC file has no STREAMINFO block")
    packed = int.from_bytes(data[8 + 10 : 8 + 18], "big")
    rate = packed >> 44
    total = packed & ((1 << 36) - 1)
    if rate == 0:
        raise ValueError("FLAC STREAMINFO has a zero sample rate")
    if total == 0:
        return len(data) * 8 / _TYPICAL_BITRATE["flac"], False
    return total / rate, True


def _id3_size(data: bytes) -> int:
    if data[:3] != b"ID3" or len(data) < 10:
        return 0
    return 10 + _syncsafe(data[6:10])


def _syncsafe(raw: bytes) -> int:
    return (raw[0] << 21) | (raw[1] << 14) | (raw[2] << 7) | raw[3]


def _mp3_bitrate(data: bytes) -> int:
    pos = _id3_size(data)
    end = min(len(data) - 4, pos + 64 * 1024)
    while pos < end:
        if data[pos] == 0xFF and data[pos + 1] & 0xE0 == 0xE0:
            version = (data[pos + 1] >> 3) & 0x03  # 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
            index = data[pos + 2] >> 4
            if version != 1 and 0 < index < 15:
                table = _MP3_BITRATES_V1 if version == 3 else _MP3_BITRATES_V2
                return table[index] * 1000
        pos += 1
    return 0


def _id3_frames(data: bytes) -> dict[bytes, str]:
    major = data[3]
    end = _id3_size(data)
    pos = 10
    frames: dict[bytes, str] = {}
    while pos + 10 <= end:
        frame_id = data[pos : pos + 4]
        if not frame_id.strip(b"\x00"):
            break  # padding
        raw_size = data[pos + 4 : pos + 8]
        size = _syncsafe(raw_size) if major >= 4 else int.from_bytes(raw_size, "big")
        body = data[pos + 10 : pos + 10 + size]
        if frame_id in (b"USLT", b"COMM") and frame_id not in frames and len(body) > 4:
            frames[frame_id] = _id3_text_after_description(body)
        pos += 10 + size
    return frames


def _id3_text_after_description(body: bytes) -> str:
    # USLT and COMM share a layout: encoding byte, 3-byte language, description, NUL, text.
    encoding, rest = body[0], body[4:]
    codec, nul = {0: ("latin-1", b"\x00"), 1: ("utf-16", b"\x00\x00"), 2: ("utf-16-be", b"\x00\x00")}.get(
        encoding, ("utf-8", b"\x00")
    )
    split = _find_terminator(rest, nul)
    text = rest[split + len(nul) :] if split >= 0 else rest
    return text.decode(codec, "replace").rstrip("\x00").strip()


def _find_terminator(raw: bytes, nul: bytes) -> int:
    step = len(nul)
    for i in range(0, len(raw) - step + 1, step):
        if raw[i : i + step] == nul:
            return i
    return -1


def _opus_duration(data: bytes) -> float:
    # The last page's granule position counts every decoded sample, including the encoder's pre-skip.
    last = data.rfind(b"OggS")
    if last < 0 or len(data) < last + 14 or len(data) < 40:
        raise ValueError("Ogg Opus file has no readable pages")
    granule = int.from_bytes(data[last + 6 : last + 14], "little", signed=True)
    pre_skip = int.from_bytes(data[38:40], "little")
    return max(0, granule - pre_skip) / _OPUS_RATE


def _flac_comments(data: bytes) -> dict[str, str]:
    pos = 4
    while pos + 4 <= len(data):
        header = data[pos]
        size = int.from_bytes(data[pos + 1 : pos + 4], "big")
        if header & 0x7F == 4:  # VORBIS_COMMENT
            return _vorbis_comments(data[pos + 4 : pos + 4 + size])
        if header & 0x80:  # the last metadata block
            break
        pos += 4 + size
    return {}


def _ogg_comments(data: bytes) -> dict[str, str]:
    """The comment header: the second packet of the first logical stream (`OpusTags` or Vorbis's type 3)."""
    packets: list[bytes] = []
    current = b""
    pos = 0
    while len(packets) < 2 and data[pos : pos + 4] == b"OggS" and pos + 27 <= len(data):
        count = data[pos + 26]
        lacing = data[pos + 27 : pos + 27 + count]
        body = pos + 27 + count
        for value in lacing:
            current += data[body : body + value]
            body += value
            if value < 255:  # a lacing value below 255 ends a packet
                packets.append(current)
                current = b""
        pos = body
    if len(packets) < 2:
        return {}
    packet = packets[1]
    for magic in (b"OpusTags", b"\x03vorbis"):
        if packet.startswith(magic):
            return _vorbis_comments(packet[len(magic) :])
    return {}


def _vorbis_comments(block: bytes) -> dict[str, str]:
    """Little-endian length-prefixed vendor string, count, then `KEY=value` entries (keys case-insensitive)."""
    comments: dict[str, str] = {}
    try:
        (vendor_length,) = struct.unpack_from("<I", block, 0)
        pos = 4 + vendor_length
        (count,) = struct.unpack_from("<I", block, pos)
        pos += 4
        for _ in range(count):
            (length,) = struct.unpack_from("<I", block, pos)
            key, _, value = block[pos + 4 : pos + 4 + length].decode("utf-8", "replace").partition("=")
            comments.setdefault(key.upper(), value.strip())
            pos += 4 + length
    except struct.error:  # a truncated block: keep what was read
        pass
    return comments
