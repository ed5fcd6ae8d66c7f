"""Under the plugin, the user's own `tiktoken.get_encoding(...)` works with the network refused."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

# The user's suite, with every non-loopback connection and name lookup refused (as in an air-gapped CI).
OFFLINE_CONFTEST = """
import socket

_connect = socket.socket.connect
_getaddrinfo = socket.getaddrinfo
LOCAL = ("127.0.0.1", "::1", "localhost")


def _loopback_only(sock, address):
    if isinstance(address, tuple) and address[0] not in LOCAL:
        raise OSError(f"offline: refused a connection to {address!r}")
    return _connect(sock, address)


def _local_names_only(host, *args, **kwargs):
    if host not in LOCAL:
        raise OSError(f"offline: refused to look up {host!r}")
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _loopback_only
socket.getaddrinfo = _local_names_only
"""


def test_a_clients_own_tiktoken_works_offline_in_the_session(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This suite's own session set the variable; the user's session starts without it.
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    monkeypatch.delenv("DATA_GYM_CACHE_DIR", raising=False)
    pytester.makeconftest(OFFLINE_CONFTEST)
    pytester.makepyfile(
        """
        import os
        import socket

        import pytest
        import tiktoken

        def test_the_network_is_really_refused():
            with pytest.raises(OSError, match="offline"):
                socket.getaddrinfo("openaipublic.blob.core.windows.net", 443)

        def test_usage_counted_with_tiktoken():
            assert os.environ["TIKTOKEN_CACHE_DIR"]
            assert tiktoken.get_encoding("cl100k_base").encode("hello world, offline") == [15339, 1917, 11, 27258]
            assert tiktoken.get_encoding("o200k_base").encode("hello world, offline") == [24912, 2375, 11, 33467]
            assert tiktoken.encoding_for_model("gpt-4o").name == "o200k_base"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=2)


def test_a_cache_directory_the_user_chose_is_left_alone(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    chosen = tmp_path_factory.mktemp("users-own-cache")
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(chosen))
    pytester.makepyfile(
        f"""
        import os

        def test_variable_kept():
            assert os.environ["TIKTOKEN_CACHE_DIR"] == {str(chosen)!r}
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)
    assert list(chosen.iterdir()) == []
