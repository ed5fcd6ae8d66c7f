"""A tiny real language model over token ids: an interpolated n-gram, prompt conditioning and fine-tune overlays.

The base model is an interpolated Witten-Bell n-gram (order 4, `mockai.engine.ngram`) trained on the hand-written
corpus in `fixtures/corpus/`. Two layers sit on top, both cheap enough to build per request:

- `TokenModel.for_prompt(ids)` returns a `PromptedModel` (`mockai.engine.prompting`) that follows the prompt's
  topic and language.
- `TokenModel.adapted(docs)` returns a model with a high-order *overlay* trained on fine-tuning documents that
  dominates wherever it has seen the context, so a fine-tuned model reproduces its training completions.

>>> from mockai.engine.tokenizer import get_encoding
>>> model = corpus_model("cl100k_base")
>>> logits = model.next_token_logits(get_encoding("cl100k_base").encode("If you forgot your"))
>>> max(logits, key=logits.__getitem__) == get_encoding("cl100k_base").encode(" wallet")[0]
True
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable, Iterable, Sequence

from mockai._paths import resource_dir
from mockai.engine.chat_format import ASSISTANT_OPENER, markup_token_ids
from mockai.engine.ngram import NgramTable, Node, candidates, interpolate, interpolate_all
from mockai.engine.prompting import PromptedModel, TopicIndex
from mockai.engine.scripts import NEUTRAL, UNFINISHED, encoding_script
from mockai.engine.tokenizer import get_encoding

__all__ = ["TokenModel", "corpus_model"]

# Candidate-set sizes: the sampler only ever sees these tokens, which keeps one step to tens of microseconds.
NGRAM_CANDIDATES = 36  # continuations of the matched contexts, longest context first
FREQUENT_UNIGRAMS = 8  # so a dead-end context still offers common tokens
OVERLAY_CANDIDATES = 8  # continuations from fine-tuning documents

OVERLAY_ORDER = 8  # long contexts, so a training prompt identifies its own completion
# Weight of the overlay by the length of the longest context it matched: a long match is near-certain evidence.
OVERLAY_WEIGHTS = (0.0, 0.3, 0.6, 0.8, 0.9, 0.95, 0.97, 0.98)

# Memoised results, all pure functions of their keys. Tests and benchmarks repeat requests, and a seeded
# request revisits exactly the same contexts, so these turn most of a repeat into dictionary lookups.
_CACHE_SIZE = 2048  # base distributions per model
_PROMPT_CACHE_SIZE = 16  # prompted models per model


class _Overlay:
    """The fine-tuning overlay: a high-order n-gram over the documents' text with chat markup removed.

    Chat prompts all end in the same marker run ("...<|im_end|>\\n<|im_start|>assistant\\n", ~15 tokens), so
    with markup kept an order-8 context would see only that run and could not tell the prompts apart.
    """

    _LOOKBACK = 64  # raw tokens scanned for the last OVERLAY_ORDER - 1 content tokens

    def __init__(self, documents: tuple[tuple[int, ...], ...], markup: frozenset[int]) -> None:
        self.documents = documents
        self.markup = markup
        content = ([token for token in document if token not in markup] for document in documents)
        self.table = NgramTable.from_documents(content, OVERLAY_ORDER, OVERLAY_CANDIDATES)

    def matched(self, context: Sequence[int]) -> tuple[list[Node], float]:
        """Matched nodes for the context's content and the overlay's mixing weight for them."""
        content = [token for token in context[-self._LOOKBACK :] if token not in self.markup]
        nodes = self.table.matched(content)
        return nodes, OVERLAY_WEIGHTS[min(len(nodes) - 1, len(OVERLAY_WEIGHTS) - 1)] if nodes else 0.0


class TokenModel:
    """An interpolated Witten-Bell n-gram over token ids; build with `TokenModel.train` or `corpus_model`."""

    def __init__(
        self,
        table: NgramTable,
        documents: Sequence[Sequence[int]],
        *,
        end_token: int,
        markup_tokens: frozenset[int],
        overlay: _Overlay | None = None,
        topics: TopicIndex | None = None,
        script: Callable[[int], int] | None = None,
    ) -> None:
        self._table = table
        self._documents = documents
        self.end_token = end_token
        self.order = table.order
        self.markup_tokens = markup_tokens
        vocabulary = max((max(doc) for doc in documents if doc), default=end_token)
        self.floor = 1.0 / (max(vocabulary, end_token) + 1)
        self._overlay = overlay
        self.topics = topics or TopicIndex(documents, markup_tokens | {end_token})
        self._base = functools.lru_cache(maxsize=_CACHE_SIZE)(self._base_distribution)
        self._prompted = functools.lru_cache(maxsize=_PROMPT_CACHE_SIZE)(self._build_prompted)
        self._script_of = script
        # Filled for every corpus and overlay token up front, so the per-step lookup is a plain dict.get.
        self.scripts: dict[int, int] = {}
        for document in (*documents, *(overlay.documents if overlay else ())):
            for token in document:
                self.script(token)

    def unfinished(self, context: Sequence[int]) -> bool:
        """Whether the context ends inside a UTF-8 character (as far as the script classifier knows)."""
        return bool(context) and self.scripts.get(context[-1]) == UNFINISHED

    def script(self, token: int) -> int:
        """NEUTRAL, LATIN, NON_ASCII or UNFINISHED (NEUTRAL for all when trained without a classifier)."""
        found = self.scripts.get(token)
        if found is None:
            found = self._script_of(token) if self._script_of is not None else NEUTRAL
            self.scripts[token] = found
        return found

    @classmethod
    def train(
        cls,
        documents: Iterable[Sequence[int]],
        *,
        end_token: int,
        order: int = 4,
        markup_tokens: Iterable[int] = (),
        script: Callable[[int], int] | None = None,
    ) -> TokenModel:
        """Train on documents (token lists, each ending in `end_token`).

        `markup_tokens` are prompt-formatting tokens (chat markers): counted as context, never proposed as
        output, and left out of prompt conditioning. `script` classifies a token as NEUTRAL, LATIN or NON_ASCII
        (see `encoding_script`), so prompted replies keep to the prompt's script.
        """
        if order < 1:
            raise ValueError(f"{order=} must be at least 1")
        docs = [tuple(doc) for doc in documents]
        return cls(
            NgramTable.from_documents(docs, order, NGRAM_CANDIDATES),
            docs,
            end_token=end_token,
            markup_tokens=frozenset(markup_tokens),
            script=script,
        )

    def _base_distribution(self, suffix: tuple[int, ...]) -> tuple[list[Node], dict[int, float]]:
        nodes = self._table.matched(suffix)
        frequent = 0 if self.unfinished(suffix) and len(nodes) > 1 else FREQUENT_UNIGRAMS
        chosen = candidates(nodes, NGRAM_CANDIDATES, self.markup_tokens, frequent)
        return nodes, dict(zip(chosen, interpolate_all(nodes, list(chosen), self.floor), strict=True))

    def base_distribution(self, context: Sequence[int]) -> tuple[list[Node], dict[int, float]]:
        """The n-gram's matched nodes and candidate probabilities (shared: do not mutate)."""
        return self._base(tuple(context[len(context) - self.order + 1 :]) if self.order > 1 else ())

    def with_overlay(self, context: Sequence[int], probs: dict[int, float]) -> dict[int, float]:
        """Mix the fine-tuning overlay into candidate probabilities (unchanged when there is none)."""
        if self._overlay is None:
            return probs
        nodes, weight = self._overlay.matched(context)
        if weight == 0.0:
            return probs
        total = sum(probs.values()) or 1.0
        mixed = dict.fromkeys(candidates(nodes, OVERLAY_CANDIDATES, self.markup_tokens), 0.0)
        mixed.update({token: prob / total for token, prob in probs.items()})
        return {
            token: (1.0 - weight) * prob + weight * interpolate(nodes, token, self.floor)
            for token, prob in mixed.items()
        }

    def next_token_logits(self, context: Sequence[int]) -> dict[int, float]:
        """Natural-log scores over a small candidate set (the sampler normalises them)."""
        _, probs = self.base_distribution(context)
        mixed = self.with_overlay(context, dict(probs))
        return dict(zip(mixed, map(math.log, mixed.values()), strict=True))

    def logprob(self, token: int, context: Sequence[int]) -> float:
        """Log-probability of `token` after `context` over the whole vocabulary (base n-gram plus overlay)."""
        nodes, _ = self.base_distribution(context)
        prob = interpolate(nodes, token, self.floor)
        if self._overlay is not None:
            overlay, weight = self._overlay.matched(context)
            prob = (1.0 - weight) * prob + weight * interpolate(overlay, token, self.floor)
        return math.log(prob)

    def for_prompt(self, prompt_ids: Sequence[int]) -> PromptedModel:
        """This model conditioned on a prompt (see `PromptedModel`); recent prompts are reused."""
        return self._prompted(tuple(prompt_ids))

    def _build_prompted(self, prompt_ids: tuple[int, ...]) -> PromptedModel:
        return PromptedModel(self, prompt_ids)

    @property
    def context_span(self) -> int:
        """How many trailing context tokens can change `next_token_logits` (for memo keys)."""
        return _Overlay._LOOKBACK if self._overlay is not None else max(self.order - 1, 2)

    def adapted(self, documents: Iterable[Sequence[int]]) -> TokenModel:
        """A copy that strongly prefers `documents` (e.g. fine-tuning examples: prompt ids + completion ids).

        The documents feed a high-order overlay (order 8, over their text without chat markup) that dominates
        wherever it matches a long context, so at temperature 0 a training prompt is followed by (most of) its
        training completion. Documents accumulate: adapting an adapted model keeps the earlier ones.
        """
        known = self._overlay.documents if self._overlay is not None else ()
        overlay = _Overlay(known + tuple(tuple(doc) for doc in documents), self.markup_tokens)
        return TokenModel(
            self._table,
            self._documents,
            end_token=self.end_token,
            markup_tokens=self.markup_tokens,
            overlay=overlay,
            topics=self.topics,
            script=self._script_of,
        )

    def evaluate(self, documents: Sequence[Sequence[int]]) -> tuple[float, float]:
        """Return (mean negative log-likelihood per token, fraction of tokens that are the argmax prediction).

        Every token after a document's first (except chat markup) is predicted from the tokens before it in the
        same document; the likelihood is over the whole vocabulary (`logprob`), the argmax over the candidates
        of `next_token_logits`.
        This is what a fine-tuning job reports as training loss and token accuracy.
        """
        window = _Overlay._LOOKBACK if self._overlay is not None else self.order
        nll, hits, count = 0.0, 0, 0
        for document in documents:
            for position in range(1, len(document)):
                if document[position] in self.markup_tokens:
                    continue  # formatting the renderer adds; the model never proposes it
                context = document[max(0, position - window) : position]
                logits = self.next_token_logits(context)
                nll -= self.logprob(document[position], context)
                hits += max(logits, key=lambda token: (logits[token], -token)) == document[position]
                count += 1
        if count == 0:
            raise ValueError("evaluate() needs at least one document with two or more tokens")
        return nll / count, hits / count


def _corpus_documents(encoding_name: str) -> tuple[list[list[int]], int, frozenset[int]]:
    encoding = get_encoding(encoding_name)
    # Each document starts like a chat reply, so a rendered chat prompt's final tokens lead into answer openings.
    opener = encoding.encode(ASSISTANT_OPENER, disallowed_special=())
    end = encoding.eot_token
    documents = []
    for path in sorted((resource_dir("fixtures") / "corpus").glob("*.txt")):
        for paragraph in path.read_text(encoding="utf-8").split("\n\n"):
            if paragraph.strip():
                documents.append(opener + encoding.encode(paragraph.strip(), disallowed_special=()) + [end])
    return documents, end, markup_token_ids(encoding)


class _CorpusModels:
    """One trained corpus model per encoding, built on first use under a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: dict[str, TokenModel] = {}

    def get(self, encoding_name: str) -> TokenModel:
        with self._lock:
            model = self._models.get(encoding_name)
            if model is None:
                documents, end, markup = _corpus_documents(encoding_name)
                script = encoding_script(get_encoding(encoding_name))
                model = TokenModel.train(documents, end_token=end, markup_tokens=markup, script=script)
                self._models[encoding_name] = model
            return model


_CORPUS_MODELS = _CorpusModels()


def corpus_model(encoding_name: str) -> TokenModel:
    """The model trained on `fixtures/corpus/*.txt` encoded with `encoding_name` (cached per encoding)."""
    return _CORPUS_MODELS.get(encoding_name)
