"""A tiny real language model over token ids: an interpolated n-gram, grounding, prompt conditioning, fine-tunes.

The base model is an interpolated Witten-Bell n-gram (order 4, `mockai.engine.ngram`) trained on the answers of the
hand-written question-and-answer corpus in `fixtures/corpus/` (`mockai.engine.corpus`); `fit_corpus_model` builds it
together with everything else derived from the corpus (the retrieval index, `mockai.engine.grounding.Knowledge`), so
one object holds, and a cache of it keeps, the whole fit. Two layers sit on top, both cheap enough to build per
request:

- `TokenModel.for_prompt(ids)` returns a `PromptedModel` (`mockai.engine.prompting`) that answers from the retrieved
  corpus answers and follows the prompt's topic and language.
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
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import tiktoken

from mockai._paths import resource_dir
from mockai.engine.chat_format import ASSISTANT_OPENER, markup_token_ids
from mockai.engine.corpus import read_corpus
from mockai.engine.fit_cache import cached, inputs_digest
from mockai.engine.grounding import Grounding, Knowledge
from mockai.engine.ngram import NgramTable, Node, PackedNgramTable, candidates, interpolate, interpolate_all
from mockai.engine.packed import Rows
from mockai.engine.prompting import PromptedModel
from mockai.engine.retrieval import AnswerIndex
from mockai.engine.scripts import LATIN, NEUTRAL, UNFINISHED, encoding_script
from mockai.engine.tokenizer import get_encoding

__all__ = ["TokenModel", "corpus_model", "fit_corpus_model"]

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
_BYTES_CACHE_SIZE = 65536  # token byte strings per model


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


@dataclass(frozen=True)
class _Fit:
    """What training derives from its documents, and all a model keeps of them: flat, so a cached fit loads fast."""

    table: PackedNgramTable
    end_token: int
    markup_tokens: frozenset[int]
    floor: float  # the probability floor: one over the vocabulary's size
    common_tokens: frozenset[int]
    ubiquitous: frozenset[int]
    scripts: bytes  # the script of each token of `table.vocabulary()`, in that order
    word_heads: frozenset[int]


class TokenModel:
    """An interpolated Witten-Bell n-gram over token ids; build with `TokenModel.train` or `corpus_model`."""

    def __init__(
        self,
        fit: _Fit,
        *,
        overlay: _Overlay | None = None,
        script: Callable[[int], int] | None = None,
        encoding: tiktoken.Encoding | None = None,
        knowledge: Knowledge | None = None,
    ) -> None:
        self._fit = fit
        self._table = fit.table
        self.end_token = fit.end_token
        self.order = fit.table.order
        self.markup_tokens = fit.markup_tokens
        self.floor = fit.floor
        self.common_tokens, self.ubiquitous = fit.common_tokens, fit.ubiquitous
        self.word_heads = fit.word_heads
        self._overlay = overlay
        self.encoding = encoding
        self.knowledge = knowledge
        self._base = functools.lru_cache(maxsize=_CACHE_SIZE)(self._base_distribution)
        self._prompted = functools.lru_cache(maxsize=_PROMPT_CACHE_SIZE)(self._build_prompted)
        # Prompt conditioning reads the same tokens' bytes again and again (word pieces, leading spaces).
        self._bytes = functools.lru_cache(maxsize=_BYTES_CACHE_SIZE)(functools.partial(_token_bytes, encoding))
        self._script_of = script
        # Filled for every corpus and overlay token up front, so the per-step lookup is a plain dict.get.
        self.scripts: dict[int, int] = dict(zip(fit.table.vocabulary(), fit.scripts, strict=True))
        for token in set().union(*(overlay.documents if overlay else ())):
            self.script(token)

    def __reduce__(self) -> tuple[Callable[..., TokenModel], tuple[object, ...]]:
        # What the constructor takes is the whole model: the memo tables start empty and the script map is rebuilt
        # from the fit, so a pickled model (`mockai.engine.fit_cache`) is the fit's flat arrays and a few names.
        return _restored, (self._fit, self._overlay, self._script_of, self.encoding, self.knowledge)

    def is_word_piece(self, token: int) -> bool:
        """A token that continues a Latin word rather than starting one: it begins with a letter, no space."""
        return self.token_bytes(token)[:1].isalpha()

    def unfinished(self, context: Sequence[int]) -> bool:
        """Whether the context ends inside a UTF-8 character (as far as the script classifier knows) or inside a
        word the corpus always continues (a word head)."""
        return bool(context) and (self.scripts.get(context[-1]) == UNFINISHED or context[-1] in self.word_heads)

    def script(self, token: int) -> int:
        """NEUTRAL, LATIN, NON_ASCII or UNFINISHED (NEUTRAL for all when trained without a classifier)."""
        found = self.scripts.get(token)
        if found is None:
            found = self._script_of(token) if self._script_of is not None else NEUTRAL
            self.scripts[token] = found
        return found

    def decode(self, ids: Sequence[int]) -> str:
        """The text of token ids ("" without an encoding: such a model reads no text)."""
        return self.encoding.decode(list(ids), errors="replace") if self.encoding is not None else ""

    def token_bytes(self, token: int) -> bytes:
        return self._bytes(token)

    def ground(self, turns: Sequence[tuple[str, str]]) -> Grounding | None:
        """The retrieved answers a conversation asks for (None without a corpus index or a question)."""
        if self.knowledge is None or self.encoding is None or not turns:
            return None
        encoding = self.encoding
        return self.knowledge.ground(turns, self.end_token, lambda text: encoding.encode(text, disallowed_special=()))

    @classmethod
    def train(
        cls,
        documents: Iterable[Sequence[int]],
        *,
        end_token: int,
        order: int = 4,
        markup_tokens: Iterable[int] = (),
        script: Callable[[int], int] | None = None,
        encoding: tiktoken.Encoding | None = None,
        knowledge: Knowledge | None = None,
    ) -> TokenModel:
        """Train on documents (token lists, each ending in `end_token`).

        `markup_tokens` are prompt-formatting tokens (chat markers): counted as context, never proposed as
        output, and left out of prompt conditioning. `script` classifies a token as NEUTRAL, LATIN or NON_ASCII
        (see `encoding_script`), so prompted replies keep to the prompt's script. With the `encoding` the model
        reads its prompts as text, and with `knowledge` (see `fit_corpus_model`) it grounds replies in the answers
        the prompt asks for.
        """
        if order < 1:
            raise ValueError(f"{order=} must be at least 1")
        docs = [tuple(doc) for doc in documents]
        table = PackedNgramTable.from_documents(docs, order, NGRAM_CANDIDATES)
        vocabulary = table.vocabulary()
        scripts = bytes(script(token) if script is not None else NEUTRAL for token in vocabulary)
        markup = frozenset(markup_tokens)
        common, ubiquitous = _frequent_tokens(docs, markup | {end_token})
        fit = _Fit(
            table,
            end_token=end_token,
            markup_tokens=markup,
            floor=1.0 / (max(max(vocabulary, default=end_token), end_token) + 1),
            common_tokens=common,
            ubiquitous=ubiquitous,
            scripts=scripts,
            word_heads=_word_heads(table, dict(zip(vocabulary, scripts, strict=True)), encoding),
        )
        return cls(fit, script=script, encoding=encoding, knowledge=knowledge)

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

    def for_prompt(self, prompt_ids: Sequence[int], *, grounded: bool = True) -> PromptedModel:
        """This model conditioned on a prompt (see `PromptedModel`); recent prompts are reused. `grounded=False`
        leaves out the retrieved answers: for prose that answers no question (a transcript of unscripted audio)."""
        return self._prompted(tuple(prompt_ids), grounded)

    def _build_prompted(self, prompt_ids: tuple[int, ...], grounded: bool) -> PromptedModel:
        return PromptedModel(self, prompt_ids, grounded=grounded)

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
            self._fit, overlay=overlay, script=self._script_of, encoding=self.encoding, knowledge=self.knowledge
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


def _restored(
    fit: _Fit,
    overlay: _Overlay | None,
    script: Callable[[int], int] | None,
    encoding: tiktoken.Encoding | None,
    knowledge: Knowledge | None,
) -> TokenModel:
    return TokenModel(fit, overlay=overlay, script=script, encoding=encoding, knowledge=knowledge)


def _token_bytes(encoding: tiktoken.Encoding | None, token: int) -> bytes:
    if encoding is None:
        return b""
    try:
        return encoding.decode_single_token_bytes(token)
    except KeyError:
        return b""


def _word_heads(table: PackedNgramTable, scripts: dict[int, int], encoding: tiktoken.Encoding | None) -> frozenset[int]:
    """Latin tokens the corpus only ever continues with a piece of the same word (" mock" of " mockai"): after one,
    the reply must finish the word, so it takes no backed-off candidates (see `TokenModel.unfinished`)."""
    if encoding is None:
        return frozenset()
    raw = {token: _token_bytes(encoding, token) for token in table.vocabulary()}  # each token decoded once
    word_pieces = {token for token, text in raw.items() if text[:1].isalpha()}
    return frozenset(
        context[0]
        for context, following in table.following(1)
        if scripts.get(context[0]) == LATIN and raw[context[0]][-1:].isalpha() and word_pieces.issuperset(following)
    )


def _frequent_tokens(
    documents: Sequence[Sequence[int]], ignored: frozenset[int]
) -> tuple[frozenset[int], frozenset[int]]:
    """Tokens in over half the documents (punctuation, "the": they say nothing about a topic), and those in nearly
    all of them (the reply opener's newline: they say nothing about a prompt either)."""
    seen: Counter[int] = Counter()
    for document in documents:
        seen.update(set(document))
    total = len(documents)
    common = frozenset(token for token, count in seen.items() if count * 2 > total) | ignored
    ubiquitous = frozenset(token for token, count in seen.items() if count * 10 >= total * 9)
    return common, ubiquitous


def fit_corpus_model(encoding_name: str) -> TokenModel:
    """Fit everything the corpus gives one encoding: the n-gram over its answers and the retrieval index.

    Each document is an answer as a chat reply would start (the assistant opener), so a rendered chat prompt's
    final tokens lead into answer openings. Everything derived from the corpus lives in the returned object.
    """
    encoding = get_encoding(encoding_name)
    pairs = read_corpus()
    opener = encoding.encode(ASSISTANT_OPENER, disallowed_special=())
    answers = [tuple(encoding.encode_ordinary(pair.answer)) for pair in pairs]
    end = encoding.eot_token
    knowledge = Knowledge(
        AnswerIndex((pair.questions, pair.answer) for pair in pairs),
        Rows.of(answers),
        tuple(pair.source.split("/")[0] for pair in pairs),
    )
    return TokenModel.train(
        [[*opener, *ids, end] for ids in answers],
        end_token=end,
        markup_tokens=markup_token_ids(encoding),
        script=encoding_script(encoding),
        encoding=encoding,
        knowledge=knowledge,
    )


class _CorpusModels:
    """One fitted corpus model per encoding, loaded or fitted on first use under a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: dict[str, TokenModel] = {}

    def get(self, encoding_name: str, cache_dir: Path | None) -> TokenModel:
        with self._lock:
            model = self._models.get(encoding_name)
            if model is None:
                get_encoding(encoding_name, cache_dir=cache_dir)  # so a first fit also keeps the verified ranks
                # The fit is a function of the corpus and the engine's code: both are in the key.
                inputs = {"corpus": resource_dir("fixtures") / "corpus", "engine": _ENGINE_DIR}
                key = inputs_digest(inputs, salt=encoding_name)
                fit = functools.partial(fit_corpus_model, encoding_name)
                model = self._models[encoding_name] = cached(cache_dir, f"corpus-{encoding_name}", key, fit)
            return model


_ENGINE_DIR = Path(__file__).resolve().parent
_CORPUS_MODELS = _CorpusModels()


def corpus_model(encoding_name: str, *, cache_dir: Path | None = None) -> TokenModel:
    """The model fitted on `fixtures/corpus/` for `encoding_name`: fitted once per process, or loaded from the disk
    cache in `cache_dir` (see `mockai.engine.fit_cache`), where a first fit is kept for the next processes."""
    return _CORPUS_MODELS.get(encoding_name, cache_dir)
