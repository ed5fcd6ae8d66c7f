"""What the control plane scripts the model to say: value types the generation core (`engine/reply.py`) consumes.

Kept apart from the core so the control plane, which every request passes, can name them without importing the
token model behind the core at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScriptedCall:
    """A tool call a rule scripted; without an id it is called `call_<position>`."""

    name: str
    arguments: str
    call_id: str | None = None


@dataclass(frozen=True)
class ScriptedReply:
    """What a control-plane rule says the model answers: it replaces the model's decision, not the rendering."""

    content: str | None = None
    tool_calls: tuple[ScriptedCall, ...] = ()
    refusal: str | None = None
    finish_reason: str | None = None
