"""Grounding a reply in what the model knows: the corpus answers a conversation asks for, as a model to mix in.

`Knowledge` is the part of the fitted corpus model that retrieval uses: a BM25F index over the corpus's
question-and-answer pairs (`mockai.engine.retrieval`), each answer's token ids and its language. For one prompt,
`Knowledge.ground(turns)` weighs the conversation (the last user turn most, earlier turns less: they give context, as
in "如果带了呢" after a question about umbrellas), retrieves the best pairs in the question's language, and returns a
`Grounding`: a high-order n-gram over the best answers that the prompted model mixes in, strongly where the reply so
far follows one of those answers. At temperature 0 a covered question therefore gets its answer; sampling at higher
temperatures leaves the answer now and then and the mixture carries on from wherever the reply went.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from mockai.engine.arithmetic import arithmetic_answer
from mockai.engine.ngram import NgramTable, Node, count_into
from mockai.engine.packed import Rows
from mockai.engine.retrieval import AnswerIndex, Hit, query_terms, terms

__all__ = ["Grounding", "Knowledge", "language_of", "reply_context"]

ORDER = 8  # long contexts: inside one answer, seven tokens nearly always say where the reply is
CANDIDATES = 8
BOS = -1  # a token id no encoding uses: "the reply starts here"
TOPIC_DOCUMENTS = 6  # answers whose tokens the topic boost favours
# Confidence in the best pair (`Knowledge._confidence`). Its lead over the runner-up (up to CLEAR_LEAD) says whether
# it is *the* nearest answer: "the capital of Peru" matches the capitals of the United Kingdom, Canada and Turkey
# equally well, and so is answered by none. A clear nearest answer is followed at least halfway (an uncovered
# question still gets text on its topic: "pasta al dente" is answered from "How do I cook pasta?"), fully once its
# coverage (the share of the question's IDF weight it contains; unknown words weigh most) reaches COVERED; a
# question asked word for word is followed fully whatever its neighbours score.
COVERED, UNCOVERED = 0.5, 0.25
CLEAR_LEAD = 0.1
NEAREST = 0.5
CLEAR_ALONE = 0.75  # a last question answered this confidently on its own needs no earlier turns
# Mixing weight by how much of the reply's recent context the answers contain: a reply that follows an answer
# token for token (synced) follows it on; one that left it rejoins only where its last few tokens match again.
# A synced reply may leave the answer mostly between sentences, where a new sentence reads naturally.
SYNCED_WEIGHT, SENTENCE_START_WEIGHT = 0.96, 0.8
MATCH_WEIGHTS = (0.0, 0.3, 0.6, 0.75, 0.85, 0.9, 0.92, 0.95)

# How the conversation's turns weigh in the query: the last user turn fully, earlier user turns half as much per
# turn back (down to a floor), replies and instructions a little.
_LAST_USER, _EARLIER_USER, _USER_FLOOR = 1.0, 0.5, 0.15
_ROLE_WEIGHTS = {"assistant": 0.3, "system": 0.15, "developer": 0.15, "tool": 0.3, "function": 0.3}


def language_of(text: str) -> str:
    """ "zh" when at least a fifth of the letters are CJK characters, else "en" (the corpus's two languages)."""
    letters = [char for char in text if char.isalpha()]
    cjk = sum("\u3400" <= char <= "\u9fff" for char in letters)
    return "zh" if letters and cjk * 5 >= len(letters) else "en"


def _words(text: str) -> set[str]:
    """Retrieval terms less lone CJK characters: what a turn is about, not how its characters happen to fall."""
    return {term for term in terms(text) if len(term) > 1 or term.isascii()}


def _clamp(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def reply_context(context: Sequence[int], reply_length: int) -> tuple[int, ...]:
    """What the answer model reads: the reply's last tokens, after `BOS` while the reply is still short."""
    if reply_length < ORDER - 1:
        return (BOS, *context[len(context) - reply_length :]) if reply_length > 0 else (BOS,)
    return tuple(context[-(ORDER - 1) :])


def conversation_query(turns: Sequence[tuple[str, str]]) -> dict[str, float]:
    """Weighted retrieval terms of a conversation: the latest user turn weighs most."""
    query: dict[str, float] = {}
    users_seen = 0
    for role, text in reversed(turns):
        if role == "user":
            weight = _LAST_USER if users_seen == 0 else max(_EARLIER_USER**users_seen, _USER_FLOOR)
            users_seen += 1
        else:
            weight = _ROLE_WEIGHTS.get(role, 0.15) * (1.0 if users_seen == 0 else 0.5)
        for term, value in query_terms(text, weight).items():
            query[term] = query.get(term, 0.0) + value
    return query


@dataclass(frozen=True)
class Knowledge:
    """The corpus as retrieval sees it: the index, each pair's answer ids and language (built once per fit)."""

    index: AnswerIndex
    answers: Rows[int]
    languages: tuple[str, ...]

    def answer(self, document: int) -> tuple[int, ...]:
        """The token ids of a pair's answer."""
        return tuple(self.answers[document])

    def ground(
        self, turns: Sequence[tuple[str, str]], end_token: int, encode: Callable[[str], list[int]]
    ) -> Grounding | None:
        """The grounding for a conversation, or None when it asks nothing (no user text); `encode` turns a computed
        answer (see `mockai.engine.arithmetic`) into token ids.

        The last user turn is asked alone first: when one pair answers it clearly ("你是什么引擎"), the earlier turns
        do not matter. Otherwise the whole conversation is the query ("如果带了呢" after a question about umbrellas),
        and the pairs that best answered earlier, different user turns are left out: a follow-up asks something new.
        """
        users = [text for role, text in turns if role == "user"]
        if not users:
            return None
        last = users[-1]
        language = language_of(last)
        answered = self._answered_before(users, language)
        hits = [hit for hit in self._search(query_terms(last), language) if hit.document not in answered]
        if self._confidence(hits) < CLEAR_ALONE and len(turns) > 1:
            conversation = self._search(conversation_query(turns), language)
            hits = [hit for hit in conversation if hit.document not in answered]
        topics = {self.answer(hit.document): hit.score for hit in hits[:TOPIC_DOCUMENTS]}
        computed = arithmetic_answer(last)
        if computed is not None:
            return Grounding([(tuple(encode(computed)), 1.0)], 1.0, end_token, topics)
        if not hits:
            return None
        return Grounding([(self.answer(hits[0].document), 1.0)], self._confidence(hits), end_token, topics)

    def _answered_before(self, users: Sequence[str], language: str) -> set[int]:
        """Pairs that best answered an earlier user turn, unless they hold some of what the last turn adds to it.

        "如果带了呢" after "我出门没带伞" adds no term, and asks for something other than the answer already given;
        "…又买了一个，但是它是坏的" after "…又买了一个" asks about the broken umbrella, which the earlier answer does
        not mention. "Which city is the capital of France?" after "What is the capital of France?" adds "city",
        which the earlier answer holds: it may be given again.
        """
        last = _words(users[-1])
        answered: set[int] = set()
        for earlier in set(users[:-1]) - {users[-1]}:
            found = self._search(query_terms(earlier), language, limit=1)
            added = last - _words(earlier)
            if found and added.isdisjoint(self.index.terms_of(found[0].document)):
                answered.add(found[0].document)
        return answered

    def _search(self, query: dict[str, float], language: str, limit: int = 40) -> list[Hit]:
        """The best pairs in `language` (a question is answered in the language it was asked in)."""
        found = [hit for hit in self.index.search(query, limit=40) if self.languages[hit.document] == language]
        return found[:limit]

    @staticmethod
    def _confidence(hits: Sequence[Hit]) -> float:
        if not hits:
            return 0.0
        best = hits[0]
        lead = 1.0 - hits[1].score / best.score if len(hits) > 1 else 1.0
        coverage = _clamp((best.coverage - UNCOVERED) / (COVERED - UNCOVERED))
        # Asked word for word ("How do I cook rice?"), a pair is the answer however close its neighbours come.
        exact = best.coverage * best.asked
        return max(_clamp(lead / CLEAR_LEAD) * (NEAREST + (1.0 - NEAREST) * coverage), exact * exact)


@functools.lru_cache(maxsize=256)
def _answer_table(answers: tuple[tuple[tuple[int, ...], float], ...], end_token: int) -> NgramTable:
    """The weighted n-gram over `answers` (each read as `BOS` + its tokens + `end_token`).

    A pure function of its arguments, kept for the answers asked for again: a corpus has a few hundred answers, and
    counting one cost a tenth of a fresh prompt's reply. The table compiles its nodes on first use, for every reply
    that shares it.
    """
    counts: list[dict[tuple[int, ...], dict[int, float]]] = [{} for _ in range(ORDER)]
    for ids, weight in answers:
        document = [BOS, *ids, end_token]
        count_into(counts, document, [weight] * len(document))
    counts[0].get((), {}).pop(BOS, None)  # BOS starts every document but is never a next token
    return NgramTable(counts, CANDIDATES)


class Grounding:
    """A weighted n-gram over a few answers, read against the reply so far (`BOS` + the reply's tokens).

    `topics` maps answers to retrieval scores for the prompted model's topic boost (more answers than are mixed in:
    an uncovered question still gets text about what it is near).
    """

    def __init__(
        self,
        answers: Sequence[tuple[Sequence[int], float]],
        confidence: float,
        end_token: int,
        topics: Mapping[tuple[int, ...], float],
    ) -> None:
        self.table = _answer_table(tuple((tuple(ids), weight) for ids, weight in answers), end_token)
        self.confidence = confidence
        self.topics = topics

    def matched(self, context: Sequence[int], sentence_start: bool = False) -> tuple[Node | None, float]:
        """The answers' continuation counts after the longest suffix of a `reply_context` they contain, and the
        weight to mix them in with (0 when no suffix of one token or more matched).

        Only the longest match counts, unsmoothed: the answers are a pointer to what comes next, and the smoothing
        is the rest of the mixture (the prompted model) already.
        """
        nodes = self.table.matched(context)
        matched = len(nodes) - 1
        if matched < 1:
            return None, 0.0
        if matched == len(context):
            weight = SENTENCE_START_WEIGHT if sentence_start else SYNCED_WEIGHT
        else:
            weight = MATCH_WEIGHTS[matched]
        return nodes[-1], self.confidence * weight
