"""`/v1/images/{generations,edits,variations}` and the URL route that serves the PNGs they return.

Generated PNGs are kept in the bounded LRU `services.images` (content-addressed ids, one-hour lifetime on the world
clock) because edits and variations cannot be re-rendered from an id alone.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from mockai import errors
from mockai.api.models import resolve_model
from mockai.api.responses import json_response
from mockai.api.services import services
from mockai.engine.image import edit_png, render_png, revise_prompt, vary_png
from mockai.engine.png import PngImage, read_png

MAX_UPLOAD_BYTES = 4 * 1024 * 1024
# A PNG under 4 MB can still inflate to gigabytes; 4096 x 4096 RGBA is 64 MiB of pixels at most.
MAX_PIXELS = 4096 * 4096
EDITABLE_MODES = ("RGBA", "LA", "L")
# Parameters of the GPT image models; the DALL·E models refuse them.
GPT_IMAGE_ONLY = (
    "background", "moderation", "output_format", "output_compression", "partial_images", "stream",
    "input_fidelity", "complexity", "frame_count", "frame_duration_ms", "svg",
)  # fmt: skip


@dataclass(frozen=True)
class ImageModelSpec:
    """What one line of image models accepts (from the API reference)."""

    sizes: tuple[str, ...]
    max_n: int
    max_prompt: int
    qualities: tuple[str, ...]
    operations: frozenset[str]  # of "generations", "edits", "variations"
    gpt_image: bool = False  # takes the GPT image parameters and answers in base64 only


#: Keyed by the catalog family, so every GPT image model (and one inferred from a new `gpt-image-*` name) follows
#: the same rules.
SPECS = {
    "dall-e-2": ImageModelSpec(
        ("256x256", "512x512", "1024x1024"), 10, 1000, ("standard",), frozenset({"generations", "edits", "variations"})
    ),
    "dall-e-3": ImageModelSpec(
        ("1024x1024", "1792x1024", "1024x1792"), 1, 4000, ("standard", "hd"), frozenset({"generations"})
    ),
    "gpt-image": ImageModelSpec(
        ("auto", "1024x1024", "1536x1024", "1024x1536"),
        10,
        32000,
        ("auto", "low", "medium", "high"),
        frozenset({"generations", "edits"}),
        gpt_image=True,
    ),
}


async def create_image(request: Request, body: dict[str, Any]) -> Response:
    model, spec = image_model(request, body, "v1/images/generations")
    prompt, n, (width, height) = check_common(body, model, spec)
    quality, style = body.get("quality") or spec.qualities[0], body.get("style") or "vivid"
    if quality not in spec.qualities:
        raise errors.invalid_value("quality", quality, spec.qualities)
    seed = services(request).settings.seed
    variants = [_variant(seed, quality, style, i) for i in range(n)]
    pngs = [render_png(prompt, width, height, variant=v) for v in variants]
    revised = [revise_prompt(prompt, style=style, variant=v) for v in variants] if model == "dall-e-3" else None
    return images_response(request, pngs, body, model, revised, base64_only=spec.gpt_image)


async def create_image_edit(request: Request, body: dict[str, Any]) -> Response:
    model, spec = image_model(request, body, "v1/images/edits", operation="edits")
    prompt, n, size = check_common(body, model, spec)
    uploads = body["image"] if isinstance(body["image"], list) else [body["image"]]
    if len(uploads) > 1:
        raise errors.array_length("image", "above_max", 1, len(uploads))
    image = await read_upload(uploads[0], "image")
    mask = await read_upload(body["mask"], "mask") if isinstance(body.get("mask"), UploadFile) else None
    if mask is None and image.mode not in EDITABLE_MODES:
        raise errors.image_mode_not_allowed(image.mode)
    if mask is not None:
        if mask.mode not in EDITABLE_MODES:
            raise errors.image_mode_not_allowed(mask.mode, "mask")
        if (mask.width, mask.height) != (image.width, image.height):
            raise errors.mask_size_mismatch((mask.width, mask.height), (image.width, image.height))
    pngs = [edit_png(image, prompt, mask=mask, variant=i, size=size) for i in range(n)]
    return images_response(request, pngs, body, model, None, base64_only=spec.gpt_image)


async def create_image_variation(request: Request, body: dict[str, Any]) -> Response:
    model, spec = image_model(request, body, "v1/images/variations", operation="variations")
    _, n, size = check_common({"prompt": "", **body}, model, spec)
    image = await read_upload(body["image"], "image")
    pngs = [vary_png(image, variant=i, size=size) for i in range(n)]
    return images_response(request, pngs, body, model, None)


async def get_image_file(request: Request, _: None) -> Response:
    """`GET /v1/images/files/{file_name}`: the URL a `response_format: "url"` answer points at (no key needed)."""
    image_id = request.path_params["file_name"].removesuffix(".png")
    app = services(request)
    png = app.images.get(image_id, now=app.clock.now())
    if png is None:
        raise errors.image_url_not_found(image_id)
    return Response(png, media_type="image/png")


def image_model(
    request: Request, body: dict[str, Any], path: str, *, operation: str = "generations"
) -> tuple[str, ImageModelSpec]:
    model_id = body.get("model") or "dall-e-2"
    model = resolve_model(request, model_id, "images", path)
    spec = SPECS.get(model.family or model.id)
    if spec is None or operation not in spec.operations:
        raise errors.invalid_value("model", model_id, [m for m, s in _NAMED.items() if operation in s.operations])
    refused = ("response_format",) if spec.gpt_image else GPT_IMAGE_ONLY
    for name in refused:
        if body.get(name) is not None:
            raise errors.image_parameter_not_supported(name, model.id)
    return model.id, spec


#: The model each line is named by in the real API's "Supported values" lists.
_NAMED = {"dall-e-2": SPECS["dall-e-2"], "dall-e-3": SPECS["dall-e-3"], "gpt-image-1": SPECS["gpt-image"]}


def check_common(body: dict[str, Any], model: str, spec: ImageModelSpec) -> tuple[str, int, tuple[int, int]]:
    """Prompt length, `n` and `size` against the model's limits; returns them with the size parsed."""
    prompt: str = body["prompt"]
    if len(prompt) > spec.max_prompt:
        raise errors.string_length("prompt", "above_max", spec.max_prompt, len(prompt))
    n = body.get("n") or 1
    if n > spec.max_n:
        raise errors.value_out_of_range("n", "integer", "above_max", spec.max_n, n)
    size = body.get("size") or "1024x1024"
    if size not in spec.sizes:
        raise errors.invalid_value("size", size, spec.sizes)
    width, height = (int(part) for part in ("1024x1024" if size == "auto" else size).split("x"))
    return prompt, n, (width, height)


async def read_upload(upload: Any, param: str) -> PngImage:
    """A decoded PNG upload, refused with the real API's wording unless it is a square PNG under 4 MB."""
    if not isinstance(upload, UploadFile):
        raise errors.invalid_image_upload(param)
    data = await upload.read()
    if len(data) >= MAX_UPLOAD_BYTES:
        raise errors.invalid_image_upload(param)
    try:
        image = read_png(data, max_pixels=MAX_PIXELS)
    except ValueError:
        raise errors.invalid_image_upload(param) from None
    if image.width != image.height:
        raise errors.image_not_square(image.width, image.height, param)
    return image


def images_response(
    request: Request,
    pngs: list[bytes],
    body: dict[str, Any],
    model: str,
    revised: list[str] | None,
    *,
    base64_only: bool = False,
) -> Response:
    app = services(request)
    now = app.clock.now()
    data = []
    for index, png in enumerate(pngs):
        if base64_only or body.get("response_format") == "b64_json":
            item: dict[str, Any] = {"b64_json": base64.b64encode(png).decode("ascii")}
        else:
            image_id = "img-" + hashlib.sha256(png).hexdigest()[:32]
            app.images.put(image_id, png, now=now)
            item = {"url": f"{request.base_url}v1/images/files/{image_id}.png"}
        if revised is not None:
            item["revised_prompt"] = revised[index]
        data.append(item)
    return json_response({"created": int(now), "data": data}, model=model)


def _variant(seed: int, quality: str, style: str, index: int) -> int:
    """Picture `index` of a request: the server seed and the dall-e-3 knobs each give other pictures."""
    digest = hashlib.blake2b(f"{seed}\x00{quality}\x00{style}\x00{index}".encode(), digest_size=4)
    return int.from_bytes(digest.digest(), "big")
