"""Transcripts: sentence segments and words tiling the audio's duration, in json, text, srt, vtt or verbose_json."""

from __future__ import annotations

import hashlib
import math
import re
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
    "build_transcript",
    "detect_language",
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
