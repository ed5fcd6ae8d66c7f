"""Object ids shaped like the real API's (`file-` + 24 alphanumerics, `ftjob-…`), seedable and never repeated."""

from __future__ import annotations

import hashlib
import random
import string
import threading

ALPHABET = string.ascii_letters + string.digits

#: (prefix, length of the random part) for every kind of id mockai hands out; lengths follow the real ids.
KINDS: dict[str, tuple[str, int]] = {
    "file": ("file-", 24),
    "fine_tune": ("ft-", 24),
    "fine_tuning_job": ("ftjob-", 24),
    "event": ("ftevent-", 24),
    "checkpoint": ("ftckpt_", 24),
    "chat_completion": ("chatcmpl-", 29),
    "completion": ("cmpl-", 29),
    "edit": ("edit-", 29),
    "embedding": ("embd-", 29),
    "moderation": ("modr-", 29),
    "request": ("req_", 32),
    # The Responses and Conversations APIs: a type prefix and 48 characters, as the real ids have.
    "conversation": ("conv_", 48),
    # Items, keyed by their `type` (mockai.state.items gives every stored item an id of its type).
    "message": ("msg_", 48),
    "function_call": ("fc_", 48),
    "function_call_output": ("fco_", 48),
    "reasoning": ("rs_", 48),
    "custom_tool_call": ("ctc_", 48),
    "custom_tool_call_output": ("ctco_", 48),
    "web_search_call": ("ws_", 48),
    "file_search_call": ("fs_", 48),
    "computer_call": ("cu_", 48),
    "computer_call_output": ("cuo_", 48),
    "image_generation_call": ("ig_", 48),
    "code_interpreter_call": ("ci_", 48),
    "local_shell_call": ("lsh_", 48),
    "local_shell_call_output": ("lsho_", 48),
    "mcp_call": ("mcp_", 48),
    "mcp_list_tools": ("mcpl_", 48),
    "mcp_approval_request": ("mcpr_", 48),
    "mcp_approval_response": ("mcpa_", 48),
    "item": ("item_", 48),  # any other item type
    "upload": ("upload_", 24),
    "upload_part": ("part_", 24),
    "batch": ("batch_", 32),
    "batch_request": ("batch_req_", 32),
}


class IdFactory:
    """Hands out ids from one seeded stream; a lock and a record of every id issued make repeats impossible.

    `epoch` separates runs over the same durable data (the store counts its openings), so a restarted
    server with the same seed does not replay the ids it handed out before.

    >>> ids = IdFactory(seed=7)
    >>> ids.new("file").startswith("file-"), len(ids.new("file"))
    (True, 29)
    """

    def __init__(self, seed: int = 0, *, epoch: int = 0) -> None:
        self._rng = random.Random(f"mockai-ids:{seed}:{epoch}")
        self._lock = threading.Lock()
        self._issued: set[str] = set()

    def new(self, kind: str) -> str:
        """A fresh id of `kind` (a key of `KINDS`)."""
        prefix, length = _kind(kind)
        with self._lock:
            while True:
                candidate = prefix + "".join(self._rng.choices(ALPHABET, k=length))
                if candidate not in self._issued:
                    self._issued.add(candidate)
                    return candidate


def derived_id(kind: str, *parts: object) -> str:
    """A stable id computed from `parts` (pure code such as `advance()` names its events this way)."""
    prefix, length = _kind(kind)
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return prefix + "".join(chars)


def _kind(kind: str) -> tuple[str, int]:
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"{kind=} is not one of {sorted(KINDS)}") from None
