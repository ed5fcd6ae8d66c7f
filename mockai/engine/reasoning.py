"""What a reasoning model thinks before it answers: a deterministic note about the reply it planned.

mockai's reasoning models do not search for an answer; the generation core has already decided the reply. The note
says, in plain words, what the model read and what it is about to do (call a tool, answer in a schema, decline,
answer in text); its length grows with `effort`. The note's tokens are the reply's `reasoning_tokens` (billed as
output), and the note is the reasoning summary a client sees when it asks for one.

>>> note = reasoning_note("medium", question="What is the weather in Paris?", plan="call get_weather")
>>> note.title
'Planning the answer'
>>> note.text
'The user asks: “What is the weather in Paris?”. I will call get_weather.'
>>> reasoning_note("minimal", question="Hi", plan="answer in text") is None
True
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EFFORTS", "ReasoningNote", "reasoning_note"]

#: `reasoning.effort` values, and how many sentences of the note each one writes (0: no reasoning at all).
EFFORTS = {"none": 0, "minimal": 0, "low": 1, "medium": 2, "high": 3, "xhigh": 3}
_QUOTED_CHARACTERS = 120


@dataclass(frozen=True)
class ReasoningNote:
    """The reasoning before a reply: a short title (the summary's bold heading) and the note itself."""

    title: str
    text: str

    @property
    def summary(self) -> str:
        """The summary text as the real API writes it: a bold heading, a blank line, the prose."""
        return f"**{self.title}**\n\n{self.text}"


def reasoning_note(effort: str, *, question: str, plan: str) -> ReasoningNote | None:
    """The note for a reply that will `plan` (a verb phrase) to `question`; None when `effort` asks for none."""
    sentences = EFFORTS.get(effort, 2)
    if sentences == 0:
        return None
    quoted = question.strip().replace("\n", " ")
    if len(quoted) > _QUOTED_CHARACTERS:
        quoted = quoted[: _QUOTED_CHARACTERS - 1].rstrip() + "…"
    said = [f"The user asks: “{quoted}”." if quoted else "The conversation continues.", f"I will {plan}."]
    if sentences >= 3:
        said.append("Before sending it, I check that it follows the instructions and the requested format.")
    return ReasoningNote("Planning the answer", " ".join(said[-sentences:] if sentences == 1 else said))
