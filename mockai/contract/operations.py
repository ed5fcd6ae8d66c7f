"""The documented OpenAI operations the contract kit checks: method, path, family and what a call costs.

This is the contract's own table, written from the API reference rather than read from the mock's route table, so
`mockai contract` can check any server (the runner never imports `mockai.api`). A test keeps it in step with the
mock's `ENDPOINTS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

BodyKind = Literal["json", "multipart", "none"]


@dataclass(frozen=True)
class Operation:
    """One documented operation.

    >>> OPERATIONS["createChatCompletion"].path
    '/chat/completions'
    """

    operation_id: str
    method: str
    path: str  # relative to the API base URL, which ends in /v1
    family: str  # the value `mockai contract --endpoints` selects on
    body: BodyKind = "none"
    #: Creates, deletes or cancels a stored resource (files, fine-tunes): money and state on a real server.
    writes: bool = False
    #: Answers as server-sent events when asked (`stream: true` in the body, or `?stream=true` without a body).
    streams: bool = False
    #: Answers with raw bytes (a file's content, audio), which no JSON schema describes.
    binary: bool = False
    #: Streams typed events (`event: response.created` ..., each with a `sequence_number`, no `[DONE]`) rather than
    #: chunk objects: the Responses API.
    events: bool = False
    #: The answer's schema when the spec documents none (`mockai/...`); by default `openai/<operation>.response`.
    answer_schema: str | None = None

    @property
    def request_schema(self) -> str | None:
        return None if self.body == "none" else f"openai/{self.operation_id}.request"

    @property
    def response_schema(self) -> str | None:
        if self.binary:
            return None
        return self.answer_schema or f"openai/{self.operation_id}.response"

    @property
    def chunk_schema(self) -> str | None:
        if not self.streams:
            return None
        return f"openai/{self.operation_id}.{'event' if self.events else 'chunk'}"


_ROWS = (
    Operation("listModels", "GET", "/models", "models"),
    Operation("retrieveModel", "GET", "/models/{model}", "models"),
    Operation("deleteModel", "DELETE", "/models/{model}", "models", writes=True),
    Operation("createCompletion", "POST", "/completions", "completions", "json", streams=True),
    Operation("createChatCompletion", "POST", "/chat/completions", "chat", "json", streams=True),
    Operation("listChatCompletions", "GET", "/chat/completions", "chat"),
    Operation("getChatCompletion", "GET", "/chat/completions/{completion_id}", "chat"),
    Operation("updateChatCompletion", "POST", "/chat/completions/{completion_id}", "chat", "json", writes=True),
    Operation("deleteChatCompletion", "DELETE", "/chat/completions/{completion_id}", "chat", writes=True),
    Operation("getChatCompletionMessages", "GET", "/chat/completions/{completion_id}/messages", "chat"),
    Operation("createEdit", "POST", "/edits", "edits", "json"),
    Operation("createImage", "POST", "/images/generations", "images", "json"),
    Operation("createImageEdit", "POST", "/images/edits", "images", "multipart"),
    Operation("createImageVariation", "POST", "/images/variations", "images", "multipart"),
    Operation("createEmbedding", "POST", "/embeddings", "embeddings", "json"),
    Operation("createTranscription", "POST", "/audio/transcriptions", "audio", "multipart"),
    Operation("createTranslation", "POST", "/audio/translations", "audio", "multipart"),
    Operation("createSpeech", "POST", "/audio/speech", "audio", "json", binary=True),
    Operation("listFiles", "GET", "/files", "files"),
    Operation("createFile", "POST", "/files", "files", "multipart", writes=True),
    Operation("deleteFile", "DELETE", "/files/{file_id}", "files", writes=True),
    Operation("retrieveFile", "GET", "/files/{file_id}", "files"),
    Operation("downloadFile", "GET", "/files/{file_id}/content", "files", binary=True),
    Operation("createUpload", "POST", "/uploads", "uploads", "json", writes=True),
    Operation("addUploadPart", "POST", "/uploads/{upload_id}/parts", "uploads", "multipart", writes=True),
    Operation("completeUpload", "POST", "/uploads/{upload_id}/complete", "uploads", "json", writes=True),
    Operation("cancelUpload", "POST", "/uploads/{upload_id}/cancel", "uploads", writes=True),
    Operation("createBatch", "POST", "/batches", "batches", "json", writes=True),
    Operation("listBatches", "GET", "/batches", "batches"),
    Operation("retrieveBatch", "GET", "/batches/{batch_id}", "batches"),
    Operation("cancelBatch", "POST", "/batches/{batch_id}/cancel", "batches", writes=True),
    Operation("createFineTune", "POST", "/fine-tunes", "fine-tunes", "json", writes=True),
    Operation("listFineTunes", "GET", "/fine-tunes", "fine-tunes"),
    Operation("retrieveFineTune", "GET", "/fine-tunes/{fine_tune_id}", "fine-tunes"),
    Operation("cancelFineTune", "POST", "/fine-tunes/{fine_tune_id}/cancel", "fine-tunes", writes=True),
    Operation("listFineTuneEvents", "GET", "/fine-tunes/{fine_tune_id}/events", "fine-tunes", streams=True),
    Operation("createModeration", "POST", "/moderations", "moderations", "json"),
    Operation("listEngines", "GET", "/engines", "engines"),
    Operation("retrieveEngine", "GET", "/engines/{engine_id}", "engines"),
    Operation("createFineTuningJob", "POST", "/fine_tuning/jobs", "fine-tuning", "json", writes=True),
    Operation("listPaginatedFineTuningJobs", "GET", "/fine_tuning/jobs", "fine-tuning"),
    Operation("retrieveFineTuningJob", "GET", "/fine_tuning/jobs/{fine_tuning_job_id}", "fine-tuning"),
    Operation("cancelFineTuningJob", "POST", "/fine_tuning/jobs/{fine_tuning_job_id}/cancel", "fine-tuning",
              writes=True),
    Operation("pauseFineTuningJob", "POST", "/fine_tuning/jobs/{fine_tuning_job_id}/pause", "fine-tuning",
              writes=True),
    Operation("resumeFineTuningJob", "POST", "/fine_tuning/jobs/{fine_tuning_job_id}/resume", "fine-tuning",
              writes=True),
    Operation("listFineTuningEvents", "GET", "/fine_tuning/jobs/{fine_tuning_job_id}/events", "fine-tuning"),
    Operation("listFineTuningJobCheckpoints", "GET", "/fine_tuning/jobs/{fine_tuning_job_id}/checkpoints",
              "fine-tuning"),
    Operation("createResponse", "POST", "/responses", "responses", "json", streams=True, events=True),
    Operation("getInputTokenCounts", "POST", "/responses/input_tokens", "responses", "json"),
    Operation("compactConversation", "POST", "/responses/compact", "responses", "json"),
    Operation("getResponse", "GET", "/responses/{response_id}", "responses"),
    # The spec documents no body for a deleted response; mockai's schema records the one the real API sends.
    Operation("deleteResponse", "DELETE", "/responses/{response_id}", "responses", writes=True,
              answer_schema="mockai/deleteResponse.response"),
    Operation("cancelResponse", "POST", "/responses/{response_id}/cancel", "responses", writes=True),
    Operation("listInputItems", "GET", "/responses/{response_id}/input_items", "responses"),
    Operation("createConversation", "POST", "/conversations", "conversations", "json", writes=True),
    Operation("getConversation", "GET", "/conversations/{conversation_id}", "conversations"),
    Operation("updateConversation", "POST", "/conversations/{conversation_id}", "conversations", "json",
              writes=True),
    Operation("deleteConversation", "DELETE", "/conversations/{conversation_id}", "conversations", writes=True),
    Operation("createConversationItems", "POST", "/conversations/{conversation_id}/items", "conversations", "json",
              writes=True),
    Operation("listConversationItems", "GET", "/conversations/{conversation_id}/items", "conversations"),
    Operation("getConversationItem", "GET", "/conversations/{conversation_id}/items/{item_id}", "conversations"),
    Operation("deleteConversationItem", "DELETE", "/conversations/{conversation_id}/items/{item_id}",
              "conversations", writes=True),
)  # fmt: skip

#: Every documented operation by operationId, in the order of the API reference.
OPERATIONS: dict[str, Operation] = {row.operation_id: row for row in _ROWS}

#: The endpoint families, in reference order: the values `--endpoints` accepts.
FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(row.family for row in _ROWS))


def select(families: str | None) -> list[Operation]:
    """The operations of a comma-separated family list (`"chat,embeddings"`); all of them for `None`.

    >>> [op.operation_id for op in select("edits")]
    ['createEdit']
    """
    if families is None or not families.strip():
        return list(OPERATIONS.values())
    wanted = [name.strip() for name in families.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in FAMILIES]
    if unknown:
        raise ValueError(f"unknown endpoint families {unknown}; choose from {', '.join(FAMILIES)}")
    return [op for op in OPERATIONS.values() if op.family in wanted]
