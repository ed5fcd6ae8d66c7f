"""Interpolated Witten-Bell n-gram counts over token ids: the machinery under the token model and its layers.

Witten-Bell suits a small corpus: a context followed by many different tokens hands more weight to its shorter
suffix, so rare contexts back off smoothly without tuned discounts. Everything here is a pure function of counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

__all__ = ["NgramTable", "Node", "candidates", "count_documents", "count_into", "interpolate", "interpolate_all"]


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
        grams: Counter[tuple[int, ...]] = Counter()
        for document in documents:
            grams.update(zip(*(document[offset:] for offset in range(length + 1)), strict=False))
        level: dict[tuple[int, ...], dict[int, float]] = {}
        setdefault = level.setdefault
        for gram, count in grams.items():
            setdefault(gram[:-1], {})[gram[-1]] = count
        levels.append(level)
    return levels


class NgramTable:
    """Next-token counts after every context of length 0..order-1, each compiled into a `Node` on first use.

    Compiling lazily keeps fitting cheap: a request visits a few hundred contexts of the corpus's hundreds of
    thousands. Two threads compiling the same context build equal nodes, so the race is harmless.
    """

    def __init__(self, counts: list[dict[tuple[int, ...], dict[int, float]]], top_n: int) -> None:
        self.order = len(counts)
        self._counts = counts
        self._top_n = top_n
        self._nodes: list[dict[tuple[int, ...], Node]] = [{} for _ in counts]

    @classmethod
    def from_documents(cls, documents: Iterable[Sequence[int]], order: int, top_n: int) -> NgramTable:
        return cls(count_documents(documents, order), top_n)

    def counts(self, length: int) -> dict[tuple[int, ...], dict[int, float]]:
        """The raw next-token counts after every context of `length` tokens (shared: do not mutate)."""
        return self._counts[length] if length < self.order else {}

    def node(self, context: tuple[int, ...]) -> Node | None:
        """The compiled node of one context (of length below `order`), or None if it was never seen."""
        compiled = self._nodes[len(context)]
        node = compiled.get(context)
        if node is None:
            found = self._counts[len(context)].get(context)
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
