"""Serving a model the catalog does not list yet: capabilities inferred from OpenAI's naming.

A model that ships tomorrow must not break a test suite the day its code adopts the name. In order:

1. `ft:BASE:ORG:SUFFIX:ID` (a fine-tuned model mockai did not train) is served with its base's capabilities (the base
   itself known or inferred), as a model of the caller's organization.
2. `ALIAS-YYYY-MM-DD` or `ALIAS-MMDD` of a catalog model is a snapshot of that alias (created on that date).
3. Only names that follow OpenAI's naming (the document's `naming` pattern) go further: the first `roles` pattern
   that matches (transcription, speech, images, embeddings, ...) names the model to copy; else the longest catalog
   id that the name extends with `-`; else the first `generations` pattern.

Anything else stays unknown (the real 404). Patterns match the whole name.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from mockai.state.catalog import FINE_TUNED_FAMILIES, Inference, ModelInfo

_LISTS = ("roles", "generations")
_SNAPSHOT = re.compile(r"(?P<alias>.+)-(?:(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})|\d{4})")


@dataclass(frozen=True)
class Rule:
    """A name pattern and the catalog model whose capabilities a matching name gets."""

    pattern: re.Pattern[str]
    like: str


@dataclass(frozen=True)
class InferenceRules:
    """The `inference` section of a catalog document, compiled.

    >>> rules = InferenceRules.from_json({"naming": "gpt-.*", "roles": [], "generations": []}, known=set())
    >>> rules.infer("sora-9", {}, "org-1") is None
    True
    """

    naming: re.Pattern[str]
    roles: tuple[Rule, ...]
    generations: tuple[Rule, ...]

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], *, known: Collection[str]) -> InferenceRules:
        """Compile the rules; each must copy a model in `known`."""
        roles, generations = (tuple(Rule(re.compile(r["pattern"]), r["like"]) for r in raw[key]) for key in _LISTS)
        for rule in (*roles, *generations):
            if rule.like not in known:
                raise ValueError(f"inference rule {rule.pattern.pattern!r} copies {rule.like!r}: not in the catalog")
        return cls(re.compile(raw["naming"]), roles, generations)

    def infer(self, name: str, known: Mapping[str, ModelInfo], org: str) -> ModelInfo | None:
        """The model `name` would be, as `org` sees it; None when the name is not OpenAI's kind of name."""
        if name.startswith("ft:"):
            return self._fine_tuned(name, known, org)
        return self._base(name, known)

    def _base(self, name: str, known: Mapping[str, ModelInfo]) -> ModelInfo | None:
        if name in known:
            return known[name]
        snapshot = _SNAPSHOT.fullmatch(name)
        if snapshot and snapshot["alias"] in known:
            alias = known[snapshot["alias"]]
            return _copy(name, alias, f"a dated snapshot of {alias.id}", created=_date(snapshot) or alias.created)
        if not self.naming.fullmatch(name):
            return None
        for rule in self.roles:
            if rule.pattern.fullmatch(name):
                return _copy(name, known[rule.like], f"the name matches {rule.pattern.pattern!r}")
        prefix = max((model_id for model_id in known if name.startswith(model_id + "-")), key=len, default=None)
        if prefix is not None:
            return _copy(name, known[prefix], f"the name extends {prefix}")
        for rule in self.generations:
            if rule.pattern.fullmatch(name):
                return _copy(name, known[rule.like], f"the name matches {rule.pattern.pattern!r}")
        return None

    def _fine_tuned(self, name: str, known: Mapping[str, ModelInfo], org: str) -> ModelInfo | None:
        base_id = name.split(":")[1]
        base = self._base(base_id, known) if base_id else None
        if base is None or not base.endpoints & FINE_TUNED_FAMILIES:
            return None
        like = base.inferred.like if base.inferred else base.id
        return dataclasses.replace(
            _copy(name, base, f"a fine-tuned model of {base_id}"),
            endpoints=base.endpoints & FINE_TUNED_FAMILIES,
            owned_by=org,
            owner_org=org,
            parent=base_id,
            inferred=Inference(like, f"a fine-tuned model of {base_id}"),
        )


def _copy(name: str, model: ModelInfo, reason: str, *, created: int | None = None) -> ModelInfo:
    """`model`'s capabilities under another name: never a fine-tuning base, always the modern object."""
    return dataclasses.replace(
        model,
        id=name,
        created=model.created if created is None else created,
        fine_tune=None,
        legacy_object=False,
        inferred=Inference(model.inferred.like if model.inferred else model.id, reason),
    )


def _date(snapshot: re.Match[str]) -> int | None:
    """Midnight UTC of a `-YYYY-MM-DD` suffix (None for `-MMDD`, or a date that does not exist)."""
    if snapshot["year"] is None:
        return None
    try:
        moment = datetime.datetime(
            int(snapshot["year"]), int(snapshot["month"]), int(snapshot["day"]), tzinfo=datetime.UTC
        )
    except ValueError:
        return None
    return int(moment.timestamp())
