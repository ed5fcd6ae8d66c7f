"""`POST /v1/moderations`: one lexicon-scored result per input, all thirteen categories."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockai import errors
from mockai.api.models import resolve_model
from mockai.api.responses import json_response
from mockai.api.services import services
from mockai.engine.moderation import CATEGORIES, ModerationScores, score_categories

# The docs of the seed reference: "The default is text-moderation-latest".
DEFAULT_MODEL = "text-moderation-latest"
# The aliases answer with the snapshot that served them, as the real API reports it.
SNAPSHOTS = {"text-moderation-latest": "text-moderation-007", "text-moderation-stable": "text-moderation-007"}
# Categories the omni model also scores on images (the rest are text-only).
IMAGE_CATEGORIES = frozenset(
    {"self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "violence", "violence/graphic"}
)


async def create_moderation(request: Request, body: dict[str, Any]) -> Response:
    app = services(request)
    model_id = body.get("model") or DEFAULT_MODEL
    model = resolve_model(request, model_id, "moderations", "v1/moderations")
    results = []
    for text, has_image in moderation_inputs(body["input"]):
        if has_image and "image" not in model.modalities.input:
            raise errors.image_inputs_not_supported(model.id)
        results.append(result_object(score_categories(text, app.lexicon), has_text=bool(text), has_image=has_image))
    digest = hashlib.blake2b(f"{app.settings.seed}:{json.dumps(body, sort_keys=True)}".encode(), digest_size=16)
    answer = {"id": f"modr-{digest.hexdigest()}", "model": SNAPSHOTS.get(model.id, model.id), "results": results}
    return json_response(answer, model=model.id)


def moderation_inputs(raw: str | list[Any]) -> list[tuple[str, bool]]:
    """(text, has an image) per result: a string or each array string is one input; an array of
    multi-modal parts is a single input whose text parts are read together."""
    if isinstance(raw, str):
        return [(raw, False)]
    if all(isinstance(item, str) for item in raw):
        return [(item, False) for item in raw]
    texts = [part["text"] for part in raw if part.get("type") == "text"]
    return [("\n".join(texts), any(part.get("type") == "image_url" for part in raw))]


def result_object(scores: ModerationScores, *, has_text: bool, has_image: bool) -> dict[str, Any]:
    return {
        "flagged": scores.flagged,
        "categories": dict(scores.categories),
        "category_scores": dict(scores.scores),
        "category_applied_input_types": {c: _input_types(c, has_text, has_image) for c in CATEGORIES},
    }


def _input_types(category: str, has_text: bool, has_image: bool) -> list[str]:
    kinds = ["text"] if has_text or not has_image else []
    if has_image and category in IMAGE_CATEGORIES:
        kinds.append("image")
    return kinds
