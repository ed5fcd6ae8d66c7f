"""Simulated built-in tools of the Responses API: which one the model calls, and the call item it returns.

mockai runs no search, no code and no image model. A built-in tool the request declares is called (when
`tool_choice` allows it: forced by type, or `auto`/`required` with no function tools to prefer) and answered with its
documented output item, built deterministically from the last user message: a `web_search_call` that searched for
it, a `file_search_call` that queried it, a `code_interpreter_call` that printed it, an `image_generation_call` whose
result is a PNG drawn from it. The model then answers in text as usual. Other built-in kinds are accepted and not
called.

>>> builtin_calls([{"type": "web_search"}], "auto", "Weather in Paris?", has_functions=False)
[{'type': 'web_search_call', 'status': 'completed', 'action': {'type': 'search', 'query': 'Weather in Paris?'}}]
>>> builtin_calls([{"type": "web_search"}], "none", "Weather in Paris?", has_functions=False)
[]
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from mockai.engine.image import render_png

__all__ = ["SIMULATED", "builtin_calls"]

_IMAGE_SIDE = 64


def _web_search(query: str) -> dict[str, Any]:
    return {"type": "web_search_call", "status": "completed", "action": {"type": "search", "query": query}}


def _file_search(query: str) -> dict[str, Any]:
    return {"type": "file_search_call", "status": "completed", "queries": [query], "results": None}


def _code_interpreter(query: str) -> dict[str, Any]:
    container = "cntr_" + hashlib.blake2b(query.encode(), digest_size=12).hexdigest()
    return {
        "type": "code_interpreter_call",
        "status": "completed",
        "code": f"print({json.dumps(query, ensure_ascii=False)})",
        "container_id": container,
        "outputs": None,
    }


def _image_generation(query: str) -> dict[str, Any]:
    png = render_png(query or "image", _IMAGE_SIDE, _IMAGE_SIDE)
    return {"type": "image_generation_call", "status": "completed", "result": base64.b64encode(png).decode()}


#: The built-in tool types mockai answers with a call item (the dated web search types included).
SIMULATED = {
    "web_search": _web_search,
    "web_search_preview": _web_search,
    "web_search_2025_08_26": _web_search,
    "web_search_preview_2025_03_11": _web_search,
    "file_search": _file_search,
    "code_interpreter": _code_interpreter,
    "image_generation": _image_generation,
}


def builtin_calls(
    tools: Sequence[Mapping[str, Any]], tool_choice: Any, question: str, *, has_functions: bool
) -> list[dict[str, Any]]:
    """The built-in calls the reply makes before its answer (at most one: the forced type, or the first declared)."""
    declared = [str(tool.get("type")) for tool in tools if tool.get("type") in SIMULATED]
    if not declared or tool_choice == "none":
        return []
    if isinstance(tool_choice, Mapping):
        forced = tool_choice.get("type")
        return [SIMULATED[str(forced)](question)] if forced in declared else []
    if has_functions:
        return []  # the model prefers the caller's functions; it answers with those
    return [SIMULATED[declared[0]](question)]
