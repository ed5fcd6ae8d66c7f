"""Generated multipart bodies become real forms with valid sample files, and the report names uploads by file."""

from __future__ import annotations

import io
import json
import wave

from mockai.contract import forms, samples
from mockai.contract.operations import OPERATIONS
from mockai.engine.png import read_png


def test_a_form_carries_fields_lists_and_the_sample_file() -> None:
    body, content_type = forms.encode(
        OPERATIONS["createTranscription"],
        {"file": "placeholder", "model": "whisper-1", "temperature": 0.5, "timestamp_granularities": ["word"]},
    )
    assert content_type == "multipart/form-data; boundary=mockai-contract-boundary-7d1f"
    assert b'name="model"\r\n\r\nwhisper-1\r\n' in body
    assert b'name="temperature"\r\n\r\n0.5\r\n' in body
    assert b'name="timestamp_granularities[]"\r\n\r\nword\r\n' in body
    assert b'name="file"; filename="speech.wav"\r\nContent-Type: audio/wav\r\n\r\nRIFF' in body
    assert body.endswith(b"--mockai-contract-boundary-7d1f--\r\n")


def test_a_form_without_its_file_is_still_multipart() -> None:
    body, content_type = forms.encode(OPERATIONS["createImageEdit"], {"prompt": "otter", "n": 1})
    assert content_type.startswith("multipart/form-data")
    assert b"filename=" not in body and b'name="n"\r\n\r\n1\r\n' in body


def test_reports_show_uploads_by_name() -> None:
    shown = forms.summary(OPERATIONS["createFile"], {"file": "placeholder", "purpose": "fine-tune"})
    assert shown == {"file": "<contract.jsonl>", "purpose": "fine-tune"}


def test_the_sample_png_is_a_square_rgba_image() -> None:
    image = read_png(samples.square_png(32))
    assert (image.width, image.height, image.mode) == (32, 32, "RGBA")


def test_the_sample_wav_lasts_as_long_as_asked() -> None:
    with wave.open(io.BytesIO(samples.tone_wav(seconds=0.5, rate=8000))) as reader:
        assert reader.getnframes() == 4000 and reader.getframerate() == 8000


def test_training_data_comes_in_both_formats() -> None:
    chat = [json.loads(line) for line in samples.training_jsonl(chat=True, examples=3).splitlines()]
    legacy = [json.loads(line) for line in samples.training_jsonl(chat=False, examples=3).splitlines()]
    assert [line["messages"][0]["role"] for line in chat] == ["user"] * 3
    assert set(legacy[0]) == {"prompt", "completion"}
