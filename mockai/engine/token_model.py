"""A tiny real language model over token ids: interpolated n-grams, prompt conditioning and fine-tune overlays.

The base model is an interpolated Witten-Bell n-gram (order 4) trained on the hand-written corpus in
`fixtures/corpus/`. Witten-Bell suits a small corpus: a context followed by many different tokens hands more
weight to its shorter suffix, so rare contexts back off smoothly without tuned discounts.

Two layers sit on top, both cheap enough to build per request:

- `TokenModel.for_prompt(ids)` returns a `PromptedModel` that mixes in a *cache* model of the prompt's own content
  (what followed each token there, weighted towards the latest turns), boosts tokens of the corpus documents
  most related to the prompt, and scales down tokens of a script (Latin / non-ASCII) the prompt hardly uses.
  Replies therefore follow the topic and the language of the conversation, and change with every turn.
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

import tiktoken

from mockai._paths import resource_dir
from mockai.engine.chat_format import ASSISTANT_OPENER, markup_token_ids
from mockai.engine.tokenizer import get_encoding

__all__ = [
    "LATIN",
    "NEUTRAL",
    "NON_ASCII",
    "UNFINISHED",
    "PromptedModel",
    "TokenModel",
    "corpus_model",
    "encoding_script",
]

# Candidate-set sizes: the sampler only ever sees these tokens, which keeps one step to tens of microseconds.
NGRAM_CANDIDATES = 36  # continuations of the matched contexts, longest context first
FREQUENT_UNIGRAMS = 8  # so a dead-end context still offers common tokens
CACHE_CANDIDATES = 8  # continuations copied from the prompt
CACHE_FREQUENT = 4  # the prompt's most frequent content tokens
OVERLAY_CANDIDATES = 8  # continuations from fine-tuning documents

OVERLAY_ORDER = 8  # long contexts, so a training prompt identifies its own completion
# Weight of the overlay by the length of the longest context it matched: a long match is near-certain evidence.
OVERLAY_WEIGHTS = (0.0, 0.3, 0.6, 0.8, 0.9, 0.95, 0.97, 0.98)

# Share of the prompt-copy model by how much of the current context it matched: continuing one of the prompt's
# phrases is likely, copying a lone prompt token anywhere is not.
CACHE_WEIGHTS = (0.04, 0.15, 0.3)
CACHE_HALF_LIFE = 64.0  # tokens; older turns still count, at no less than RECENCY_FLOOR
RECENCY_FLOOR = 0.25
TOPIC_DOCUMENTS = 6  # corpus documents most related to the prompt
# A token of those documents is up to this much likelier. The reply's first tokens get the strong boost: they
# pick its language and opening; later the n-gram context carries both, and a mild boost keeps it fluent.
OPENING_BOOST = 20.0
OPENING_TOKENS = 2
TOPIC_BOOST = 4.0

# Scripts, told apart coarsely by bytes: enough to keep an English prompt's reply English and a Chinese one's
# Chinese. A script the prompt barely uses is scaled down to this fraction of the dominant one.
NEUTRAL, LATIN, NON_ASCII = 0, 1, 2
# A non-ASCII token ending inside a UTF-8 character (byte-level BPE splits CJK characters): only the
# continuations seen after it complete the *right* character, so it takes no backed-off candidates.
UNFINISHED = 3
SCRIPT_FLOOR = 0.03

# Memoised results, all pure functions of their keys. Tests and benchmarks repeat requests, and a seeded
# request revisits exactly the same contexts, so these turn most of a repeat into dictionary lookups.
_CACHE_SIZE = 2048  # base distributions per model
_PROMPT_CACHE_SIZE = 16  # prompted models per model
_PROMPTED_CACHE_SIZE = 256  # prompted distributions per prompted model


class _Node:
    """One context's next-token counts, compiled for Witten-Bell interpolation."""

    __slots__ = ("counts", "inv", "keep", "top")

    def __init__(self, counts: dict[int, float], top_n: int) -> None:
        total, types = sum(counts.values()), len(counts)
        self.counts = counts
        self.inv = 1.0 / (total + types)
        self.keep = types * self.inv  # the weight Witten-Bell leaves for the shorter context
        self.top = tuple(sorted(counts, key=lambda token: (-counts[token], token))[:top_n])


def _interpolate_all(nodes: Sequence[_Node], tokens: Sequence[int], floor: float) -> list[float]:
    """`_interpolate` for many tokens at once: one list pass per context level (the hot path)."""
    probs = [floor] * len(tokens)
    for node in nodes:
        get, inv, keep = node.counts.get, node.inv, node.keep
        probs = [get(token, 0.0) * inv + keep * prob for token, prob in zip(tokens, probs, strict=True)]
    return probs


def _interpolate(nodes: Sequence[_Node], token: int, floor: float) -> float:
    prob = floor
    for node in nodes:
        prob = node.counts.get(token, 0.0) * node.inv + node.keep * prob
    return prob


def _count_into(
    levels: list[dict[tuple[int, ...], dict[int, float]]], document: Sequence[int], weights: Sequence[float] = ()
) -> None:
    """Add one document's (optionally weighted) next-token counts for contexts of length 0..len(levels)-1."""
    for position, token in enumerate(document):
        weight = weights[position] if weights else 1.0
        for length in range(min(len(levels) - 1, position) + 1):
            bucket = levels[length].setdefault(tuple(document[position - length : position]), {})
            bucket[token] = bucket.get(token, 0.0) + weight


class _NgramTable:
    """Next-token counts after every context of length 0..order-1, compiled into `_Node`s."""

    def __init__(self, counts: list[dict[tuple[int, ...], dict[int, float]]], top_n: int) -> None:
        self.order = len(counts)
        self.levels = [{context: _Node(found, top_n) for context, found in level.items()} for level in counts]

    @classmethod
    def from_documents(cls, documents: Iterable[Sequence[int]], order: int, top_n: int) -> _NgramTable:
        counts: list[dict[tuple[int, ...], dict[int, float]]] = [{} for _ in range(order)]
        for document in documents:
            _count_into(counts, document)
        return cls(counts, top_n)

    def matched(self, context: Sequence[int]) -> list[_Node]:
        """Nodes for the context's suffixes, shortest (the unigram) first, up to the longest one seen."""
        nodes = [self.levels[0][()]] if () in self.levels[0] else []
        for length in range(1, min(self.order - 1, len(context)) + 1):
            node = self.levels[length].get(tuple(context[-length:]))
            if node is None:
                break  # a longer suffix cannot have been seen if this one was not
            nodes.append(node)
        return nodes


def _candidates(nodes: Sequence[_Node], limit: int, banned: frozenset[int], frequent: int = 0) -> dict[int, None]:
    chosen: dict[int, None] = {}
    for node in reversed(nodes[1:]):
        for token in node.top:
            if len(chosen) >= limit:
                break
            if token not in banned:
                chosen[token] = None
    for token in nodes[0].top[:frequent] if nodes else ():
        if token not in banned:
            chosen[token] = None
    return chosen


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
        self.table = _NgramTable.from_documents(content, OVERLAY_ORDER, OVERLAY_CANDIDATES)

    def matched(self, context: Sequence[int]) -> tuple[list[_Node], float]:
        """Matched nodes for the context's content and the overlay's mixing weight for them."""
        content = [token for token in context[-self._LOOKBACK :] if token not in self.markup]
        nodes = self.table.matched(content)
        return nodes, OVERLAY_WEIGHTS[min(len(nodes) - 1, len(OVERLAY_WEIGHTS) - 1)] if nodes else 0.0


class TokenModel:
    """An interpolated Witten-Bell n-gram over token ids; build with `TokenModel.train` or `corpus_model`."""

    def __init__(
        self,
        table: _NgramTable,
        documents: Sequence[Sequence[int]],
        *,
        end_token: int,
        markup_tokens: frozenset[int],
        overlay: _Overlay | None = None,
        topics: _TopicIndex | None = None,
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
        self._topics = topics or _TopicIndex(documents, markup_tokens | {end_token})
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
            _NgramTable.from_documents(docs, order, NGRAM_CANDIDATES),
            docs,
            end_token=end_token,
            markup_tokens=frozenset(markup_tokens),
            script=script,
        )

    def _base_distribution(self, suffix: tuple[int, ...]) -> tuple[list[_Node], dict[int, float]]:
        nodes = self._table.matched(suffix)
        frequent = 0 if self.unfinished(suffix) and len(nodes) > 1 else FREQUENT_UNIGRAMS
        candidates = _candidates(nodes, NGRAM_CANDIDATES, self.markup_tokens, frequent)
        return nodes, dict(zip(candidates, _interpolate_all(nodes, list(candidates), self.floor), strict=True))

    def base_distribution(self, context: Sequence[int]) -> tuple[list[_Node], dict[int, float]]:
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
        mixed = dict.fromkeys(_candidates(nodes, OVERLAY_CANDIDATES, self.markup_tokens), 0.0)
        mixed.update({token: prob / total for token, prob in probs.items()})
        return {
            token: (1.0 - weight) * prob + weight * _interpolate(nodes, token, self.floor)
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
        prob = _interpolate(nodes, token, self.floor)
        if self._overlay is not None:
            overlay, weight = self._overlay.matched(context)
            prob = (1.0 - weight) * prob + weight * _interpolate(overlay, token, self.floor)
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
            topics=self._topics,
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


class _TopicIndex:
    """Which corpus documents contain which tokens, to find the documents most related to a prompt."""

    def __init__(self, documents: Sequence[Sequence[int]], ignored: frozenset[int]) -> None:
        present = [frozenset(doc) - ignored for doc in documents]
        frequency: Counter[int] = Counter()
        for tokens in present:
            frequency.update(tokens)
        total = len(present)
        # Tokens in over half the documents (punctuation, "the") say nothing about topic or language, and
        # tokens in (nearly) all of them (the reply opener's newline) say nothing about a prompt either.
        self.idf = {token: math.log(total / seen) for token, seen in frequency.items() if seen * 2 <= total}
        self.ubiquitous = frozenset(token for token, seen in frequency.items() if seen * 10 >= total * 9)
        self.members = [frozenset(token for token in tokens if token in self.idf) for tokens in present]
        self.postings: dict[int, list[int]] = {}
        for index, members in enumerate(self.members):
            for token in members:
                self.postings.setdefault(token, []).append(index)

    def boosts(self, weights: dict[int, float]) -> dict[int, float]:
        """Per-token topic weight in [0, 1]: the relevance share of the best-matching documents containing it."""
        scores: dict[int, float] = {}
        for token, weight in weights.items():
            idf = self.idf.get(token, 0.0)
            for index in self.postings.get(token, ()):
                scores[index] = scores.get(index, 0.0) + weight * idf
        best = sorted(scores, key=lambda index: (-scores[index], index))[:TOPIC_DOCUMENTS]
        if not best:
            return {}
        norm = sum(scores[index] for index in best)
        boosts: dict[int, float] = {}
        for index in best:
            share = scores[index] / norm
            for token in self.members[index]:
                boosts[token] = boosts.get(token, 0.0) + share
        return boosts


def _recency(distance: int) -> float:
    return RECENCY_FLOOR + (1.0 - RECENCY_FLOOR) * math.pow(0.5, distance / CACHE_HALF_LIFE)


class PromptedModel:
    """A `TokenModel` conditioned on one prompt: boosted n-gram mixed with a prompt-copy cache.

    p(w | h) = (1 − λ_h) · p_ngram(w | h) · boost(w) / Z + λ_h · p_cache(w | h), then the fine-tuning overlay (if
    any). boost(w) combines the topic boost (tokens of the corpus documents most related to the prompt) and the
    script factor; Z keeps the n-gram's candidate mass unchanged. The cache is a small Witten-Bell
    bigram/trigram over the prompt's content tokens (chat markup removed), each occurrence weighted by recency,
    so the last user message counts most but earlier turns stay; λ_h grows with the cache context matched.
    """

    def __init__(self, model: TokenModel, prompt_ids: Sequence[int]) -> None:
        self.model = model
        self.end_token = model.end_token
        ignored = model.markup_tokens | model._topics.ubiquitous | {model.end_token}
        # A message's last token often carries the renderer's newline ("?\n"); copying it mid-reply splices a
        # line break into the text, so tokens right before markup are left out too.
        markup = model.markup_tokens
        following = [*prompt_ids[1:], None] if prompt_ids else []
        content = [
            (position, token)
            for position, (token, after) in enumerate(zip(prompt_ids, following, strict=True))
            if token not in ignored and after not in markup
        ]
        tokens = [token for _, token in content]
        weights = [_recency(len(prompt_ids) - 1 - position) for position, _ in content]
        counts: list[dict[tuple[int, ...], dict[int, float]]] = [{}, {}, {}]
        _count_into(counts, tokens, weights)
        self._cache = _NgramTable(counts, CACHE_CANDIDATES)
        unigram = counts[0].get((), {})
        self._topic = model._topics.boosts(unigram)
        self._prompt_length = len(prompt_ids)
        self._script_factors = _script_factors([model.script(token) for token in tokens], weights)
        self._span = model.context_span
        self._memo = functools.lru_cache(maxsize=_PROMPTED_CACHE_SIZE)(self._distribution)

    def next_token_logits(self, context: Sequence[int]) -> dict[int, float]:
        """Natural-log scores over a small candidate set, conditioned on the prompt."""
        opening = len(context) - self._prompt_length < OPENING_TOKENS
        return dict(self._memo(opening, tuple(context[-self._span :])))

    def _distribution(self, opening: bool, context: tuple[int, ...]) -> dict[int, float]:
        nodes, base = self.model.base_distribution(context)
        cache_nodes = self._cache.matched(context)
        copies = _candidates(cache_nodes, CACHE_CANDIDATES, self.model.markup_tokens, CACHE_FREQUENT)
        if self.model.unfinished(context) and len(cache_nodes) < 2:
            copies = {}  # the prompt never continued this partial character: a copy would garble it
        extra = [token for token in copies if token not in base]
        tokens = [*base, *extra]
        base_probs = [*base.values(), *_interpolate_all(nodes, extra, self.model.floor)]
        topic, strength = self._topic.get, OPENING_BOOST if opening else TOPIC_BOOST
        script, factors = self.model.scripts.get, self._script_factors
        probs = [
            prob * (1.0 + strength * topic(token, 0.0)) * factors[script(token, NEUTRAL)]
            for token, prob in zip(tokens, base_probs, strict=True)
        ]
        # Boosts move mass between candidates but do not add any: renormalise to the n-gram's candidate mass.
        cache_weight = CACHE_WEIGHTS[len(cache_nodes) - 1] if cache_nodes else 0.0
        scale = (1.0 - cache_weight) * sum(base_probs) / sum(probs)
        probs = [prob * scale for prob in probs]
        if cache_nodes:
            # Only tokens the prompt contains have cache mass; interpolating just those keeps this cheap.
            seen = cache_nodes[0].counts
            copied = [index for index, token in enumerate(tokens) if token in seen]
            copied_probs = _interpolate_all(cache_nodes, [tokens[index] for index in copied], 0.0)
            for index, prob in zip(copied, copied_probs, strict=True):
                probs[index] += cache_weight * prob
        mixed = self.model.with_overlay(context, dict(zip(tokens, probs, strict=True)))
        return dict(zip(mixed, map(math.log, mixed.values()), strict=True))


def _script_factors(scripts: Sequence[int], weights: Sequence[float]) -> tuple[float, float, float, float]:
    shares = [0.0, 0.0, 0.0, 0.0]
    for script, weight in zip(scripts, weights, strict=True):
        shares[script] += weight
    shares[NON_ASCII] += shares[UNFINISHED]
    dominant = max(shares[LATIN], shares[NON_ASCII])
    if dominant == 0.0:
        return (1.0, 1.0, 1.0, 1.0)
    other = max(shares[NON_ASCII] / dominant, SCRIPT_FLOOR)
    return (1.0, max(shares[LATIN] / dominant, SCRIPT_FLOOR), other, other)


def _ends_inside_a_character(raw: bytes) -> bool:
    for back in range(1, min(4, len(raw)) + 1):
        byte = raw[-back]
        if byte >= 0xC0:  # the last lead byte: does the token hold all of its character?
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return back < needed
        if byte < 0x80:
            return False
    return False


def encoding_script(encoding: tiktoken.Encoding) -> Callable[[int], int]:
    """Classify tokens by bytes: beyond ASCII → NON_ASCII (UNFINISHED if it stops mid-character), ASCII letters
    → LATIN, anything else → NEUTRAL."""

    special = frozenset(encoding.encode_single_token(name) for name in encoding.special_tokens_set)

    def script(token: int) -> int:
        if token in special:
            return NEUTRAL
        try:
            raw = encoding.decode_single_token_bytes(token)
        except KeyError:
            return NEUTRAL
        if max(raw, default=0) >= 0x80:
            return UNFINISHED if _ends_inside_a_character(raw) else NON_ASCII
        return LATIN if any(65 <= byte <= 90 or 97 <= byte <= 122 for byte in raw) else NEUTRAL

    return script


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
