"""Interpolated Witten-Bell n-gram counts over token ids: the machinery under the token model and its layers.

Witten-Bell suits a small corpus: a context followed by many different tokens hands more weight to its shorter
suffix, so rare contexts back off smoothly without tuned discounts. Everything here is a pure function of counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["NgramTable", "Node", "candidates", "count_into", "interpolate", "interpolate_all"]


class Node:
    """One context's next-token counts, compiled for Witten-Bell interpolation."""

    __slots__ = ("counts", "inv", "keep", "top")

    def __init__(self, counts: dict[int, float], top_n: int) -> None:
        total, types = sum(counts.values()), len(counts)
        self.counts = counts
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


class NgramTable:
    """Next-token counts after every context of length 0..order-1, compiled into `Node`s."""

    def __init__(self, counts: list[dict[tuple[int, ...], dict[int, float]]], top_n: int) -> None:
        self.order = len(counts)
        self.levels = [{context: Node(found, top_n) for context, found in level.items()} for level in counts]

    @classmethod
    def from_documents(cls, documents: Iterable[Sequence[int]], order: int, top_n: int) -> NgramTable:
        counts: list[dict[tuple[int, ...], dict[int, float]]] = [{} for _ in range(order)]
        for document in documents:
            count_into(counts, document)
        return cls(counts, top_n)

    def matched(self, context: Sequence[int]) -> list[Node]:
        """Nodes for the context's suffixes, shortest (the unigram) first, up to the longest one seen."""
        nodes = [self.levels[0][()]] if () in self.levels[0] else []
        for length in range(1, min(self.order - 1, len(context)) + 1):
            node = self.levels[length].get(tuple(context[-length:]))
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
