"""Conditioning the token model on a prompt: a prompt-copy cache, a topic boost, and the prompt's script.

`TokenModel.for_prompt(ids)` returns a `PromptedModel`: it mixes in a *cache* model of the prompt's own content
(what followed each token there, weighted towards the latest turns), boosts tokens of the corpus documents most
related to the prompt, and scales down tokens of a script the prompt hardly uses. Replies therefore follow the topic
and the language of the conversation, and change with every turn.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mockai.engine.ngram import NgramTable, candidates, count_into, interpolate_all
from mockai.engine.scripts import LATIN, NEUTRAL, script_factors

if TYPE_CHECKING:
    from mockai.engine.token_model import TokenModel

__all__ = ["PromptedModel", "TopicIndex"]

CACHE_CANDIDATES = 8  # continuations copied from the prompt
CACHE_FREQUENT = 4  # the prompt's most frequent content tokens
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
_PROMPTED_CACHE_SIZE = 256  # prompted distributions per prompted model (pure: seeded repeats are lookups)


class TopicIndex:
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


def _opens_latin_message(model: TokenModel, prompt_ids: Sequence[int], position: int) -> bool:
    """A message's first Latin word has no leading space ("Hello", not " Hello"): copied mid-reply it glues onto
    the word before ("peopleHello"), so the cache never proposes it. Chinese openers copy fine."""
    return (
        position >= 2
        and prompt_ids[position - 2] in model.markup_tokens
        and prompt_ids[position - 1] not in model.markup_tokens
        and model.script(prompt_ids[position]) == LATIN
    )


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
        ignored = model.markup_tokens | model.topics.ubiquitous | {model.end_token}
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
        count_into(counts, tokens, weights)
        self._cache = NgramTable(counts, CACHE_CANDIDATES)
        # Evidence of topic and script, but never copied (see `_opens_latin_message`).
        self._uncopyable = markup | {
            prompt_ids[position]
            for position in range(len(prompt_ids))
            if _opens_latin_message(model, prompt_ids, position)
        }
        unigram = counts[0].get((), {})
        self._topic = model.topics.boosts(unigram)
        self._prompt_length = len(prompt_ids)
        self._script_factors = script_factors([model.script(token) for token in tokens], weights)
        self._span = model.context_span
        self._memo = functools.lru_cache(maxsize=_PROMPTED_CACHE_SIZE)(self._distribution)

    def next_token_logits(self, context: Sequence[int]) -> dict[int, float]:
        """Natural-log scores over a small candidate set, conditioned on the prompt."""
        opening = len(context) - self._prompt_length < OPENING_TOKENS
        return dict(self._memo(opening, tuple(context[-self._span :])))

    def _distribution(self, opening: bool, context: tuple[int, ...]) -> dict[int, float]:
        nodes, base = self.model.base_distribution(context)
        cache_nodes = self._cache.matched(context)
        copies = candidates(cache_nodes, CACHE_CANDIDATES, self._uncopyable, CACHE_FREQUENT)
        if self.model.unfinished(context) and len(cache_nodes) < 2:
            copies = {}  # the prompt never continued this partial character: a copy would garble it
        extra = [token for token in copies if token not in base]
        tokens = [*base, *extra]
        base_probs = [*base.values(), *interpolate_all(nodes, extra, self.model.floor)]
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
            copied_probs = interpolate_all(cache_nodes, [tokens[index] for index in copied], 0.0)
            for index, prob in zip(copied, copied_probs, strict=True):
                probs[index] += cache_weight * prob
        mixed = self.model.with_overlay(context, dict(zip(tokens, probs, strict=True)))
        return dict(zip(mixed, map(math.log, mixed.values()), strict=True))
