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
from itertools import accumulate, chain, repeat
from operator import and_, lshift, or_, rshift

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

    __slots__ = ("_over_floor", "counts", "inv", "keep", "top", "total")

    def __init__(self, counts: dict[int, float], top_n: int) -> None:
        total, types = sum(counts.values()), len(counts)
        self.counts = counts
        self.total = total
        self.inv = 1.0 / (total + types)
        self.keep = types * self.inv  # the weight Witten-Bell leaves for the shorter context
        # Most frequent first, ties by token id: a stable sort by count (reverse keeps ties in order) of the sorted
        # tokens, with C-level keys.
        self.top = tuple(sorted(sorted(counts), key=counts.__getitem__, reverse=True)[:top_n])
        self._over_floor: tuple[float, dict[int, float], float] | None = None

    def over_floor(self, floor: float) -> tuple[dict[int, float], float]:
        """This node interpolated with a flat `floor` below it: each seen token's probability, and an unseen one's.

        The lowest level of every interpolation (the unigram's) depends on the token alone, so it is worked out once
        per node and floor and then looked up.
        """
        found = self._over_floor
        if found is None or found[0] != floor:
            inv, kept = self.inv, self.keep * floor
            seen = {token: count * inv + kept for token, count in self.counts.items()}
            found = self._over_floor = (floor, seen, 0.0 * inv + kept)
        return found[1], found[2]


def interpolate_all(nodes: Sequence[Node], tokens: Sequence[int], floor: float) -> list[float]:
    """`interpolate` for many tokens at once: the lowest level looked up (`Node.over_floor`), each level above in one
    list pass (the hot path). The arithmetic is `interpolate`'s, operation for operation, so both give the same
    floats."""
    if not nodes:
        return [floor] * len(tokens)
    seen, unseen = nodes[0].over_floor(floor)
    probs = [seen.get(token, unseen) for token in tokens]
    for node in nodes[1:]:
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
        """Count the documents' n-grams into the trie (see `_gram_counts` for the keys, whose order is the trie's)."""
        documents = [tuple(document) for document in documents]
        vocabulary = sorted(set(chain.from_iterable(documents)))
        bits = len(vocabulary).bit_length() or 1  # a place, or the pad
        last_token, token = (1 << bits) - 1, vocabulary.__getitem__  # a key's last `bits` bits, as a token
        heads: list[array[int]] = []
        children: list[array[int]] = []
        tokens: list[Rows[int]] = []
        counts: list[Rows[int]] = []
        shorter: list[int] = []  # the previous level's contexts, in row order
        for length, grams in enumerate(_gram_counts(documents, vocabulary, order, bits)):
            keys = sorted(grams)  # a context's grams are one run, its next tokens ascending
            runs = Counter(map(rshift, keys, repeat(bits)))  # each context's number of next tokens, in row order
            contexts = list(runs)
            heads.append(int_array(list(map(token, map(and_, contexts, repeat(last_token)))) if length else ()))
            if length:
                extensions = Counter(map(rshift, contexts, repeat(bits)))  # one run of contexts per parent
                children.append(int_array(list(accumulate(map(extensions.get, shorter, repeat(0)), initial=0))))
            rows = int_array(list(accumulate(runs.values(), initial=0)))
            tokens.append(Rows(int_array(list(map(token, map(and_, keys, repeat(last_token))))), rows))
            counts.append(Rows(int_array(list(map(grams.__getitem__, keys))), rows))
            shorter = contexts
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


def _gram_counts(
    documents: Sequence[Sequence[int]], vocabulary: Sequence[int], order: int, bits: int
) -> Iterator[Counter[int]]:
    """How often each run of 1..`order` tokens occurs in the documents, one `Counter` a length, each run keyed by one
    integer: its tokens' places in the (ascending) `vocabulary`, `bits` bits each, the context read backwards (the
    token before the last most significant, the earliest least), then the last token.

    Sorting such keys orders the runs by context read backwards, then by last token: the trie's layout. Shifting a key
    right by `bits` gives its context's key, and shifting a context's key gives its parent's (the context less its
    earliest token). A cold fit spends most of its time here, so the keys are built a length at a time over the
    documents laid end to end, with `map` and `Counter` doing the work in C. Each document is laid down after
    `order - 1` pads (place `len(vocabulary)`, which `bits` must hold), so every position has a full context; the keys
    of runs that start in the pads are then taken out.
    """
    pad = len(vocabulary)
    rank = {token: place for place, token in enumerate(vocabulary)}
    corpus = [*chain.from_iterable(chain(repeat(pad, order - 1), map(rank.__getitem__, doc)) for doc in documents)]
    starts = list(accumulate((len(document) + order - 1 for document in documents), initial=0))
    shifted = [0] * len(corpus)  # the key of the `length` tokens before each position, shifted to make room for one
    for length in range(order):
        if length:
            earlier = [pad] * length + corpus[: len(corpus) - length]  # the token `length` places back
            shifted = list(map(lshift, map(or_, shifted, earlier), repeat(bits)))
        grams = Counter(map(or_, shifted, corpus))
        for start, document in zip(starts, documents, strict=False):
            for position in range(start, start + order - 1 + min(length, len(document))):  # a pad in the run
                grams.pop(shifted[position] | corpus[position], None)
        yield grams


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
