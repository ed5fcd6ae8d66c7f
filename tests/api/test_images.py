"""`/v1/images/{generations,edits,variations}` and the image URL route, through the SDK and raw HTTP."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from mockai.engine.image import render_rgba
from mockai.engine.png import PngImage, encode_png, read_png
from tests.conftest import API_KEY, start_server


def decode(b64: str) -> PngImage:
    return read_png(base64.b64decode(b64))


def rgba_with_hole(size: int) -> PngImage:
    """An opaque picture whose central square is fully transparent (the area an edit repaints)."""
    picture = render_rgba("A cute baby sea otter", size, size)
    pixels = bytearray(picture.pixels)
    for y in range(size // 4, 3 * size // 4):
        for x in range(size // 4, 3 * size // 4):
            pixels[4 * (y * size + x) + 3] = 0
    return PngImage(size, size, "RGBA", True, bytes(pixels))


def rgb(size: tuple[int, int]) -> bytes:
    picture = render_rgba("plain", *size)
    return encode_png(PngImage(size[0], size[1], "RGB", False, picture.pixels))


@pytest.mark.parametrize(
    ("model", "size"),
    [("dall-e-2", "256x256"), ("dall-e-2", "512x512"), ("dall-e-3", "1792x1024"), ("dall-e-3", "1024x1792")],
)
def test_b64_json_decodes_to_a_png_of_the_requested_size(client: Any, model: str, size: str) -> None:
    response = client.images.generate(
        model=model, prompt="A cute baby sea otter", size=size, response_format="b64_json"
    )
    image = decode(response.data[0].b64_json)
    assert f"{image.width}x{image.height}" == size
    assert response.created > 0


def test_urls_serve_the_png_without_a_key(client: Any) -> None:
    response = client.images.generate(prompt="A cute baby sea otter", n=2, size="256x256")
    assert len(response.data) == 2
    first, second = (httpx.get(item.url) for item in response.data)
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    assert read_png(first.content).width == 256
    assert first.content != second.content


def test_same_prompt_same_bytes_other_prompt_other_picture(client: Any) -> None:
    def picture(prompt: str) -> str:
        item = client.images.generate(prompt=prompt, size="256x256", response_format="b64_json").data[0]
        return str(item.b64_json)

    assert picture("A cute baby sea otter") == picture("A cute baby sea otter")
    otter, mountain = decode(picture("A cute baby sea otter")), decode(picture("A snowy mountain at dawn"))
    same = sum(1 for i in range(0, len(otter.pixels), 4) if otter.pixels[i : i + 3] == mountain.pixels[i : i + 3])
    assert same < 0.5 * 256 * 256


def test_dall_e_3_revises_the_prompt_and_dall_e_2_does_not(client: Any) -> None:
    three = client.images.generate(model="dall-e-3", prompt="A red balloon", quality="hd", style="natural")
    assert three.data[0].revised_prompt.startswith("A red balloon.")
    two = client.images.generate(model="dall-e-2", prompt="A red balloon", size="256x256")
    assert two.data[0].revised_prompt is None


GENERATION_REFUSALS = [
    ("dall-e-3-n-2", {"model": "dall-e-3", "prompt": "x", "n": 2}, 400, "n", "integer_above_max_value"),
    ("dall-e-2-wide", {"prompt": "x", "size": "1792x1024"}, 400, "size", "invalid_value"),
    ("dall-e-3-small", {"model": "dall-e-3", "prompt": "x", "size": "256x256"}, 400, "size", "invalid_value"),
    ("dall-e-2-hd", {"prompt": "x", "quality": "hd"}, 400, "quality", "invalid_value"),
    ("prompt-too-long", {"prompt": "x" * 1001}, 400, "prompt", "string_above_max_length"),
    ("dall-e-3-prompt-too-long", {"model": "dall-e-3", "prompt": "x" * 4001}, 400, "prompt", "string_above_max_length"),
    ("gpt-image-parameter", {"prompt": "x", "output_format": "webp"}, 400, "output_format", "unsupported_parameter"),
    ("n-11", {"prompt": "x", "n": 11}, 400, "n", "integer_above_max_value"),
    ("empty-prompt", {"prompt": ""}, 400, "prompt", "empty_string"),
    ("unknown-model", {"prompt": "x", "model": "stable-diffusion-9"}, 404, None, "model_not_found"),
    ("chat-model", {"prompt": "x", "model": "gpt-4"}, 404, "model", None),
]


@pytest.mark.parametrize(
    ("body", "status", "param", "code"), [r[1:] for r in GENERATION_REFUSALS], ids=[r[0] for r in GENERATION_REFUSALS]
)
def test_generation_refusals(
    http: httpx.Client, body: dict[str, Any], status: int, param: str | None, code: str | None
) -> None:
    response = http.post("/v1/images/generations", json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)


def test_edit_changes_only_the_transparent_area(client: Any) -> None:
    source = rgba_with_hole(64)
    response = client.images.edit(
        image=("otter.png", encode_png(source), "image/png"),
        prompt="A cute baby sea otter wearing a beret",
        size="256x256",
        response_format="b64_json",
    )
    edited = decode(response.data[0].b64_json)
    assert (edited.width, edited.height) == (256, 256)
    corner, centre = 4 * (5 * 256 + 5), 4 * (128 * 256 + 128)
    assert edited.pixels[corner : corner + 4] == source.pixels[4 * (1 * 64 + 1) : 4 * (1 * 64 + 1) + 4]
    assert edited.pixels[centre + 3] == 255  # the hole was painted in


def test_edit_with_a_mask_keeps_an_rgb_image_outside_it(client: Any) -> None:
    mask = rgba_with_hole(64)
    response = client.images.edit(
        image=("otter.png", rgb((64, 64)), "image/png"),
        mask=("mask.png", encode_png(mask), "image/png"),
        prompt="a beret",
        n=2,
        size="256x256",
        response_format="b64_json",
    )
    first, second = (decode(item.b64_json) for item in response.data)
    assert first.pixels != second.pixels
    assert first.pixels[:16] == second.pixels[:16]  # the unmasked corner is the same input in both


def test_variations_derive_from_the_input(client: Any) -> None:
    stripes = b"".join(
        (bytes([200, 30, 30, 255]) if x < 32 else bytes([20, 20, 220, 255])) for _ in range(64) for x in range(64)
    )
    source = encode_png(PngImage(64, 64, "RGBA", True, stripes))
    with pytest.warns(DeprecationWarning):  # the SDK marks variations deprecated; the endpoint still answers
        response = client.images.create_variation(
            image=("stripes.png", source, "image/png"), n=1, size="256x256", response_format="b64_json"
        )
    varied = decode(response.data[0].b64_json)
    assert (varied.width, varied.height) == (256, 256)
    row = varied.row(10)
    assert len({row[i : i + 4] for i in range(0, len(row), 4)}) == 2  # still two stripes, recoloured


def edit_files(image: bytes, mask: bytes | None = None) -> dict[str, tuple[str, bytes, str]]:
    files = {"image": ("image.png", image, "image/png")}
    if mask is not None:
        files["mask"] = ("mask.png", mask, "image/png")
    return files


EDIT_REFUSALS = [
    ("not-png", edit_files(b"GIF89a" + bytes(100)), {}, "image", None),
    ("too-big", edit_files(b"\x89PNG\r\n\x1a\n" + bytes(4 * 1024 * 1024)), {}, "image", None),
    ("not-square", edit_files(encode_png(PngImage(4, 2, "RGBA", True, bytes(32)))), {}, "image", "invalid_image"),
    ("rgb-without-mask", edit_files(rgb((8, 8))), {}, None, None),
    (
        "mask-other-size",
        edit_files(rgb((8, 8)), encode_png(rgba_with_hole(16))),
        {},
        "mask",
        "invalid_image",
    ),
    ("rgb-mask", edit_files(encode_png(rgba_with_hole(8)), rgb((8, 8))), {}, None, None),
    ("dall-e-3", edit_files(encode_png(rgba_with_hole(8))), {"model": "dall-e-3"}, "model", "invalid_value"),
    ("edit-size", edit_files(encode_png(rgba_with_hole(8))), {"size": "1792x1024"}, "size", "invalid_value"),
    (
        "missing-prompt",
        edit_files(encode_png(rgba_with_hole(8))),
        {"prompt": None},
        "prompt",
        "missing_required_parameter",
    ),
]


@pytest.mark.parametrize(
    ("files", "fields", "param", "code"), [r[1:] for r in EDIT_REFUSALS], ids=[r[0] for r in EDIT_REFUSALS]
)
def test_edit_refusals(
    http: httpx.Client, files: dict[str, Any], fields: dict[str, Any], param: str | None, code: str | None
) -> None:
    data = {"prompt": "a beret", **fields}
    response = http.post("/v1/images/edits", files=files, data={k: v for k, v in data.items() if v is not None})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)


def test_edit_refusal_wordings(http: httpx.Client) -> None:
    def message(files: dict[str, Any]) -> str:
        return str(http.post("/v1/images/edits", files=files, data={"prompt": "x"}).json()["error"]["message"])

    assert message(edit_files(b"not a png")) == "Uploaded image must be a PNG and less than 4 MB."
    assert message(edit_files(rgb((8, 8)))) == "Invalid input image - format must be in ['RGBA', 'LA', 'L'], got RGB."


@pytest.mark.parametrize(
    ("files", "param", "code"),
    [
        (edit_files(b"nope"), "image", None),
        (edit_files(encode_png(PngImage(4, 2, "RGBA", True, bytes(32)))), "image", "invalid_image"),
    ],
    ids=["not-png", "not-square"],
)
def test_variation_refusals(http: httpx.Client, files: dict[str, Any], param: str | None, code: str | None) -> None:
    response = http.post("/v1/images/variations", files=files)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["param"], error["code"]) == (param, code)


def test_unknown_image_url_is_404(http: httpx.Client) -> None:
    response = httpx.get(f"{str(http.base_url).rstrip('/')}/v1/images/files/img-0000.png")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "image_not_found"


def test_image_urls_expire_after_an_hour_of_world_time() -> None:
    server = start_server()
    try:
        headers = {"Authorization": f"Bearer {API_KEY}"}
        body = {"prompt": "A cute baby sea otter", "size": "256x256"}
        url = httpx.post(f"{server.base_url}/v1/images/generations", json=body, headers=headers).json()["data"][0][
            "url"
        ]
        assert httpx.get(url).status_code == 200
        httpx.post(f"{server.base_url}/_mockai/clock/advance", json={"seconds": 3601})
        assert httpx.get(url).status_code == 404
    finally:
        server.stop()


def _square_rgba_png() -> bytes:
    return encode_png(rgba_with_hole(8))


@pytest.mark.parametrize("cut", [8, 20, 30, 33, 45, -13, -1], ids=lambda cut: f"cut-at-{cut}")
@pytest.mark.parametrize("path", ["/v1/images/variations", "/v1/images/edits"])
def test_a_png_cut_anywhere_is_a_400_naming_the_image_field(http: httpx.Client, path: str, cut: int) -> None:
    # Cut at 30, inside the IHDR chunk's CRC, this was a 500.
    files = {"image": ("cut.png", _square_rgba_png()[:cut], "image/png")}
    fields = {"size": "256x256", **({"prompt": "a beret"} if path.endswith("edits") else {})}
    response = http.post(path, files=files, data=fields)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["message"], error["param"]) == ("Uploaded image must be a PNG and less than 4 MB.", "image")


def test_a_damaged_mask_is_a_400_naming_the_mask(http: httpx.Client) -> None:
    png = _square_rgba_png()
    files = {"image": ("i.png", png, "image/png"), "mask": ("m.png", png[:30], "image/png")}
    response = http.post("/v1/images/edits", files=files, data={"prompt": "a beret", "size": "256x256"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == "mask"
