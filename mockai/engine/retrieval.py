"""Finding the corpus answers a question asks for: BM25F over question-and-answer pairs, in English and Chinese.

Text becomes *terms*: lower-cased words and numbers, lightly stemmed ("umbrellas", "raining" → "umbrella", "rain"),
with English function words dropped; a run of CJK characters becomes its characters and its character bigrams
(Chinese is written without spaces, and bigrams are the usual cheap stand-in for words: 钱包 matches 钱包 whatever the
segmentation). Each pair is one document with two fields, its questions and its answer; a term in the questions
weighs three times one in the answer (BM25F), so the pair that was *asked* like this wins over one that merely
mentions the words.

>>> index = AnswerIndex([(["Where is my wallet?"], "Look in your bag."), (["Will it rain?"], "Take an umbrella.")])
>>> [hit.document for hit in index.search(query_terms("is it raining"))]
[1]
"""

from __future__ import annotations

import functools
import math
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain, repeat
from operator import add, truediv

from mockai.engine.packed import Rows, float_array, int_array

__all__ = ["AnswerIndex", "Hit", "query_terms", "terms"]

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TERM = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>[^\W_{_CJK}]+)")
_CJK_CHARACTER = re.compile(rf"[{_CJK}]")
# Words that say how something is asked, not what about: dropping them keeps "How do I cook rice?" and "Rice: how to
# cook it?" the same query.
_FUNCTION_WORDS = (
    "a an the is are was were be been being am do does did done i me my mine you your yours we us our they them "
    "their he him his she her it its this that these those of to in on at for with and or but if so as by from "
    "about into than then there here what whats how why when where which who whom whose can could should would "
    "will shall may might must s t d ll ve re m please tell know want like just also very really get got"
)
_STOPWORDS = frozenset(_FUNCTION_WORDS.split())
# The same for Chinese: function characters, and bigrams that only say how something is asked ("我想学吉他" is about
# guitars, not about "我想杀了他们").
_CJK_FUNCTION_WORDS = (
    "的 了 吗 呢 吧 啊 呀 么 怎 我 你 您 他 她 它 是 在 有 和 就 也 都 还 要 会 能 想 这 那 个 请 "
    "我想 想要 我要 怎么 怎样 什么 为什么 如何 可以 能不 不能 是不 不是 应该 需要 一下 一个 有没 没有 "
    "我们 你们 他们 请问 告诉 知道 这个 那个 哪里 哪个 的话 时候 如果 会怎 么样 怎么样 "
    "但是 可是 然后 而且 因为 所以 还是"
)
_CJK_STOPWORDS = frozenset(_CJK_FUNCTION_WORDS.split())
# Particles glue onto whatever stands next to them: a bigram holding one ("掉了", "么处" of 怎么处理) crosses a word
# boundary and matches by accident.
_CJK_PARTICLES = frozenset("的了吗呢吧啊呀么着过得地又")
QUESTION_WEIGHT = 4.0  # a question term counts this many times an answer term
K1, B = 1.2, 0.75  # the usual BM25 saturation and length normalisation


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    """A light suffix stripper: enough for plurals and the commonest verb forms to meet their base word."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 5 and word.endswith("ing"):
        word = _undouble(word[:-3])
    elif len(word) > 4 and word.endswith("ed"):
        word = _undouble(word[:-2])
    elif len(word) > 4 and word.endswith("es") and word[-3] in "sxz":
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word[:-1] if len(word) > 3 and word.endswith("e") else word  # "code" meets "coding"


def _undouble(stem: str) -> str:
    """ "running" → "run", "stopped" → "stop": a doubled final consonant belongs to the suffix."""
    return stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "aeiouls" else stem


def terms(text: str) -> list[str]:
    """The retrieval terms of `text`, in order (repeats kept: BM25 counts them).

    >>> terms("Umbrellas and rain! 下雨了")
    ['umbrella', 'rain', '下', '雨', '下雨']
    """
    found: list[str] = []
    framing: list[str] = []
    for cjk, word in _TERM.findall(text.lower()):
        if cjk:
            found.extend(_cjk_terms(cjk))
        elif word in _STOPWORDS:
            framing.append(word)
        elif len(word) > 1 or word.isdigit():
            found.append(_stem(word))
    # A question made only of function words ("What are you?", "How are you?") is still a question: its words
    # are all it has, so they are its terms.
    return found or framing


@functools.lru_cache(maxsize=65536)
def _cjk_terms(run: str) -> tuple[str, ...]:
    """A CJK run's characters and bigrams, less function words and bigrams holding a particle."""
    characters = [char for char in run if char not in _CJK_STOPWORDS]
    bigrams = [
        bigram
        for bigram in (run[index : index + 2] for index in range(len(run) - 1))
        if bigram[0] not in _CJK_PARTICLES and bigram[1] not in _CJK_PARTICLES and bigram not in _CJK_STOPWORDS
    ]
    return (*characters, *bigrams)


CJK_CHARACTER_WEIGHT = 0.5  # in a query, a lone CJK character says less than a bigram (他 of 吉他 is not 他们)


def query_terms(text: str, weight: float = 1.0) -> dict[str, float]:
    """A query: each distinct term of `text` with `weight` (combine several turns with different weights)."""
    return {
        term: weight * CJK_CHARACTER_WEIGHT if len(term) == 1 and _CJK_CHARACTER.match(term) else weight
        for term in terms(text)
    }


@dataclass(frozen=True)
class Hit:
    """A document that matched: its position, its BM25 score, `coverage`, the share of the query's weight (by IDF,
    unknown terms weighing most) that the document contains (1.0: every term was found), and `asked`."""

    document: int
    score: float
    coverage: float
    asked: float = 0.0  # the share (by IDF) of the document's best question that the query holds: 1.0 = all of it


class _Field:
    """BM25 over one field: each term's postings, (unit, saturated term weight) by unit, length-normalised within
    the field. Terms are numbered by the index, and a term's postings are one row of two flat arrays."""

    def __init__(self, units: Sequence[Counter[int]], vocabulary: int) -> None:
        """Index `units` (each a count of term numbers below `vocabulary`).

        Built from flat lists, one entry a (unit, term) pair, in unit order: one stable sort by term number then
        lays out every term's postings, units ascending, with no list per term.
        """
        lengths = [unit.total() for unit in units]
        average = sum(lengths) / max(len(units), 1) or 1.0
        norms = [1.0 - B + B * length / average for length in lengths]
        numbers = list(chain.from_iterable(units))
        holders = list(chain.from_iterable(repeat(position, len(unit)) for position, unit in enumerate(units)))
        counts = chain.from_iterable(unit.values() for unit in units)
        weighted = list(map(truediv, counts, map(norms.__getitem__, holders)))
        saturated = list(map(truediv, weighted, map(add, repeat(K1), weighted)))
        order = sorted(range(len(numbers)), key=numbers.__getitem__)
        per_term = Counter(numbers)
        offsets = int_array(list(accumulate(map(per_term.get, range(vocabulary), repeat(0)), initial=0)))
        self._units = Rows(int_array(list(map(holders.__getitem__, order))), offsets)
        self._weights = Rows(float_array(map(saturated.__getitem__, order)), offsets)

    def postings(self, term: int) -> Iterator[tuple[int, float]]:
        """The units holding term number `term`, each with its saturated weight, in unit order."""
        return zip(self._units[term], self._weights[term], strict=True)


class AnswerIndex:
    """BM25 over (questions, answer) documents, in three fields: the best-matching single question, all the
    questions together (half of `QUESTION_WEIGHT` each), and the answer. The single question lets a short question
    asked exactly ("Hello!") beat a long one that merely contains the word; all questions together let two phrasings
    ("learn to program", "start coding") add up. `search` returns the best matches first.
    """

    def __init__(self, documents: Iterable[tuple[Sequence[str], str]]) -> None:
        texts = [([terms(question) for question in asked], terms(answer)) for asked, answer in documents]
        self.size = len(texts)
        # Every term the documents hold, sorted and numbered by its place (found by binary search): the fields, the
        # IDF and each document's terms refer to terms by number, so the index is a few flat arrays and one list of
        # words rather than tens of thousands of dicts, lists and tuples, and it loads without rebuilding a dict.
        self._words = sorted({term for asked, answer in texts for unit in (*asked, answer) for term in unit})
        number = {term: number for number, term in enumerate(self._words)}.__getitem__
        questions = [Counter(map(number, question)) for asked, _ in texts for question in asked]
        asked = [Counter(map(number, chain.from_iterable(asked))) for asked, _ in texts]  # a pair's questions as one
        answers = [Counter(map(number, answer)) for _, answer in texts]
        held = [
            sorted(questioned.keys() | answered.keys()) for questioned, answered in zip(asked, answers, strict=True)
        ]
        self._terms = Rows.of(held)
        self._owners = int_array([document for document, (asked, _) in enumerate(texts) for _ in asked])
        self._questions = _Field(questions, len(self._words))
        self._asked = _Field(asked, len(self._words))
        self._answers = _Field(answers, len(self._words))
        seen = Counter(chain.from_iterable(held))  # how many documents hold each term
        idf = [math.log(1.0 + (self.size - seen[term] + 0.5) / (seen[term] + 0.5)) for term in range(len(self._words))]
        self._idf = float_array(idf)
        self.unknown_idf = math.log(1.0 + (self.size + 0.5) / 0.5)
        self._question_weight = float_array(sum(map(idf.__getitem__, question)) for question in questions)

    def _number(self, term: str) -> int | None:
        """The number of a term the documents hold, or None."""
        number = bisect_left(self._words, term)
        return number if number < len(self._words) and self._words[number] == term else None

    def terms_of(self, document: int) -> frozenset[str]:
        """Every term of a document's questions and answer."""
        return frozenset(self._words[term] for term in self._terms[document])

    def search(self, query: Mapping[str, float], limit: int = 5) -> list[Hit]:
        """The `limit` best documents for a weighted query (ties go to the earlier document)."""
        asked: dict[int, float] = {}
        matched: dict[int, float] = {}  # the IDF weight of each question that the query holds
        answered: dict[int, float] = {}
        found: dict[int, dict[str, float]] = {}
        total = 0.0
        for term, weight in query.items():
            number = self._number(term)
            if number is None:  # never seen: it matches nothing, and weighs most in what is missing
                total += weight * self.unknown_idf
                continue
            idf = self._idf[number]
            total += weight * idf
            for question, saturated in self._questions.postings(number):
                asked[question] = asked.get(question, 0.0) + weight * idf * saturated
                matched[question] = matched.get(question, 0.0) + idf
                found.setdefault(self._owners[question], {})[term] = weight * idf
            for document, saturated in self._asked.postings(number):
                answered[document] = answered.get(document, 0.0) + QUESTION_WEIGHT / 2 * weight * idf * saturated
            for document, saturated in self._answers.postings(number):
                answered[document] = answered.get(document, 0.0) + weight * idf * saturated
                found.setdefault(document, {})[term] = weight * idf
        scores = dict(answered)
        best_question: dict[int, float] = {}
        held_question: dict[int, float] = {}
        for question, score in asked.items():
            # A question the query holds all of ("How do I cook rice?") beats one it holds most of ("Can I freeze
            # cooked rice?"), however often the other pair's answer repeats the words.
            held = matched[question] / (self._question_weight[question] or 1.0)
            owner = self._owners[question]
            if score * (0.5 + 0.5 * held) > best_question.get(owner, 0.0):
                best_question[owner], held_question[owner] = score * (0.5 + 0.5 * held), held
        for document, score in best_question.items():
            scores[document] = scores.get(document, 0.0) + QUESTION_WEIGHT / 2 * score
        best = sorted(scores, key=lambda document: (-scores[document], document))[:limit]
        return [
            Hit(document, scores[document], sum(found[document].values()) / total, held_question.get(document, 0.0))
            for document in best
        ]
