"""The OpenAI error envelope as one exception type, and the catalog of every user-visible error message.

`OpenAIError` carries what the real API sends: an HTTP status and `{"error": {"message", "type", "param", "code"}}`.
Call sites read as sentences (`raise errors.model_not_found(model)`); the wording of every message lives in this one
module so a single test can hold it against the docs. This module imports nothing from HTTP frameworks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

HELP_CENTER = "help.openai.com"
API_KEYS_PAGE = "https://platform.openai.com/account/api-keys"


@dataclass
class OpenAIError(Exception):
    """An error the API reports to its caller.

    >>> err = invalid_request("Bad value", param="n")
    >>> err.status, err.envelope()["error"]["param"]
    (400, 'n')
    """

    status: int
    message: str
    type: str = "invalid_request_error"
    param: str | None = None
    code: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def envelope(self) -> dict[str, Any]:
        """The JSON body the real API sends for this error."""
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


# -- request shape ------------------------------------------------------------------------------------------------


def invalid_request(
    message: str, *, param: str | None = None, code: str | None = None, status: int = 400
) -> OpenAIError:
    return OpenAIError(status, message, "invalid_request_error", param, code)


def invalid_json() -> OpenAIError:
    return invalid_request(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP "
        "library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you "
        f"have trouble figuring out how to fix this, please contact us through our help center at {HELP_CENTER}.)"
    )


def body_not_object(kind: str) -> OpenAIError:
    return invalid_request(f"Invalid body: expected a JSON object, but got {kind} instead.", code="invalid_type")


# curl's `-d` sends application/x-www-form-urlencoded, the most common way to meet a 415: say how to fix it.
_CONTENT_TYPE_HINTS = {
    "application/json": ' With curl, add -H "Content-Type: application/json" (-d alone sends a form).',
    "multipart/form-data": " With curl, send each field with -F (e.g. -F file=@data.jsonl -F purpose=fine-tune).",
}


def unsupported_content_type(content_type: str, expected: str) -> OpenAIError:
    shown = content_type or "none"
    return OpenAIError(
        415,
        f"Invalid Content-Type header ({shown}), expected {expected}.{_CONTENT_TYPE_HINTS.get(expected, '')}",
        "invalid_request_error",
        None,
        "unsupported_content_type",
    )


def body_too_large(limit: int) -> OpenAIError:
    return OpenAIError(
        413,
        f"Request body too large. The maximum request size is {limit} bytes.",
        "invalid_request_error",
        None,
        "request_too_large",
    )


def invalid_multipart(detail: str) -> OpenAIError:
    return invalid_request(f"Invalid multipart form data: {detail}", code="invalid_multipart")


def missing_parameter(param: str) -> OpenAIError:
    return invalid_request(f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter")


def unknown_parameter(param: str) -> OpenAIError:
    return invalid_request(f"Unrecognized request argument supplied: {param}", param=param, code="unknown_parameter")


def invalid_type(param: str, expected: str, got: str) -> OpenAIError:
    return invalid_request(
        f"Invalid type for '{param}': expected {expected}, but got {got} instead.",
        param=param,
        code="invalid_type",
    )


def value_out_of_range(param: str, kind: str, bound: str, limit: object, got: object) -> OpenAIError:
    """`kind` is "integer" or "decimal"; `bound` is "below_min" or "above_max"."""
    relation = "<=" if bound == "above_max" else ">="
    words = "above maximum" if bound == "above_max" else "below minimum"
    return invalid_request(
        f"Invalid '{param}': {kind} {words} value. Expected a value {relation} {limit}, but got {got} instead.",
        param=param,
        code=f"{kind}_{bound}_value",
    )


def invalid_value(param: str, got: object, supported: Sequence[object]) -> OpenAIError:
    listed = _english_list([_shown(value) for value in supported])
    return invalid_request(
        f"Invalid value: {_shown(got)}. Supported values are: {listed}.",
        param=param,
        code="invalid_value",
    )


def array_length(param: str, bound: str, limit: int, got: int) -> OpenAIError:
    """`bound` is "below_min" or "above_max"."""
    return _length(param, "array", "an array", bound, limit, got)


def string_length(param: str, bound: str, limit: int, got: int) -> OpenAIError:
    """`bound` is "below_min" or "above_max"."""
    return _length(param, "string", "a string", bound, limit, got)


def too_many_properties(param: str, limit: int, got: int) -> OpenAIError:
    """An object with more keys than allowed (metadata holds at most 16 pairs)."""
    return invalid_request(
        f"Invalid '{param}': too many properties. Expected an object with at most {limit} properties, "
        f"but got an object with {got} properties instead.",
        param=param,
        code="object_above_max_size",
    )


def _length(param: str, kind: str, a_kind: str, bound: str, limit: int, got: int) -> OpenAIError:
    if bound == "below_min" and got == 0:
        return invalid_request(
            f"Invalid '{param}': empty {kind}. Expected {a_kind} with minimum length {limit}, "
            f"but got an empty {kind} instead.",
            param=param,
            code=f"empty_{kind}",
        )
    too, relation = ("long", "maximum") if bound == "above_max" else ("short", "minimum")
    return invalid_request(
        f"Invalid '{param}': {kind} too {too}. Expected {a_kind} with {relation} length {limit}, "
        f"but got {a_kind} with length {got} instead.",
        param=param,
        code=f"{kind}_{bound}_length",
    )


def pattern_mismatch(param: str, pattern: str) -> OpenAIError:
    return invalid_request(
        f"Invalid '{param}': string does not match pattern. Expected a string that matches the pattern '{pattern}'.",
        param=param,
        code="invalid_value",
    )


def invalid_field(param: str, detail: str) -> OpenAIError:
    return invalid_request(f"Invalid '{param}': {detail}", param=param, code="invalid_value")


# -- routing and auth ---------------------------------------------------------------------------------------------


def invalid_url(method: str, path: str) -> OpenAIError:
    return invalid_request(f"Invalid URL ({method} {path})", status=404)


def method_not_allowed(method: str, path: str, allowed: Sequence[str]) -> OpenAIError:
    return OpenAIError(
        405,
        f"Invalid method for URL ({method} {path}). Supported methods: {', '.join(allowed)}.",
        "invalid_request_error",
        None,
        "method_not_allowed",
        {"allow": ", ".join(allowed)},
    )


def missing_api_key() -> OpenAIError:
    return OpenAIError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer "
        "auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're "
        "accessing the API from your browser and are prompted for a username and password. You can obtain an API "
        f"key from {API_KEYS_PAGE}.",
    )


def invalid_api_key(key: str) -> OpenAIError:
    return OpenAIError(
        401,
        f"Incorrect API key provided: {mask_api_key(key)}. You can find your API key at {API_KEYS_PAGE}.",
        "invalid_request_error",
        None,
        "invalid_api_key",
    )


def invalid_admin_token() -> OpenAIError:
    return OpenAIError(
        401,
        "The mockai admin API needs the admin token: send 'Authorization: Bearer <admin token>' "
        "(set with --admin-token / MOCKAI_ADMIN_TOKEN).",
        "invalid_request_error",
        None,
        "invalid_admin_token",
    )


def mask_api_key(key: str) -> str:
    """Show a key the way the real API echoes it: the first and last few characters only."""
    if len(key) <= 8:
        return "*" * len(key)
    return f"{key[:3]}{'*' * 12}{key[-4:]}"


# -- models -------------------------------------------------------------------------------------------------------


def model_not_found(model: str) -> OpenAIError:
    return OpenAIError(
        404,
        f"The model `{model}` does not exist or you do not have access to it.",
        "invalid_request_error",
        None,
        "model_not_found",
    )


def engine_not_found(engine: str) -> OpenAIError:
    return OpenAIError(404, f"No such engine: {engine}", "invalid_request_error", None, None)


def chat_model_on_completions() -> OpenAIError:
    return OpenAIError(
        404,
        "This is a chat model and not supported in the v1/completions endpoint. "
        "Did you mean to use v1/chat/completions?",
        "invalid_request_error",
        "model",
        None,
    )


def not_a_chat_model() -> OpenAIError:
    return OpenAIError(
        404,
        "This is not a chat model and thus not supported in the v1/chat/completions endpoint. "
        "Did you mean to use v1/completions?",
        "invalid_request_error",
        "model",
        None,
    )


def model_wrong_endpoint(model: str, endpoint_path: str) -> OpenAIError:
    return OpenAIError(
        404,
        f"The model `{model}` does not support the {endpoint_path} endpoint.",
        "invalid_request_error",
        "model",
        None,
    )


def responses_only_model() -> OpenAIError:
    return OpenAIError(
        404,
        "This model is only supported in v1/responses and not in v1/chat/completions.",
        "invalid_request_error",
        "model",
        None,
    )


def max_tokens_too_large(param: str, limit: int, requested: int) -> OpenAIError:
    """`param` is `max_tokens` or `max_completion_tokens`: the real API names the one the request sent."""
    return invalid_request(
        f"{param} is too large: {requested}. This model supports at most {limit} completion tokens, "
        f"whereas you provided {requested}.",
        param=param,
        code="invalid_value",
    )


def cannot_delete_base_model(model: str) -> OpenAIError:
    return OpenAIError(
        403,
        f"You do not have permission to delete the model {model}: only fine-tuned models owned by your "
        "organization can be deleted.",
        "invalid_request_error",
        "model",
        "model_not_deletable",
    )


def context_length_exceeded(limit: int, requested: int, prompt: int, completion: int, *, chat: bool) -> OpenAIError:
    if chat:
        message = (
            f"This model's maximum context length is {limit} tokens. However, you requested {requested} tokens "
            f"({prompt} in the messages, {completion} in the completion). Please reduce the length of the "
            "messages or completion."
        )
        param = "messages"
    else:
        message = (
            f"This model's maximum context length is {limit} tokens, however you requested {requested} tokens "
            f"({prompt} in your prompt; {completion} for the completion). Please reduce your prompt; or "
            "completion length."
        )
        param = None
    return invalid_request(message, param=param, code="context_length_exceeded")


# -- stored chat completions ------------------------------------------------------------------------------------


def chat_completion_not_found(completion_id: str) -> OpenAIError:
    """As the real API answers for a completion that was not stored, was deleted, or is another organization's."""
    return OpenAIError(
        404, f"Completion {completion_id} not found", "invalid_request_error", "completion_id", "not_found"
    )


# -- files and fine-tunes ----------------------------------------------------------------------------------------


def file_not_found(file_id: str, *, param: str = "id") -> OpenAIError:
    return OpenAIError(404, f"No such File object: {file_id}", "invalid_request_error", param, None)


def storage_limit_exceeded(limit_bytes: int, used_bytes: int) -> OpenAIError:
    return invalid_request(
        f"Your organization's files use {used_bytes} bytes of its {limit_bytes} byte storage limit, and this "
        "upload would exceed it. Please delete some files or contact us to increase the limit.",
        param="file",
        code="storage_limit_exceeded",
    )


def file_wrong_purpose(file_id: str, purpose: str, param: str) -> OpenAIError:
    return invalid_request(
        f"File {file_id} has purpose '{purpose}', but only files uploaded with purpose 'fine-tune' can be "
        "used for fine-tuning.",
        param=param,
        code="invalid_file_purpose",
    )


def file_not_processed(file_id: str, param: str) -> OpenAIError:
    return invalid_request(
        f"File {file_id} is still being processed and is not ready to be used for fine-tuning. Please try again later.",
        param=param,
        code="file_not_ready",
    )


def invalid_training_file(file_id: str, detail: str, param: str) -> OpenAIError:
    return invalid_request(f"File {file_id} is invalid: {detail}", param=param, code="invalid_training_file")


def wrong_data_format(file_id: str, found: str, model: str, needed: str, param: str) -> OpenAIError:
    return invalid_request(
        f"File {file_id} is in {found} format. The model {model} requires data in the {needed} format.",
        param=param,
        code="invalid_training_file",
    )


def too_few_examples(file_id: str, found: int, minimum: int, param: str) -> OpenAIError:
    return invalid_request(
        f"Training file {file_id} has {found} example(s), but must have at least {minimum} examples.",
        param=param,
        code="invalid_n_examples",
    )


def legacy_base_model_invalid(model: str, bases: Sequence[str], org: str) -> OpenAIError:
    return invalid_request(
        f"Invalid base model: {model} (model must be one of {', '.join(bases)}) or a fine-tuned model "
        f"created by your organization: {org}",
        param="model",
    )


def model_not_fine_tunable(model: str) -> OpenAIError:
    return invalid_request(
        f"Model {model} is not available for fine-tuning or does not exist.",
        param="model",
        code="model_not_available",
    )


def fine_tune_not_found(job_id: str) -> OpenAIError:
    if job_id.startswith("ftjob-"):
        return OpenAIError(
            404, f"No such fine-tuning job: {job_id}", "invalid_request_error", "fine_tuning_job_id", None
        )
    return OpenAIError(404, f"No such FineTune: {job_id}", "invalid_request_error", "id", None)


def cannot_cancel(job_id: str, status: str) -> OpenAIError:
    done = {"cancelled": "been cancelled"}.get(status, status)
    return invalid_request(f"Cannot cancel a job that has already {done}: {job_id}.", code="job_not_cancellable")


def cannot_pause(job_id: str, status: str) -> OpenAIError:
    return invalid_request(
        f"Cannot pause fine-tuning job {job_id}: only a running job can be paused, and this one is {status}.",
        param="fine_tuning_job_id",
        code="job_not_pausable",
    )


def cannot_resume(job_id: str, status: str) -> OpenAIError:
    return invalid_request(
        f"Cannot resume fine-tuning job {job_id}: only a paused job can be resumed, and this one is {status}.",
        param="fine_tuning_job_id",
        code="job_not_resumable",
    )


# -- uploads -------------------------------------------------------------------------------------------------------


def upload_not_found(upload_id: str) -> OpenAIError:
    return OpenAIError(404, f"No such Upload object: {upload_id}", "invalid_request_error", "upload_id", None)


def upload_too_large(size: int, limit: int) -> OpenAIError:
    return invalid_request(
        f"Invalid 'bytes': an Upload can hold at most {limit} bytes (8 GB), but {size} bytes were requested.",
        param="bytes",
        code="invalid_value",
    )


def invalid_mime_type(mime_type: str, purpose: str) -> OpenAIError:
    return invalid_request(
        f"Invalid 'mime_type': '{mime_type}' is not a supported MIME type for files with purpose '{purpose}'.",
        param="mime_type",
        code="invalid_value",
    )


def upload_not_pending(upload_id: str, status: str, action: str) -> OpenAIError:
    return invalid_request(
        f"Cannot {action} Upload {upload_id}: its status is '{status}', and only a pending Upload can be changed.",
        param="upload_id",
        code="invalid_upload_status",
    )


def upload_part_too_large(limit: int) -> OpenAIError:
    return invalid_request(
        f"Invalid 'data': an Upload part can be at most {limit} bytes (64 MB).", param="data", code="invalid_value"
    )


def upload_part_not_found(part_id: str, upload_id: str) -> OpenAIError:
    return invalid_request(
        f"Invalid 'part_ids': {part_id} is not a part of Upload {upload_id}.", param="part_ids", code="invalid_value"
    )


def upload_part_repeated() -> OpenAIError:
    return invalid_request(
        "Invalid 'part_ids': each part may be named only once.", param="part_ids", code="invalid_value"
    )


def upload_size_mismatch(received: int, expected: int) -> OpenAIError:
    return invalid_request(
        f"The parts of this Upload add up to {received} bytes, but it was created for {expected} bytes.",
        param="part_ids",
        code="invalid_value",
    )


def upload_md5_mismatch(md5: str) -> OpenAIError:
    return invalid_request(
        f"Invalid 'md5': {md5} is not the MD5 checksum of the uploaded bytes.", param="md5", code="invalid_value"
    )


# -- batches -------------------------------------------------------------------------------------------------------


def batch_not_found(batch_id: str) -> OpenAIError:
    return OpenAIError(404, f"No batch found with id '{batch_id}'.", "invalid_request_error", "batch_id", None)


def batch_file_wrong_purpose(file_id: str, purpose: str) -> OpenAIError:
    return invalid_request(
        f"Invalid 'input_file_id': file {file_id} has purpose '{purpose}', but a batch's input file must have "
        "purpose 'batch'.",
        param="input_file_id",
        code="invalid_file_purpose",
    )


def cannot_cancel_batch(batch_id: str, status: str) -> OpenAIError:
    return invalid_request(
        f"Cannot cancel a batch with status '{status}': {batch_id}.", param="batch_id", code="batch_not_cancellable"
    )


# The problems of a batch's input file are reported in the batch's `errors.data`, so they are strings.


def batch_line_not_json() -> str:
    return "This line is not parseable as valid JSON."


def batch_line_missing(key: str) -> str:
    return f"Missing required parameter: '{key}'."


def batch_line_field_type(key: str, expected: str) -> str:
    return f"Invalid type for '{key}': expected {expected}."


def batch_line_method(method: str) -> str:
    return f"Invalid method '{method}': only POST requests are supported in a batch."


def batch_url_mismatch() -> str:
    return "The URL provided for this request does not match the batch endpoint."


def batch_duplicate_custom_id() -> str:
    return (
        "The custom_id for this request is a duplicate of another request. The custom_id parameter must be unique "
        "for each individual request in a batch."
    )


def batch_model_mismatch() -> str:
    return "The provided model does not match the model of the other requests in the batch. A batch uses one model."


def batch_empty_file() -> str:
    return "The batch input file is empty."


def batch_too_many_requests(found: int, limit: int) -> str:
    return f"The batch input file contains {found} requests, more than the {limit} a batch may hold."


def batch_request_expired() -> str:
    return "This request could not be executed before the completion window expired."


def batch_request_cancelled() -> str:
    return "This request was not executed because the batch was cancelled."


def batch_stream_refused() -> OpenAIError:
    return invalid_request("Streaming is not supported in batch requests.", param="body.stream", code="invalid_value")


# Training-file problems are stored as a file's `status_details` and quoted in job errors, so they are strings.


def jsonl_not_json(line: int) -> str:
    return (
        "Expected file to have JSONL format, where every line is a valid JSON dictionary. "
        f"Line {line} is not valid JSON."
    )


def jsonl_not_object(line: int) -> str:
    return (
        "Expected file to have JSONL format, where every line is a valid JSON dictionary. "
        f"Line {line} is not a dictionary."
    )


def jsonl_missing_key(line: int, key: str) -> str:
    return f"Expected file to have JSONL format with prompt/completion keys. Missing `{key}` key on line {line}."


def jsonl_key_not_string(line: int, key: str) -> str:
    return (
        "Expected file to have JSONL format with prompt/completion keys. "
        f"The `{key}` value on line {line} is not a string."
    )


def jsonl_mixed_formats(line: int, found: str, expected: str) -> str:
    return f"Invalid file format. Line {line} is in {found} format, but earlier lines are in {expected} format."


def jsonl_chat_problem(line: int, detail: str) -> str:
    return f'Invalid file format. Line {line}, key "messages": {detail}.'


def jsonl_no_examples() -> str:
    return "Invalid file format. The file contains no examples."


# -- rate limits and injected faults (the control plane) --------------------------------------------------------

RATE_LIMITS_PAGE = "https://platform.openai.com/account/rate-limits"
_LIMIT_UNITS = {"requests": "requests per min (RPM)", "tokens": "tokens per min (TPM)"}


def rate_limit_exceeded(
    model: str, org: str, kind: str, limit: int, used: int, requested: int, retry_in: str, retry_after: str
) -> OpenAIError:
    """`kind` is "requests" or "tokens" (also the envelope's `type`, as the real API sends it)."""
    return OpenAIError(
        429,
        f"Rate limit reached for {model} in organization {org} on {_LIMIT_UNITS[kind]}: Limit {limit}, "
        f"Used {used}, Requested {requested}. Please try again in {retry_in}. Visit {RATE_LIMITS_PAGE} to learn "
        "more.",
        kind,
        None,
        "rate_limit_exceeded",
        {"retry-after": retry_after},
    )


def request_too_large_for_limit(model: str, org: str, kind: str, limit: int, requested: int) -> OpenAIError:
    return OpenAIError(
        429,
        f"Request too large for {model} in organization {org} on {_LIMIT_UNITS[kind]}: Limit {limit}, "
        f"Requested {requested}. The input or output tokens must be reduced in order to run successfully. "
        f"Visit {RATE_LIMITS_PAGE} to learn more.",
        kind,
        None,
        "rate_limit_exceeded",
    )


_INJECTED: dict[int, tuple[str, str, str | None]] = {
    429: ("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
    500: ("The server had an error while processing your request. Sorry about that!", "server_error", None),
    502: ("Bad gateway.", "server_error", None),
    503: ("The engine is currently overloaded, please try again later", "server_error", None),
    504: ("Gateway timeout.", "server_error", None),
}


def injected_status(
    status: int, error: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None
) -> OpenAIError:
    """A status fault or an error reply: the real API's envelope for `status`, with any field overridden."""
    message, kind, code = _INJECTED.get(status, (f"Injected error (HTTP {status}).", "server_error", None))
    given = dict(error or {})
    return OpenAIError(
        status,
        str(given.get("message", message)),
        str(given.get("type", kind)),
        given.get("param"),
        given.get("code", code),
        dict(headers or {}),
    )


def control_object_not_found(kind: str, object_id: str) -> OpenAIError:
    """A rule, scenario or fault id the admin API does not know."""
    return OpenAIError(404, f"No such {kind}: {object_id}", "invalid_request_error", "id", None)


def invalid_control_document(detail: str) -> OpenAIError:
    """A rule, scenario or fault that is schema-valid but cannot work (an invalid regex, say)."""
    return invalid_request(f"Invalid mockai control document: {detail}", code="invalid_control_document")


# -- server -------------------------------------------------------------------------------------------------------


def server_error(request_id: str) -> OpenAIError:
    return OpenAIError(
        500,
        "The server had an error while processing your request. Sorry about that! You can retry your request, or "
        f"contact us through our help center at {HELP_CENTER} if the error persists. (Please include the request "
        f"ID {request_id} in your message.)",
        "server_error",
        None,
        None,
    )


def _shown(value: object) -> str:
    """A JSON value as the API's messages quote it: strings in single quotes, null/true/false as in JSON."""
    if isinstance(value, str):
        return repr(value)
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    return str(value)


def _english_list(items: Sequence[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


# -- embeddings, moderations, images, audio (issue 6) ------------------------------------------------------------


def invalid_input_path(path: str = "$.input") -> OpenAIError:
    """The real API's answer to an empty string (or empty token list) among embedding inputs."""
    return invalid_request(
        f"'{path}' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."
    )


def dimensions_not_supported() -> OpenAIError:
    return invalid_request("This model does not support specifying dimensions.", param="dimensions")


def image_inputs_not_supported(model: str) -> OpenAIError:
    return invalid_request(
        f"The model `{model}` only accepts text input; image inputs need omni-moderation-latest.",
        param="input",
        code="invalid_value",
    )


def invalid_image_upload(param: str = "image") -> OpenAIError:
    """Not a readable PNG under 4 MB (damaged or cut short anywhere included); `param` names the form field."""
    return invalid_request("Uploaded image must be a PNG and less than 4 MB.", param=param)


def image_not_square(width: int, height: int, param: str = "image") -> OpenAIError:
    which = "mask" if param == "mask" else "input"
    return invalid_request(
        f"Invalid {which} image - image must be square, got {width}x{height}.", param=param, code="invalid_image"
    )


def image_mode_not_allowed(mode: str, param: str = "image") -> OpenAIError:
    which = "mask" if param == "mask" else "input"
    return invalid_request(f"Invalid {which} image - format must be in ['RGBA', 'LA', 'L'], got {mode}.")


def mask_size_mismatch(mask: tuple[int, int], image: tuple[int, int]) -> OpenAIError:
    return invalid_request(
        f"Invalid mask image - mask and image must have the same dimensions, got {mask[0]}x{mask[1]} "
        f"and {image[0]}x{image[1]}.",
        param="mask",
        code="invalid_image",
    )


def image_parameter_not_supported(param: str, model: str) -> OpenAIError:
    return invalid_request(
        f"The '{param}' parameter is not supported with the model {model}.", param=param, code="unsupported_parameter"
    )


def image_url_not_found(image_id: str) -> OpenAIError:
    return OpenAIError(
        404,
        f"No image {image_id}: image URLs expire an hour after they are issued.",
        "invalid_request_error",
        None,
        "image_not_found",
    )


AUDIO_FORMATS = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")


def invalid_audio_format() -> OpenAIError:
    return invalid_request(f"Invalid file format. Supported formats: {list(AUDIO_FORMATS)}")


def audio_too_large(limit: int, size: int) -> OpenAIError:
    return OpenAIError(
        413, f"Maximum content size limit ({limit}) exceeded ({size} bytes read)", "server_error", None, None
    )


def audio_too_short() -> OpenAIError:
    return invalid_request(
        "Audio file is too short. Minimum audio length is 0.1 seconds.", param="file", code="audio_too_short"
    )


def audio_unreadable() -> OpenAIError:
    return invalid_request("Audio file might be corrupted or unsupported", param="file", code="invalid_value")


def invalid_language(language: str) -> OpenAIError:
    return invalid_request(
        f"Invalid language '{language}'. Language parameter must be specified in ISO-639-1 format.",
        param="language",
        code="invalid_language_format",
    )


def granularities_need_verbose_json() -> OpenAIError:
    return invalid_request(
        "timestamp_granularities is only supported when response_format is verbose_json.",
        param="timestamp_granularities",
        code="invalid_value",
    )


def streaming_not_supported(model: str) -> OpenAIError:
    return invalid_request(f"Streaming is not supported for the model {model}.", param="stream", code="invalid_value")


def speech_parameter_not_supported(param: str, model: str) -> OpenAIError:
    """`instructions` (or a custom voice) sent to tts-1 / tts-1-hd, which the spec says they do not take."""
    return invalid_request(
        f"The '{param}' parameter is not supported with the model {model}.", param=param, code="unsupported_parameter"
    )


def speech_sse_not_supported(model: str) -> OpenAIError:
    return invalid_request(
        f"stream_format 'sse' is not supported with the model {model}.", param="stream_format", code="unsupported_value"
    )


def speech_input_empty() -> OpenAIError:
    # mockai's wording: there is nothing to speak, and the real API's message for it is not documented.
    return invalid_request("The input text must not be empty.", param="input", code="invalid_value")


# -- cassettes: recorded traffic replayed (issue 15) --------------------------------------------------------------


def cassette_miss(cassette: str, method: str, path: str, closest: str) -> OpenAIError:
    """No recording answers the request and the cassette only replays: 404 `cassette_miss`, as WireMock answers an
    unmatched request, and a 4xx so that SDKs fail at once instead of retrying."""
    lines = [
        f"mockai: no recorded interaction in cassette '{cassette}' matches {method} {path}, and the cassette only "
        "replays (record mode 'none').",
        closest,
        "Record what is missing with record mode 'new': @pytest.mark.mockai(record=\"new\"), pytest "
        "--mockai-record=new, or mockai serve --record new --record-upstream URL.",
    ]
    return OpenAIError(404, "\n".join(lines), "invalid_request_error", None, "cassette_miss")


def cassette_closest(index: int, method: str, path: str, differences: Sequence[str], *, played: bool) -> str:
    head = f"Closest recording: interaction {index} ({method} {path})"
    if not differences:
        return f"{head}, identical but already replayed: each recording plays once, in recorded order."
    replayed = " (and was already replayed)" if played else ""
    return f"{head}, which differs{replayed} in:\n" + "\n".join(f"  {line}" for line in differences)


def cassette_empty(path: str, *, exists: bool) -> str:
    return f"The cassette file {path} holds no recordings." if exists else f"The cassette file {path} does not exist."


def cassette_difference(where: str, recorded: str, sent: str) -> str:
    return f"{where}: recorded {recorded}, sent {sent}"


def cassette_more_differences(count: int) -> str:
    return f"... and {count} more difference{'s' if count != 1 else ''}"


def shown_json(value: object) -> str:
    """A value as the cassette messages quote it: JSON, non-ASCII kept."""
    return json.dumps(value, ensure_ascii=False)


def record_upstream_failed(upstream: str, detail: str) -> OpenAIError:
    """The upstream a request was to be recorded from could not be reached (nothing is recorded)."""
    return OpenAIError(
        502,
        f"mockai could not record this request: the upstream {upstream} failed ({detail}).",
        "server_error",
        None,
        "upstream_unreachable",
    )


def cassette_unreadable(path: str, detail: str, line: int, column: int) -> str:
    return f"cassette {path} is not valid JSON at line {line}, column {column}: {detail}"


def cassette_invalid(path: str, where: str, line: int, column: int, detail: str) -> str:
    return (
        f"cassette {path} does not follow schemas/mockai/cassette.json at {where} (line {line}, column {column}): "
        f"{detail}"
    )


def cassette_name_invalid(name: str) -> str:
    return f"invalid cassette name {name!r}: use a relative path without '..', e.g. 'chat/streaming'"


def record_needs_upstream(mode: str) -> str:
    return f"record mode {mode!r} needs an upstream to record from: start mockai with --record-upstream URL"


def vcr_cassette_invalid(path: str, detail: str) -> str:
    return f"{path} is not a vcrpy cassette: {detail}"


# -- structured output: tool and response schemas (issue 14) --------------------------------------------------------


def invalid_function_parameters(name: str, detail: str, param: str) -> OpenAIError:
    """A tool's (or legacy function's) `parameters` no arguments can be built for, in the real API's wording."""
    return invalid_request(
        f"Invalid schema for function '{name}': {detail}.", param=param, code="invalid_function_parameters"
    )


def invalid_response_schema(name: str, detail: str) -> OpenAIError:
    """A `response_format.json_schema.schema` no answer can be built for, in the real API's wording."""
    return invalid_request(
        f"Invalid schema for response_format '{name}': {detail}.",
        param="response_format.json_schema.schema",
        code="invalid_json_schema",
    )


# -- the Responses API (issue 13) -------------------------------------------------------------------------------------


def response_not_found(response_id: str) -> OpenAIError:
    return OpenAIError(404, f"Response with id '{response_id}' not found.", "invalid_request_error", None, None)


def previous_response_not_found(response_id: str) -> OpenAIError:
    """An unknown, deleted or never-stored (`store: false`) `previous_response_id`."""
    return invalid_request(
        f"Previous response with id '{response_id}' not found.",
        param="previous_response_id",
        code="previous_response_not_found",
    )


def previous_response_and_conversation() -> OpenAIError:
    return invalid_request(
        "Mutually exclusive parameters: Ensure you are only providing one of: 'previous_response_id' or "
        "'conversation'.",
        param=None,
        code="mutually_exclusive_parameters",
    )


def no_tool_call_for_output(call_id: str) -> OpenAIError:
    """A `function_call_output` whose `call_id` no earlier `function_call` of the context has."""
    return invalid_request(f"No tool call found for function call output with call_id {call_id}.", param="input")


def no_tool_output_for_call(call_id: str) -> OpenAIError:
    """A `function_call` of the context that the new input does not answer."""
    return invalid_request(f"No tool output found for function call {call_id}.", param="input")


def unstored_item(item_id: str) -> OpenAIError:
    """An `item_reference` (or a bare reasoning item) naming an item that was never stored."""
    return OpenAIError(
        404,
        f"Item with id '{item_id}' not found. Items are not persisted when `store` is set to false. Try again with "
        "`store` set to true, or remove this item from your input.",
        "invalid_request_error",
        "input",
        None,
    )


def invalid_encrypted_content(item_id: str) -> OpenAIError:
    return invalid_request(
        f"The encrypted content for item {item_id} could not be verified.",
        param="input",
        code="invalid_encrypted_content",
    )


def invalid_content_type(value: str, param: str, supported: tuple[str, ...]) -> OpenAIError:
    """A content part of a type the item's role does not take (an `input_text` in an assistant message)."""
    listed = ", ".join(f"'{kind}'" for kind in supported[:-1]) + f" and '{supported[-1]}'"
    return invalid_request(
        f"Invalid value: '{value}'. Supported values are: {listed}.", param=param, code="invalid_value"
    )


def invalid_text_format_schema(name: str, detail: str) -> OpenAIError:
    """A `text.format` JSON schema no answer can be built for, in the real API's wording."""
    return invalid_request(
        f"Invalid schema for response_format '{name}': {detail}.",
        param="text.format.schema",
        code="invalid_json_schema",
    )


def input_exceeds_context_window(window: int) -> OpenAIError:
    """A Responses input over the model's window with `truncation: "disabled"` (or too long even when truncated)."""
    return invalid_request(
        f"Your input exceeds the context window of this model ({window} tokens). Please adjust your input and try "
        "again.",
        param="input",
        code="context_length_exceeded",
    )


def tool_choice_not_in_tools(name: str) -> OpenAIError:
    return invalid_request(
        f"Tool choice 'function' with name '{name}' not found in 'tools' parameter.",
        param="tool_choice",
        code="invalid_value",
    )


def cannot_cancel_synchronous_response() -> OpenAIError:
    return invalid_request("Cannot cancel a synchronous response.")


def background_requires_store() -> OpenAIError:
    return invalid_request("Background mode requires `store` to be true.", param="background", code="invalid_value")


def stream_requires_background(response_id: str) -> OpenAIError:
    return invalid_request(
        f"Response '{response_id}' was not created with background=true, so it cannot be streamed again.",
        param="stream",
        code="invalid_value",
    )


# -- conversations (issue 13) ---------------------------------------------------------------------------------------


def conversation_not_found(conversation_id: str, *, param: str | None = None) -> OpenAIError:
    """An unknown or deleted conversation; `param` names the field that carried the id ("conversation" for a
    Responses request), None when the URL did."""
    return OpenAIError(404, f"Conversation with id '{conversation_id}' not found.", "invalid_request_error", param)


def item_not_found(item_id: str, *, param: str | None = None) -> OpenAIError:
    """An unknown or deleted item of a conversation (or an `item_reference` to one)."""
    return OpenAIError(404, f"Item with id '{item_id}' not found.", "invalid_request_error", param)


def duplicate_item(item_id: str, *, param: str) -> OpenAIError:
    """An item whose id the conversation (or the same request) already holds."""
    return invalid_request(
        f"Duplicate item found with id {item_id}. Remove duplicate items from your input and try again.", param=param
    )
