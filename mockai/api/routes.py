"""THE endpoint table: every documented operation, in the order of the API reference.

Routing, `/openapi.json`, `mockai contract --endpoints` and journal labels all read this one tuple. The same path
with two methods is two rows; a wrong method gets 405 with `Allow` computed from this table.
"""

from __future__ import annotations

from mockai.api import (
    audio,
    chat,
    completions,
    conversations,
    dialogue,
    edits,
    embeddings,
    files,
    fine_tunes,
    fine_tuning,
    images,
    model_responses,
    models,
    moderations,
    openapi,
)
from mockai.api.admin import ADMIN_ENDPOINTS
from mockai.api.endpoint import Endpoint

# fmt: off
ENDPOINTS: tuple[Endpoint, ...] = (
    # -- models ----------------------------------------------------------------------------------------------------
    Endpoint("GET", "/v1/models", models.list_models, "listModels", "models",
             response_schema="openai/listModels.response"),
    Endpoint("GET", "/v1/models/{model}", models.retrieve_model, "retrieveModel", "models",
             response_schema="openai/retrieveModel.response"),
    Endpoint("DELETE", "/v1/models/{model}", models.delete_model, "deleteModel", "models",
             response_schema="openai/deleteModel.response"),
    # -- completions -----------------------------------------------------------------------------------------------
    Endpoint("POST", "/v1/completions", completions.create_completion, "createCompletion", "completions",
             body="json", request_schema="openai/createCompletion.request",
             response_schema="openai/createCompletion.response", stream_schema="openai/createCompletion.chunk"),
    # -- chat ------------------------------------------------------------------------------------------------------
    Endpoint("POST", "/v1/chat/completions", chat.create_chat_completion, "createChatCompletion", "chat",
             body="json", request_schema="openai/createChatCompletion.request",
             response_schema="openai/createChatCompletion.response",
             stream_schema="openai/createChatCompletion.chunk"),
    # -- edits -----------------------------------------------------------------------------------------------------
    Endpoint("POST", "/v1/edits", edits.create_edit, "createEdit", "edits",
             body="json", request_schema="openai/createEdit.request", response_schema="openai/createEdit.response"),
    # -- images (issue 6) ------------------------------------------------------------------------------------------
    Endpoint("POST", "/v1/images/generations", images.create_image, "createImage", "images", body="json",
             request_schema="openai/createImage.request", response_schema="openai/createImage.response"),
    Endpoint("POST", "/v1/images/edits", images.create_image_edit, "createImageEdit", "images", body="multipart",
             request_schema="openai/createImageEdit.request", response_schema="openai/createImageEdit.response"),
    Endpoint("POST", "/v1/images/variations", images.create_image_variation, "createImageVariation", "images",
             body="multipart", request_schema="openai/createImageVariation.request",
             response_schema="openai/createImageVariation.response"),
    # -- embeddings (issue 6) --------------------------------------------------------------------------------------
    Endpoint("POST", "/v1/embeddings", embeddings.create_embedding, "createEmbedding", "embeddings", body="json",
             request_schema="openai/createEmbedding.request", response_schema="openai/createEmbedding.response"),
    Endpoint("POST", "/v1/engines/{engine}/embeddings", embeddings.create_embedding, "createEngineEmbedding",
             "embeddings", body="json", request_schema="openai/createEmbedding.request",
             response_schema="openai/createEmbedding.response", model_from_path="engine"),
    # -- audio (issue 6) -------------------------------------------------------------------------------------------
    Endpoint("POST", "/v1/audio/transcriptions", audio.create_transcription, "createTranscription", "audio",
             body="multipart", request_schema="openai/createTranscription.request",
             response_schema="openai/createTranscription.response"),
    Endpoint("POST", "/v1/audio/translations", audio.create_translation, "createTranslation", "audio",
             body="multipart", request_schema="openai/createTranslation.request",
             response_schema="openai/createTranslation.response"),
    # -- files (issue 5) -------------------------------------------------------------------------------------------
    Endpoint("GET", "/v1/files", files.list_files, "listFiles", "files", query_schema="openai/listFiles.query",
             response_schema="openai/listFiles.response"),
    Endpoint("POST", "/v1/files", files.create_file, "createFile", "files", body="multipart",
             request_schema="openai/createFile.request", response_schema="openai/createFile.response"),
    Endpoint("DELETE", "/v1/files/{file_id}", files.delete_file, "deleteFile", "files",
             response_schema="openai/deleteFile.response"),
    Endpoint("GET", "/v1/files/{file_id}", files.retrieve_file, "retrieveFile", "files",
             response_schema="openai/retrieveFile.response"),
    # The spec calls the file's bytes a JSON string; they are sent as they were uploaded, so no response schema.
    Endpoint("GET", "/v1/files/{file_id}/content", files.download_file, "downloadFile", "files"),
    # -- fine-tunes (issue 5) --------------------------------------------------------------------------------------
    Endpoint("POST", "/v1/fine-tunes", fine_tunes.create_fine_tune, "createFineTune", "fine-tunes", body="json",
             request_schema="openai/createFineTune.request", response_schema="openai/createFineTune.response"),
    Endpoint("GET", "/v1/fine-tunes", fine_tunes.list_fine_tunes, "listFineTunes", "fine-tunes",
             response_schema="openai/listFineTunes.response"),
    Endpoint("GET", "/v1/fine-tunes/{fine_tune_id}", fine_tunes.retrieve_fine_tune, "retrieveFineTune",
             "fine-tunes", response_schema="openai/retrieveFineTune.response"),
    Endpoint("POST", "/v1/fine-tunes/{fine_tune_id}/cancel", fine_tunes.cancel_fine_tune, "cancelFineTune",
             "fine-tunes", response_schema="openai/cancelFineTune.response"),
    Endpoint("GET", "/v1/fine-tunes/{fine_tune_id}/events", fine_tunes.list_fine_tune_events,
             "listFineTuneEvents", "fine-tunes", query_schema="openai/listFineTuneEvents.query",
             response_schema="openai/listFineTuneEvents.response", stream_schema="openai/listFineTuneEvents.chunk"),
    # -- moderations (issue 6) -------------------------------------------------------------------------------------
    Endpoint("POST", "/v1/moderations", moderations.create_moderation, "createModeration", "moderations",
             body="json", request_schema="openai/createModeration.request",
             response_schema="openai/createModeration.response"),
    # -- engines (deprecated, still documented) --------------------------------------------------------------------
    Endpoint("GET", "/v1/engines", models.list_engines, "listEngines", "engines",
             response_schema="openai/listEngines.response"),
    Endpoint("GET", "/v1/engines/{engine_id}", models.retrieve_engine, "retrieveEngine", "engines",
             response_schema="openai/retrieveEngine.response"),
    Endpoint("POST", "/v1/engines/{engine}/completions", completions.create_completion, "createEngineCompletion",
             "completions", body="json", request_schema="openai/createCompletion.request",
             response_schema="openai/createCompletion.response", stream_schema="openai/createCompletion.chunk",
             model_from_path="engine"),
    Endpoint("POST", "/v1/engines/{engine}/chat/completions", chat.create_chat_completion,
             "createEngineChatCompletion", "chat", body="json", request_schema="openai/createChatCompletion.request",
             response_schema="openai/createChatCompletion.response",
             stream_schema="openai/createChatCompletion.chunk", model_from_path="engine"),
    # -- fine-tuning jobs, the modern API (issue 5) ----------------------------------------------------------------
    Endpoint("POST", "/v1/fine_tuning/jobs", fine_tuning.create_fine_tuning_job, "createFineTuningJob",
             "fine-tuning", body="json", request_schema="openai/createFineTuningJob.request",
             response_schema="openai/createFineTuningJob.response"),
    Endpoint("GET", "/v1/fine_tuning/jobs", fine_tuning.list_fine_tuning_jobs, "listPaginatedFineTuningJobs",
             "fine-tuning", query_schema="openai/listPaginatedFineTuningJobs.query",
             response_schema="openai/listPaginatedFineTuningJobs.response"),
    Endpoint("GET", "/v1/fine_tuning/jobs/{fine_tuning_job_id}", fine_tuning.retrieve_fine_tuning_job,
             "retrieveFineTuningJob", "fine-tuning", response_schema="openai/retrieveFineTuningJob.response"),
    Endpoint("POST", "/v1/fine_tuning/jobs/{fine_tuning_job_id}/cancel", fine_tuning.cancel_fine_tuning_job,
             "cancelFineTuningJob", "fine-tuning", response_schema="openai/cancelFineTuningJob.response"),
    Endpoint("GET", "/v1/fine_tuning/jobs/{fine_tuning_job_id}/events", fine_tuning.list_fine_tuning_events,
             "listFineTuningEvents", "fine-tuning", query_schema="openai/listFineTuningEvents.query",
             response_schema="openai/listFineTuningEvents.response"),
    Endpoint("GET", "/v1/fine_tuning/jobs/{fine_tuning_job_id}/checkpoints",
             fine_tuning.list_fine_tuning_checkpoints, "listFineTuningJobCheckpoints", "fine-tuning",
             query_schema="openai/listFineTuningJobCheckpoints.query",
             response_schema="openai/listFineTuningJobCheckpoints.response"),
    # -- the Responses API (issue 13) --------------------------------------------------------------------------------
    Endpoint("POST", "/v1/responses", model_responses.create_response, "createResponse", "responses", body="json",
             request_schema="openai/createResponse.request", response_schema="openai/createResponse.response",
             stream_schema="openai/createResponse.event"),
    Endpoint("POST", "/v1/responses/input_tokens", model_responses.get_input_token_counts, "getInputTokenCounts",
             "responses", body="json", request_schema="openai/getInputTokenCounts.request",
             response_schema="openai/getInputTokenCounts.response"),
    Endpoint("POST", "/v1/responses/compact", model_responses.compact_conversation, "compactConversation",
             "responses", body="json", request_schema="openai/compactConversation.request",
             response_schema="openai/compactConversation.response"),
    Endpoint("GET", "/v1/responses/{response_id}", model_responses.retrieve_response, "getResponse", "responses",
             query_schema="openai/getResponse.query", response_schema="openai/getResponse.response",
             stream_schema="openai/createResponse.event"),
    # The spec documents no body for a deleted response; mockai's schema records the one the real API sends.
    Endpoint("DELETE", "/v1/responses/{response_id}", model_responses.delete_response, "deleteResponse",
             "responses", response_schema="mockai/deleteResponse.response"),
    Endpoint("POST", "/v1/responses/{response_id}/cancel", model_responses.cancel_response, "cancelResponse",
             "responses", response_schema="openai/cancelResponse.response"),
    Endpoint("GET", "/v1/responses/{response_id}/input_items", model_responses.list_input_items, "listInputItems",
             "responses", query_schema="openai/listInputItems.query",
             response_schema="openai/listInputItems.response"),
    # -- conversations (issue 13) ------------------------------------------------------------------------------------
    Endpoint("POST", "/v1/conversations", conversations.create_conversation, "createConversation", "conversations",
             body="json", request_schema="openai/createConversation.request",
             response_schema="openai/createConversation.response"),
    Endpoint("GET", "/v1/conversations/{conversation_id}", conversations.get_conversation, "getConversation",
             "conversations", response_schema="openai/getConversation.response"),
    Endpoint("POST", "/v1/conversations/{conversation_id}", conversations.update_conversation, "updateConversation",
             "conversations", body="json", request_schema="openai/updateConversation.request",
             response_schema="openai/updateConversation.response"),
    Endpoint("DELETE", "/v1/conversations/{conversation_id}", conversations.delete_conversation, "deleteConversation",
             "conversations", response_schema="openai/deleteConversation.response"),
    Endpoint("POST", "/v1/conversations/{conversation_id}/items", conversations.create_conversation_items,
             "createConversationItems", "conversations", body="json",
             request_schema="openai/createConversationItems.request",
             query_schema="openai/createConversationItems.query",
             response_schema="openai/createConversationItems.response"),
    Endpoint("GET", "/v1/conversations/{conversation_id}/items", conversations.list_conversation_items,
             "listConversationItems", "conversations", query_schema="openai/listConversationItems.query",
             response_schema="openai/listConversationItems.response"),
    Endpoint("GET", "/v1/conversations/{conversation_id}/items/{item_id}", conversations.get_conversation_item,
             "getConversationItem", "conversations", query_schema="openai/getConversationItem.query",
             response_schema="openai/getConversationItem.response"),
    Endpoint("DELETE", "/v1/conversations/{conversation_id}/items/{item_id}",
             conversations.delete_conversation_item, "deleteConversationItem", "conversations",
             response_schema="openai/deleteConversationItem.response"),
    # -- mockai extras ---------------------------------------------------------------------------------------------
    # This server described as OpenAPI 3.1, from this table and schemas/; public like the docs it mirrors.
    Endpoint("GET", "/openapi.json", openapi.openapi_document, "getOpenApiDocument", "openapi", auth="none"),
    # Where `response_format: "url"` images live; like the real signed URLs, it needs no API key.
    Endpoint("GET", "/v1/images/files/{file_name}", images.get_image_file, "getImageFile", "images", auth="none"),
    # The seed's context dialogue (issue 9): its own {code, msg, data} envelope and no OpenAI key. body="none": the
    # handler reads and validates the body itself against request_schema (which here only documents it), so even an
    # unparsable body is refused in the dialogue's envelope rather than OpenAI's.
    Endpoint("POST", "/app/v1/ask", dialogue.ask, "mockaiAsk", "dialogue", auth="none",
             request_schema="mockai/ask", response_schema="mockai/ask.response", stream_schema="mockai/ask.chunk"),
    Endpoint("GET", "/app/v1/history", dialogue.read_history, "mockaiReadHistory", "dialogue", auth="none",
             response_schema="mockai/history.response"),
    Endpoint("DELETE", "/app/v1/history", dialogue.delete_history, "mockaiDeleteHistory", "dialogue", auth="none",
             response_schema="mockai/history.response"),
)
# fmt: on

ALL_ENDPOINTS: tuple[Endpoint, ...] = ENDPOINTS + ADMIN_ENDPOINTS
