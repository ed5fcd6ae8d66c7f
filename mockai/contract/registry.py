"""Load every JSON Schema in `schemas/` once; compiled 2020-12 validators keyed by short name and by `$id`.

Short names are paths below `schemas/` without `.json`: `openai/createChatCompletion.request`. One registry feeds the
server's request validation, `/openapi.json` and the hypothesis strategies. `schemas/openai/` is derived from the
official spec (`python -m mockai.contract.sync`); its unions follow their discriminators (`contract/discriminator.py`).
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mockai._paths import resource_dir
from mockai.contract.discriminator import discriminating_validator

SCHEMA_BASE_URI = "https://mockai.test/schemas/"


class SchemaRegistry:
    """All schemas of one folder, with a compiled validator each.

    >>> registry = default_registry()
    >>> registry.validator("mockai/clock-advance").is_valid({"seconds": 5})
    True
    """

    def __init__(self, documents: dict[str, dict[str, Any]]) -> None:
        self._documents = documents
        self._by_uri = {document["$id"]: document for document in documents.values()}
        self._validator_class = discriminating_validator(self.lookup)
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
            self._validators[name] = self._validator_class(
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
        Done once per registry: a second app sharing it (the plugin's seeded server) starts without the cost.

        The derived `openai/` schemas are not checked against the metaschema here: that takes two seconds for
        their components, and the suite checks every derived file (tests/contract/test_schemas.py) instead."""
        if self._compiled:
            return
        for name in self._documents:
            if not name.startswith("openai/"):
                Draft202012Validator.check_schema(self._documents[name])
            self.validator(name)
        self._compiled = True

    def examples(self, name: str) -> list[Any]:
        """The examples a hand-written schema carries (the derived ones carry none: prose is not derived).

        >>> default_registry().examples("openai/createChatCompletion.request")
        []
        """
        return copy.deepcopy(list(self.document(name).get("examples", [])))  # callers may edit their copy

    def validator_for(self, schema: Mapping[str, Any], base: str) -> Draft202012Validator:
        """A validator for a schema found inside one of the documents, its references resolving against `base`."""
        framed = {**schema, "$id": urljoin(base, "mockai-subschema.json")}  # a name no document has, in base's folder
        validator: Draft202012Validator = self._validator_class(
            framed, registry=self._referencing, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        return validator

    def lookup(self, reference: str, base: str = SCHEMA_BASE_URI + "openai/") -> dict[str, Any]:
        """The schema a `$ref` names, resolved against `base` (the derived files' folder, where every reference
        names its file).

        >>> default_registry().lookup("components.json#/$defs/Model")["required"]
        ['id', 'object', 'created', 'owned_by']
        """
        return self.resolve(reference, base)[0]

    def resolve(self, reference: str, base: str) -> tuple[dict[str, Any], str]:
        """The schema a `$ref` names and the base URI its own references resolve against."""
        uri, fragment = urldefrag(urljoin(base, reference))
        try:
            node: Any = self._by_uri[uri]
            for token in fragment.lstrip("/").split("/") if fragment else ():
                node = node[token.replace("~1", "/").replace("~0", "~")]
        except KeyError:
            raise KeyError(f"{reference!r} (from {base}) names no schema in schemas/") from None
        if not isinstance(node, dict):
            raise KeyError(f"{reference!r} (from {base}) is not a schema object")
        return node, uri

    @property
    def referencing(self) -> Registry[Any]:
        return self._referencing


@functools.cache
def default_registry() -> SchemaRegistry:
    """The registry of the project's own `schemas/` folder, loaded once per process."""
    return SchemaRegistry.load(resource_dir("schemas"))
