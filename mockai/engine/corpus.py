"""The corpus the token model learns from: question-and-answer pairs in `fixtures/corpus/<language>/*.qa` files.

A `.qa` file is UTF-8 text. A pair is one or more `Q:` lines (ways of asking), then an `A:` line whose answer
continues over the following lines, blank ones included (paragraphs, code blocks), until a blank line followed by the
next `Q:` line. Lines starting with `#` are comments.

    # weather.qa
    Q: What happens if I go out in the rain without an umbrella?
    Q: I forgot my umbrella and it rained. What now?
    A: You will most likely get wet. ...

>>> pairs = parse_pairs("Q: Hi?\\nQ: Hello?\\nA: Hello! How can I help?\\n", source="greetings.qa")
>>> pairs[0].questions, pairs[0].answer
(('Hi?', 'Hello?'), 'Hello! How can I help?')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mockai._paths import resource_dir

__all__ = ["QAPair", "corpus_files", "parse_pairs", "read_corpus"]


@dataclass(frozen=True)
class QAPair:
    """One answer and the questions it answers; `source` is `<language>/<file>` for messages and statistics."""

    questions: tuple[str, ...]
    answer: str
    source: str


def corpus_files(folder: Path | None = None) -> list[Path]:
    """Every `.qa` file of the corpus, in a stable order (what a cache of the fitted model is keyed by)."""
    root = folder if folder is not None else resource_dir("fixtures") / "corpus"
    return sorted(root.glob("*/*.qa"))


def read_corpus(folder: Path | None = None) -> list[QAPair]:
    """All pairs of the corpus, file by file in `corpus_files` order."""
    pairs: list[QAPair] = []
    for path in corpus_files(folder):
        pairs.extend(parse_pairs(path.read_text(encoding="utf-8"), source=f"{path.parent.name}/{path.name}"))
    return pairs


def parse_pairs(text: str, *, source: str) -> list[QAPair]:
    """Parse one `.qa` file; a malformed pair raises ValueError naming the file and line."""
    pairs: list[QAPair] = []
    block: list[tuple[int, str]] = []
    answering = False  # the block has reached its "A:" line
    previous = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#"):
            continue
        if line.startswith("Q:") and answering:
            if previous.strip():
                raise ValueError(f"{source}:{number}: separate pairs with a blank line")
            pairs.append(_pair(block, source))
            block, answering = [], False
        answering = answering or line.startswith("A:")
        if line.strip() or answering:
            block.append((number, line.rstrip()))
        previous = line
    if block:
        pairs.append(_pair(block, source))
    return pairs


def _pair(block: Sequence[tuple[int, str]], source: str) -> QAPair:
    questions: list[str] = []
    position = 0
    while position < len(block) and block[position][1].startswith("Q:"):
        questions.append(block[position][1][2:].strip())
        position += 1
    first_line = block[0][0]
    if not questions or not all(questions):
        raise ValueError(f"{source}:{first_line}: a pair starts with one or more non-empty 'Q:' lines")
    if position == len(block) or not block[position][1].startswith("A:"):
        raise ValueError(f"{source}:{first_line}: the questions must be followed by an 'A:' line")
    lines = [block[position][1][2:].strip(), *(line for _, line in block[position + 1 :])]
    if any(line.startswith("A:") for line in lines[1:]):
        raise ValueError(f"{source}:{first_line}: a pair has one 'A:' line")
    answer = "\n".join(lines).strip()
    if not answer:
        raise ValueError(f"{source}:{first_line}: the answer is empty")
    return QAPair(tuple(questions), answer, source)
