"""Text for audio nobody scripted: token-model prose whose length follows the audio's duration."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

import tiktoken

from mockai.engine.generate import GenerationRun
from mockai.engine.sampler import SamplingParams
from mockai.engine.token_model import TokenModel
from mockai.engine.transcript import SPEECH_RATE

__all__ = ["PRIMERS", "speech_text"]

#: What the model is prompted with when the request gives no `prompt`: it steers the language.
PRIMERS = {"chinese": "请把这段录音的内容写下来。", "english": "Please write down what is said in this recording."}
# Sampling a little below temperature 1 keeps the prose readable; greedy decoding would loop.
_PARAMS = SamplingParams(temperature=0.8, top_p=0.95, frequency_penalty=0.3)
_MAX_RUNS = 64
_SPACE = re.compile(r"\s+")
_TRAILING = re.compile(r"[-,;:\s\u3001\uff0c\uff1a\uff1b]+$")
_MARKUP = re.compile(r"^[-*#>\d.,;:!?\s\u3000-\u303f\uff01-\uff1f]+|[*#`|]")


def speech_text(
    model: TokenModel,
    encoding: tiktoken.Encoding,
    duration: float,
    *,
    chinese: bool,
    rng: random.Random,
    prompt: str = "",
) -> str:
    """About 2.5 words (or 4 Chinese characters) per second of audio, ending on a full stop.

    Replies are generated one after another, each prompted with the primer (or the request's
    `prompt`) plus the text so far, until the target length is reached; the last one is cut at
    the target.  The same ``rng`` state gives the same text.
    """
    unit = "chars" if chinese else "words"
    target = max(1, round(SPEECH_RATE[unit] * duration))
    primer = prompt or PRIMERS["chinese" if chinese else "english"]
    pieces: list[str] = []
    for _ in range(_MAX_RUNS):
        if _length(pieces, chinese) >= target:
            break
        context = primer + " " + " ".join(pieces[-3:])
        prompt_ids = encoding.encode(context, disallowed_special=())
        budget = 2 * (target - _length(pieces, chinese)) + 8
        prompted = model.for_prompt(prompt_ids, grounded=False)
        run = GenerationRun(
            prompted, prompt_ids, _PARAMS, rng, encoding=encoding, max_tokens=budget, end_token=model.end_token
        )
        text = _clean("".join(step.text for step in run))
        if text:
            pieces.append(text)
    return _cut(pieces, target, chinese)


def _clean(text: str) -> str:
    lines = (_MARKUP.sub("", line).strip() for line in text.splitlines())
    return _SPACE.sub(" ", " ".join(line for line in lines if line)).strip()


def _length(pieces: Sequence[str], chinese: bool) -> int:
    if chinese:
        return sum(len(p.replace(" ", "")) for p in pieces)
    return sum(len(p.split()) for p in pieces)


def _cut(pieces: Sequence[str], target: int, chinese: bool) -> str:
    if chinese:
        text = "".join(p.replace(" ", "") for p in pieces)[:target]
        text = _TRAILING.sub("", text)
        return text if text.endswith(("。", "!", "?")) else text + "。"
    words = " ".join(pieces).split()[:target]
    text = _TRAILING.sub("", " ".join(words))
    if not text:
        return "."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
