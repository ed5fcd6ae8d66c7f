"""THE endpoint table: every documented operation, in the order of the API reference.

Routing, `/openapi.json`, `mockai contract --endpoints` and journal labels all read this one tuple. The same path
with two methods is two rows; a wrong method gets 405 with `Allow` computed from this table.

Handlers are named by module and function (`handler("chat.create_chat_completion")`) and imported on the first
request they answer: importing all of them, with the engine and state code behind each family, was 32 of the 135
modules `mockai serve` imported before it could answer, and a server that only ever answers chat completions never
needs speech or batches.
"""

from __future__ import annotations

import importlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockai.api.admin import ADMIN_ENDPOINTS
from mockai.api.endpoint import Endpoint, Handler


class LazyHandler:
    """A handler of `mockai.api.<module>`, imported when it first answers (two threads racing import it once)."""

    __slots__ = ("_resolved", "module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name
        self._resolved: Handler | None = None

    def resolve(self) -> Handler:
        """The handler function itself (importing its module, once)."""
        if self._resolved is None:
            self._resolved = getattr(importlib.import_module(f"mockai.api.{self.module}"), self.name)
        return self._resolved

    async def __call__(self, request: Request, body: Any) -> Response:
        return await (self._resolved or self.resolve())(request, body)

    def __repr__(self) -> str:
        return f"handler('{self.module}.{self.name}')"


def handler(reference: str) -> LazyHandler:
    """`"module.function"` under `mockai.api`, imported on first use."""
    module, _, name = reference.partition(".")
    return LazyHandler(module, name)


# fmt: off
ENDPOINTS: tuple[Endpoint, ...] = (
    # -- models ----------------------------------------------------------------------------------------------------
    Endpoint("GET", "/v1/models", handler("models.list_models"), "listModels", "models",
             response_schema="openai/listModels.response"),
    Endpoint("GET", "/v1/models/{model}", handler("models.retrieve_model"), "retrieveModel", "models",
             response_schema="openai/retrieveModel.response"),
    Endpoint("DELETE", "/v1/models/{model}", handler("models.delete_model"), "deleteModel", "models",
             response_schema="openai/deleteModel.response"),
    # -- completions -----------------------------------------------------------------------------------------------
    Endpoint("POST", "/v1/completions", handler("completions.create_completion"), "createCompletion", "completions",
             body="json", request_schema="openai/createCompletion.request",
             response_schema="openai/createCompletion.response", stream_schema="openai/createCompletion.chunk"),
    # -- chat ------------------------------------------------------------------------------------------------------
    Endpoint("POST", "/v1/chat/completions", handler("chat.create_chat_completion"), "createChatCompletion", "chat",
             body="json", request_schema="openai/createChatCompletion.request",
             response_schema="openai/createChatCompletion.response", stream_schema="openai/createChatCompletion.chunk"),
    Endpoint("GET", "/v1/chat/completions", handler("stored_chat.list_chat_completions"), "listChatCompletions", "chat",
             query_schema="openai/listChatCompletions.query", response_schema="openai/listChatCompletions.response"),
    Endpoint("GET", "/v1/chat/completions/{completion_id}", handler("stored_chat.get_chat_completion"),
             "getChatCompletion", "chat", response_schema="openai/getChatCompletion.response"),
    Endpoint("POST", "/v1/chat/completions/{completion_id}", handler("stored_chat.update_chat_completion"),
             "updateChatCompletion", "chat", body="json", request_schema="openai/updateChatCompletion.request",
             response_schema="openai/updateChatCompletion.response"),
    Endpoint("DELETE", "/v1/chat/completions/{completion_id}", handler("stored_chat.delete_chat_completion"),
             "deleteChatCompletion", "chat", response_schema="openai/deleteChatCompletion.response"),
    Endpoint("GET", "/v1/chat/completions/{completion_id}/messages",
             handler("stored_chat.get_chat_completion_messages"), "getChatCompletionMessages", "chat",
             query_schema="openai/getChatCompletionMessages.query",
             response_schema="openai/getChatCompletionMessages.response"),
    # -- edits -----------------------------------------------------------------------------------------------------
    Endpoint("POST", "/v1/edits", handler("edits.create_edit"), "createEdit", "edits", body="json",
             request_schema="openai/createEdit.request", response_schema="openai/createEdit.response"),
    # -- images (issue 6) ------------------------------------------------------------------------------------------
    Endpoint("POST", "/v1/images/generations", handler("images.create_image"), "createImage", "images", body="json",
             request_schema="openai/createImage.request", response_schema="openai/createImage.response"),
    Endpoint("POST", "/v1/images/edits", handler("images.create_image_edit"), "createImageEdit", "images",
             body="multipart", request_schema="openai/createImageEdit.request",
             response_schema="openai/createImageEdit.response"),
    Endpoint("POST", "/v1/images/variations", handler("images.create_image_variation"), "createImageVariation",
             "images", body="multipart", request_schema="openai/createImageVariation.request",
             response_schema="openai/createImageVariation.response"),
    # -- embeddings (issue 6) --------------------------------------------------------------------------------------
    Endpoint("POST", "/v1/embeddings", handler("embeddings.create_embedding"), "createEmbedding", "embeddings",
             body="json", request_schema="openai/createEmbedding.request",
             response_schema="openai/createEmbedding.response"),
    Endpoint("POST", "/v1/engines/{engine}/embeddings", handler("embeddings.create_embedding"), "createEngineEmbedding",
             "embeddings", body="json", request_schema="openai/createEmbedding.request",
             response_schema="openai/createEmbedding.response", model_from_path="engine"),
    # -- audio (issue 6) -------------------------------------------------------------------------------------------
    Endpoint("POST", "/v1/audio/transcriptions", handler("audio.create_transcription"), "createTranscription", "audio",
             body="multipart", request_schema="openai/createTranscription.request",
             response_schema="openai/createTranscription.response"),
    Endpoint("POST", "/v1/audio/translations", handler("audio.create_translation"), "createTranslation", "audio",
             body="multipart", request_schema="openai/createTranslation.request",
             response_schema="openai/createTranslation.response"),
    # The audio bytes have no response schema; `stream_format: "sse"` events do.
    Endpoint("POST", "/v1/audio/speech", handler("speech.create_speech"), "createSpeech", "audio", body="json",
             request_schema="openai/createSpeech.request", stream_schema="openai/createSpeech.event"),
    # -- files (issue 5) -------------------------------------------------------------------------------------------
    Endpoint("GET", "/v1/files", handler("files.list_files"), "listFiles", "files",
             query_schema="openai/listFiles.query", response_schema="openai/listFiles.response"),
    Endpoint("POST", "/v1/files", handler("files.create_file"), "createFile", "files", body="multipart",
             request_schema="openai/createFile.request", response_schema="openai/createFile.response"),
    Endpoint("DELETE", "/v1/files/{file_id}", handler("files.delete_file"), "deleteFile", "files",
             response_schema="openai/deleteFile.response"),
    Endpoint("GET", "/v1/files/{file_id}", handler("files.retrieve_file"), "retrieveFile", "files",
             response_schema="openai/retrieveFile.response"),
    # The spec calls the file's bytes a JSON string; they are sent as they were uploaded, so no response schema.
    Endpoint("GET", "/v1/files/{file_id}/content", handler("files.download_file"), "downloadFile", "files"),
    # -- uploads ---------------------------------------------------------------------------------------------------
    Endpoint("POST", "/v1/uploads", handler("uploads.create_upload"), "createUpload", "uploads", body="json",
             request_schema="openai/createUpload.request", response_schema="openai/createUpload.response"),
    Endpoint("POST", "/v1/uploads/{upload_id}/parts", handler("uploads.add_upload_part"), "addUploadPart", "uploads",
             body="multipart", request_schema="openai/addUploadPart.request",
             response_schema="openai/addUploadPart.response"),
    Endpoint("POST", "/v1/uploads/{upload_id}/complete", handler("uploads.complete_upload"), "completeUpload",
             "uploads", body="json", request_schema="openai/completeUpload.request",
             response_schema="openai/completeUpload.response"),
    Endpoint("POST", "/v1/uploads/{upload_id}/cancel", handler("uploads.cancel_upload"), "cancelUpload", "uploads",
             response_schema="openai/cancelUpload.response"),
    # -- batches ---------------------------------------------------------------------------------------------------
    Endpoint("POST", "/v1/batches", handler("batches.create_batch"), "createBatch", "batches", body="json",
             request_schema="openai/createBatch.request", response_schema="openai/createBatch.response"),
    Endpoint("GET", "/v1/batches", handler("batches.list_batches"), "listBatches", "batches",
             query_schema="openai/listBatches.query", response_schema="openai/listBatches.response"),
    Endpoint("GET", "/v1/batches/{batch_id}", handler("batches.retrieve_batch"), "retrieveBatch", "batches",
             response_schema="openai/retrieveBatch.response"),
    Endpoint("POST", "/v1/batches/{batch_id}/cancel", handler("batches.cancel_batch"), "cancelBatch", "batches",
             response_schema="openai/cancelBatch.response"),
    # -- fine-tunes (issue 5) --------------------------------------------------------------------------------------
    Endpoint("POST", "/v1/fine-tunes", handler("fine_tunes.create_fine_tune"), "createFineTune", "fine-tunes",
             body="json", request_schema="openai/createFineTune.request",
             response_schema="openai/createFineTune.response"),
    Endpoint("GET", "/v1/fine-tunes", handler("fine_tunes.list_fine_tunes"), "listFineTunes", "fine-tunes",
             response_schema="openai/listFineTunes.response"),
    Endpoint("GET", "/v1/fine-tunes/{fine_tune_id}", handler("fine_tunes.retrieve_fine_tune"), "retrieveFineTune",
             "fine-tunes", response_schema="openai/retrieveFineTune.response"),
    Endpoint("POST", "/v1/fine-tunes/{fine_tune_id}/cancel", handler("fine_tunes.cancel_fine_tune"), "cancelFineTune",
             "fine-tunes", response_schema="openai/cancelFineTune.response"),
    Endpoint("GET", "/v1/fine-tunes/{fine_tune_id}/events", handler("fine_tunes.list_fine_tune_events"),
             "listFineTuneEvents", "fine-tunes", query_schema="openai/listFineTuneEvents.query",
             response_schema="openai/listFineTuneEvents.response", stream_schema="openai/listFineTuneEvents.chunk"),
    # -- moderations (issue 6) -------------------------------------------------------------------------------------
    Endpoint("POST", "/v1/moderations", handler("moderations.create_moderation"), "createModeration", "moderations",
             body="json", request_schema="openai/createModeration.request",
             response_schema="openai/createModeration.response"),
    # -- engines (deprecated, still documented) --------------------------------------------------------------------
    Endpoint("GET", "/v1/engines", handler("models.list_engines"), "listEngines", "engines",
             response_schema="openai/listEngines.response"),
    Endpoint("GET", "/v1/engines/{engine_id}", handler("models.retrieve_engine"), "retrieveEngine", "engines",
             response_schema="openai/retrieveEngine.response"),
    Endpoint("POST", "/v1/engines/{engine}/completions", handler("completions.create_completion"),
             "createEngineCompletion", "completions", body="json", request_schema="openai/createCompletion.request",
             response_schema="openai/createCompletion.response", stream_schema="openai/createCompletion.chunk",
             model_from_path="engine"),
    Endpoint("POST", "/v1/engines/{engine}/chat/completions", handler("chat.create_chat_completion"),
             "createEngineChatCompletion", "chat", body="json", request_schema="openai/createChatCompletion.request",
             response_schema="openai/createChatCompletion.response", stream_schema="openai/createChatCompletion.chunk",
             model_from_path="engine"),
    # -- fine-tuning jobs, the modern API (issue 5) ----------------------------------------------------------------
    Endpoint("POST", "/v1/fine_tuning/jobs", handler("fine_tuning.create_fine_tuning_job"), "createFineTuningJob",
             "fine-tuning", body="json", request_schema="openai/createFineTuningJob.request",
             response_schema="openai/createFineTuningJob.response"),
    Endpoint("GET", "/v1/fine_tuning/jobs", handler("fine_tuning.list_fine_tuning_jobs"), "listPaginatedFineTuningJobs",
             "fine-tuning", query_schema="openai/listPaginatedFineTuningJobs.query",
             response_schema="openai/listPaginatedFineTuningJobs.response"),
    Endpoint("GET", "/v1/fine_tuning/jobs/{fine_tuning_job_id}", handler("fine_tuning.retrieve_fine_tuning_job"),
             "retrieveFineTuningJob", "fine-tuning", response_schema="openai/retrieveFineTuningJob.response"),
    Endpoint("POST", "/v1/fine_tuning/jobs/{fine_tuning_job_id}/cancel", handler("fine_tuning.cancel_fine_tuning_job"),
             "cancelFineTuningJob", "fine-tuning", response_schema="openai/cancelFineTuningJob.response"),
    Endpoint("POST", "/v1/fine_tuning/jobs/{fine_tuning_job_id}/pause", handler("fine_tuning.pause_fine_tuning_job"),
             "pauseFineTuningJob", "fine-tuning", response_schema="openai/pauseFineTuningJob.response"),
    Endpoint("POST", "/v1/fine_tuning/jobs/{fine_tuning_job_id}/resume", handler("fine_tuning.resume_fine_tuning_job"),
             "resumeFineTuningJob", "fine-tuning", response_schema="openai/resumeFineTuningJob.response"),
    Endpoint("GET", "/v1/fine_tuning/jobs/{fine_tuning_job_id}/events", handler("fine_tuning.list_fine_tuning_events"),
             "listFineTuningEvents", "fine-tuning", query_schema="openai/listFineTuningEvents.query",
             response_schema="openai/listFineTuningEvents.response"),
    Endpoint("GET", "/v1/fine_tuning/jobs/{fine_tuning_job_id}/checkpoints",
             handler("fine_tuning.list_fine_tuning_checkpoints"), "listFineTuningJobCheckpoints", "fine-tuning",
             query_schema="openai/listFineTuningJobCheckpoints.query",
             response_schema="openai/listFineTuningJobCheckpoints.response"),
    # -- the Responses API (issue 13) --------------------------------------------------------------------------------
    Endpoint("POST", "/v1/responses", handler("model_responses.create_response"), "createResponse", "responses",
             body="json", request_schema="openai/createResponse.request",
             response_schema="openai/createResponse.response", stream_schema="openai/createResponse.event"),
    Endpoint("POST", "/v1/responses/input_tokens", handler("model_responses.get_input_token_counts"),
             "getInputTokenCounts", "responses", body="json", request_schema="openai/getInputTokenCounts.request",
             response_schema="openai/getInputTokenCounts.response"),
    Endpoint("POST", "/v1/responses/compact", handler("model_responses.compact_conversation"), "compactConversation",
             "responses", body="json", request_schema="openai/compactConversation.request",
             response_schema="openai/compactConversation.response"),
    Endpoint("GET", "/v1/responses/{response_id}", handler("model_responses.retrieve_response"), "getResponse",
             "responses", query_schema="openai/getResponse.query", response_schema="openai/getResponse.response",
             stream_schema="openai/createResponse.event"),
    # The spec documents no body for a deleted response; mockai's schema records the one the real API sends.
    Endpoint("DELETE", "/v1/responses/{response_id}", handler("model_responses.delete_response"), "deleteResponse",
             "responses", response_schema="mockai/deleteResponse.response"),
    Endpoint("POST", "/v1/responses/{response_id}/cancel", handler("model_responses.cancel_response"), "cancelResponse",
             "responses", response_schema="openai/cancelResponse.response"),
    Endpoint("GET", "/v1/responses/{response_id}/input_items", handler("model_responses.list_input_items"),
             "listInputItems", "responses", query_schema="openai/listInputItems.query",
             response_schema="openai/listInputItems.response"),
    # -- conversations (issue 13) ------------------------------------------------------------------------------------
    Endpoint("POST", "/v1/conversations", handler("conversations.create_conversation"), "createConversation",
             "conversations", body="json", request_schema="openai/createConversation.request",
             response_schema="openai/createConversation.response"),
    Endpoint("GET", "/v1/conversations/{conversation_id}", handler("conversations.get_conversation"), "getConversation",
             "conversations", response_schema="openai/getConversation.response"),
    Endpoint("POST", "/v1/conversations/{conversation_id}", handler("conversations.update_conversation"),
             "updateConversation", "conversations", body="json", request_schema="openai/updateConversation.request",
             response_schema="openai/updateConversation.response"),
    Endpoint("DELETE", "/v1/conversations/{conversation_id}", handler("conversations.delete_conversation"),
             "deleteConversation", "conversations", response_schema="openai/deleteConversation.response"),
    Endpoint("POST", "/v1/conversations/{conversation_id}/items", handler("conversations.create_conversation_items"),
             "createConversationItems", "conversations", body="json",
             request_schema="openai/createConversationItems.request",
             query_schema="openai/createConversationItems.query",
             response_schema="openai/createConversationItems.response"),
    Endpoint("GET", "/v1/conversations/{conversation_id}/items", handler("conversations.list_conversation_items"),
             "listConversationItems", "conversations", query_schema="openai/listConversationItems.query",
             response_schema="openai/listConversationItems.response"),
    Endpoint("GET", "/v1/conversations/{conversation_id}/items/{item_id}",
             handler("conversations.get_conversation_item"), "getConversationItem", "conversations",
             query_schema="openai/getConversationItem.query", response_schema="openai/getConversationItem.response"),
    Endpoint("DELETE", "/v1/conversations/{conversation_id}/items/{item_id}",
             handler("conversations.delete_conversation_item"), "deleteConversationItem", "conversations",
             response_schema="openai/deleteConversationItem.response"),
    # -- mockai extras ---------------------------------------------------------------------------------------------
    # This server described as OpenAPI 3.1, from this table and schemas/; public like the docs it mirrors.
    Endpoint("GET", "/openapi.json", handler("openapi.openapi_document"), "getOpenApiDocument", "openapi", auth="none"),
    # Where `response_format: "url"` images live; like the real signed URLs, it needs no API key.
    Endpoint("GET", "/v1/images/files/{file_name}", handler("images.get_image_file"), "getImageFile", "images",
             auth="none"),
    # The seed's context dialogue (issue 9): its own {code, msg, data} envelope and no OpenAI key. body="none": the
    # handler reads and validates the body itself against request_schema (which here only documents it), so even an
    # unparsable body is refused in the dialogue's envelope rather than OpenAI's.
    Endpoint("POST", "/app/v1/ask", handler("dialogue.ask"), "mockaiAsk", "dialogue", auth="none",
             request_schema="mockai/ask", response_schema="mockai/ask.response", stream_schema="mockai/ask.chunk"),
    Endpoint("GET", "/app/v1/history", handler("dialogue.read_history"), "mockaiReadHistory", "dialogue", auth="none",
             response_schema="mockai/history.response"),
    Endpoint("DELETE", "/app/v1/history", handler("dialogue.delete_history"), "mockaiDeleteHistory", "dialogue",
             auth="none", response_schema="mockai/history.response"),
)
# fmt: on

ALL_ENDPOINTS: tuple[Endpoint, ...] = ENDPOINTS + ADMIN_ENDPOINTS
