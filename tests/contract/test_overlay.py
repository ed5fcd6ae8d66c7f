"""The overlay refuses entries that no longer apply, so a new spec's fixes and moves are reviewed, never absorbed."""

from __future__ import annotations

from typing import Any

import pytest

from mockai.contract.overlay import OverlayError, Patch, apply_patches, parse_overlay

SPEC: dict[str, Any] = {
    "components": {
        "schemas": {
            "Chunk": {"type": "object", "properties": {"finish_reason": {"type": "string", "enum": ["stop"]}}},
            "Answer": {"oneOf": [{"type": "string"}, {"type": "object"}]},
        }
    }
}
FINISH = "/components/schemas/Chunk/properties/finish_reason"


def test_a_patch_changes_a_copy_and_leaves_the_spec_alone() -> None:
    patched = apply_patches(SPEC, [Patch(FINISH, "the API sends null", set={"nullable": True})])
    assert patched["components"]["schemas"]["Chunk"]["properties"]["finish_reason"]["nullable"] is True
    assert "nullable" not in SPEC["components"]["schemas"]["Chunk"]["properties"]["finish_reason"]
    assert patched["components"]["schemas"]["Answer"] is SPEC["components"]["schemas"]["Answer"]  # shared, not copied


def test_remove_and_rename_apply_in_that_order_before_set() -> None:
    patch = Patch("/components/schemas/Answer", "overlapping shapes", rename={"oneOf": "anyOf"})
    assert list(apply_patches(SPEC, [patch])["components"]["schemas"]["Answer"]) == ["anyOf"]
    replace = Patch(FINISH, "a wider type", remove=("enum",), set={"type": ["string", "null"]})
    assert apply_patches(SPEC, [replace])["components"]["schemas"]["Chunk"]["properties"]["finish_reason"] == {
        "type": ["string", "null"]
    }


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (Patch("/components/schemas/Gone/properties/x", "why", set={"nullable": True}), "has no 'Gone' there any more"),
        (Patch(FINISH, "why", set={"type": "string"}), "the spec already says {'type': 'string'}; drop this entry"),
        (Patch(FINISH, "why", remove=("nullable",)), "cannot remove 'nullable', the spec no longer has it"),
        (Patch(FINISH, "why", rename={"oneOf": "anyOf"}), "cannot rename 'oneOf', the spec no longer has it"),
        (Patch("components/schemas/Chunk", "why", set={"x": 1}), "must be a JSON pointer"),
    ],
    ids=["the node vanished", "the spec fixed it", "nothing to remove", "nothing to rename", "not a pointer"],
)
def test_an_entry_that_no_longer_applies_stops_the_sync(patch: Patch, message: str) -> None:
    with pytest.raises(OverlayError, match=message.replace("{", r"\{").replace("(", r"\(")):
        apply_patches(SPEC, [patch])


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"operations": {}}, "missing keys"),
        (
            {"error_schema": "E", "refuse_unknown_top_level_parameters": True, "operations": {"a": {"speck": "x"}}},
            "unknown keys \\['speck'\\]",
        ),
        (
            {"error_schema": "E", "refuse_unknown_top_level_parameters": True,
             "operations": {"a": {"patches": [{"at": "/x", "why": " ", "set": {"a": 1}}]}}},
            "`why` must say why",
        ),
        (
            {"error_schema": "E", "refuse_unknown_top_level_parameters": True,
             "operations": {"a": {"patches": [{"at": "/x", "why": "because"}]}}},
            "changes nothing",
        ),
        (
            {"error_schema": "E", "refuse_unknown_top_level_parameters": True,
             "operations": {"a": {"as": "b"}, "b": None}},
            "operations kept twice: \\['b'\\]",
        ),
    ],
    ids=["missing keys", "unknown key", "no reason", "no change", "one id twice"],
)  # fmt: skip
def test_a_malformed_overlay_is_refused_with_the_entry_named(document: dict[str, Any], message: str) -> None:
    with pytest.raises(OverlayError, match=message):
        parse_overlay(document)
