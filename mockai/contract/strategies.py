"""Hypothesis strategies for OpenAI request bodies: valid ones from the schemas, and ones breaking one bound each.

`requests(op)` draws from the operation's request schema, narrowed by a documented *overlay*: the schema
allows every parameter the SDK can send, but a contract run wants requests any conforming server answers quickly
and without semantic refusals (a catalog model that serves the endpoint, `max_tokens` ≤ 16, `n` ≤ 3, no tools or
audio). Every overlay only narrows, so each drawn body still validates against the full schema (a test checks it).

`invalid_requests(op)` takes a valid body and breaks exactly one documented constraint of the full schema (a bound,
an enum, a type, a required or unknown parameter), paired with the `param` the error must name.

Values come from `contract/generate.py`, the kit's own JSON Schema generator (it follows the derived schemas' `$ref`s
into their components file).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from mockai.contract.generate import from_schema
from mockai.contract.operations import OPERATIONS, Operation
from mockai.contract.registry import SchemaRegistry, default_registry

Schema = dict[str, Any]
Lookup = Callable[[str], Schema]

#: Models that serve each family in both mockai's catalog and the real API; `models=` overrides them.
DEFAULT_MODELS: dict[str, tuple[str, ...]] = {
    "chat": ("gpt-3.5-turbo", "gpt-4o-mini"),
    "completions": ("gpt-3.5-turbo-instruct", "davinci-002"),
    "edits": ("text-davinci-edit-001",),
    "images": ("dall-e-2",),
    "embeddings": ("text-embedding-ada-002", "text-embedding-3-small"),
    "audio": ("whisper-1",),
    "moderations": ("omni-moderation-latest", "text-moderation-latest"),
    "fine-tuning": ("gpt-3.5-turbo", "gpt-4o-mini"),
    "fine-tunes": ("curie", "davinci"),
    "responses": ("gpt-4o-mini", "gpt-4.1-mini"),
}

_TEXT: Schema = {"type": "string", "maxLength": 60}
_SHORT_TEXT: Schema = {"type": "string", "minLength": 1, "maxLength": 30}
_NAME: Schema = {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,12}$"}
_TEXTS: Schema = {"anyOf": [_TEXT, {"type": "array", "items": _TEXT, "minItems": 1, "maxItems": 3}]}
_SMALL_N: Schema = {"type": ["integer", "null"], "minimum": 1, "maximum": 3}
_FEW_TOKENS: Schema = {"type": "integer", "minimum": 1, "maximum": 16}
_STOP: Schema = {"anyOf": [_SHORT_TEXT, {"type": "array", "items": _SHORT_TEXT, "minItems": 1, "maxItems": 4}]}
# Token ids every encoding has, so a bias never names a token the model lacks.
_LOGIT_BIAS: Schema = {
    "type": "object",
    "maxProperties": 3,
    "propertyNames": {"pattern": "^[1-9][0-9]{0,3}$"},
    "additionalProperties": {"type": "integer", "minimum": -100, "maximum": 100},
}
_CHAT_MESSAGE: Schema = {
    "anyOf": [
        {
            "type": "object",
            "properties": {"role": {"enum": ["system", "developer", "user"]}, "content": _TEXT, "name": _NAME},
            "required": ["role", "content"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"role": {"const": "assistant"}, "content": _TEXT},
            "required": ["role", "content"],
            "additionalProperties": False,
        },
    ]
}
_SAMPLING: Schema = {
    "temperature": {"type": ["number", "null"], "minimum": 0, "maximum": 2},
    "top_p": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
    "presence_penalty": {"type": ["number", "null"], "minimum": -2, "maximum": 2},
    "frequency_penalty": {"type": ["number", "null"], "minimum": -2, "maximum": 2},
    "seed": {"type": ["integer", "null"], "minimum": 0, "maximum": 2**31 - 1},
    "user": _SHORT_TEXT,
}

# Responses input: a string, or a few plain messages (items that continue stored state, call tools or need files
# are left to the API tests: a contract run cannot know which ids exist).
_RESPONSE_INPUT: Schema = {
    "anyOf": [
        _TEXT,
        {
            "type": "array",
            "minItems": 1,
            "maxItems": 3,
            "items": {
                "type": "object",
                "properties": {"role": {"enum": ["user", "assistant", "system", "developer"]}, "content": _TEXT},
                "required": ["role", "content"],
                "additionalProperties": False,
            },
        },
    ]
}
_METADATA: Schema = {
    "type": "object",
    "maxProperties": 3,
    "propertyNames": {"pattern": "^[a-z_]{1,16}$"},
    "additionalProperties": _TEXT,
}
# Conversation items: any input item the spec allows, a few at a time.
_CONVERSATION_ITEMS: Schema = {"type": "array", "items": {"$ref": "components.json#/$defs/InputItem"}, "maxItems": 4}

#: What each operation's generated requests keep of its schema: a property listed here replaces the schema's own
#: (always narrower), `required` adds required names, and every property not listed is never generated.
OVERLAYS: dict[str, Schema] = {
    "createChatCompletion": {
        "properties": {
            "messages": {"type": "array", "items": _CHAT_MESSAGE, "minItems": 1, "maxItems": 4},
            "max_tokens": _FEW_TOKENS,
            "n": _SMALL_N,
            "stop": _STOP,
            "logit_bias": _LOGIT_BIAS,
            "logprobs": {"type": ["boolean", "null"]},
            **_SAMPLING,
        },
        "required": ["max_tokens"],
    },
    "createCompletion": {
        "properties": {
            "prompt": _TEXTS,
            "max_tokens": _FEW_TOKENS,
            "n": _SMALL_N,
            "stop": _STOP,
            "logit_bias": _LOGIT_BIAS,
            "logprobs": {"type": ["integer", "null"], "minimum": 0, "maximum": 5},
            "echo": {"type": ["boolean", "null"]},
            **_SAMPLING,
        },
        "required": ["max_tokens"],
    },
    "createEdit": {
        "properties": {
            "instruction": _SHORT_TEXT,
            "input": {"type": ["string", "null"], "maxLength": 60},
            "n": _SMALL_N,
            "temperature": _SAMPLING["temperature"],
            "top_p": _SAMPLING["top_p"],
        }
    },
    "createImage": {
        "properties": {
            "prompt": _SHORT_TEXT,
            "n": {"type": "integer", "minimum": 1, "maximum": 2},
            "size": {"enum": ["256x256", "512x512"]},
            "response_format": {"enum": ["url", "b64_json"]},
            "user": _SHORT_TEXT,
        }
    },
    "createImageEdit": {
        "properties": {
            "image": {"type": "string", "format": "binary"},
            "prompt": _SHORT_TEXT,
            "n": {"type": "integer", "minimum": 1, "maximum": 2},
            "size": {"enum": ["256x256"]},
            "response_format": {"enum": ["url", "b64_json"]},
        }
    },
    "createImageVariation": {
        "properties": {
            "image": {"type": "string", "format": "binary"},
            "n": {"type": "integer", "minimum": 1, "maximum": 2},
            "size": {"enum": ["256x256"]},
            "response_format": {"enum": ["url", "b64_json"]},
        }
    },
    "createEmbedding": {
        "properties": {
            "input": {"anyOf": [_SHORT_TEXT, {"type": "array", "items": _SHORT_TEXT, "minItems": 1, "maxItems": 3}]},
            "encoding_format": {"enum": ["float", "base64"]},
            "user": _SHORT_TEXT,
        }
    },
    # Only the JSON answer formats: text, srt and vtt are plain text, which has no schema to check against.
    "createTranscription": {
        "properties": {
            "file": {"type": "string", "format": "binary"},
            "prompt": _TEXT,
            "response_format": {"enum": ["json", "verbose_json"]},
            "temperature": {"type": "number", "minimum": 0, "maximum": 1},
        }
    },
    "createTranslation": {
        "properties": {
            "file": {"type": "string", "format": "binary"},
            "prompt": _TEXT,
            "response_format": {"enum": ["json", "verbose_json"]},
            "temperature": {"type": "number", "minimum": 0, "maximum": 1},
        }
    },
    # The classic speech models and their nine voices: promptable models and voices are checked by mockai's tests.
    "createSpeech": {
        "properties": {
            "model": {"enum": ["tts-1", "tts-1-hd"]},
            "voice": {"enum": ["alloy", "ash", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer"]},
            "input": {"type": "string", "pattern": "^[A-Za-z][A-Za-z ,.]{0,40}$"},
            "response_format": {"enum": ["mp3", "opus", "aac", "flac", "wav", "pcm"]},
            "speed": {"type": "number", "minimum": 0.25, "maximum": 4},
        }
    },
    "createFile": {"properties": {"file": {"type": "string", "format": "binary"}, "purpose": {"const": "fine-tune"}}},
    "createUpload": {
        "properties": {
            "filename": _NAME,
            "purpose": {"const": "assistants"},
            "bytes": {"type": "integer", "minimum": 1, "maximum": 1000},
            "mime_type": {"const": "text/plain"},
        }
    },
    # The runner swaps in the id of a part it uploaded, of exactly the upload's size.
    "completeUpload": {
        "properties": {"part_ids": {"type": "array", "items": {"const": "part-to-be-added"}, "minItems": 1}}
    },
    # The runner swaps in an uploaded batch file of chat requests.
    "createBatch": {
        "properties": {
            "input_file_id": {"const": "file-to-be-uploaded"},
            "endpoint": {"const": "/v1/chat/completions"},
            "completion_window": {"const": "24h"},
        }
    },
    "updateChatCompletion": {
        "properties": {
            "metadata": {"type": "object", "maxProperties": 3, "propertyNames": _NAME, "additionalProperties": _TEXT}
        }
    },
    "createModeration": {"properties": {"input": _TEXTS}},
    "createFineTuningJob": {
        "properties": {
            "training_file": {"const": "file-to-be-uploaded"},
            "hyperparameters": {
                "type": "object",
                "properties": {"n_epochs": {"type": "integer", "minimum": 1, "maximum": 3}},
                "additionalProperties": False,
            },
            "suffix": {"type": "string", "pattern": "^[a-z]{1,10}$"},
            "seed": {"type": "integer", "minimum": 0, "maximum": 1000},
        }
    },
    "createFineTune": {
        "properties": {
            "training_file": {"const": "file-to-be-uploaded"},
            "n_epochs": {"type": "integer", "minimum": 1, "maximum": 3},
            "suffix": {"type": "string", "pattern": "^[a-z]{1,10}$"},
        }
    },
    "createResponse": {
        "properties": {
            "input": _RESPONSE_INPUT,
            "instructions": {"type": ["string", "null"], "maxLength": 60},
            # The real API's floor is 16 output tokens.
            "max_output_tokens": {"type": "integer", "minimum": 16, "maximum": 48},
            "temperature": _SAMPLING["temperature"],
            "top_p": _SAMPLING["top_p"],
            "store": {"type": "boolean"},
            "metadata": _METADATA,
            "truncation": {"enum": ["auto", "disabled"]},
        },
        "required": ["model", "input"],
    },
    "getInputTokenCounts": {
        "properties": {"input": _RESPONSE_INPUT, "instructions": {"type": "string", "maxLength": 60}},
        "required": ["model", "input"],
    },
    "compactConversation": {
        "properties": {"input": _RESPONSE_INPUT, "instructions": {"type": "string", "maxLength": 60}},
        "required": ["model", "input"],
    },
    "createConversation": {"properties": {"items": _CONVERSATION_ITEMS, "metadata": _METADATA}},
    "updateConversation": {"properties": {"metadata": _METADATA}},
}


@dataclass(frozen=True)
class InvalidRequest:
    """A request body that breaks exactly one documented constraint, and the `param` its error must name."""

    body: dict[str, Any]
    param: str
    violation: str


def requests(
    operation_id: str, *, registry: SchemaRegistry | None = None, models: tuple[str, ...] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid request bodies for `operation_id` that a conforming server answers with a 2xx.

    Multipart file fields come out as placeholder strings; the runner uploads real files in their place.

    >>> body = requests("createEmbedding").example()  # doctest: +SKIP
    >>> body["model"] in DEFAULT_MODELS["embeddings"]  # doctest: +SKIP
    True
    """
    operation = _operation_with_body(operation_id)
    registry = registry or default_registry()
    schema = generation_schema(operation, registry=registry, models=models)
    return from_schema(schema, registry=registry).map(_as_dict)


def invalid_requests(
    operation_id: str, *, registry: SchemaRegistry | None = None, models: tuple[str, ...] | None = None
) -> st.SearchStrategy[InvalidRequest]:
    """Request bodies that each break one documented constraint of the full schema, with the expected `param`.

    >>> invalid_requests("createChatCompletion").example().param != ""  # doctest: +SKIP
    True
    """
    operation = _operation_with_body(operation_id)
    registry = registry or default_registry()
    name = operation.request_schema or ""
    breakers = _breakers(registry.document(name), json_body=operation.body == "json", lookup=registry.lookup)
    validator = registry.validator(name)

    def broken(pair: tuple[dict[str, Any], _Breaker]) -> InvalidRequest | None:
        body, breaker = pair
        result = breaker.apply(copy.deepcopy(body))
        return result if not validator.is_valid(result.body) else None

    valid = requests(operation_id, registry=registry, models=models)
    pairs = st.tuples(valid, st.sampled_from(breakers))
    return pairs.map(broken).filter(lambda item: item is not None).map(_present)


def generation_schema(
    operation: Operation, *, registry: SchemaRegistry | None = None, models: tuple[str, ...] | None = None
) -> Schema:
    """The request schema narrowed by the operation's overlay (see `OVERLAYS`)."""
    registry = registry or default_registry()
    schema = {key: value for key, value in registry.document(operation.request_schema or "").items() if key != "$id"}
    overlay = OVERLAYS.get(operation.operation_id, {"properties": {}})
    kept: dict[str, Any] = dict(overlay["properties"])
    # An overlay naming its own models (speech, whose family is audio's) wins over the family's default models.
    family_models = None if "model" in overlay["properties"] else DEFAULT_MODELS.get(operation.family)
    chosen = models if models is not None else family_models
    if "model" in schema["properties"] and chosen:
        kept["model"] = {"enum": list(chosen)}
    for name in schema.get("required", []):
        kept.setdefault(name, schema["properties"][name])
    narrowed = dict(schema)
    narrowed["properties"] = kept
    narrowed["required"] = sorted({*schema.get("required", []), *overlay.get("required", [])})
    narrowed["additionalProperties"] = False
    return narrowed


def _operation_with_body(operation_id: str) -> Operation:
    operation = OPERATIONS.get(operation_id)
    if operation is None:
        raise ValueError(f"{operation_id=} is not a documented operation; choose from {sorted(OPERATIONS)}")
    if operation.request_schema is None:
        raise ValueError(f"{operation_id=} takes no request body, so there is nothing to generate")
    return operation


def _as_dict(value: Any) -> dict[str, Any]:
    assert isinstance(value, dict)  # the request schemas are all objects
    return value


def _present(item: InvalidRequest | None) -> InvalidRequest:
    assert item is not None  # filtered out just before
    return item


@dataclass(frozen=True)
class _Breaker:
    """One way to break a body: set (or, with `value` missing, delete) one top-level parameter."""

    param: str
    violation: str
    value: Any = None
    delete: bool = False

    def apply(self, body: dict[str, Any]) -> InvalidRequest:
        if self.delete:
            body.pop(self.param, None)
        else:
            body[self.param] = self.value
        return InvalidRequest(body, self.param, self.violation)


# One value per JSON type: the first type a parameter's schema does not allow gives its wrong-type value.
_WRONG_TYPES: tuple[tuple[str, Any], ...] = (
    ("object", {"unexpected": "object"}),
    ("boolean", True),
    ("number", 3.5),
    ("string", "text"),
    ("array", []),
)
_TYPE_OF_CONSTANT = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}


def _facets(spec: Any, lookup: Lookup, depth: int = 0) -> Iterator[Schema]:
    """The schema and the schemas it is made of (through `$ref`, `allOf`, `anyOf`, `oneOf`), each with its bounds."""
    if not isinstance(spec, dict) or depth > 4:
        return
    yield spec
    if "$ref" in spec:
        yield from _facets(lookup(spec["$ref"]), lookup, depth + 1)
    for keyword in ("allOf", "anyOf", "oneOf"):
        for branch in spec.get(keyword, []):
            yield from _facets(branch, lookup, depth + 1)


def _allowed_types(spec: Any, lookup: Lookup, depth: int = 0) -> set[str]:
    """The JSON types a schema admits at its top level; empty when it does not say (or admits everything)."""
    if not isinstance(spec, dict) or depth > 4:
        return set()
    if "const" in spec or "enum" in spec:
        return {_TYPE_OF_CONSTANT.get(type(value), "object") for value in spec.get("enum", [spec.get("const")])}
    kinds = spec.get("type")
    allowed = {kinds} if isinstance(kinds, str) else set(kinds or [])
    parts = [lookup(spec["$ref"])] if "$ref" in spec else []
    for part in [*parts, *spec.get("allOf", [])]:
        part_types = _allowed_types(part, lookup, depth + 1)
        allowed = (allowed & part_types if allowed else part_types) if part_types else allowed
    branches = spec.get("anyOf", []) + spec.get("oneOf", [])
    if branches:
        union: set[str] = set()
        for branch in branches:
            branch_types = _allowed_types(branch, lookup, depth + 1)
            if not branch_types:
                return allowed  # an untyped branch admits everything the rest allows
            union |= branch_types
        allowed = allowed & union if allowed else union
    if "number" in allowed:
        allowed.add("integer")
    return allowed


def _breakers(schema: Schema, *, json_body: bool, lookup: Lookup) -> list[_Breaker]:
    found: list[_Breaker] = []
    for name, spec in schema["properties"].items():
        found.extend(_bound_breakers(name, spec, lookup))
        # A form field is always a string on the wire, so only JSON bodies can carry a value of the wrong type.
        allowed = _allowed_types(spec, lookup)
        wrong = next((value for kind, value in _WRONG_TYPES if allowed and kind not in allowed), None)
        if json_body and wrong is not None:
            found.append(_Breaker(name, "wrong type", wrong))
    for name in schema.get("required", []):
        found.append(_Breaker(name, "missing required parameter", delete=True))
    if schema.get("additionalProperties") is False:
        found.append(_Breaker("mockai_unknown_parameter", "unknown parameter", 1))
    return found


def _bound_breakers(name: str, spec: Schema, lookup: Lookup) -> list[_Breaker]:
    found: list[_Breaker] = []
    for facet in _facets(spec, lookup):
        kind = _numeric_kind(facet)
        step = 1 if kind == "integer" else 0.5
        if kind and "minimum" in facet:
            found.append(_Breaker(name, "below minimum", facet["minimum"] - step))
        if kind and "exclusiveMinimum" in facet:
            found.append(_Breaker(name, "at the exclusive minimum", facet["exclusiveMinimum"]))
        if kind and "maximum" in facet and facet["maximum"] < 2**62:
            found.append(_Breaker(name, "above maximum", facet["maximum"] + step))
        if "enum" in facet and all(isinstance(choice, str | None) for choice in facet["enum"]):
            found.append(_Breaker(name, "not one of the documented values", "mockai-undocumented-value"))
        # Items that are uploads cannot be stand-in strings: a form would carry them as text fields instead.
        if "maxItems" in facet and _item_type(facet) == "string" and "format" not in facet["items"]:
            found.append(_Breaker(name, "too many items", ["x"] * (facet["maxItems"] + 1)))
        if "maxLength" in facet:
            found.append(_Breaker(name, "too long", "x" * (facet["maxLength"] + 1)))
    return found


def _numeric_kind(facet: Schema) -> str | None:
    kinds = facet.get("type")
    names = [kinds] if isinstance(kinds, str) else list(kinds or [])
    return "integer" if "integer" in names else ("number" if "number" in names else None)


def _item_type(facet: Schema) -> Any:
    items = facet.get("items", {})
    return items.get("type") if isinstance(items, dict) else None
