"""Transparent lexicon scorer for the moderation categories."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "CATEGORIES",
    "Lexicon",
    "ModerationScores",
    "Term",
    "load_lexicon",
    "score_categories",
]

# The order of the current API reference; older text-moderation models answered only the first
# seven, but the modern SDK type requires all thirteen, so every model reports all of them.
CATEGORIES: tuple[str, ...] = (
    "hate",
    "hate/threatening",
    "harassment",
    "harassment/threatening",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
    "illicit",
    "illicit/violent",
)

# English inflections accepted after every word of a term, so "kill" also matches "killed",
# "kills", "killing" and "killer" without listing each form in the lexicon.
_SUFFIXES = "(?:s|es|d|ed|ing|er|ers)?"


@dataclass(frozen=True)
class Term:
    """One lexicon entry: the text that triggers it and what it adds to each category."""

    text: str
    lang: str
    weights: Mapping[str, float]
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Lexicon:
    """Terms plus per-category thresholds and score floors, as read from the fixture file."""

    terms: tuple[Term, ...]
    thresholds: Mapping[str, float]
    floors: Mapping[str, float]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Lexicon:
        """Build and check a lexicon from its JSON document (the fixture file's shape)."""
        categories = data["categories"]
        missing = [c for c in CATEGORIES if c not in categories]
        if missing:
            raise ValueError(f"lexicon has no settings for categories {missing}")
        thresholds = {c: float(categories[c]["threshold"]) for c in CATEGORIES}
        floors = {c: float(categories[c]["floor"]) for c in CATEGORIES}
        terms = tuple(_compile_term(entry) for entry in data["terms"])
        return cls(terms=terms, thresholds=thresholds, floors=floors)


@dataclass(frozen=True)
class ModerationScores:
    """Scores in [0, 1] for every category, the per-category verdicts, and why."""

    scores: Mapping[str, float]
    categories: Mapping[str, bool]
    flagged: bool
    matched_terms: tuple[str, ...]


def load_lexicon(path: Path) -> Lexicon:
    """Read a lexicon JSON file."""
    return Lexicon.from_dict(json.loads(path.read_text(encoding="utf-8")))


def score_categories(text: str, lexicon: Lexicon) -> ModerationScores:
    """Score ``text``: each category is ``1 - (1 - floor) * prod(1 - weight)`` over matched terms.

    Every occurrence of a term counts, so repetition raises a score towards 1.  The floor is
    the lexicon's per-category base rate scaled by a factor in [0.5, 1.5) drawn from the
    text's hash, so harmless texts get small, distinct, deterministic scores as the real API
    gives, and no score is ever exactly zero.
    """
    lowered = text.casefold()
    keep = {c: 1.0 - lexicon.floors[c] * _jitter(text, c) for c in CATEGORIES}
    matched: list[str] = []
    for term in lexicon.terms:
        hits = len(term.pattern.findall(lowered))
        if not hits:
            continue
        matched.append(term.text)
        for category, weight in term.weights.items():
            keep[category] *= (1.0 - weight) ** hits
    scores = {c: min(1.0, max(0.0, 1.0 - keep[c])) for c in CATEGORIES}
    verdicts = {c: scores[c] >= lexicon.thresholds[c] for c in CATEGORIES}
    return ModerationScores(
        scores=scores,
        categories=verdicts,
        flagged=any(verdicts.values()),
        matched_terms=tuple(matched),
    )


def _compile_term(entry: Mapping[str, Any]) -> Term:
    text = str(entry["term"]).casefold()
    lang = str(entry["lang"])
    weights = {str(c): float(w) for c, w in entry["weights"].items()}
    unknown = sorted(set(weights) - set(CATEGORIES))
    if unknown:
        raise ValueError(f"term {text!r} names unknown categories {unknown}")
    bad = {c: w for c, w in weights.items() if not 0.0 <= w < 1.0}
    if bad:
        raise ValueError(f"term {text!r} has weights outside [0, 1): {bad}")
    return Term(text=text, lang=lang, weights=weights, pattern=_term_pattern(text, lang))


def _term_pattern(text: str, lang: str) -> re.Pattern[str]:
    if lang == "en":
        words = (re.escape(word) + _SUFFIXES for word in text.split())
        return re.compile(r"\b" + r"\s+".join(words) + r"\b")
    # Chinese is written without spaces, so a term matches wherever its characters appear.
    return re.compile(re.escape(text))


def _jitter(text: str, category: str) -> float:
    digest = hashlib.sha256(f"{category}\x00{text}".encode()).digest()
    return 0.5 + int.from_bytes(digest[:4], "big") / 2**32
