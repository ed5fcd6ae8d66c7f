"""Tests for mockai.engine.png: every filter type and colour type decodes; bad files are refused."""

from __future__ import annotations

import struct
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockai.engine.png import PngImage, encode_png, read_png, resize

BPP = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_row(kind: int, row: bytes, prev: bytes, bpp: int) -> bytes:
    """The reference encoder, written straight from the PNG specification."""
    out = bytearray()
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        predictor = (0, a, b, (a + b) // 2, paeth(a, b, c))[kind]
        out.append((x - predictor) % 256)
    return bytes(out)


def make_png(
    samples: bytes,
    width: int,
    height: int,
    colour_type: int,
    *,
    filters: list[int],
    extra: tuple[tuple[bytes, bytes], ...] = (),
    depth: int = 8,
    interlace: int = 0,
) -> bytes:
    bpp = BPP[colour_type]
    stride = width * bpp
    raw = bytearray()
    prev = bytes(stride)
    for y in range(height):
        row = samples[y * stride : (y + 1) * stride]
        kind = filters[y % len(filters)]
        raw += bytes([kind]) + filter_row(kind, row, prev, bpp)
        prev = row
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, interlace)
    parts = [b"\x89PNG\r\n\x1a\n", chunk(b"IHDR", header)]
    parts += [chunk(kind, body) for kind, body in extra]
    parts += [chunk(b"IDAT", zlib.compress(bytes(raw))), chunk(b"IEND", b"")]
    return b"".join(parts)


def gradient(width: int, height: int, bpp: int) -> bytes:
    return bytes((x * 37 + y * 11 + c * 90) % 256 for y in range(height) for x in range(width) for c in range(bpp))


@pytest.mark.parametrize("kind", [0, 1, 2, 3, 4], ids=["none", "sub", "up", "average", "paeth"])
def test_each_filter_type_decodes_rgba(kind: int) -> None:
    samples = gradient(13, 7, 4)
    image = read_png(make_png(samples, 13, 7, 6, filters=[kind]))
    assert (image.width, image.height, image.mode, image.has_alpha) == (13, 7, "RGBA", True)
    assert image.pixels == samples


def test_mixed_filters_decode_rgb_to_opaque_rgba() -> None:
    samples = gradient(9, 10, 3)
    image = read_png(make_png(samples, 9, 10, 2, filters=[0, 1, 2, 3, 4]))
    assert image.mode == "RGB" and not image.has_alpha
    assert image.pixels[3::4] == b"\xff" * 90
    assert image.pixels[0::4] == samples[0::3] and image.pixels[2::4] == samples[2::3]


def test_greyscale_and_grey_alpha() -> None:
    grey = bytes(range(0, 240, 10))
    image = read_png(make_png(grey, 6, 4, 0, filters=[1, 4]))
    assert image.mode == "L"
    assert image.pixels[0::4] == grey == image.pixels[1::4] == image.pixels[2::4]
    pairs = bytes(v for g in grey for v in (g, 255 - g))
    image = read_png(make_png(pairs, 6, 4, 4, filters=[3]))
    assert image.mode == "LA" and image.has_alpha
    assert image.alpha() == bytes(255 - g for g in grey)


def test_palette_with_transparency() -> None:
    palette = bytes([255, 0, 0, 0, 255, 0, 0, 0, 255])
    indices = bytes([0, 1, 2, 1] * 3)
    extra = ((b"PLTE", palette), (b"tRNS", b"\x00\x80"))
    image = read_png(make_png(indices, 4, 3, 3, filters=[2], extra=extra))
    assert image.mode == "P" and image.has_alpha
    assert image.pixels[:16] == bytes([255, 0, 0, 0, 0, 255, 0, 128, 0, 0, 255, 255, 0, 255, 0, 128])


def test_rgb_colour_key_becomes_transparent() -> None:
    samples = bytes([1, 2, 3, 9, 9, 9])
    key = struct.pack(">HHH", 1, 2, 3)
    image = read_png(make_png(samples, 2, 1, 2, filters=[0], extra=((b"tRNS", key),)))
    assert image.has_alpha
    assert image.alpha() == b"\x00\xff"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a" + bytes(20), "bad signature"),
        (make_png(bytes(8), 2, 2, 0, filters=[0], depth=16), "bit depth 16"),
        (make_png(bytes(4), 2, 2, 0, filters=[0], interlace=1), "interlaced"),
        (make_png(bytes(4), 2, 2, 0, filters=[0])[:-20], "truncated|IEND"),
        (make_png(bytes(4), 2, 2, 3, filters=[0]), "no PLTE"),
    ],
    ids=["not-png", "16-bit", "interlaced", "truncated", "palette-without-plte"],
)
def test_unsupported_or_damaged_files_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_png(data)


def test_image_data_longer_than_the_header_promises_is_refused() -> None:
    header = struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0)
    bomb = zlib.compress(bytes(10_000_000))
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", bomb) + chunk(b"IEND", b"")
    with pytest.raises(ValueError, match="does not match its 2x2 header"):
        read_png(data)


def test_pixel_limit_is_checked_from_the_header() -> None:
    big = make_png(bytes(64 * 64), 64, 64, 0, filters=[0])
    assert read_png(big, max_pixels=64 * 64).width == 64
    with pytest.raises(ValueError, match="64x64, more than the 4095-pixel limit"):
        read_png(big, max_pixels=4095)


def test_bad_crc_and_unknown_filter_are_refused() -> None:
    good = make_png(bytes(4), 2, 2, 0, filters=[0])
    damaged = good[:30] + bytes([good[30] ^ 0xFF]) + good[31:]
    with pytest.raises(ValueError, match="CRC"):
        read_png(damaged)
    raw = zlib.compress(b"\x07\x00\x00\x07\x00\x00")
    header = struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
    with pytest.raises(ValueError, match="unknown filter type 7"):
        read_png(data)


def test_encode_round_trips_with_and_without_alpha() -> None:
    pixels = gradient(5, 3, 4)
    with_alpha = PngImage(5, 3, "RGBA", True, pixels)
    assert read_png(encode_png(with_alpha)).pixels == pixels
    opaque = read_png(encode_png(PngImage(5, 3, "RGB", False, pixels)))
    assert opaque.mode == "RGB"
    assert opaque.pixels[0::4] == pixels[0::4] and opaque.alpha() == b"\xff" * 15


def test_resize_picks_nearest_pixels() -> None:
    pixels = bytes([10, 10, 10, 255, 200, 200, 200, 255])
    image = PngImage(2, 1, "RGBA", True, pixels)
    bigger = resize(image, 4, 2)
    assert bigger.row(0) == bigger.row(1) == pixels[:4] * 2 + pixels[4:] * 2
    assert resize(bigger, 2, 1).pixels == pixels
    assert resize(image, 2, 1) is image


@given(
    width=st.integers(1, 9),
    height=st.integers(1, 6),
    colour_type=st.sampled_from([0, 2, 4, 6]),
    filters=st.lists(st.integers(0, 4), min_size=1, max_size=6),
    data=st.data(),
)
def test_any_filter_sequence_round_trips(
    width: int, height: int, colour_type: int, filters: list[int], data: st.DataObject
) -> None:
    size = width * height * BPP[colour_type]
    samples = data.draw(st.binary(min_size=size, max_size=size))
    image = read_png(make_png(samples, width, height, colour_type, filters=filters))
    expected = read_png(make_png(samples, width, height, colour_type, filters=[0]))
    assert image.pixels == expected.pixels
    assert len(image.pixels) == width * height * 4


SMALL_RGBA = make_png(gradient(3, 3, 4), 3, 3, 6, filters=[0, 1, 4])


@pytest.mark.parametrize("cut", [8, 12, 16, 20, 29, 30, 32, 33, 40, len(SMALL_RGBA) - 1])
def test_a_png_cut_anywhere_is_refused_with_a_value_error(cut: int) -> None:
    # 29-32 cut the IHDR chunk inside its CRC: that once escaped as a struct.error (a 500 on image variations).
    with pytest.raises(ValueError, match=r"truncated|IEND|no IHDR"):
        read_png(SMALL_RGBA[:cut])


@given(st.data())
def test_any_cut_or_bit_flip_of_a_valid_png_decodes_or_raises_value_error(data: st.DataObject) -> None:
    damaged = bytearray(SMALL_RGBA[: data.draw(st.integers(0, len(SMALL_RGBA)), label="cut")])
    for position in data.draw(st.lists(st.integers(0, max(len(damaged) - 1, 0)), max_size=3), label="flips"):
        if damaged:
            damaged[position] ^= 1 << data.draw(st.integers(0, 7))
    try:
        image = read_png(bytes(damaged), max_pixels=4096)
    except ValueError:
        return
    assert len(image.pixels) == 4 * image.width * image.height
