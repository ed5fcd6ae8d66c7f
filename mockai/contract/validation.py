"""Turn a JSON Schema validation failure into the OpenAI error the real API sends for it.

One translation for every endpoint: the best-matching schema error names the field (`param` in the real API's
`messages[0].role` notation) and its keyword chooses the message and `code`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Any

from mockai import errors
from mockai.contract.registry import SchemaRegistry
from mockai.lru import LruMap

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a decimal",
    "boolean": "a boolean",
    "array": "an array",
    "object": "an object",
    "null": "null",
}


def validate_body(registry: SchemaRegistry, schema_name: str, body: object) -> None:
    """Raise the OpenAI-shaped error for the most relevant problem with `body`, if any."""
    problems = list(registry.iter_errors(schema_name, body))
    if problems:
        raise to_openai_error(_most_relevant(problems))


class ValidationMemo:
    """Verdicts of `validate_body` for JSON bodies seen before, keyed by their exact bytes.

    Validation is a pure function of (schema, bytes), and schema validation is the largest fixed cost of a request,
    while test suites send the same bodies again and again. Small bodies only, in a bounded LRU.
    """

    MAX_BODY_BYTES = 8192

    def __init__(self, capacity: int = 1024) -> None:
        # Each verdict in a 1-tuple, so that a valid body's `None` is told apart from a body not seen yet.
        self._verdicts: LruMap[tuple[Hashable, ...], tuple[errors.OpenAIError | None]] = LruMap(capacity)

    def validate(self, registry: SchemaRegistry, schema_name: str, body: object, key: tuple[Hashable, ...]) -> None:
        """`key` must identify the body exactly (its raw bytes plus anything added to it after parsing)."""
        full_key = (schema_name, *key)
        known = self._verdicts.get(full_key)
        if known is None:
            try:
                validate_body(registry, schema_name, body)
                verdict = None
            except errors.OpenAIError as problem:
                verdict = problem
            if sum(len(part) for part in key if isinstance(part, bytes)) <= self.MAX_BODY_BYTES:
                self._verdicts.put(full_key, (verdict,))
        else:
            (verdict,) = known
        if verdict is not None:
            raise dataclasses.replace(verdict)  # a fresh exception each time: no traceback piles up


def param_name(path: Iterable[Any]) -> str:
    """`["messages", 0, "role"]` → `messages[0].role`, the real API's notation."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def describe_type(value: object) -> str:
    """The real API's words for a JSON value's type ("a string", "an integer", "null", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def to_openai_error(problem: ValidationError) -> errors.OpenAIError:
    param = param_name(problem.absolute_path)
    # jsonschema types these attributes as "maybe unset"; on a reported error they are always set.
    keyword: str = str(problem.validator)
    value: Any = problem.validator_value
    instance: Any = problem.instance
    if keyword == "required":
        missing = _missing_property(problem)
        return errors.missing_parameter(param_name([*problem.absolute_path, missing]))
    if keyword == "additionalProperties":
        extra = _extra_properties(problem)
        return errors.unknown_parameter(param_name([*problem.absolute_path, extra]))
    if keyword == "type":
        wanted = [value] if isinstance(value, str) else list(value)
        return errors.invalid_type(param or "body", _one_of_words(wanted), describe_type(instance))
    if keyword in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        kind = "integer" if isinstance(instance, int) else "decimal"
        bound = "above_max" if keyword.endswith("aximum") else "below_min"
        return errors.value_out_of_range(param, kind, bound, value, instance)
    if keyword in ("enum", "const"):
        supported = value if keyword == "enum" else [value]
        return errors.invalid_value(param, instance, supported)
    if keyword in ("minItems", "maxItems"):
        bound = "below_min" if keyword == "minItems" else "above_max"
        return errors.array_length(param, bound, int(value), len(instance))
    if keyword in ("minLength", "maxLength"):
        bound = "below_min" if keyword == "minLength" else "above_max"
        return errors.string_length(param, bound, int(value), len(instance))
    if keyword == "maxProperties":
        return errors.too_many_properties(param, int(value), len(instance))
    if keyword == "pattern":
        return errors.pattern_mismatch(param, str(value))
    if keyword in ("anyOf", "oneOf") and _all_type_mismatches(problem):
        wanted = _branch_types(problem)
        return errors.invalid_type(param or "body", _one_of_words(wanted), describe_type(instance))
    if keyword in ("anyOf", "oneOf"):
        return errors.invalid_field(param or "body", "the value matches none of the forms this field accepts.")
    return errors.invalid_field(param or "body", _shortened(problem.message))


def _shortened(message: str, limit: int = 300) -> str:
    """jsonschema messages quote the offending value in full; a 2,000-item input must not become the message."""
    return message if len(message) <= limit else message[: limit - 1] + "…"


def _most_relevant(problems: list[ValidationError]) -> ValidationError:
    from jsonschema.exceptions import best_match  # loaded by the validation that found the problems

    chosen: ValidationError = best_match(problems)
    if chosen.validator in ("anyOf", "oneOf"):
        # A union whose every branch but one refused the value's type (metadata: an object or null): the one branch
        # that took the value explains what is wrong with it. best_match stops here when the branches tie.
        fitting = [errors for errors in _by_branch(chosen).values() if not any(map(_type_mismatch, errors))]
        if len(fitting) == 1:
            return _most_relevant(fitting[0])
    # best_match descends into anyOf/oneOf branches; when every branch failed on type alone, the parent error
    # ("expected a string or an array") explains the problem better than one arbitrary branch's complaint.
    parent: Any = chosen.parent
    while parent is not None and parent.validator in ("anyOf", "oneOf"):
        if _all_type_mismatches(parent):
            explained: ValidationError = parent
            return explained
        parent = parent.parent
    return chosen


def _all_type_mismatches(problem: ValidationError) -> bool:
    """Every branch of the union refused the value for its JSON type (nested unions included)."""
    return bool(problem.context) and all(
        any(_type_mismatch(error) for error in errors) for errors in _by_branch(problem).values()
    )


def _type_mismatch(error: ValidationError) -> bool:
    if error.relative_path:
        return False
    return error.validator == "type" or (error.validator in ("anyOf", "oneOf") and _all_type_mismatches(error))


def _by_branch(problem: ValidationError) -> dict[Any, list[ValidationError]]:
    branches: dict[Any, list[ValidationError]] = {}
    for sub in problem.context:
        branches.setdefault(sub.relative_schema_path[0] if sub.relative_schema_path else None, []).append(sub)
    return branches


def _branch_types(problem: ValidationError) -> list[str]:
    wanted: list[str] = []
    for sub in problem.context:
        value: Any = sub.validator_value
        if sub.relative_path:
            continue
        if sub.validator in ("anyOf", "oneOf"):
            names = _branch_types(sub)
        elif sub.validator == "type":
            names = [value] if isinstance(value, str) else list(value)
        else:
            names = []
        wanted.extend(name for name in names if name not in wanted)
    return wanted


def _one_of_words(types: list[str]) -> str:
    words = [_TYPE_WORDS.get(name, name) for name in types]
    if len(words) == 1:
        return words[0]
    return "one of " + ", ".join(words[:-1]) + " or " + words[-1]


def _missing_property(problem: ValidationError) -> str:
    instance: Any = problem.instance
    required: Any = problem.validator_value
    present = instance if isinstance(instance, dict) else {}
    return str(next(name for name in required if name not in present))


def _extra_properties(problem: ValidationError) -> str:
    schema: Any = problem.schema
    instance: Any = problem.instance
    known = schema.get("properties", {})
    unknown = [name for name in instance if name not in known]
    return str(unknown[0] if unknown else next(iter(instance)))
