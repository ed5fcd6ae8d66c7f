"""Tests for mockai.engine.transcript: segments and words tiling the duration, and the five output formats."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockai.engine.transcript import build_transcript, detect_language, format_transcript

SAMPLE = (
    "Imagine the wildest idea that you've ever had. You're curious about how it might scale. "
    "This is a place where you can get to do that."
)


def encode(text: str) -> list[int]:
    return [len(word) for word in text.split()]


@pytest.mark.parametrize(
    ("text", "language"),
    [("Hello", "english"), ("你好", "chinese"), ("こんにちは", "japanese"), ("안녕", "korean"), ("Привет", "russian")],
)
def test_language_is_detected_from_the_script(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_segments_tile_the_duration() -> None:
    transcript = build_transcript(SAMPLE, 9.0, language="english", encode=encode)
    segments = transcript.segments
    assert segments[0].start == 0.0 and segments[-1].end == 9.0
    assert all(a.end == b.start for a, b in itertools.pairwise(segments))
    assert [s.id for s in segments] == list(range(len(segments)))
    assert transcript.text == SAMPLE
    assert all(s.text.startswith(" ") for s in segments)
    assert segments[0].tokens == tuple(encode(segments[0].text))


def test_long_audio_segments_have_window_seeks() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(60))
    transcript = build_transcript(text, 120.0, language="english", encode=encode)
    assert all(s.end - s.start <= 30 for s in transcript.segments)
    assert all(s.seek == int(s.start // 30) * 3000 for s in transcript.segments)
    assert any(s.seek > 0 for s in transcript.segments)


def test_json_and_text_formats() -> None:
    transcript = build_transcript(SAMPLE, 9.2, language="english", encode=encode)
    assert format_transcript(transcript, "json") == {"text": SAMPLE, "usage": {"type": "duration", "seconds": 10}}
    assert format_transcript(transcript, "json", task="translate") == {"text": SAMPLE}
    assert format_transcript(transcript, "text") == SAMPLE + "\n"


SRT_BLOCK = re.compile(r"(\d+)\n(\d\d:\d\d:\d\d,\d{3}) --> (\d\d:\d\d:\d\d,\d{3})\n(.+)\n\n")


def test_srt_blocks_parse_and_match_segments() -> None:
    transcript = build_transcript(SAMPLE, 3725.5, language="english", encode=encode)
    srt = format_transcript(transcript, "srt")
    assert isinstance(srt, str)
    blocks = SRT_BLOCK.findall(srt)
    assert "".join(SRT_BLOCK.sub("", srt)) == ""
    assert [int(b[0]) for b in blocks] == list(range(1, len(transcript.segments) + 1))
    assert blocks[0][1] == "00:00:00,000" and blocks[-1][2] == "01:02:05,500"


def test_vtt_has_header_and_cues() -> None:
    transcript = build_transcript(SAMPLE, 4.0, language="english", encode=encode)
    vtt = format_transcript(transcript, "vtt")
    assert isinstance(vtt, str)
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> ")
    cues = re.findall(r"(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})\n(.+)\n\n", vtt)
    assert len(cues) == len(transcript.segments) and cues[-1][1] == "00:00:04.000"


def test_verbose_json_granularities() -> None:
    transcript = build_transcript(SAMPLE, 9.0, language="english", encode=encode, temperature=0.2)
    body = format_transcript(transcript, "verbose_json", granularities=["word", "segment"])
    assert isinstance(body, dict)
    assert (body["task"], body["language"], body["duration"]) == ("transcribe", "english", 9.0)
    assert body["words"][0] == {"word": "Imagine", "start": 0.0, "end": body["words"][1]["start"]}
    assert body["words"][-1]["end"] == 9.0
    segment = body["segments"][0]
    assert set(segment) == {
        "id", "seek", "start", "end", "text", "tokens", "temperature", "avg_logprob", "compression_ratio",
        "no_speech_prob",
    }  # fmt: skip
    assert segment["temperature"] == 0.2 and -1 < segment["avg_logprob"] < 0
    words_only = format_transcript(transcript, "verbose_json", granularities=["word"])
    assert isinstance(words_only, dict) and "segments" not in words_only and "words" in words_only
    default = format_transcript(transcript, "verbose_json")
    assert isinstance(default, dict) and "words" not in default and "segments" in default


def test_chinese_transcripts_have_no_spaces_and_character_words() -> None:
    transcript = build_transcript("我出门没带钱包。怎么买饭呢?", 3.0, language="chinese", encode=encode)
    assert transcript.text == "我出门没带钱包。怎么买饭呢?"
    assert [w.word for w in transcript.words][:3] == ["我", "出", "门"]


def test_unknown_format_is_refused() -> None:
    transcript = build_transcript("Hi.", 1.0, language="english", encode=encode)
    with pytest.raises(ValueError, match="response_format='xml'"):
        format_transcript(transcript, "xml")


@given(
    words=st.lists(st.sampled_from(["alpha", "beta.", "gamma!", "delta?", "epsilon", "雨", "伞。"]), min_size=1),
    duration=st.floats(0.1, 7200.0),
)
def test_times_are_monotonic_and_inside_the_duration(words: list[str], duration: float) -> None:
    transcript = build_transcript(" ".join(words), duration, language="english", encode=encode)
    bounds = [(s.start, s.end) for s in transcript.segments]
    assert bounds[0][0] == 0.0 and bounds[-1][1] == round(duration, 2)
    assert all(start <= end for start, end in bounds)
    assert all(a[1] <= b[0] + 1e-9 for a, b in itertools.pairwise(bounds))
    assert all(0.0 <= w.start <= w.end <= round(duration, 2) for w in transcript.words)
