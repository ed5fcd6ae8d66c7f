"""Timings of the media engine: embeddings, moderation, PNG render/decode/edit. Run: python bench/bench_media.py

The suite once asserted wall-clock bounds on two of these (100 tokens x 3072 dims under 250 ms, a 1024x1024
render under 300 ms); timings live here now, and the tests check what the results are.
"""

from __future__ import annotations

import functools
import time
import zlib
from collections.abc import Callable
from pathlib import Path

from mockai.engine.embedding import embed_tokens
from mockai.engine.image import edit_png, render_png, render_rgba
from mockai.engine.moderation import load_lexicon, score_categories
from mockai.engine.png import PngImage, read_png


def best_of(runs: int, action: Callable[[], object]) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return min(timings)


def paeth_png(image: PngImage) -> bytes:
    """The same pixels with every row Paeth-filtered (the slowest filter to decode)."""
    stride = image.width * 4
    raw, previous = bytearray(), bytes(stride)
    for y in range(image.height):
        row = image.row(y)
        out = bytearray([4])
        for i, value in enumerate(row):
            a = row[i - 4] if i >= 4 else 0
            b = previous[i]
            c = previous[i - 4] if i >= 4 else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            out.append((value - predictor) & 0xFF)
        raw += out
        previous = row
    header = image.width.to_bytes(4, "big") + image.height.to_bytes(4, "big") + bytes([8, 6, 0, 0, 0])

    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw))) + chunk(b"IEND", b"")
    )


def main() -> None:
    tokens = [(i * 7919) % 100_000 for i in range(100)]
    counter = iter(range(10**9))
    cold = best_of(5, lambda: embed_tokens(tokens, 3072, model=f"bench-{next(counter)}"))
    warm = best_of(5, lambda: embed_tokens(tokens, 3072, model="bench-warm"))
    print(f"embedding 100 tokens x 3072 dims: {cold * 1000:.1f} ms cold patterns, {warm * 1000:.1f} ms cached")
    lexicon = load_lexicon(Path(__file__).resolve().parents[1] / "fixtures" / "moderation_lexicon.json")
    text = "I want to kill them. " * 20
    print(f"moderation of a 100-word text: {best_of(20, lambda: score_categories(text, lexicon)) * 1000:.2f} ms")
    for width, height in ((1024, 1024), (1792, 1024)):
        seconds = best_of(3, functools.partial(render_png, "A cute baby sea otter wearing a beret", width, height))
        print(f"render {width}x{height}: {seconds * 1000:.0f} ms")
    picture = render_rgba("A cute baby sea otter", 1024, 1024)
    print(f"edit 1024x1024 under its own alpha: {best_of(3, lambda: edit_png(picture, 'a beret')) * 1000:.0f} ms")
    filtered = paeth_png(picture)
    print(f"decode 1024x1024 RGBA, all rows Paeth: {best_of(2, lambda: read_png(filtered)) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
