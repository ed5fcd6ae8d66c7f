"""Small valid files for multipart requests (a square RGBA PNG, a short WAV tone, fine-tuning JSONL) and fixed
requests for the usage checks.

Made with the standard library at call time, so the contract kit ships no binary fixtures and any server that
decodes uploads (as the real API does) gets files it must accept.
"""

from __future__ import annotations

import copy
import io
import json
import math
import struct
import wave
import zlib


def square_png(side: int = 32) -> bytes:
    """An RGBA PNG, `side` pixels square, opaque but for a transparent centre (what an edit without mask needs)."""
    rows = bytearray()
    for y in range(side):
        rows.append(0)  # filter type 0 for every row
        for x in range(side):
            inside = side // 4 <= x < 3 * side // 4 and side // 4 <= y < 3 * side // 4
            rows += bytes((40 + 6 * x % 200, 90, 160 + 3 * y % 90, 0 if inside else 255))
    header = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows)))
        + _chunk(b"IEND", b"")
    )


def tone_wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A mono 16-bit WAV of a 440 Hz tone lasting `seconds`."""
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate))) for n in range(int(seconds * rate))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(frames)
    return buffer.getvalue()


def training_jsonl(*, chat: bool, examples: int = 10) -> bytes:
    """Fine-tuning data in the chat format (modern jobs) or the prompt/completion format (legacy fine-tunes).

    >>> training_jsonl(chat=False, examples=1)
    b'{"prompt": "Question 0 ->", "completion": " Answer 0."}\\n'
    """
    lines = []
    for number in range(examples):
        if chat:
            messages = [
                {"role": "user", "content": f"Question {number}?"},
                {"role": "assistant", "content": f"Answer {number}."},
            ]
            lines.append(json.dumps({"messages": messages}))
        else:
            lines.append(json.dumps({"prompt": f"Question {number} ->", "completion": f" Answer {number}."}))
    return ("\n".join(lines) + "\n").encode()


def batch_jsonl(*, requests: int = 2) -> bytes:
    """Batch input: small chat requests, each with its own `custom_id`.

    >>> batch_jsonl(requests=1).count(b"custom_id")
    1
    """
    lines = [
        json.dumps(
            {
                "custom_id": f"request-{number}",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 5},
            }
        )
        for number in range(requests)
    ]
    return ("\n".join(lines) + "\n").encode()


# The API reference's own first examples, held to one token each, so every run exercises the usage checks with a
# max_tokens the answer can visibly overrun, whatever the generated requests happen to contain.
_USAGE_PROBES: dict[str, list[dict[str, object]]] = {
    "createChatCompletion": [
        {"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "Say this is a test!"}], "max_tokens": 1},
        {"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "Hello!"}], "max_tokens": 1, "n": 2},
    ],
    "createCompletion": [{"model": "gpt-3.5-turbo-instruct", "prompt": "Say this is a test", "max_tokens": 1}],
    # Long enough to stream several text deltas, so the event checks see a real join.
    "createResponse": [{"model": "gpt-4o-mini", "input": "Tell me a three sentence bedtime story about a unicorn."}],
}


def usage_probes(operation_id: str) -> list[dict[str, object]]:
    """Fixed, simple requests whose usage the contract checks (prompt count, arithmetic, max_tokens).

    >>> usage_probes("createCompletion")[0]["max_tokens"]
    1
    """
    return copy.deepcopy(_USAGE_PROBES.get(operation_id, []))  # a fresh copy the caller may change


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
