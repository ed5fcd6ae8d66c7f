"""Pure-Python PNG codec for 8-bit images: decode to RGBA, encode RGB/RGBA, nearest-neighbour resize."""

from __future__ import annotations

import operator
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate

__all__ = ["PngImage", "encode_png", "read_png", "resize"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Colour type -> (mode name as imaging libraries call it, bytes per pixel at bit depth 8).
_COLOUR_TYPES: dict[int, tuple[str, int]] = {0: ("L", 1), 2: ("RGB", 3), 3: ("P", 1), 4: ("LA", 2), 6: ("RGBA", 4)}


@dataclass(frozen=True)
class PngImage:
    """A decoded image: ``pixels`` is RGBA, row-major, four bytes per pixel.

    ``mode`` is the PNG's own colour model ("L", "LA", "P", "RGB", "RGBA"), which the
    image endpoints report in their errors; ``has_alpha`` is true when the file can carry
    transparency (an alpha channel or a ``tRNS`` chunk).
    """

    width: int
    height: int
    mode: str
    has_alpha: bool
    pixels: bytes

    def row(self, y: int) -> bytes:
        """The RGBA bytes of row ``y``."""
        stride = self.width * 4
        return self.pixels[y * stride : (y + 1) * stride]

    def alpha(self) -> bytes:
        """One alpha byte per pixel."""
        return self.pixels[3::4]


def read_png(data: bytes, *, max_pixels: int | None = None) -> PngImage:
    """Decode an 8-bit, non-interlaced greyscale, RGB, palette or alpha PNG.

    Anything else (16-bit or packed sub-byte samples, Adam7 interlacing, damaged chunks)
    raises ``ValueError`` saying what was found.  ``max_pixels`` refuses an image from its
    header alone, before a small file can inflate into a huge one.
    """
    if not data.startswith(_SIGNATURE):
        raise ValueError("not a PNG file (bad signature)")
    chunks = _read_chunks(data)
    if not chunks or chunks[0][0] != b"IHDR":
        raise ValueError("PNG has no IHDR chunk first")
    width, height, colour_type, bpp = _parse_header(chunks[0][1])
    if max_pixels is not None and width * height > max_pixels:
        raise ValueError(f"PNG is {width}x{height}, more than the {max_pixels}-pixel limit")
    mode = _COLOUR_TYPES[colour_type][0]
    palette = b"".join(body for kind, body in chunks if kind == b"PLTE")
    transparency = b"".join(body for kind, body in chunks if kind == b"tRNS")
    compressed = b"".join(body for kind, body in chunks if kind == b"IDAT")
    if colour_type == 3 and not palette:
        raise ValueError("palette PNG has no PLTE chunk")
    expected = height * (1 + width * bpp)
    try:
        # Inflate no further than the header promises: extra data is an error, not a reason to allocate.
        raw = zlib.decompressobj().decompress(compressed, expected + 1)
    except zlib.error as exc:
        raise ValueError(f"PNG image data is corrupt: {exc}") from exc
    if len(raw) != expected:
        raise ValueError(f"PNG image data does not match its {width}x{height} header ({expected} bytes expected)")
    samples = _unfilter(raw, width * bpp, bpp, height)
    pixels = _to_rgba(samples, colour_type, palette, transparency)
    has_alpha = colour_type in (4, 6) or bool(transparency)
    return PngImage(width=width, height=height, mode=mode, has_alpha=has_alpha, pixels=pixels)


def encode_png(image: PngImage) -> bytes:
    """Write ``image`` as RGBA (when it has alpha) or RGB, every row with filter type 0.

    zlib at a fixed level makes the bytes a pure function of the pixels.
    """
    if image.has_alpha:
        samples, colour_type, stride = image.pixels, 6, image.width * 4
    else:
        samples, colour_type, stride = _drop_alpha(image.pixels), 2, image.width * 3
    rows = (samples[y * stride : (y + 1) * stride] for y in range(image.height))
    return encode_rows(rows, image.width, image.height, colour_type=colour_type)


def encode_rows(rows: Iterable[bytes | bytearray], width: int, height: int, *, colour_type: int) -> bytes:
    """Write already-packed 8-bit rows (RGB for colour type 2, RGBA for 6) as a PNG."""
    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"".join(
        (
            _SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(raw, 6)),
            _chunk(b"IEND", b""),
        )
    )


def resize(image: PngImage, width: int, height: int) -> PngImage:
    """Nearest-neighbour scale to ``width`` x ``height`` (a copy when the size already matches)."""
    if (width, height) == (image.width, image.height):
        return image
    if width <= 0 or height <= 0:
        raise ValueError(f"cannot resize to {width}x{height}")
    columns = [4 * (x * image.width // width) + k for x in range(width) for k in range(4)]
    pick = operator.itemgetter(*columns)
    scaled: dict[int, bytes] = {}
    out = []
    for y in range(height):
        source = y * image.height // height
        if source not in scaled:
            scaled[source] = bytes(pick(image.row(source)))
        out.append(scaled[source])
    return PngImage(width, height, image.mode, image.has_alpha, b"".join(out))


def _read_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks: list[tuple[bytes, bytes]] = []
    pos = len(_SIGNATURE)
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):  # cut short inside the chunk, its CRC included
            raise ValueError(f"PNG chunk {kind!r} is truncated")
        body = data[pos + 8 : end - 4]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(kind + body) != crc:
            raise ValueError(f"PNG chunk {kind!r} fails its CRC check")
        if kind == b"IEND":
            return chunks
        chunks.append((kind, body))
        pos += 12 + length
    raise ValueError("PNG ends before its IEND chunk")


def _parse_header(body: bytes) -> tuple[int, int, int, int]:
    if len(body) != 13:
        raise ValueError("PNG IHDR chunk has the wrong length")
    width, height, depth, colour_type, compression, filtering, interlace = struct.unpack(">IIBBBBB", body)
    if width == 0 or height == 0:
        raise ValueError(f"PNG has an empty size {width}x{height}")
    if colour_type not in _COLOUR_TYPES:
        raise ValueError(f"PNG colour type {colour_type} is not valid")
    if depth != 8:
        raise ValueError(f"only 8-bit PNGs are supported; this one has bit depth {depth}")
    if compression != 0 or filtering != 0:
        raise ValueError("PNG uses an unknown compression or filter method")
    if interlace != 0:
        raise ValueError("interlaced (Adam7) PNGs are not supported")
    return width, height, colour_type, _COLOUR_TYPES[colour_type][1]


def _unfilter(raw: bytes, stride: int, bpp: int, height: int) -> bytes:
    out = bytearray()
    previous = bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = raw[start + 1 : start + 1 + stride]
        if kind == 0:
            current = line
        elif kind == 1:
            current = _unfilter_sub(line, bpp)
        elif kind == 2:
            current = _add_bytes(line, previous)
        elif kind == 3:
            current = _unfilter_average(line, previous, bpp)
        elif kind == 4:
            current = _unfilter_paeth(line, previous, bpp)
        else:
            raise ValueError(f"PNG row {y} has unknown filter type {kind}")
        out += current
        previous = current
    return bytes(out)


def _unfilter_sub(line: bytes, bpp: int) -> bytes:
    # Each channel is a running sum mod 256 along the row, which accumulate() does in C.
    out = bytearray(len(line))
    for channel in range(bpp):
        sums = accumulate(line[channel::bpp])
        out[channel::bpp] = bytes(value & 0xFF for value in sums)
    return bytes(out)


def _add_bytes(a: bytes, b: bytes) -> bytes:
    # Bytewise (a + b) mod 256 as two big-integer additions over alternating byte lanes, so
    # every carry lands in a lane that is masked away; far faster than a Python byte loop.
    size = len(a)
    even = int.from_bytes(b"\xff\x00" * (size // 2) + b"\xff" * (size % 2), "little")
    odd = even << 8 & ((1 << 8 * size) - 1)
    left, right = int.from_bytes(a, "little"), int.from_bytes(b, "little")
    total = ((left & even) + (right & even)) & even | ((left & odd) + (right & odd)) & odd
    return total.to_bytes(size, "little")


def _unfilter_average(line: bytes, previous: bytes, bpp: int) -> bytes:
    out = bytearray(line)
    for i in range(bpp):
        out[i] = (out[i] + (previous[i] >> 1)) & 0xFF
    for i in range(bpp, len(out)):
        out[i] = (out[i] + ((out[i - bpp] + previous[i]) >> 1)) & 0xFF
    return bytes(out)


def _unfilter_paeth(line: bytes, previous: bytes, bpp: int) -> bytes:
    # The one per-byte loop left: each byte depends on its reconstructed left neighbour. The first pixel's
    # predictor is always the byte above, so the loop proper needs no bounds test.
    out = bytearray(line)
    for i in range(bpp):
        out[i] = (out[i] + previous[i]) & 0xFF
    for i in range(bpp, len(out)):
        left, up, corner = out[i - bpp], previous[i], previous[i - bpp]
        to_left, to_up = abs(up - corner), abs(left - corner)
        to_corner = abs(left + up - corner - corner)
        if to_left <= to_up and to_left <= to_corner:
            out[i] = (out[i] + left) & 0xFF
        elif to_up <= to_corner:
            out[i] = (out[i] + up) & 0xFF
        else:
            out[i] = (out[i] + corner) & 0xFF
    return bytes(out)


def _to_rgba(samples: bytes, colour_type: int, palette: bytes, transparency: bytes) -> bytes:
    if colour_type == 6:
        return samples
    if colour_type == 3:
        return _expand_palette(samples, palette, transparency)
    if colour_type == 4:
        grey, alpha = samples[0::2], samples[1::2]
    elif colour_type == 0:
        grey, alpha = samples, _key_alpha(samples, 1, transparency[:2])
    else:
        grey, alpha = b"", _key_alpha(samples, 3, transparency[:6])
    count = len(alpha)
    out = bytearray(count * 4)
    for channel in range(3):
        out[channel::4] = grey if grey else samples[channel::3]
    out[3::4] = alpha
    return bytes(out)


def _expand_palette(indices: bytes, palette: bytes, transparency: bytes) -> bytes:
    entries = len(palette) // 3
    if indices and max(indices) >= entries:
        raise ValueError(f"PNG pixel uses palette index {max(indices)} but PLTE has {entries} entries")
    # bytes.translate maps each index to one channel of its palette entry at C speed.
    tables = [bytes(palette[3 * (i % entries) + c] for i in range(256)) for c in range(3)]
    alpha = transparency + b"\xff" * (256 - len(transparency))
    tables.append(alpha[:256])
    out = bytearray(len(indices) * 4)
    for channel, table in enumerate(tables):
        out[channel::4] = indices.translate(table)
    return bytes(out)


def _key_alpha(samples: bytes, bpp: int, key: bytes) -> bytes:
    count = len(samples) // bpp
    if not key:
        return b"\xff" * count
    # A tRNS colour key stores 16-bit samples; at bit depth 8 only the low byte matters.
    wanted = bytes(key[1::2])
    return bytes(0 if samples[i * bpp : (i + 1) * bpp] == wanted else 255 for i in range(count))


def _drop_alpha(pixels: bytes) -> bytes:
    count = len(pixels) // 4
    out = bytearray(count * 3)
    for channel in range(3):
        out[channel::3] = pixels[channel::4]
    return bytes(out)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
