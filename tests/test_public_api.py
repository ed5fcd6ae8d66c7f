"""The public surface is small and deliberate: `mockai.__all__` is pinned."""

from __future__ import annotations

import mockai


def test_exported_members_are_pinned() -> None:
    assert sorted(mockai.__all__) == ["MockAI", "ServerThread", "Settings", "__version__", "run"]


def test_every_export_resolves() -> None:
    for name in mockai.__all__:
        assert getattr(mockai, name) is not None
