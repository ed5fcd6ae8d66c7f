"""Deterministic pictures for the image endpoints: render from a prompt, edit under a mask, vary."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from mockai.engine.png import PngImage, encode_png, encode_rows, resize

__all__ = ["edit_png", "render_png", "render_rgba", "revise_prompt", "vary_png"]

Colour = tuple[int, int, int]

# Colour words pull the palette towards what the prompt asks for, so "a red balloon" looks red.
_COLOUR_WORDS: dict[str, Colour] = {
    "red": (214, 48, 49),
    "orange": (243, 140, 36),
    "yellow": (246, 211, 56),
    "green": (46, 160, 67),
    "blue": (40, 96, 214),
    "purple": (128, 64, 180),
    "pink": (236, 128, 170),
    "brown": (132, 84, 44),
    "black": (24, 24, 28),
    "white": (240, 240, 236),
    "grey": (128, 128, 128),
    "gray": (128, 128, 128),
    "红": (214, 48, 49),
    "绿": (46, 160, 67),
    "蓝": (40, 96, 214),
    "黄": (246, 211, 56),
    "黑": (24, 24, 28),
    "白": (240, 240, 236),
}
_WORD = re.compile(r"\w+")
# Gradient rows are computed once per band rather than once per row: 64 bands are smooth to
# the eye and keep a 1024x1024 render in tens of milliseconds.
_BANDS = 64
_MAX_SHAPES = 12
# Alpha byte -> 0xFF where fully transparent: the area an edit may repaint.
_ZERO_TO_FF = b"\xff" + b"\x00" * 255


class _Draws:
    """An endless stream of deterministic integers read from SHAKE-256 of a seed."""

    def __init__(self, seed: str) -> None:
        self._bytes = hashlib.shake_256(seed.encode()).digest(1024)
        self._pos = 0

    def below(self, bound: int) -> int:
        value = int.from_bytes(self._bytes[self._pos : self._pos + 4], "big")
        self._pos = (self._pos + 4) % (len(self._bytes) - 4)
        return value % bound

    def colour(self) -> Colour:
        return (self.below(256), self.below(256), self.below(256))


@dataclass(frozen=True)
class _Shape:
    kind: str  # "ellipse" | "rect" | "triangle" | "diamond"
    cx: int
    cy: int
    rx: int
    ry: int
    tables: tuple[bytes, bytes, bytes]  # per-channel blend lookup tables

    def span(self, y: int, width: int) -> tuple[int, int] | None:
        dy = y - self.cy
        if abs(dy) > self.ry:
            return None
        if self.kind == "rect":
            half = self.rx
        elif self.kind == "ellipse":
            half = int(self.rx * (1 - (dy / self.ry) ** 2) ** 0.5)
        elif self.kind == "triangle":
            half = self.rx * (dy + self.ry) // (2 * self.ry)
        else:
            half = self.rx * (self.ry - abs(dy)) // self.ry
        left, right = max(0, self.cx - half), min(width, self.cx + half + 1)
        return (left, right) if left < right else None


def render_png(prompt: str, width: int, height: int, *, variant: int = 0) -> bytes:
    """Render an RGB PNG that depends visibly on ``prompt`` and ``variant``.

    The palette comes from the whole prompt (and its colour words); each word adds one
    translucent shape seeded by that word, so prompts sharing words share shapes.

    >>> render_png("A cute baby sea otter", 4, 4)[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    rows = _render_rows(prompt, width, height, variant)
    return encode_rows(rows, width, height, colour_type=2)


def render_rgba(prompt: str, width: int, height: int, *, variant: int = 0) -> PngImage:
    """The picture of :func:`render_png` as an opaque RGBA image, for compositing."""
    rgba = bytearray()
    for row in _render_rows(prompt, width, height, variant):
        out = bytearray(width * 4)
        for channel in range(3):
            out[channel::4] = row[channel::3]
        out[3::4] = b"\xff" * width
        rgba += out
    return PngImage(width, height, "RGBA", True, bytes(rgba))


def edit_png(
    image: PngImage,
    prompt: str,
    *,
    mask: PngImage | None = None,
    variant: int = 0,
    size: tuple[int, int] | None = None,
) -> bytes:
    """Repaint the fully transparent pixels of ``mask`` (or of ``image`` itself) with ``prompt``.

    Every other pixel keeps the input's exact value, so only the masked area changes.
    """
    width, height = size or (image.width, image.height)
    base = resize(image, width, height)
    region_source = resize(mask, width, height) if mask is not None else base
    painted = render_rgba(prompt, width, height, variant=variant)
    full = (1 << (32 * width)) - 1
    out = bytearray()
    for y in range(height):
        select = _transparent_lanes(region_source.row(y)[3::4])
        kept = int.from_bytes(base.row(y), "little") & (select ^ full)
        new = int.from_bytes(painted.row(y), "little") & select
        out += (kept | new).to_bytes(width * 4, "little")
    return encode_png(PngImage(width, height, "RGBA", True, bytes(out)))


def vary_png(image: PngImage, *, variant: int = 0, size: tuple[int, int] | None = None) -> bytes:
    """A recoloured copy of ``image``: tinted per variant, channels rotated, odd variants mirrored."""
    width, height = size or (image.width, image.height)
    base = resize(image, width, height)
    draws = _Draws(f"variation\x00{variant}\x00" + hashlib.sha256(base.pixels).hexdigest())
    tint = draws.colour()
    strength = 64 + draws.below(64)
    tables = [_blend_table(tint[c], strength) for c in range(3)]
    order = [(variant // 2 + c) % 3 for c in range(3)]
    out = bytearray()
    for y in range(height):
        row = base.row(y)
        channels = [row[c::4] for c in range(4)]
        if variant % 2:
            channels = [channel[::-1] for channel in channels]
        recoloured = bytearray(width * 4)
        for c in range(3):
            recoloured[c::4] = channels[order[c]].translate(tables[c])
        recoloured[3::4] = channels[3]
        out += recoloured
    return encode_png(PngImage(width, height, base.mode, base.has_alpha, bytes(out)))


def revise_prompt(prompt: str, *, style: str = "vivid", variant: int = 0) -> str:
    """The fuller prompt dall-e-3 reports as ``revised_prompt``: the request plus what was drawn.

    The colours named are the nearest names to the picture's actual palette, so the text
    describes the image that :func:`render_png` produces for the same ``prompt`` and ``variant``.
    """
    palette = _palette(prompt, variant)
    top, bottom = _colour_name(palette[0]), _colour_name(palette[1])
    words = _WORD.findall(prompt.casefold())
    mood = "bold, saturated" if style == "vivid" else "soft, natural"
    subject = prompt.strip().rstrip(".") or "An abstract composition"
    return (
        f"{subject}. The scene is set against a gradient that fades from {top} at the top to {bottom} "
        f"at the bottom, with {max(1, min(len(words), _MAX_SHAPES))} translucent geometric shapes layered "
        f"over it, rendered in {mood} colours."
    )


def _colour_name(colour: Colour) -> str:
    names = {name: rgb for name, rgb in _COLOUR_WORDS.items() if name.isascii() and name != "gray"}
    return min(names, key=lambda name: sum((a - b) ** 2 for a, b in zip(names[name], colour, strict=True)))


def _render_rows(prompt: str, width: int, height: int, variant: int) -> Iterator[bytearray]:
    if width <= 0 or height <= 0:
        raise ValueError(f"cannot render a {width}x{height} image")
    palette = _palette(prompt, variant)
    bands = min(_BANDS, height)
    templates = [_gradient_row(palette, b / max(1, bands - 1), width) for b in range(bands)]
    shapes = _shapes(prompt, variant, width, height, palette)
    for y in range(height):
        row = bytearray(templates[y * bands // height])
        for shape in shapes:
            span = shape.span(y, width)
            if span is not None:
                _paint(row, span, shape.tables)
        yield row


def _palette(prompt: str, variant: int) -> list[Colour]:
    draws = _Draws(f"palette\x00{variant}\x00{prompt}")
    colours = [draws.colour() for _ in range(4)]
    named = [_COLOUR_WORDS[w] for w in _WORD.findall(prompt.casefold()) if w in _COLOUR_WORDS]
    named += [c for ch, c in _COLOUR_WORDS.items() if len(ch) == 1 and ch in prompt]
    for i, colour in enumerate(named[:4]):
        colours[(i + 1) % 4] = colour
    return colours


def _gradient_row(palette: list[Colour], t: float, width: int) -> bytes:
    top, bottom, side = palette[0], palette[1], palette[2]
    left = [round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)]
    right = [(lc + s) // 2 for lc, s in zip(left, side, strict=True)]
    row = bytearray(width * 3)
    span = max(1, width - 1)
    for c in range(3):
        row[c::3] = bytes((left[c] * (span - x) + right[c] * x) // span for x in range(width))
    return bytes(row)


def _shapes(prompt: str, variant: int, width: int, height: int, palette: list[Colour]) -> list[_Shape]:
    words = _WORD.findall(prompt.casefold())[:_MAX_SHAPES] or [""]
    shapes = []
    seen: dict[str, int] = {}
    for index, word in enumerate(words):
        seen[word] = seen.get(word, 0) + 1
        draws = _Draws(f"shape\x00{variant}\x00{word}\x00{seen[word]}")
        kind = ("ellipse", "rect", "triangle", "diamond")[draws.below(4)]
        colour = palette[3] if index == 0 else draws.colour()
        strength = 120 + draws.below(110)
        shapes.append(
            _Shape(
                kind=kind,
                cx=draws.below(width),
                cy=draws.below(height),
                rx=max(1, width // 12 + draws.below(max(1, width // 4))),
                ry=max(1, height // 12 + draws.below(max(1, height // 4))),
                tables=(
                    _blend_table(colour[0], strength),
                    _blend_table(colour[1], strength),
                    _blend_table(colour[2], strength),
                ),
            )
        )
    return shapes


def _blend_table(target: int, strength: int) -> bytes:
    """Lookup table mixing each byte value towards ``target`` by ``strength``/256."""
    return bytes((v * (256 - strength) + target * strength) >> 8 for v in range(256))


def _paint(row: bytearray, span: tuple[int, int], tables: tuple[bytes, bytes, bytes]) -> None:
    start, stop = span[0] * 3, span[1] * 3
    segment = row[start:stop]
    for c in range(3):
        segment[c::3] = segment[c::3].translate(tables[c])
    row[start:stop] = segment


def _transparent_lanes(alpha: bytes) -> int:
    """An int with 0xFFFFFFFF in each 32-bit pixel lane whose alpha is 0 (the edit area)."""
    marks = alpha.translate(_ZERO_TO_FF)
    lanes = bytearray(len(alpha) * 4)
    for c in range(4):
        lanes[c::4] = marks
    return int.from_bytes(lanes, "little")
