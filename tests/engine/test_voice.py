"""Speech synthesis and encoding: the length follows the text, delivery and voice change the sound, and any text
comes back out of every tagged container."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockai.engine.audio import audio_duration, embedded_transcript
from mockai.engine.audio_encoding import encode_speech
from mockai.engine.voice import SAMPLE_RATE, delivery_for, synthesize

SENTENCE = "The quick brown fox jumps over the lazy dog."


def seconds(pcm: bytes) -> float:
    return len(pcm) / (2 * SAMPLE_RATE)


def test_the_same_text_and_voice_give_the_same_samples() -> None:
    alloy = delivery_for("alloy", speed=1.0)
    assert synthesize(SENTENCE, alloy) == synthesize(SENTENCE, alloy)
    assert synthesize(SENTENCE, alloy) != synthesize(SENTENCE, delivery_for("onyx", speed=1.0))


def test_chinese_is_spoken_at_four_characters_a_second() -> None:
    assert seconds(synthesize("今天天气很好我们去公园散步吧", delivery_for("nova", speed=1.0))) == pytest.approx(
        14 / 4, rel=0.1
    )


@pytest.mark.parametrize(
    ("instructions", "longer"),
    [("Speak slowly and calmly.", True), ("Read it fast, you are excited!", False)],
    ids=["slow-words-stretch", "fast-words-shorten"],
)
def test_tempo_words_in_instructions_change_the_length(instructions: str, longer: bool) -> None:
    plain = seconds(synthesize(SENTENCE, delivery_for("sage", speed=1.0)))
    instructed = seconds(synthesize(SENTENCE, delivery_for("sage", speed=1.0, instructions=instructions)))
    assert (instructed > plain) is longer


def test_a_custom_voice_has_a_pitch_of_its_own() -> None:
    assert delivery_for("voice_1234", speed=1.0).pitch != delivery_for("voice_5678", speed=1.0).pitch


def test_ogg_opus_duration_is_read_exactly() -> None:
    pcm = synthesize(SENTENCE, delivery_for("echo", speed=1.0))
    duration, exact = audio_duration(encode_speech(pcm, "opus", SENTENCE), "speech.ogg")
    assert exact and duration == pytest.approx(seconds(pcm), abs=0.03)


spoken_text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=80).filter(
    lambda text: text.strip() == text
)


@settings(max_examples=10)
@given(text=spoken_text, response_format=st.sampled_from(["wav", "mp3", "aac", "flac", "opus"]))
def test_any_text_comes_back_out_of_its_file(text: str, response_format: str) -> None:
    pcm = synthesize("a", delivery_for("alloy", speed=4.0))  # the tag does not depend on the samples
    assert embedded_transcript(encode_speech(pcm, response_format, text)) == text
