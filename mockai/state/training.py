"""Fitting a fine-tune: the `Trainer` protocol the job service depends on, and the token-model trainer behind it.

`TokenModelTrainer` really fits: each step measures the current model on the batch it is about to learn from,
then the model is re-adapted on everything seen so far. Losses therefore start at the base model's level and fall
once the examples have been seen, and the final adapted model is the one `/v1/completions` and chat serve.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mockai.state.fine_tunes import MetricsRow, TrainingReport
from mockai.state.jsonl import DataFormat

if TYPE_CHECKING:
    from mockai.engine.token_model import TokenModel

#: At most this many examples of a batch are scored per step, so a large file still trains in seconds.
SCORED_PER_STEP = 4
#: The overlay is rebuilt at most this many times during the first epoch (each rebuild costs one adaptation).
REFITS = 16


@dataclass(frozen=True)
class TrainingRequest:
    encoding: str
    data_format: DataFormat
    examples: tuple[Mapping[str, Any], ...]
    n_epochs: int
    batch_size: int
    seed: int


class Trainer(Protocol):
    """What the job service needs from a trainer (tests use a small fake; the server uses the token model)."""

    def fit(self, request: TrainingRequest) -> TrainingReport: ...

    def adapt(self, encoding: str, data_format: DataFormat, examples: Sequence[Mapping[str, Any]]) -> TokenModel: ...


class TokenModelTrainer:
    """Fits the engine's token model (the corpus model of the base model's encoding) on training examples.

    `cache_dir` is where the corpus models are kept between processes (`Settings.cache_dir`).
    """

    def __init__(self, cache_dir: Path | None = None) -> None:
        self.cache_dir = cache_dir

    def fit(self, request: TrainingRequest) -> TrainingReport:
        from mockai.engine.token_model import corpus_model

        base = corpus_model(request.encoding, cache_dir=self.cache_dir)
        docs = training_documents(request.encoding, request.data_format, request.examples)
        rng = random.Random(f"fit:{request.seed}")
        steps_per_epoch = math.ceil(len(docs) / request.batch_size)
        refit_every = max(1, math.ceil(len(docs) / REFITS))
        model, seen, since_refit = base, set[int](), 0
        rows: list[MetricsRow] = []
        tokens = examples = 0
        for _ in range(request.n_epochs):
            order = list(range(len(docs)))
            rng.shuffle(order)
            for start in range(0, len(order), request.batch_size):
                batch = order[start : start + request.batch_size]
                scored = [docs[i] for i in batch[:SCORED_PER_STEP]]
                tokens += sum(len(docs[i]) for i in batch)
                examples += len(batch)
                rows.append(_row(len(rows) + 1, tokens, examples, model, scored))
                fresh = [i for i in batch if i not in seen]
                seen.update(fresh)
                since_refit += len(fresh)
                if fresh and (since_refit >= refit_every or len(seen) == len(docs)):
                    model, since_refit = base.adapted([docs[i] for i in sorted(seen)]), 0
        return TrainingReport(tokens, steps_per_epoch, tuple(rows))

    def adapt(self, encoding: str, data_format: DataFormat, examples: Sequence[Mapping[str, Any]]) -> TokenModel:
        from mockai.engine.token_model import corpus_model

        base = corpus_model(encoding, cache_dir=self.cache_dir)
        return base.adapted(training_documents(encoding, data_format, examples))


def training_documents(
    encoding_name: str, data_format: DataFormat, examples: Iterable[Mapping[str, Any]]
) -> list[list[int]]:
    """Token documents the way inference will see them: the prompt's ids, the answer's ids, the end token.

    Prompt and answer are encoded apart because at inference the prompt arrives alone and the model continues
    from its last token; encoding them together could merge tokens across the seam.
    """
    from mockai.engine.chat_format import render_chat_prompt
    from mockai.engine.tokenizer import get_encoding

    encoding = get_encoding(encoding_name)
    end = encoding.eot_token

    def encode(text: str) -> list[int]:
        return encoding.encode(text, disallowed_special=())

    docs: list[list[int]] = []
    for example in examples:
        if data_format is DataFormat.PROMPT_COMPLETION:
            docs.append(encode(example["prompt"]) + encode(example["completion"]) + [end])
            continue
        messages = example["messages"]
        for index, message in enumerate(messages):
            if message["role"] == "assistant" and isinstance(message.get("content"), str):
                prompt = render_chat_prompt(messages[:index])
                docs.append(encode(prompt) + encode(message["content"]) + [end])
    # A document of one token has nothing to predict (an empty prompt and completion): it teaches nothing.
    return [doc for doc in docs if len(doc) >= 2]


def _row(step: int, tokens: int, examples: int, model: TokenModel, scored: Sequence[Sequence[int]]) -> MetricsRow:
    losses, accuracies, weights = [], [], []
    for doc in scored:
        loss, accuracy = model.evaluate([doc])
        losses.append(loss)
        accuracies.append(accuracy)
        weights.append(max(1, len(doc) - 1))
    total = sum(weights)
    return MetricsRow(
        step=step,
        elapsed_tokens=tokens,
        elapsed_examples=examples,
        training_loss=sum(x * w for x, w in zip(losses, weights, strict=True)) / total,
        training_sequence_accuracy=sum(a >= 1.0 for a in accuracies) / len(accuracies),
        training_token_accuracy=sum(a * w for a, w in zip(accuracies, weights, strict=True)) / total,
    )
