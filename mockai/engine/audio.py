"""Audio facts and transcript shapes: duration, embedded transcripts, segments, and the five output formats."""

from __future__ import annotations

import hashlib
import math
import re
import struct
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "SPEECH_RATE",
    "WHISPER_LANGUAGES",
    "Segment",
    "Transcript",
    "Word",
    "audio_duration",
    "build_transcript",
    "detect_language",
    "embedded_transcript",
    "format_transcript",
]

# The language codes whisper accepts (ISO-639-1, plus its own "haw" and "yue") and the names verbose_json reports.
WHISPER_LANGUAGES: dict[str, str] = {
    "en": "english",
    "zh": "chinese",
    "de": "german",
    "es": "spanish",
    "ru": "russian",
    "ko": "korean",
    "fr": "french",
    "ja": "japanese",
    "pt": "portuguese",
    "tr": "turkish",
    "pl": "polish",
    "ca": "catalan",
    "nl": "dutch",
    "ar": "arabic",
    "sv": "swedish",
    "it": "italian",
    "id": "indonesian",
    "hi": "hindi",
    "fi": "finnish",
    "vi": "vietnamese",
    "he": "hebrew",
    "uk": "ukrainian",
    "el": "greek",
    "ms": "malay",
    "cs": "czech",
    "ro": "romanian",
    "da": "danish",
    "hu": "hungarian",
    "ta": "tamil",
    "no": "norwegian",
    "th": "thai",
    "ur": "urdu",
    "hr": "croatian",
    "bg": "bulgarian",
    "lt": "lithuanian",
    "la": "latin",
    "mi": "maori",
    "ml": "malayalam",
    "cy": "welsh",
    "sk": "slovak",
    "te": "telugu",
    "fa": "persian",
    "lv": "latvian",
    "bn": "bengali",
    "sr": "serbian",
    "az": "azerbaijani",
    "sl": "slovenian",
    "kn": "kannada",
    "et": "estonian",
    "mk": "macedonian",
    "br": "breton",
    "eu": "basque",
    "is": "icelandic",
    "hy": "armenian",
    "ne": "nepali",
    "mn": "mongolian",
    "bs": "bosnian",
    "kk": "kazakh",
    "sq": "albanian",
    "sw": "swahili",
    "gl": "galician",
    "mr": "marathi",
    "pa": "punjabi",
    "si": "sinhala",
    "km": "khmer",
    "sn": "shona",
    "yo": "yoruba",
    "so": "somali",
    "af": "afrikaans",
    "oc": "occitan",
    "ka": "georgian",
    "be": "belarusian",
    "tg": "tajik",
    "sd": "sindhi",
    "gu": "gujarati",
    "am": "amharic",
    "yi": "yiddish",
    "lo": "lao",
    "uz": "uzbek",
    "fo": "faroese",
    "ht": "haitian creole",
    "ps": "pashto",
    "tk": "turkmen",
    "nn": "nynorsk",
    "mt": "maltese",
    "sa": "sanskrit",
    "lb": "luxembourgish",
    "my": "myanmar",
    "bo": "tibetan",
    "tl": "tagalog",
    "mg": "malagasy",
    "as": "assamese",
    "tt": "tatar",
    "haw": "hawaiian",
    "ln": "lingala",
    "ha": "hausa",
    "ba": "bashkir",
    "jw": "javanese",
    "su": "sundanese",
    "yue": "cantonese",
}
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
# Speech rate in "units" per second: words for spaced languages, characters for Chinese and Japanese.
SPEECH_RATE = {"words": 2.5, "chars": 4.0}
# Whisper decodes 30-second windows; `seek` is the window start in 10 ms frames.
_WINDOW_SECONDS = 30
_FRAMES_PER_SECOND = 100
_MAX_SEGMENT_SECONDS = 12.0
_SENTENCE_END = re.compile(r"(?<=[.!?。!?])\s*")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_WORD_PIECE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]|[^\s\u3400-\u4dbf\u4e00-\u9fff]+")
_PUNCTUATION = ".,!?;:\"'()[]。,!?;:、“”‘’()"


@dataclass(frozen=True)
class Word:
    """One word with its time span (verbose_json ``words``)."""

    word: str
    start: float
    end: float


@dataclass(frozen=True)
class Segment:
    """One decoded segment, with the fields verbose_json reports."""

    id: int
    seek: int
    start: float
    end: float
    text: str
    tokens: tuple[int, ...]
    temperature: float
    avg_logprob: float
    compression_ratio: float
    no_speech_prob: float


@dataclass(frozen=True)
class Transcript:
    """A whole transcript: text, language name, duration, and its segments and words."""

    text: str
    language: str
    duration: float
    segments: tuple[Segment, ...]
    words: tuple[Word, ...]


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
    (unsynchronised lyrics) frame, then a ``COMM`` (comment) frame.  Titles (``INAM``, ``TIT2``)
    are deliberately not used: a title names a recording, it does not transcribe it.
    """
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        text = _riff_info(data).get(b"ICMT")
        return text or None
    if data[:3] == b"ID3":
        frames = _id3_frames(data)
        for frame_id in (b"USLT", b"COMM"):
            if frames.get(frame_id):
                return frames[frame_id]
    return None


def detect_language(text: str) -> str:
    """Whisper-style language name guessed from the script the text is written in."""
    if re.search(r"[\u3040-\u30ff]", text):
        return "japanese"
    if re.search(r"[\uac00-\ud7af]", text):
        return "korean"
    if re.search(r"[\u4e00-\u9fff]", text):
        return "chinese"
    if re.search(r"[\u0400-\u04ff]", text):
        return "russian"
    return "english"


def build_transcript(
    text: str,
    duration: float,
    *,
    language: str,
    encode: Callable[[str], Sequence[int]],
    temperature: float = 0.0,
) -> Transcript:
    """Split ``text`` into sentence segments whose times tile ``[0, duration]``.

    Each segment's share of the duration is proportional to its length; words share their
    segment's span the same way.  Scores come from the text itself: the compression ratio
    is whisper's zlib ratio, the log-probability and no-speech figures a hash of the text.
    """
    spaced = not _CJK.search(text)
    pieces = _segment_texts(text.strip(), duration)
    weights = [max(1, len(p)) for p in pieces]
    total = sum(weights)
    segments: list[Segment] = []
    words: list[Word] = []
    elapsed = 0
    for index, piece in enumerate(pieces):
        start = duration * elapsed / total
        elapsed += weights[index]
        end = duration * elapsed / total
        shown = f" {piece}" if spaced else piece
        segments.append(_segment(index, shown, start, end, encode, temperature))
        words.extend(_words(piece, start, end))
    joined = " ".join(pieces) if spaced else "".join(pieces)
    return Transcript(joined, language, round(duration, 2), tuple(segments), tuple(words))


def format_transcript(
    transcript: Transcript,
    response_format: str,
    *,
    task: str = "transcribe",
    granularities: Sequence[str] = ("segment",),
) -> str | dict[str, Any]:
    """Render as json, text, srt, vtt or verbose_json: a dict for the JSON formats, text otherwise."""
    if response_format == "json":
        return _json_body(transcript, task)
    if response_format == "text":
        return transcript.text + "\n"
    if response_format == "srt":
        return "".join(
            f"{n}\n{_clock(s.start, ',')} --> {_clock(s.end, ',')}\n{s.text.strip()}\n\n"
            for n, s in enumerate(transcript.segments, 1)
        )
    if response_format == "vtt":
        cues = "".join(
            f"{_clock(s.start, '.')} --> {_clock(s.end, '.')}\n{s.text.strip()}\n\n" for s in transcript.segments
        )
        return "WEBVTT\n\n" + cues
    if response_format == "verbose_json":
        return _verbose_body(transcript, task, granularities)
    raise ValueError(f"{response_format=} is not one of json, text, srt, vtt, verbose_json")


def _json_body(transcript: Transcript, task: str) -> dict[str, Any]:
    if task == "translate":
        return {"text": transcript.text}
    return {"text": transcript.text, "usage": _usage(transcript)}


def _verbose_body(transcript: Transcript, task: str, granularities: Sequence[str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "task": task,
        "language": transcript.language,
        "duration": transcript.duration,
        "text": transcript.text,
    }
    if "word" in granularities and task == "transcribe":
        body["words"] = [{"word": w.word, "start": w.start, "end": w.end} for w in transcript.words]
    if "segment" in granularities or task == "translate":
        body["segments"] = [_segment_object(s) for s in transcript.segments]
    if task == "transcribe":
        body["usage"] = _usage(transcript)
    return body


def _segment_object(segment: Segment) -> dict[str, Any]:
    return {
        "id": segment.id,
        "seek": segment.seek,
        "start": segment.start,
        "end": segment.end,
        "text": segment.text,
        "tokens": list(segment.tokens),
        "temperature": segment.temperature,
        "avg_logprob": segment.avg_logprob,
        "compression_ratio": segment.compression_ratio,
        "no_speech_prob": segment.no_speech_prob,
    }


def _usage(transcript: Transcript) -> dict[str, Any]:
    # whisper-1 bills whole seconds of audio.
    return {"type": "duration", "seconds": math.ceil(transcript.duration)}


def _segment_texts(text: str, duration: float) -> list[str]:
    """Sentences, short ones merged and long ones split, so no segment runs much over ~12 s."""
    if not text:
        return [""]
    budget = max(8, round(len(text) * _MAX_SEGMENT_SECONDS / duration)) if duration > 0 else len(text)
    pieces: list[str] = []
    for sentence in (s.strip() for s in _SENTENCE_END.split(text)):
        for part in _split_long(sentence, budget):
            if pieces and len(pieces[-1]) + len(part) < budget // 2:
                pieces[-1] = _join(pieces[-1], part)
            else:
                pieces.append(part)
    return pieces or [text]


def _split_long(sentence: str, budget: int) -> list[str]:
    parts: list[str] = []
    for piece in _WORD_PIECE.findall(sentence):
        if parts and len(parts[-1]) + len(piece) < budget:
            parts[-1] = _join(parts[-1], piece)
        else:
            parts.append(piece)
    return parts


def _join(left: str, right: str) -> str:
    # Chinese and Japanese are written without spaces between words or sentences.
    if _CJK.search(left[-1:]) or _CJK.search(right[:1]):
        return left + right
    return f"{left} {right}"


def _segment(
    index: int,
    text: str,
    start: float,
    end: float,
    encode: Callable[[str], Sequence[int]],
    temperature: float,
) -> Segment:
    digest = hashlib.sha256(text.encode()).digest()
    raw = text.encode()
    return Segment(
        id=index,
        seek=int(start // _WINDOW_SECONDS) * _WINDOW_SECONDS * _FRAMES_PER_SECOND,
        start=round(start, 2),
        end=round(end, 2),
        text=text,
        tokens=tuple(encode(text)),
        temperature=temperature,
        avg_logprob=-round(0.1 + 0.35 * digest[0] / 255, 6),
        compression_ratio=round(len(raw) / len(zlib.compress(raw)), 6) if raw else 0.0,
        no_speech_prob=round(0.001 + 0.05 * digest[1] / 255, 6),
    )


def _words(text: str, start: float, end: float) -> list[Word]:
    pieces = [p.strip(_PUNCTUATION) for p in _WORD_PIECE.findall(text)]
    pieces = [p for p in pieces if p]
    total = sum(len(p) for p in pieces)
    out = []
    elapsed = 0
    for piece in pieces:
        left = start + (end - start) * elapsed / total
        elapsed += len(piece)
        right = start + (end - start) * elapsed / total
        out.append(Word(piece, round(left, 2), round(right, 2)))
    return out


def _clock(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


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
