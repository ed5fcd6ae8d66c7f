"""Load every JSON Schema in `schemas/` once; compiled 2020-12 validators keyed by short name and by `$id`.

Short names are paths below `schemas/` without `.json`: `openai/createChatCompletion.request`. One registry feeds the
server's request validation, `/openapi.json` and the hypothesis strategies.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mockai._paths import resource_dir

SCHEMA_BASE_URI = "https://mockai.test/schemas/"


class SchemaRegistry:
    """All schemas of one folder, with a compiled validator each.

    >>> registry = default_registry()
    >>> registry.validator("mockai/clock-advance").is_valid({"seconds": 5})
    True
    """

    def __init__(self, documents: dict[str, dict[str, Any]]) -> None:
        self._documents = documents
        self._referencing: Registry[Any] = Registry().with_resources(
            (document["$id"], Resource.from_contents(document, default_specification=DRAFT202012))
            for document in documents.values()
        )
        self._validators: dict[str, Draft202012Validator] = {}
        self._compiled = False

    @classmethod
    def load(cls, root: Path) -> SchemaRegistry:
        documents: dict[str, dict[str, Any]] = {}
        for path in sorted(root.rglob("*.json")):
            name = path.relative_to(root).with_suffix("").as_posix()
            document = json.loads(path.read_text(encoding="utf-8"))
            expected_id = SCHEMA_BASE_URI + path.relative_to(root).as_posix()
            if document.get("$id") != expected_id:
                raise ValueError(f"{path}: $id must be {expected_id!r}, found {document.get('$id')!r}")
            documents[name] = document
        return cls(documents)

    def names(self) -> list[str]:
        return sorted(self._documents)

    def __contains__(self, name: object) -> bool:
        return name in self._documents

    def document(self, name: str) -> dict[str, Any]:
        try:
            return self._documents[name]
        except KeyError:
            raise KeyError(f"no schema named {name!r} in schemas/") from None

    def validator(self, name: str) -> Draft202012Validator:
        if name not in self._validators:
            self._validators[name] = Draft202012Validator(
                self.document(name),
                registry=self._referencing,
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
        return self._validators[name]

    def iter_errors(self, name: str, instance: object) -> Iterator[ValidationError]:
        problems: Iterator[ValidationError] = self.validator(name).iter_errors(instance)
        return problems

    def compile_all(self) -> None:
        """Build every validator now (at start-up), so a broken schema fails fast and requests stay quick.
        Done once per registry: a second app sharing it (the plugin's seeded server) starts without the cost."""
        if self._compiled:
            return
        for name in self._documents:
            Draft202012Validator.check_schema(self._documents[name])
            self.validator(name)
        self._compiled = True

    @property
    def referencing(self) -> Registry[Any]:
        return self._referencing

    def bundled(self, name: str) -> dict[str, Any]:
        """The schema with every `$ref` inlined: one self-contained document for generators.

        hypothesis-jsonschema resolves no cross-file references, and our schemas are not recursive, so inlining is
        total. Documentation keywords (`examples`, `$comment`, titles) are dropped on the way.

        >>> "$ref" in json.dumps(default_registry().bundled("openai/createChatCompletion.request"))
        False
        """
        document = self.document(name)
        bundled: dict[str, Any] = _inline(document, self._referencing.resolver(base_uri=document["$id"]))
        return bundled

    def examples(self, name: str) -> list[Any]:
        """The documented examples carried by the schema (the API reference's own, fixed to be valid JSON)."""
        return copy.deepcopy(list(self.document(name).get("examples", [])))  # callers may edit their copy


_DOCUMENTATION_KEYWORDS = frozenset({"$schema", "$id", "$comment", "title", "description", "examples"})


# `referencing` exports no public name for its Resolver type, hence `Any` for the resolver.
def _inline(node: Any, resolver: Any) -> Any:
    if isinstance(node, list):
        return [_inline(item, resolver) for item in node]
    if not isinstance(node, dict):
        return node
    inlined = {key: _inline(value, resolver) for key, value in node.items() if key not in _DOCUMENTATION_KEYWORDS}
    inlined.pop("$defs", None)
    reference = inlined.pop("$ref", None)
    if reference is None:
        return inlined
    resolved = resolver.lookup(reference)
    target = _inline(resolved.contents, resolved.resolver)
    # A `$ref` beside other keywords means "both apply" in 2020-12; allOf says the same in draft-07 words.
    return {"allOf": [target, inlined]} if inlined else target


@functools.cache
def default_registry() -> SchemaRegistry:
    """The registry of the project's own `schemas/` folder, loaded once per process."""
    return SchemaRegistry.load(resource_dir("schemas"))
