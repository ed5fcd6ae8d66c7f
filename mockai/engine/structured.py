"""Structured replies: JSON values that satisfy a JSON Schema, for tool-call arguments and `response_format`.

A client that declares a tool or a response schema needs arguments it can parse and validate. `check_schema` refuses
what no value can be built for (a schema that is not one, a `$ref` to nothing, a reference cycle that never reaches a
value, an unsatisfiable or too large schema) with a `SchemaError` the API turns into a 400; `instance_for_schema`
builds a value that the 2020-12 validator accepts. Both do bounded work: the builder spends at most `BUDGET` steps
(one per value, item or character), so a `minItems` of a million costs a refusal, not seconds.

Values are drawn deterministically from an explicit `random.Random` and from the conversation (`Material`): names
and places from its capitalised words, numbers from the numbers it mentions, prose fields from the answer's
sentences. Optional properties are filled (real models rarely leave them out), and arrays get one to three items.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import jsonschema
import referencing.exceptions
from jsonschema import Draft202012Validator

__all__ = ["BUDGET", "Material", "SchemaError", "check_schema", "instance_for_schema", "salient_words"]

BUDGET = 20_000  # build steps: values, array items and string characters
_MAX_DEPTH = 24  # nesting of the value being built
_SHALLOW = 3  # beyond this depth only required properties and minimum item counts are built
_MAX_STRING = 2_000  # characters a built string may need
_WORD = re.compile(r"[^\W\d_][\w'-]*", re.UNICODE)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_SENTENCE = re.compile(r"[^.!?。！？\n]+[.!?。！？]?")
_FORMATS = {
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "00:00:00Z",
    "duration": "P1D",
    "email": "someone@example.com",
    "idn-email": "someone@example.com",
    "uri": "https://example.com/",
    "iri": "https://example.com/",
    "uri-reference": "https://example.com/",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
#: String fields that read as prose get a sentence of the answer rather than one word.
_PROSE_FIELDS = re.compile(
    r"desc|text|query|message|content|summary|comment|note|reason|question|answer|setup|punchline|joke|explan|"
    r"detail|body|response|story|sentence|advice|instruction",
    re.I,
)
# Keywords whose subschemas apply to the same value (so a cycle through them never reaches a value), and those
# whose subschemas describe parts of it.
_IN_PLACE = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else")
_IN_PLACE_MAPS = ("dependentSchemas",)
_PARTS = ("items", "contains", "additionalProperties", "propertyNames", "unevaluatedItems", "unevaluatedProperties")
_PART_LISTS = ("prefixItems",)
_PART_MAPS = ("properties", "patternProperties", "$defs", "definitions")


class SchemaError(ValueError):
    """A schema no value can be built for; `message` says why, in the real API's style where there is one."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Exhausted(Exception):
    """The budget or the depth ran out: the schema's smallest value is too large to build."""


@dataclass(frozen=True)
class Material:
    """What values are made of: words (capitalised ones first), numbers and sentences of the conversation.

    >>> Material.from_texts("Extract: Jason is 25 years old.").numbers
    (25,)
    """

    words: tuple[str, ...] = ("value",)
    numbers: tuple[int | float, ...] = ()
    sentences: tuple[str, ...] = ()

    @classmethod
    def from_texts(cls, asked: str, answer: str = "") -> Material:
        numbers = tuple(int(n) if "." not in n else float(n) for n in _NUMBER.findall(asked))
        sentences = tuple(s.strip() for s in _SENTENCE.findall(answer or asked) if len(s.strip()) > 1)
        return cls(tuple(salient_words(f"{asked} {answer}")), numbers, sentences)


def salient_words(text: str) -> list[str]:
    """Words of `text` a value may be made of: capitalised ones (names, places) in order, then the longest.

    A capitalised word at the start of a sentence counts as a name unless it is an instruction or function word
    ("Extract", "Return", "What"); all-capital words ("JSON") are not names either.

    >>> salient_words("Extract the city: Paris is lovely. Anna agrees. Return JSON.")[:2]
    ['Paris', 'Anna']
    """
    capitalised: list[str] = []
    for match in _WORD.finditer(text):
        word, before = match.group(0), text[: match.start()].rstrip()
        starts_sentence = not before or before[-1] in ".!?\n"
        if word[:1].isupper() and not word.isupper() and not (starts_sentence and word.lower() in _NOT_NAMES):
            capitalised.append(word)
    rest = sorted({w for w in _WORD.findall(text) if w not in capitalised}, key=lambda w: (-len(w), w))
    return list(dict.fromkeys(capitalised + rest)) or ["value"]


# Words that begin instructions and questions, not names.
_INSTRUCTION_WORDS = (
    "extract return give tell respond answer reply write list make create find please use provide generate "
    "output format describe explain classify translate summarize summarise show say call get put what who "
    "where when why how which is are was were do does did can could would should will the a an it this that "
    "these those i you we they he she my your our there here yes no if and or but so in on at for"
)
_NOT_NAMES = frozenset(_INSTRUCTION_WORDS.split())


def check_schema(schema: object) -> None:
    """Raise `SchemaError` unless `schema` is a JSON Schema a value can be built for, within the budget."""
    if schema is True:
        return
    if schema is False:
        raise SchemaError("the schema 'false' admits no value")
    if not isinstance(schema, Mapping):
        raise SchemaError(f"{_shown(schema)} is not of type 'object', 'boolean'")
    try:
        Draft202012Validator.check_schema(schema)
    except jsonschema.exceptions.SchemaError as error:
        raise SchemaError(error.message) from None
    except RecursionError:
        raise SchemaError("the schema is nested too deeply") from None
    _check_references(schema)
    _build(schema, random.Random(0), Material(), minimal=True)


def instance_for_schema(schema: Mapping[str, Any] | bool, rng: random.Random, material: Material) -> Any:
    """A JSON value valid against `schema`; raises `SchemaError` for a schema `check_schema` refuses.

    >>> schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    >>> instance_for_schema(schema, random.Random(0), Material(words=("Boston",)))
    {'city': 'Boston'}
    """
    check_schema(schema)
    if schema is True:
        return material.words[0]
    assert isinstance(schema, Mapping)
    try:
        return _build(schema, rng, material, minimal=False)
    except SchemaError:
        return _build(schema, rng, material, minimal=True)


def _build(schema: Mapping[str, Any], rng: random.Random, material: Material, *, minimal: bool) -> Any:
    """Build a value and check it with the real validator; a refusal names the first thing that failed."""
    try:
        value = _Builder(schema, rng, material, minimal=minimal).value(schema, "", 0)
    except _Exhausted:
        raise SchemaError("the smallest value of this schema is too large to build") from None
    try:
        error = jsonschema.exceptions.best_match(Draft202012Validator(schema).iter_errors(value))
    except (
        RecursionError,
        re.error,
        referencing.exceptions.Unresolvable,
        jsonschema.exceptions.UnknownType,
    ) as problem:
        raise SchemaError(f"the schema cannot be checked: {problem}") from None
    if error is not None:
        raise SchemaError(f"no value satisfies this schema ({error.message})")
    return value


def _shown(value: object) -> str:
    text = repr(value) if not isinstance(value, list) else "[]" if not value else "[...]"
    return text if len(text) <= 40 else text[:37] + "..."


# -- references -----------------------------------------------------------------------------------------------------


def _subschemas(schema: Mapping[str, Any]) -> Iterator[tuple[str, Any, bool]]:
    """(keyword, subschema, in_place) for every direct subschema of `schema`."""
    for key in _IN_PLACE:
        found = schema.get(key)
        for sub in found if isinstance(found, list) else [found] if found is not None else []:
            yield key, sub, True
    for key in _IN_PLACE_MAPS:
        for sub in (schema.get(key) or {}).values():
            yield key, sub, True
    for key in _PARTS:
        if key in schema:
            yield key, schema[key], False
    for key in _PART_LISTS:
        for sub in schema.get(key) or []:
            yield key, sub, False
    for key in _PART_MAPS:
        for sub in (schema.get(key) or {}).values():
            yield key, sub, False


def _resolve_pointer(root: Mapping[str, Any], reference: object) -> Any:
    """The subschema a local `$ref` points at; SchemaError for anything else."""
    if not isinstance(reference, str) or not reference.startswith("#") or (reference != "#" and reference[1] != "/"):
        raise SchemaError(f"reference {_shown(reference)} is not a local JSON pointer (mockai resolves '#/...' only)")
    target: Any = root
    for part in reference[2:].split("/") if reference != "#" else []:
        key = part.replace("~1", "/").replace("~0", "~")
        if isinstance(target, Mapping) and key in target:
            target = target[key]
        elif isinstance(target, list) and key.isdigit() and int(key) < len(target):
            target = target[int(key)]
        else:
            raise SchemaError(f"could not resolve reference {_shown(reference)}")
    if not isinstance(target, Mapping | bool):
        raise SchemaError(f"reference {_shown(reference)} points at {_shown(target)}, which is not a schema")
    return target


def _check_references(root: Mapping[str, Any]) -> None:
    """Every `$ref` resolves, no other reference keyword is used, and no chain of references and in-place keywords
    comes back to where it started without describing a part of the value (`{"anyOf": [{"$ref": "#"}]}`)."""
    seen: set[int] = set()
    stack: list[Any] = [root]
    in_place: dict[int, list[int]] = {}
    while stack:
        schema = stack.pop()
        if not isinstance(schema, Mapping) or id(schema) in seen:
            continue
        seen.add(id(schema))
        for keyword in ("$dynamicRef", "$recursiveRef"):
            if keyword in schema:
                raise SchemaError(f"'{keyword}' is not supported (use '$ref')")
        if "$id" in schema and schema is not root:
            raise SchemaError("'$id' inside a schema is not supported: references resolve against the whole schema")
        edges = in_place.setdefault(id(schema), [])
        if "$ref" in schema:
            target = _resolve_pointer(root, schema["$ref"])
            edges.append(id(target))
            stack.append(target)
        for _, sub, same_value in _subschemas(schema):
            if same_value and isinstance(sub, Mapping):
                edges.append(id(sub))
            stack.append(sub)
    _refuse_cycles(in_place)


def _refuse_cycles(edges: Mapping[int, list[int]]) -> None:
    state: dict[int, int] = {}  # 1 = on the current path, 2 = done
    for start in edges:
        if state.get(start):
            continue
        path = [(start, iter(edges.get(start, ())))]
        state[start] = 1
        while path:
            node, following = path[-1]
            step = next(following, None)
            if step is None:
                state[node] = 2
                path.pop()
            elif state.get(step) == 1:
                raise SchemaError("the schema refers to itself without ever describing a value (a '$ref' cycle)")
            elif not state.get(step):
                state[step] = 1
                path.append((step, iter(edges.get(step, ()))))


# -- building -------------------------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, root: Mapping[str, Any], rng: random.Random, material: Material, *, minimal: bool) -> None:
        self._root, self._rng, self._material, self._minimal = root, rng, material, minimal
        self._steps = 0
        self._strings = 0  # the k-th string value takes the k-th salient word
        self._numbers = 0  # ... and the k-th number the k-th number mentioned

    def _spend(self, steps: int = 1) -> None:
        self._steps += steps
        if self._steps > BUDGET:
            raise _Exhausted

    def value(self, schema: Any, name: str, depth: int) -> Any:
        self._spend()
        if depth > _MAX_DEPTH:
            raise _Exhausted
        if schema is True or schema == {}:
            return self._string({}, name)
        if schema is False:
            raise SchemaError("no value satisfies the schema 'false'")
        schema = self._flatten(schema, 0)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return self._rng.choice(schema["enum"])
        branches = schema.get("anyOf") or schema.get("oneOf")
        if isinstance(branches, list) and branches:
            rest = {key: value for key, value in schema.items() if key not in ("anyOf", "oneOf")}
            return self.value(self._merge(rest, self._flatten(self._branch(branches, depth), 0)), name, depth)
        return self._by_type(self._kind(schema), schema, name, depth)

    def _branch(self, branches: Sequence[Any], depth: int) -> Any:
        """The branch to build: not the null one of an optional value, the first non-recursive one when deep."""
        usable = [b for b in branches if not (isinstance(b, Mapping) and b.get("type") == "null")] or list(branches)
        if depth >= _SHALLOW or self._minimal:
            plain = [b for b in usable if not (isinstance(b, Mapping) and "$ref" in b)]
            return (plain or usable)[0]
        return usable[0]

    def _flatten(self, schema: Mapping[str, Any], hops: int) -> dict[str, Any]:
        """The schema with its `$ref` and `allOf` merged in (bounded: cycles were refused by `check_schema`)."""
        self._spend()
        if hops > 64:
            raise _Exhausted
        flat = {key: value for key, value in schema.items() if key not in ("$ref", "allOf")}
        if "$ref" in schema:
            target = _resolve_pointer(self._root, schema["$ref"])
            flat = self._merge(self._flatten(target, hops + 1) if isinstance(target, Mapping) else {}, flat)
        for part in schema.get("allOf") or []:
            if isinstance(part, Mapping):
                flat = self._merge(flat, self._flatten(part, hops + 1))
        return flat

    @staticmethod
    def _merge(first: Mapping[str, Any], second: Mapping[str, Any]) -> dict[str, Any]:
        """Both schemas' constraints at once (an approximation of allOf: the validator has the last word)."""
        merged = dict(first)
        for key, value in second.items():
            if key not in merged:
                merged[key] = value
            elif key == "properties" and isinstance(value, Mapping) and isinstance(merged[key], Mapping):
                merged[key] = {**merged[key], **value}
            elif key == "required" and isinstance(value, list) and isinstance(merged[key], list):
                merged[key] = list(dict.fromkeys([*merged[key], *value]))
            elif key in ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"):
                merged[key] = max(merged[key], value)
            elif key in ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"):
                merged[key] = min(merged[key], value)
            elif key == "type":
                first_types = merged[key] if isinstance(merged[key], list) else [merged[key]]
                both = [t for t in first_types if t in (value if isinstance(value, list) else [value])]
                merged[key] = both or value
            else:
                merged[key] = value
        return merged

    @staticmethod
    def _kind(schema: Mapping[str, Any]) -> str:
        kind = schema.get("type")
        if isinstance(kind, list):
            return next((k for k in kind if k != "null"), "null")
        if isinstance(kind, str):
            return kind
        if any(key in schema for key in ("properties", "required", "additionalProperties", "minProperties")):
            return "object"
        if any(key in schema for key in ("items", "prefixItems", "minItems", "maxItems", "contains")):
            return "array"
        if any(key in schema for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")):
            return "number"
        return "string"

    def _by_type(self, kind: str, schema: Mapping[str, Any], name: str, depth: int) -> Any:
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, name, depth)
        if kind in ("integer", "number"):
            return self._number(kind, schema, name)
        if kind == "boolean":
            return self._rng.random() < 0.5
        if kind == "null":
            return None
        return self._string(schema, name)

    def _object(self, schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
        properties: Mapping[str, Any] = schema.get("properties") or {}
        required = [key for key in schema.get("required") or [] if isinstance(key, str)]
        for key, needs in (schema.get("dependentRequired") or {}).items():
            if key in required or key in properties:
                required.extend(need for need in needs if need not in required)
        fill = not self._minimal and depth < _SHALLOW
        keys = list(dict.fromkeys([*required, *(properties if fill else ())]))
        maximum = schema.get("maxProperties")
        if isinstance(maximum, int) and len(keys) > maximum:
            keys = list(dict.fromkeys([*required, *keys]))[: max(maximum, len(required))]
        value = {key: self.value(self._property_schema(schema, key), key, depth + 1) for key in keys}
        for extra in range(len(value), schema.get("minProperties") or 0):
            key = f"key{extra + 1}"
            value[key] = self.value(self._property_schema(schema, key), key, depth + 1)
        return value

    @staticmethod
    def _property_schema(schema: Mapping[str, Any], key: str) -> Any:
        properties = schema.get("properties") or {}
        if key in properties:
            return properties[key]
        for pattern, sub in (schema.get("patternProperties") or {}).items():
            if re.search(pattern, key):
                return sub
        additional = schema.get("additionalProperties", True)
        return {} if additional is True else additional

    def _array(self, schema: Mapping[str, Any], name: str, depth: int) -> list[Any]:
        low = schema.get("minItems") or 0
        high = schema.get("maxItems")
        if low > BUDGET:
            raise _Exhausted
        if self._minimal or depth >= _SHALLOW:
            count = low
        else:
            count = max(low, min(self._rng.randint(1, 3), high if high is not None else 3))
        prefix = schema.get("prefixItems") or []
        items = schema.get("items", {"type": "string"} if not prefix else {})
        if items is False:
            count = min(count, len(prefix))
        values = [
            self.value(prefix[index] if index < len(prefix) else items, name, depth + 1) for index in range(count)
        ]
        contains = schema.get("contains")
        if contains is not None and contains is not False:
            needed = max(schema.get("minContains", 1), 1)
            values = [self.value(contains, name, depth + 1) for _ in range(needed)] + values[needed:]
        if schema.get("uniqueItems"):
            values = self._distinct(values)
        return values

    @staticmethod
    def _distinct(values: list[Any]) -> list[Any]:
        unique: list[Any] = []
        for value in values:
            if isinstance(value, str) and value in unique:
                value = f"{value} {len(unique) + 1}"
            elif isinstance(value, int | float) and not isinstance(value, bool) and value in unique:
                value = max(v for v in unique if isinstance(v, int | float)) + 1
            if value not in unique:
                unique.append(value)
        return unique

    def _number(self, kind: str, schema: Mapping[str, Any], name: str) -> int | float:
        low, high = self._bounds(schema)
        step = schema.get("multipleOf")
        mentioned = (
            self._material.numbers[self._numbers % len(self._material.numbers)] if self._material.numbers else None
        )
        self._numbers += 1
        if (
            mentioned is not None
            and low <= mentioned <= high
            and (kind == "number" or float(mentioned).is_integer())
            and (step is None or (mentioned / step).is_integer())
        ):
            return int(mentioned) if kind == "integer" else mentioned
        if step:
            return self._multiple(kind, step, low, high)
        if kind == "integer":
            first, last = math.ceil(low), math.floor(high) if math.isfinite(high) else math.ceil(low) + 100
            return self._rng.randint(first, max(first, last))
        top = high if math.isfinite(high) else low + 100.0
        return round(self._rng.uniform(low, top), 2) if top > low else low

    def _multiple(self, kind: str, step: float, low: float, high: float) -> int | float:
        """A multiple of `step` in [low, high] that the validator's float division also sees as one."""
        if not math.isfinite(low / step) or (math.isfinite(high) and not math.isfinite(high / step)):
            raise SchemaError("'multipleOf' is too small for the bounds of this schema")
        exact = Fraction(str(step))
        first = math.ceil(Fraction(str(low)) / exact)
        for factor in range(first, first + 20):
            value = float(factor * exact)
            if value > high:
                break
            if (value / step).is_integer() and (kind == "number" or value.is_integer()):
                return int(value) if kind == "integer" else value
        raise SchemaError(f"no multiple of {step} between the bounds of this schema can be built")

    @staticmethod
    def _bounds(schema: Mapping[str, Any]) -> tuple[float, float]:
        low, high = schema.get("minimum", -math.inf), schema.get("maximum", math.inf)
        if "exclusiveMinimum" in schema:
            low = max(low, schema["exclusiveMinimum"] + (1 if schema.get("type") == "integer" else 1e-6))
        if "exclusiveMaximum" in schema:
            high = min(high, schema["exclusiveMaximum"] - (1 if schema.get("type") == "integer" else 1e-6))
        if low == -math.inf:
            low = min(0.0, high - 100.0) if math.isfinite(high) else 0.0
        if not (math.isfinite(low) and abs(low) < 1e15 and (high == math.inf or abs(high) < 1e15)):
            raise SchemaError("the numeric bounds of this schema are too large to build a value")
        return float(low), float(high)

    def _string(self, schema: Mapping[str, Any], name: str) -> str:
        low: int = schema.get("minLength", 0)
        high: int = schema.get("maxLength", _MAX_STRING)
        if low > _MAX_STRING:
            raise _Exhausted
        text: str = _FORMATS.get(str(schema.get("format")), "") or self._words(name)
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            text = self._matching(pattern, text)
        text = (text + "x" * max(0, low - len(text)))[: max(high, 0)]
        self._spend(len(text))
        return text

    def _words(self, name: str) -> str:
        material = self._material
        if _PROSE_FIELDS.search(name) and material.sentences:
            sentence = material.sentences[self._strings % len(material.sentences)]
        else:
            start = self._strings % len(material.words)
            sentence = " ".join(material.words[start : start + (4 if _PROSE_FIELDS.search(name) else 1)])
        self._strings += 1
        return sentence

    def _matching(self, pattern: str, preferred: str) -> str:
        """A string the pattern finds a match in: the preferred text, a material word, or a common shape."""
        try:
            compiled = re.compile(pattern)
        except re.error:
            raise SchemaError(f"'pattern' {_shown(pattern)} is not a valid regular expression") from None
        candidates = [preferred, *self._material.words[:20], *_PATTERN_SHAPES]
        for candidate in candidates:
            if compiled.search(candidate):
                return candidate
        raise SchemaError(f"mockai cannot build a string matching the pattern {_shown(pattern)}")


# Common shapes a pattern asks for: codes, digits, dates, identifiers, e-mail addresses.
_PATTERN_SHAPES = (
    "value",
    "VALUE",
    "Value1",
    "value_1",
    "value-1",
    "12345",
    "1",
    "A",
    "AB",
    "ABC",
    "a",
    "ab",
    "abc",
    "2024-01-01",
    "00:00",
    "someone@example.com",
    "https://example.com/",
    "+1 555 0100",
    "",
)
