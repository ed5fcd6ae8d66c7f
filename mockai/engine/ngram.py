"""Interpolated Witten-Bell n-gram counts over token ids: the machinery under the token model and its layers.

Witten-Bell suits a small corpus: a context followed by many different tokens hands more weight to its shorter
suffix, so rare contexts back off smoothly without tuned discounts. Everything here is a pure function of counts.

Counts come in two stores with one reading interface (`node`, `matched`): `NgramTable` keeps them in dicts, cheap to
build for the small tables made per request (a prompt, a few answers, fine-tuning documents); `PackedNgramTable`
keeps the corpus-sized table in flat arrays (`mockai.engine.packed`), small in memory and quick to load from the disk
cache.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate

from mockai.engine.packed import Rows, int_array

__all__ = [
    "NgramTable",
    "Node",
    "PackedNgramTable",
    "candidates",
    "count_documents",
    "count_into",
    "interpolate",
    "interpolate_all",
]


class Node:
    """One context's next-token counts, compiled for Witten-Bell interpolation."""

    __slots__ = ("counts", "inv", "keep", "top", "total")

    def __init__(self, counts: dict[int, float], top_n: int) -> None:
        total, types = sum(counts.values()), len(counts)
        self.counts = counts
        self.total = total
        self.inv = 1.0 / (total + types)
        self.keep = types * self.inv  # the weight Witten-Bell leaves for the shorter context
        self.top = tuple(sorted(counts, key=lambda token: (-counts[token], token))[:top_n])


def interpolate_all(nodes: Sequence[Node], tokens: Sequence[int], floor: float) -> list[float]:
    """`_interpolate` for many tokens at once: one list pass per context level (the hot path)."""
    probs = [floor] * len(tokens)
    for node in nodes:
        get, inv, keep = node.counts.get, node.inv, node.keep
        probs = [get(token, 0.0) * inv + keep * prob for token, prob in zip(tokens, probs, strict=True)]
    return probs


def interpolate(nodes: Sequence[Node], token: int, floor: float) -> float:
    prob = floor
    for node in nodes:
        prob = node.counts.get(token, 0.0) * node.inv + node.keep * prob
    return prob


def count_into(
    levels: list[dict[tuple[int, ...], dict[int, float]]], document: Sequence[int], weights: Sequence[float] = ()
) -> None:
    """Add one document's (optionally weighted) next-token counts for contexts of length 0..len(levels)-1."""
    for position, token in enumerate(document):
        weight = weights[position] if weights else 1.0
        for length in range(min(len(levels) - 1, position) + 1):
            bucket = levels[length].setdefault(tuple(document[position - length : position]), {})
            bucket[token] = bucket.get(token, 0.0) + weight


def count_documents(documents: Iterable[Sequence[int]], order: int) -> list[dict[tuple[int, ...], dict[int, float]]]:
    """`count_into` for unweighted documents, with the counting done by `Counter` over zipped n-grams (in C).

    Fitting the corpus model is start-up cost, and this is most of it: several times faster than the loop. Counts
    stay integers (an int is a float wherever the model computes with it).
    """
    documents = [tuple(document) for document in documents]
    levels: list[dict[tuple[int, ...], dict[int, float]]] = []
    for length in range(order):
        level: dict[tuple[int, ...], dict[int, float]] = {}
        setdefault = level.setdefault
        for gram, count in count_grams(documents, length + 1).items():
            setdefault(gram[:-1], {})[gram[-1]] = count
        levels.append(level)
    return levels


def count_grams(documents: Sequence[Sequence[int]], size: int) -> Counter[tuple[int, ...]]:
    """How often each run of `size` tokens occurs in the documents (counted by `Counter` over zipped runs, in C)."""
    grams: Counter[tuple[int, ...]] = Counter()
    for document in documents:
        grams.update(zip(*(document[offset:] for offset in range(size)), strict=False))
    return grams


def _backwards_sorted(grams: Counter[tuple[int, ...]], low: int, bits: int) -> list[tuple[tuple[int, ...], int]]:
    """The grams and their counts ordered by context (all but the last token) read backwards, then by last token.

    Sorted by one integer per gram, its tokens less `low` at `bits` bits each, most significant first: comparing the
    tuples themselves cost twice as much, and this sort is most of a cold fit.
    """

    def packed(item: tuple[tuple[int, ...], int]) -> int:
        gram = item[0]
        key = 0
        for token in gram[-2::-1]:
            key = key << bits | (token - low)
        return key << bits | (gram[-1] - low)

    return sorted(grams.items(), key=packed)


class _Contexts(ABC):
    """Next-token counts after every context of length 0..order-1, each compiled into a `Node` on first use.

    Compiling lazily keeps fitting and loading cheap: a request visits a few hundred contexts of the corpus's hundreds
    of thousands. Two threads compiling the same context build equal nodes, so the race is harmless.
    """

    def __init__(self, order: int, top_n: int) -> None:
        self.order = order
        self._top_n = top_n
        self._nodes: list[dict[tuple[int, ...], Node]] = [{} for _ in range(order)]

    def __getstate__(self) -> dict[str, object]:
        # Compiled nodes are a memo, rebuilt on use: pickling only the counts keeps a cached table small and fast
        # to load (`mockai.engine.fit_cache`).
        return {**self.__dict__, "_nodes": [{} for _ in range(self.order)]}

    @abstractmethod
    def _counts(self, context: tuple[int, ...]) -> dict[int, float] | None:
        """The next-token counts after `context` (of length below `order`), or None if it was never seen."""

    def node(self, context: tuple[int, ...]) -> Node | None:
        """The compiled node of one context (of length below `order`), or None if it was never seen."""
        compiled = self._nodes[len(context)]
        node = compiled.get(context)
        if node is None:
            found = self._counts(context)
            if found is None:
                return None
            node = compiled[context] = Node(found, self._top_n)
        return node

    def matched(self, context: Sequence[int]) -> list[Node]:
        """Nodes for the context's suffixes, shortest (the unigram) first, up to the longest one seen."""
        if not self.order:
            return []
        unigram = self.node(())
        nodes = [unigram] if unigram is not None else []
        for length in range(1, min(self.order - 1, len(context)) + 1):
            node = self.node(tuple(context[-length:]))
            if node is None:
                break  # a longer suffix cannot have been seen if this one was not
            nodes.append(node)
        return nodes


class NgramTable(_Contexts):
    """Counts kept as `levels[length][context][token]`: for the small tables built per request."""

    def __init__(self, counts: list[dict[tuple[int, ...], dict[int, float]]], top_n: int) -> None:
        super().__init__(len(counts), top_n)
        self._levels = counts

    @classmethod
    def from_documents(cls, documents: Iterable[Sequence[int]], order: int, top_n: int) -> NgramTable:
        return cls(count_documents(documents, order), top_n)

    def _counts(self, context: tuple[int, ...]) -> dict[int, float] | None:
        return self._levels[len(context)].get(context)


class PackedNgramTable(_Contexts):
    """Integer counts in flat arrays, the contexts in a suffix trie: for the corpus model, fitted once and cached.

    Level `length` lists the contexts of that many tokens sorted by their tokens read backwards (last token first),
    each stored as its *earliest* token (`heads`), so the contexts that extend one context by an earlier token are a
    contiguous run of the next level (`children`). Finding a context walks back from its last token, one binary
    search per token; its next tokens (ascending) and their counts are one row of `tokens` and `counts`.
    """

    def __init__(
        self,
        heads: list[array[int]],
        children: list[array[int]],
        tokens: list[Rows[int]],
        counts: list[Rows[int]],
        top_n: int,
    ) -> None:
        super().__init__(len(tokens), top_n)
        self._heads = heads  # per level: the earliest token of each context (empty for the one empty context)
        self._children = children  # per level but the last: context i extends to children[i]:children[i + 1]
        self._next_tokens = tokens  # per level: each context's next tokens, ascending
        self._next_counts = counts  # and how often each followed it (rows aligned with `_next_tokens`)

    @classmethod
    def from_documents(cls, documents: Iterable[Sequence[int]], order: int, top_n: int) -> PackedNgramTable:
        documents = [tuple(document) for document in documents]
        present = [document for document in documents if document]
        low = min(map(min, present), default=0)
        bits = (max(map(max, present), default=0) - low).bit_length() or 1
        heads: list[array[int]] = []
        children: list[array[int]] = []
        tokens: list[Rows[int]] = []
        counts: list[Rows[int]] = []
        shorter: dict[tuple[int, ...], int] = {}  # the previous level's contexts and their rows
        for length in range(order):
            grams = _backwards_sorted(count_grams(documents, length + 1), low, bits)  # a context's grams: one run
            contexts: list[tuple[int, ...]] = []
            starts: list[int] = []
            for position, (gram, _) in enumerate(grams):
                if not contexts or gram[:-1] != contexts[-1]:
                    contexts.append(gram[:-1])
                    starts.append(position)
            heads.append(int_array([context[0] for context in contexts]) if length else int_array(()))
            if length:
                extensions = [0] * len(shorter)
                for context in contexts:
                    extensions[shorter[context[1:]]] += 1  # sorted backwards, a context's extensions are one run
                children.append(int_array(accumulate(extensions, initial=0)))
            rows = int_array([*starts, len(grams)])
            tokens.append(Rows(int_array([gram[-1] for gram, _ in grams]), rows))
            counts.append(Rows(int_array([count for _, count in grams]), rows))
            shorter = {context: row for row, context in enumerate(contexts)}
        return cls(heads, children, tokens, counts, top_n)

    def vocabulary(self) -> array[int]:
        """Every token the documents hold, ascending (the unigram's next tokens)."""
        return self._next_tokens[0][0] if self.order and len(self._next_tokens[0]) else int_array(())

    def following(self, length: int) -> Iterator[tuple[tuple[int, ...], array[int]]]:
        """Every context of `length` tokens (below `order`) with the tokens seen after it."""
        for row, context in self._contexts(length):
            yield context, self._next_tokens[length][row]

    def _contexts(self, length: int) -> Iterator[tuple[int, tuple[int, ...]]]:
        if length == 0:
            yield from [(0, ())] if len(self._next_tokens[0]) else []
            return
        heads, children = self._heads[length], self._children[length - 1]
        for parent, suffix in self._contexts(length - 1):
            for row in range(children[parent], children[parent + 1]):
                yield row, (heads[row], *suffix)

    def _row(self, context: tuple[int, ...]) -> int | None:
        """The context's row in its level, or None if it was never seen."""
        if not len(self._next_tokens[0]):
            return None
        row = 0  # the empty context
        for length in range(1, len(context) + 1):
            heads, children, token = self._heads[length], self._children[length - 1], context[-length]
            end = children[row + 1]
            row = bisect_left(heads, token, children[row], end)
            if row == end or heads[row] != token:
                return None
        return row

    def _counts(self, context: tuple[int, ...]) -> dict[int, float] | None:
        row = self._row(context)
        if row is None:
            return None
        return dict(zip(self._next_tokens[len(context)][row], self._next_counts[len(context)][row], strict=True))


def candidates(nodes: Sequence[Node], limit: int, banned: frozenset[int], frequent: int = 0) -> dict[int, None]:
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
