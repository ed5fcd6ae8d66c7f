"""Speech synthesis for `/v1/audio/speech`: text to 16-bit mono PCM at 24 kHz, deterministically.

Not a vocoder: each letter becomes a short harmonic tone at the voice's pitch (vowels shaped by their first two
formants, consonants quieter and brighter), words are separated by short silences and punctuation by longer ones.
What a test can rely on is what the real voices share: the length follows the text (about 2.5 words a second at
speed 1, 4 a second for Chinese characters), `speed` scales it, and each voice sounds different. The same text,
voice, speed and instructions always give the same samples.
"""

from __future__ import annotations

import math
import re
from array import array
from dataclasses import dataclass

__all__ = ["SAMPLE_RATE", "Delivery", "delivery_for", "synthesize"]

SAMPLE_RATE = 24_000  # the real API's PCM and WAV rate

# Fundamental frequency (Hz) per built-in voice: lower for the voices the docs call deep, higher for the bright ones.
_PITCH = {
    "alloy": 165.0,
    "ash": 118.0,
    "ballad": 128.0,
    "cedar": 112.0,
    "coral": 205.0,
    "echo": 124.0,
    "fable": 150.0,
    "marin": 195.0,
    "nova": 215.0,
    "onyx": 98.0,
    "sage": 185.0,
    "shimmer": 225.0,
    "verse": 140.0,
}
# First and second formants (Hz) of each written vowel, after Peterson & Barney's averages.
_FORMANTS = {
    "a": (730.0, 1090.0),
    "e": (530.0, 1840.0),
    "i": (270.0, 2290.0),
    "o": (570.0, 840.0),
    "u": (300.0, 870.0),
    "y": (390.0, 1990.0),
}
_CONSONANT = (450.0, 2600.0)  # a flat, bright spectrum: quieter than vowels and easy to tell apart from them
_HARMONICS = 12
_LETTER_SECONDS = 0.075  # an average English word (4.7 letters) plus its gap lasts 0.4 s: 2.5 words a second
_CJK_SECONDS = 0.25  # 4 characters a second
_WORD_GAP_SECONDS = 0.05
_PAUSE_SECONDS = {",": 0.18, ";": 0.25, ":": 0.25, ".": 0.4, "!": 0.4, "?": 0.4, "\u3002": 0.4, "\uff0c": 0.18}
_FADE_SAMPLES = 96  # 4 ms ramps: no clicks between letters
_PEAK = 9000  # of 32767: headroom for the harmonics' sum
_TOKENS = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_]+|[^\w\s]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Words in `instructions` that change the delivery, as a speaker would read them: (tempo, pitch) factors.
_INSTRUCTED = {
    "slow": (0.8, 1.0),
    "slowly": (0.8, 1.0),
    "calm": (0.9, 0.92),
    "fast": (1.2, 1.0),
    "quickly": (1.2, 1.0),
    "excited": (1.1, 1.15),
    "cheerful": (1.05, 1.1),
    "high": (1.0, 1.15),
    "deep": (1.0, 0.85),
    "low": (1.0, 0.88),
    "whisper": (0.9, 0.9),
}


@dataclass(frozen=True, slots=True)
class Delivery:
    """How the text is spoken: base pitch (Hz) and tempo (1 = 2.5 words a second)."""

    pitch: float
    tempo: float


def delivery_for(voice: str, *, speed: float, instructions: str = "") -> Delivery:
    """The delivery of a built-in voice, or of a custom voice id (its pitch drawn from the id), at `speed`, with the
    tempo and pitch words of `instructions` applied."""
    pitch = _PITCH.get(voice) or 100.0 + sum(voice.encode()) % 130
    tempo = speed
    for word in re.findall(r"[a-z]+", instructions.lower()):
        tempo_factor, pitch_factor = _INSTRUCTED.get(word, (1.0, 1.0))
        tempo, pitch = tempo * tempo_factor, pitch * pitch_factor
    return Delivery(pitch, tempo)


def synthesize(text: str, delivery: Delivery) -> bytes:
    """`text` spoken with `delivery`: signed 16-bit little-endian mono samples at `SAMPLE_RATE`."""
    samples = array("h")
    tables: dict[tuple[int, str], list[int]] = {}
    period = max(2, round(SAMPLE_RATE / delivery.pitch))
    for token in _TOKENS.findall(text):
        if token in _PAUSE_SECONDS or not token[0].isalnum():
            samples.extend(_silence(_PAUSE_SECONDS.get(token, 0.1) / delivery.tempo))
            continue
        chinese = _CJK.match(token) is not None
        seconds = _CJK_SECONDS if chinese else _LETTER_SECONDS
        for letter in token.lower():
            sound = _sound(letter)
            table = tables.get((period, sound)) or tables.setdefault((period, sound), _period_table(period, sound))
            samples.extend(_tone(table, round(SAMPLE_RATE * seconds / delivery.tempo)))
        if not chinese:  # Chinese is written without spaces: its characters follow one another without a gap
            samples.extend(_silence(_WORD_GAP_SECONDS / delivery.tempo))
    return samples.tobytes() if samples else _silence(0.1).tobytes()


def _sound(letter: str) -> str:
    """The vowel a letter is voiced as ("" for a consonant); a Chinese character is a syllable, voiced open."""
    if letter in _FORMANTS:
        return letter
    return "a" if _CJK.match(letter) else ""


def _period_table(period: int, vowel: str) -> list[int]:
    """One period of a harmonic tone whose harmonics are weighted by the vowel's formants."""
    first, second = _FORMANTS.get(vowel, _CONSONANT)
    f0 = SAMPLE_RATE / period
    weights = [
        math.exp(-(((k * f0 - first) / 250.0) ** 2)) + 0.6 * math.exp(-(((k * f0 - second) / 350.0) ** 2)) + 0.05
        for k in range(1, _HARMONICS + 1)
    ]
    scale = (_PEAK if vowel else _PEAK * 0.45) / sum(weights)
    return [
        round(scale * sum(w * math.sin(2 * math.pi * k * i / period) for k, w in enumerate(weights, start=1)))
        for i in range(period)
    ]


def _tone(table: list[int], count: int) -> array[int]:
    repeated = (table * (count // len(table) + 1))[:count]
    ramp = min(_FADE_SAMPLES, count // 2)
    for i in range(ramp):
        repeated[i] = repeated[i] * i // ramp
        repeated[count - 1 - i] = repeated[count - 1 - i] * i // ramp
    return array("h", repeated)


def _silence(seconds: float) -> array[int]:
    return array("h", bytes(2 * round(SAMPLE_RATE * seconds)))
