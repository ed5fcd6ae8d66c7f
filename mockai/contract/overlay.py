"""Read `spec/overlay.yaml` and apply its patches to a parsed spec, refusing any entry that no longer applies.

The overlay says which operations mockai keeps from which spec, and what the real API enforces beyond the spec or
does differently from it. A patch names a spec node by JSON pointer and sets, removes or renames keywords there; it
must carry a `why`, and it must still change something: a patch whose node vanished, or whose change the spec now
makes itself, stops the sync so the move to a new spec is reviewed rather than silently absorbed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_SPEC = "openapi.yaml"


class OverlayError(ValueError):
    """An overlay entry that is malformed or no longer applies to its spec."""


@dataclass(frozen=True)
class Patch:
    """One correction of the spec: at the node `at` (a JSON pointer), `set` keys, `remove` keys, `rename` keys."""

    at: str
    why: str
    set: Mapping[str, Any] = field(default_factory=dict)
    remove: tuple[str, ...] = ()
    rename: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class KeptOperation:
    """An operation of a spec that mockai keeps, under the id mockai gives it (`name`)."""

    spec_id: str  # the operationId in the spec
    name: str  # the id mockai uses: file names, the endpoint table, journal labels
    spec: str  # file name under spec/
    stream_as: str = "event"  # the file suffix of its SSE payload schema: "event" or "chunk"
    stream_schema: str | None = None  # a component to use when the spec documents no stream schema
    patches: tuple[Patch, ...] = ()


@dataclass(frozen=True)
class Overlay:
    """The whole overlay: kept operations, the error envelope's component, and the request-body policy."""

    operations: tuple[KeptOperation, ...]
    error_schema: str
    refuse_unknown_parameters: bool

    def specs(self) -> list[str]:
        return sorted({operation.spec for operation in self.operations})

    def patches(self, spec: str) -> list[Patch]:
        return [patch for operation in self.operations if operation.spec == spec for patch in operation.patches]


def parse_overlay(document: Mapping[str, Any]) -> Overlay:
    """The overlay from its parsed YAML, every entry checked for shape."""
    _expect_keys("overlay", document, {"error_schema", "refuse_unknown_top_level_parameters", "operations"})
    kept = tuple(_operation(spec_id, entry or {}) for spec_id, entry in document["operations"].items())
    names = [operation.name for operation in kept]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise OverlayError(f"operations kept twice: {duplicates}")
    return Overlay(kept, str(document["error_schema"]), bool(document["refuse_unknown_top_level_parameters"]))


def _operation(spec_id: str, entry: Mapping[str, Any]) -> KeptOperation:
    _expect_keys(spec_id, entry, {"spec", "as", "stream", "patches"}, required=set())
    stream = entry.get("stream") or {}
    _expect_keys(f"{spec_id}.stream", stream, {"as", "schema"}, required=set())
    if stream.get("as", "event") not in ("event", "chunk"):
        raise OverlayError(f"{spec_id}.stream.as must be 'event' or 'chunk', not {stream['as']!r}")
    return KeptOperation(
        spec_id=spec_id,
        name=str(entry.get("as", spec_id)),
        spec=str(entry.get("spec", DEFAULT_SPEC)),
        stream_as=str(stream.get("as", "event")),
        stream_schema=stream.get("schema"),
        patches=tuple(_patch(spec_id, raw) for raw in entry.get("patches", [])),
    )


def _patch(spec_id: str, raw: Mapping[str, Any]) -> Patch:
    _expect_keys(f"{spec_id} patch", raw, {"at", "why", "set", "remove", "rename"}, required={"at", "why"})
    if not str(raw["why"]).strip():
        raise OverlayError(f"{spec_id} patch at {raw['at']}: `why` must say why the spec is overridden")
    if not any(key in raw for key in ("set", "remove", "rename")):
        raise OverlayError(f"{spec_id} patch at {raw['at']} changes nothing: give set, remove or rename")
    return Patch(
        at=str(raw["at"]),
        why=str(raw["why"]),
        set=dict(raw.get("set", {})),
        remove=tuple(raw.get("remove", ())),
        rename=dict(raw.get("rename", {})),
    )


def _expect_keys(where: str, entry: Mapping[str, Any], allowed: set[str], required: set[str] | None = None) -> None:
    if not isinstance(entry, Mapping):
        raise OverlayError(f"{where}: expected a mapping, found {type(entry).__name__}")
    unknown = sorted(set(entry) - allowed)
    missing = sorted((allowed if required is None else required) - set(entry))
    if unknown or missing:
        raise OverlayError(f"{where}: unknown keys {unknown}, missing keys {missing}")


def apply_patches(spec: Mapping[str, Any], patches: list[Patch]) -> dict[str, Any]:
    """A copy of `spec` with every patch applied; only the nodes on a patch's path are copied, the rest is shared.

    >>> spec = {"components": {"schemas": {"A": {"type": "string"}}}}
    >>> fix = Patch("/components/schemas/A", "the API sends null", set={"nullable": True})
    >>> apply_patches(spec, [fix])["components"]["schemas"]["A"]
    {'type': 'string', 'nullable': True}
    >>> spec["components"]["schemas"]["A"]
    {'type': 'string'}
    """
    patched = dict(spec)
    for patch in patches:
        node = _copied_path(patched, patch.at)
        _apply(node, patch)
    return patched


def _copied_path(root: dict[str, Any], pointer: str) -> dict[str, Any]:
    """The node at `pointer`, copying each container on the way so the caller's spec stays untouched."""
    node: Any = root
    for token in _tokens(pointer):
        key: Any = int(token) if isinstance(node, list) and token.isdigit() else token
        try:
            child = node[key]
        except (KeyError, IndexError, TypeError):
            raise OverlayError(f"patch at {pointer}: the spec has no {token!r} there any more") from None
        child = dict(child) if isinstance(child, dict) else list(child) if isinstance(child, list) else child
        node[key] = child
        node = child
    if not isinstance(node, dict):
        raise OverlayError(f"patch at {pointer}: the node is not a schema object")
    return node


def _tokens(pointer: str) -> list[str]:
    if not pointer.startswith("/"):
        raise OverlayError(f"patch path {pointer!r} must be a JSON pointer starting with '/'")
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")]


def _apply(node: dict[str, Any], patch: Patch) -> None:
    for old, new in patch.rename.items():
        if old not in node:
            raise OverlayError(f"patch at {patch.at}: cannot rename {old!r}, the spec no longer has it")
        node[new] = node.pop(old)
    for key in patch.remove:
        if key not in node:
            raise OverlayError(f"patch at {patch.at}: cannot remove {key!r}, the spec no longer has it")
        del node[key]
    if patch.set and all(key in node and node[key] == value for key, value in patch.set.items()):
        raise OverlayError(f"patch at {patch.at}: the spec already says {dict(patch.set)}; drop this entry")
    node.update(patch.set)
