"""Conditioning the token model on a prompt: grounding in retrieved answers, a prompt-copy cache, a topic boost and
the prompt's script.

`TokenModel.for_prompt(ids)` returns a `PromptedModel`. It reads the prompt back as conversation turns, retrieves the
corpus answers they ask for (`mockai.engine.grounding`) and mixes an n-gram of those answers in, strongly while the
reply follows one of them; it also mixes in a *cache* model of the prompt's own content (what followed each token
there, weighted towards the latest turns), boosts tokens of the retrieved answers, and scales down tokens of a script
the prompt hardly uses. Replies therefore answer the last question, in its language, and change with every turn.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING

from mockai.engine.chat_format import ASSISTANT_OPENER, read_chat_prompt
from mockai.engine.grounding import ORDER as GROUNDING_ORDER
from mockai.engine.grounding import reply_context
from mockai.engine.ngram import NgramTable, Node, candidates, count_into, interpolate_all
from mockai.engine.scripts import LATIN, NEUTRAL, script_factors

if TYPE_CHECKING:
    from mockai.engine.token_model import TokenModel

__all__ = ["PromptedModel"]

CACHE_CANDIDATES = 8  # continuations copied from the prompt
CACHE_FREQUENT = 4  # the prompt's most frequent content tokens
# Share of the prompt-copy model by how much of the current context it matched: continuing one of the prompt's
# phrases is likely, copying a lone prompt token anywhere is not.
CACHE_WEIGHTS = (0.04, 0.15, 0.3)
CACHE_HALF_LIFE = 64.0  # tokens; older turns still count, at no less than RECENCY_FLOOR
RECENCY_FLOOR = 0.25
# A token of the retrieved answers is up to this much likelier. The reply's first tokens get the strong boost:
# they pick its language and opening; later the n-gram context carries both, and a mild boost keeps it fluent.
OPENING_BOOST = 20.0
OPENING_TOKENS = 2
TOPIC_BOOST = 4.0
_PROMPTED_CACHE_SIZE = 256  # prompted distributions per prompted model (pure: seeded repeats are lookups)
_WHITESPACE = frozenset((b" ", b"\t", b"\r", b"\n"))
_SENTENCE_ENDS = tuple(mark.encode() for mark in ".!?。！？")


def _opens_latin_message(model: TokenModel, prompt_ids: Sequence[int], position: int) -> bool:
    """A message's first Latin word has no leading space ("Hello", not " Hello"): copied mid-reply it glues onto
    the word before ("peopleHello"), so the cache never proposes it. Chinese openers copy fine."""
    return (
        position >= 2
        and prompt_ids[position - 2] in model.markup_tokens
        and prompt_ids[position - 1] not in model.markup_tokens
        and model.script(prompt_ids[position]) == LATIN
    )


@functools.lru_cache(maxsize=1024)
def _topic_tokens(answer: tuple[int, ...], common: frozenset[int]) -> frozenset[int]:
    """The distinct tokens of a corpus answer that say something about its topic (the same few answers come up for
    many prompts)."""
    return frozenset(answer) - common


def _recency(distance: int) -> float:
    return RECENCY_FLOOR + (1.0 - RECENCY_FLOOR) * math.pow(0.5, distance / CACHE_HALF_LIFE)


class PromptedModel:
    """A `TokenModel` conditioned on one prompt.

    p(w | h) = (1 − g_h) · [(1 − λ_h) · p_ngram(w | h) · boost(w) / Z + λ_h · p_cache(w | h)] + g_h · p_answers(w | r),
    then the fine-tuning overlay (if any). boost(w) combines the topic boost (tokens of the retrieved answers) and
    the script factor; Z keeps the n-gram's candidate mass unchanged. The cache is a small Witten-Bell
    bigram/trigram over the prompt's content tokens (chat markup removed), each occurrence weighted by recency,
    so the last user message counts most but earlier turns stay; λ_h grows with the cache context matched.
    p_answers is the grounding n-gram read over the reply so far (r), and g_h its weight: the retrieval's confidence
    times how closely the reply follows one of the answers.
    """

    def __init__(self, model: TokenModel, prompt_ids: Sequence[int], *, grounded: bool = True) -> None:
        self.model = model
        self.end_token = model.end_token
        ignored = model.markup_tokens | model.ubiquitous | {model.end_token}
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
        # The prompt's own word heads: a token it continued with a piece of the same word (" bons" of " bonsai").
        self._word_heads = model.word_heads | {
            token
            for token, after in pairwise(prompt_ids)
            if model.script(token) == LATIN and model.is_word_piece(after)
        }
        text = model.decode(prompt_ids)
        # A chat reply starts on the line after the assistant's opener: a leading space there is a stray one.
        self._chat = text.endswith(ASSISTANT_OPENER)
        grounding = model.ground(read_chat_prompt(text))
        # Without grounding the retrieved answers still say what the prompt is about, and in which language.
        self._topic = self._topic_boosts(grounding.topics if grounding else {})
        self._grounding = grounding if grounded else None
        self._prompt_length = len(prompt_ids)
        self._script_factors = script_factors([model.script(token) for token in tokens], weights)
        self._span = max(model.context_span, GROUNDING_ORDER - 1)
        # The prompt's frequent tokens may come up anywhere, but a piece of a word ("dough" of "sourdough") only
        # where the prompt had it: elsewhere it would splice a new word ("library.dough").
        unigram = self._cache.node(())
        frequent = [token for token in unigram.top if token not in self._uncopyable] if unigram else []
        self._frequent = dict.fromkeys([token for token in frequent if not model.is_word_piece(token)][:CACHE_FREQUENT])
        self._memo = functools.lru_cache(maxsize=_PROMPTED_CACHE_SIZE)(self._distribution)

    def _topic_boosts(self, answers: Mapping[tuple[int, ...], float]) -> dict[int, float]:
        """Per-token topic weight in [0, 1]: the retrieval-score share of the answers containing it."""
        norm = sum(answers.values())
        boosts: dict[int, float] = {}
        for answer, score in answers.items():
            share, get = score / norm, boosts.get
            for token in _topic_tokens(answer, self.model.common_tokens):
                boosts[token] = get(token, 0.0) + share
        return boosts

    def next_token_logits(self, context: Sequence[int]) -> dict[int, float]:
        """Natural-log scores over a small candidate set, conditioned on the prompt."""
        reply_length = min(max(len(context) - self._prompt_length, 0), GROUNDING_ORDER - 1)
        return dict(self._memo(reply_length, tuple(context[-self._span :])))

    def _distribution(self, reply_length: int, context: tuple[int, ...]) -> dict[int, float]:
        nodes, base = self.model.base_distribution(context)
        cache_nodes = self._cache.matched(context)
        copies = candidates(cache_nodes, CACHE_CANDIDATES, self._uncopyable)
        if self.model.unfinished(context) and len(cache_nodes) < 2:
            copies = {}  # the prompt never continued this partial character or word: a copy would garble it
        elif cache_nodes:
            copies.update(self._frequent)
        extra = [token for token in copies if token not in base]
        tokens = [*base, *extra]
        base_probs = [*base.values(), *interpolate_all(nodes, extra, self.model.floor)]
        topic, strength = self._topic.get, OPENING_BOOST if reply_length < OPENING_TOKENS else TOPIC_BOOST
        script, factors = self.model.scripts.get, self._script_factors
        probs = [
            prob * (1.0 + strength * topic(token, 0.0)) * factors[script(token, NEUTRAL)]
            for token, prob in zip(tokens, base_probs, strict=True)
        ]
        # Boosts move mass between candidates but do not add any: renormalise to the n-gram's candidate mass.
        cache_weight = CACHE_WEIGHTS[len(cache_nodes) - 1] if cache_nodes else 0.0
        scale = (1.0 - cache_weight) * sum(base_probs) / sum(probs)
        # Only tokens the prompt contains have cache mass; interpolating just those keeps this cheap.
        copied = list(cache_nodes[0].counts.keys() & tokens) if cache_nodes else []
        copy = dict(zip(copied, interpolate_all(cache_nodes, copied, 0.0), strict=True)).get
        answers, weight = self._answers(reply_length, context)
        # One pass mixes n-gram, cache and answers. A token the prompt lacks adds 0.0 cache mass, and without answers
        # `kept` is 1.0: both leave a float exactly as it was, so every candidate takes the same arithmetic.
        kept = 1.0 - weight
        mixed = {
            token: kept * (prob * scale + cache_weight * copy(token, 0.0))
            for token, prob in zip(tokens, probs, strict=True)
        }
        if answers is not None:
            share = weight / answers.total
            for token, count in answers.counts.items():
                mixed[token] = mixed.get(token, 0.0) + share * count
        if context and context[-1] in self._word_heads:
            # Inside a word: only a piece that finishes it may follow, never a new word ("bons tree").
            mixed = {token: prob for token, prob in mixed.items() if self.model.is_word_piece(token)} or mixed
        if reply_length == 0 and self._chat:
            mixed = {token: prob for token, prob in mixed.items() if not self._starts_with_space(token)} or mixed
        mixed = self.model.with_overlay(context, mixed)
        return dict(zip(mixed, map(math.log, mixed.values()), strict=True))

    def _answers(self, reply_length: int, context: tuple[int, ...]) -> tuple[Node | None, float]:
        """The grounding answers' continuations at this point of the reply and their mixing weight ((None, 0.0) when
        none apply)."""
        if self._grounding is None:
            return None, 0.0
        sentence_start = reply_length > 0 and self.model.token_bytes(context[-1]).rstrip().endswith(_SENTENCE_ENDS)
        node, weight = self._grounding.matched(reply_context(context, reply_length), sentence_start)
        if node is None or weight == 0.0:
            return None, 0.0
        return node, weight

    def _starts_with_space(self, token: int) -> bool:
        return token != self.end_token and self.model.token_bytes(token)[:1] in _WHITESPACE
