"""Tests for mockai.engine.image: prompt-dependent renders, mask-limited edits, derived variations."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockai.engine.image import edit_png, render_png, render_rgba, revise_prompt, vary_png
from mockai.engine.png import PngImage, read_png


def differing_fraction(a: PngImage, b: PngImage) -> float:
    pixels = len(a.pixels) // 4
    same = sum(1 for i in range(0, len(a.pixels), 4) if a.pixels[i : i + 3] == b.pixels[i : i + 3])
    return 1 - same / pixels


def circle_mask(size: int, radius: int) -> PngImage:
    centre = size // 2
    alpha = bytes(
        0 if (x - centre) ** 2 + (y - centre) ** 2 < radius**2 else 255 for y in range(size) for x in range(size)
    )
    pixels = bytearray(size * size * 4)
    pixels[3::4] = alpha
    return PngImage(size, size, "RGBA", True, bytes(pixels))


@pytest.mark.parametrize("size", [(256, 256), (512, 512), (1792, 1024), (1024, 1792)])
def test_render_gives_a_png_of_the_requested_size(size: tuple[int, int]) -> None:
    image = read_png(render_png("A cute baby sea otter", *size))
    assert (image.width, image.height) == size
    assert image.mode == "RGB"


def test_same_prompt_same_bytes() -> None:
    assert render_png("A cute baby sea otter", 64, 64) == render_png("A cute baby sea otter", 64, 64)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("A cute baby sea otter", 0), ("A snowy mountain at dawn", 0)),
        (("A cute baby sea otter", 0), ("A cute baby sea otter", 1)),
        (("一只可爱的海獭", 0), ("一座雪山", 0)),
    ],
    ids=["other-prompt", "other-variant", "chinese"],
)
def test_different_prompts_or_variants_are_visibly_different(first: tuple[str, int], second: tuple[str, int]) -> None:
    a = read_png(render_png(first[0], 128, 128, variant=first[1]))
    b = read_png(render_png(second[0], 128, 128, variant=second[1]))
    assert differing_fraction(a, b) > 0.5


def test_colour_words_steer_the_palette() -> None:
    image = render_rgba("red", 32, 32)
    bottom = image.row(31)
    assert bottom[0] > 150 and bottom[1] < 100 and bottom[2] < 100


def test_a_1024_render_is_a_decodable_png_of_that_size_and_the_same_bytes_twice() -> None:
    # How fast this is (about 0.03 s) is measured in bench/bench_media.py.
    png = render_png("A cute baby sea otter wearing a beret", 1024, 1024)
    image = read_png(png)
    assert (image.width, image.height) == (1024, 1024)
    assert render_png("A cute baby sea otter wearing a beret", 1024, 1024) == png


def test_render_refuses_empty_sizes() -> None:
    with pytest.raises(ValueError, match="0x10"):
        render_png("x", 0, 10)


def test_edit_changes_only_the_transparent_area_of_the_mask() -> None:
    source = render_rgba("A cute baby sea otter", 64, 64)
    mask = circle_mask(64, 20)
    edited = read_png(edit_png(source, "wearing a beret", mask=mask))
    inside = [i for i in range(64 * 64) if mask.pixels[4 * i + 3] == 0]
    outside = [i for i in range(64 * 64) if mask.pixels[4 * i + 3] != 0]
    assert all(edited.pixels[4 * i : 4 * i + 4] == source.pixels[4 * i : 4 * i + 4] for i in outside)
    changed = sum(1 for i in inside if edited.pixels[4 * i : 4 * i + 3] != source.pixels[4 * i : 4 * i + 3])
    assert changed > 0.8 * len(inside)


def test_edit_without_mask_uses_the_images_own_transparency() -> None:
    opaque = render_rgba("A cute baby sea otter", 32, 32)
    pixels = bytearray(opaque.pixels)
    pixels[3 : 32 * 4 * 8 : 4] = bytes(32 * 8)  # top eight rows fully transparent
    source = PngImage(32, 32, "RGBA", True, bytes(pixels))
    edited = read_png(edit_png(source, "a blue sky"))
    assert edited.pixels[32 * 4 * 8 :] == source.pixels[32 * 4 * 8 :]
    assert edited.alpha()[: 32 * 8] == b"\xff" * (32 * 8)


def test_edit_output_has_the_requested_size() -> None:
    source = render_rgba("otter", 40, 40)
    edited = read_png(edit_png(source, "beret", mask=circle_mask(40, 10), size=(256, 256)))
    assert (edited.width, edited.height) == (256, 256)


def test_variation_is_a_recolouring_of_the_input() -> None:
    # Two-colour stripes: a per-pixel recolouring must keep exactly two colours in the same places.
    stripe_a, stripe_b = bytes([200, 30, 30, 255]), bytes([20, 20, 220, 255])
    pixels = b"".join((stripe_a if x < 8 else stripe_b) for _ in range(16) for x in range(16))
    source = PngImage(16, 16, "RGBA", True, pixels)
    varied = read_png(vary_png(source, variant=0))
    left, right = varied.pixels[0:4], varied.pixels[60:64]
    assert left != right and left != stripe_a
    assert all(varied.row(y) == (left * 8 + right * 8) for y in range(16))
    mirrored = read_png(vary_png(source, variant=1))
    assert mirrored.row(0)[:4] != mirrored.row(0)[-4:]


def test_variants_differ_and_repeat() -> None:
    source = render_rgba("A cute baby sea otter", 48, 48)
    first, second = vary_png(source, variant=0), vary_png(source, variant=1)
    assert first != second
    assert first == vary_png(source, variant=0)


@given(prompt=st.text(max_size=60), width=st.integers(1, 40), height=st.integers(1, 40), variant=st.integers(0, 9))
def test_any_prompt_renders_a_valid_png(prompt: str, width: int, height: int, variant: int) -> None:
    image = read_png(render_png(prompt, width, height, variant=variant))
    assert (image.width, image.height) == (width, height)


def test_revised_prompt_keeps_the_prompt_and_names_the_drawn_colours() -> None:
    revised = revise_prompt("A red balloon", style="natural")
    assert revised.startswith("A red balloon. ")
    assert "red" in revised.split("gradient")[1]  # the colour word steered the palette, and the text says so
    assert "soft, natural" in revised
    assert revise_prompt("A red balloon") == revise_prompt("A red balloon")
    assert revise_prompt("", variant=3).startswith("An abstract composition.")
