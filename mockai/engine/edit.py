"""Edits: correct the input's spelling against the corpus vocabulary, the way the docs' example expects.

`"What day of the wek is it?"` + `"Fix the spelling mistakes"` → `"What day of the week is it?"`. Unknown words are
replaced by the most frequent known word one edit away; typos drop letters more often than they add them, so
candidates that insert a letter are preferred over substitutions and swaps, and those over deletions.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable

from mockai.engine.corpus import read_corpus

_WORD = re.compile(r"[A-Za-z]+")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
#: Instructions that ask only for corrections: the output is the corrected input and nothing more.
CORRECTION_ONLY = re.compile(r"\b(spell\w*|typos?|grammar|correct\w*|fix\w*|proofread\w*)\b", re.IGNORECASE)


class Vocabulary:
    """Word frequencies of a corpus, and the spelling corrector built on them.

    >>> Vocabulary(["what day of the week is it", "we walk"]).correct_text("What day of the wek is it?")
    'What day of the week is it?'
    """

    def __init__(self, texts: Iterable[str]) -> None:
        self._counts = Counter(word.lower() for text in texts for word in _WORD.findall(text))

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word.lower() in self._counts

    def correct_word(self, word: str) -> str:
        lower = word.lower()
        if len(lower) < 2 or lower in self._counts:
            return word
        for candidates in _edits_by_preference(lower):
            known = [c for c in candidates if c in self._counts]
            if known:
                best = max(sorted(known), key=lambda c: self._counts[c])
                return _match_case(word, best)
        return word

    def correct_text(self, text: str) -> str:
        return _WORD.sub(lambda match: self.correct_word(match.group(0)), text)


def _edits_by_preference(word: str) -> list[set[str]]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    inserts = {left + c + right for left, right in splits for c in _LETTERS}
    replaces = {left + c + right[1:] for left, right in splits if right for c in _LETTERS}
    swaps = {left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1}
    deletes = {left + right[1:] for left, right in splits if right}
    return [inserts, replaces | swaps, deletes]


def _match_case(original: str, word: str) -> str:
    if original.isupper():
        return word.upper()
    if original[:1].isupper():
        return word.capitalize()
    return word


@functools.cache
def corpus_vocabulary() -> Vocabulary:
    """The vocabulary of the corpus (`mockai.engine.corpus`: the same text the token model learns from)."""
    return Vocabulary(text for pair in read_corpus() for text in (*pair.questions, pair.answer))
