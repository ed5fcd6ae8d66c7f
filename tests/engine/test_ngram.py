"""The two n-gram stores answer alike: the corpus model's flat `PackedNgramTable` gives, for every context, the same
counts, nodes and matches as the dict `NgramTable` the per-request tables use, before and after a pickle round trip
(the fit cache's)."""

from __future__ import annotations

import pickle
from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from mockai.engine.ngram import NgramTable, Node, PackedNgramTable, count_documents
from mockai.engine.packed import Rows

# Small alphabets so contexts repeat, plus ids beyond 32 bits and negative ones: the arrays widen to fit any id.
TOKENS = st.one_of(st.integers(0, 6), st.sampled_from([-1, 2**31, 2**40 + 3, 199_999]))
DOCUMENTS = st.lists(st.lists(TOKENS, max_size=12), max_size=6)
ORDERS = st.integers(1, 5)


def _node_facts(node: Node | None) -> tuple[dict[int, float], float, float, float, tuple[int, ...]] | None:
    if node is None:
        return None
    return node.counts, node.total, node.inv, node.keep, node.top


def _contexts(documents: Sequence[Sequence[int]], order: int) -> set[tuple[int, ...]]:
    """Every context of the documents, and some never seen: each seen one with a token put before it."""
    seen = {context for level in count_documents(documents, order) for context in level}
    return seen | {(token, *context) for context in seen for token in (0, 5) if len(context) + 1 < order}


@given(DOCUMENTS, ORDERS, st.integers(1, 4))
def test_the_packed_table_finds_the_counts_and_nodes_of_the_dict_table(
    documents: list[list[int]], order: int, top_n: int
) -> None:
    plain = NgramTable.from_documents(documents, order, top_n)
    packed = PackedNgramTable.from_documents(documents, order, top_n)
    restored = pickle.loads(pickle.dumps(packed, protocol=pickle.HIGHEST_PROTOCOL))
    assert packed.order == restored.order == order
    for context in _contexts(documents, order):
        expected = _node_facts(plain.node(context))
        assert _node_facts(packed.node(context)) == expected, context
        assert _node_facts(restored.node(context)) == expected, context
    for window in [[], [0], [3, 0], [5, 1, 2, 0], *documents]:
        assert [_node_facts(node) for node in packed.matched(window)] == [
            _node_facts(node) for node in plain.matched(window)
        ]


@given(DOCUMENTS, st.integers(2, 4))
def test_the_packed_table_lists_its_vocabulary_and_one_token_contexts(documents: list[list[int]], order: int) -> None:
    packed = PackedNgramTable.from_documents(documents, order, 4)
    assert list(packed.vocabulary()) == sorted({token for document in documents for token in document})
    levels = count_documents(documents, order)
    assert {context: sorted(following) for context, following in packed.following(1)} == {
        context: sorted(following) for context, following in levels[1].items()
    }
    assert {context: list(following) for context, following in packed.following(0)} == {
        context: sorted(following) for context, following in levels[0].items()
    }


def test_an_empty_table_matches_nothing() -> None:
    packed = PackedNgramTable.from_documents([], 3, 4)
    assert packed.matched([1, 2]) == [] and packed.node(()) is None and len(packed.vocabulary()) == 0


@given(st.lists(st.lists(st.integers(-(2**40), 2**40), max_size=5), max_size=5))
def test_rows_give_back_each_row(rows: list[list[int]]) -> None:
    packed = Rows.of(rows)
    restored = pickle.loads(pickle.dumps(packed))
    assert [list(packed[index]) for index in range(len(packed))] == rows
    assert [list(restored[index]) for index in range(len(restored))] == rows
