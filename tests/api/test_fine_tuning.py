"""Modern `/v1/fine_tuning/jobs` through the official SDK with strict validation: the whole story and pagination."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from mockai.server import ServerThread
from tests.conftest import API_KEY, start_server
from tests.response_guard import ResponseGuard

CHAT = b"".join(
    json.dumps(
        {
            "messages": [
                {"role": "system", "content": "You are Marv, a sarcastic bot."},
                {"role": "user", "content": f"What is {i} plus {i}?"},
                {"role": "assistant", "content": f"{2 * i}, obviously."},
            ]
        }
    ).encode()
    + b"\n"
    for i in range(10)
)
ORG = "org-modern"


@pytest.fixture(scope="module")
def ft_server() -> Iterator[ServerThread]:
    running = start_server()
    yield running
    running.stop()


@pytest.fixture
def client(ft_server: ServerThread, response_guard: ResponseGuard) -> Any:
    return response_guard.openai(ft_server.base_url, api_key=API_KEY, organization=ORG)


def advance(server: ServerThread, seconds: float) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    httpx.post(f"{server.base_url}/_mockai/clock/advance", json={"seconds": seconds}, headers=headers)


def test_the_whole_modern_story(ft_server: ServerThread, client: Any) -> None:
    training = client.files.create(file=("marv.jsonl", CHAT), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model="gpt-3.5-turbo-0613", training_file=training.id, suffix="marv")
    assert job.status == "validating_files" and job.fine_tuned_model is None and job.trained_tokens is None
    assert job.id.startswith("ftjob-") and job.hyperparameters.n_epochs == 10

    advance(ft_server, 3600)
    done = client.fine_tuning.jobs.retrieve(job.id)
    assert done.status == "succeeded" and done.trained_tokens and done.finished_at
    assert done.fine_tuned_model == f"ft:gpt-3.5-turbo-0613:modern:marv:{job.id[6:14]}"

    events = list(client.fine_tuning.jobs.list_events(job.id, limit=100))
    assert events[0].message == "The job has successfully completed"  # newest first
    assert events[-1].message == f"Created fine-tuning job: {job.id}"
    assert any(e.type == "metrics" and e.data["step"] == 1 for e in events)

    checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id)
    assert [c.step_number for c in checkpoints.data] == [100, 90, 80]
    assert checkpoints.data[0].fine_tuned_model_checkpoint == f"{done.fine_tuned_model}:ckpt-step-100"

    results = client.files.content(done.result_files[0]).text
    assert results.startswith("step,elapsed_tokens,elapsed_examples,training_loss")
    models = {m.id: m for m in client.models.list()}
    assert models[done.fine_tuned_model].owned_by == ORG
    reply = client.chat.completions.create(
        model=done.fine_tuned_model,
        messages=[
            {"role": "system", "content": "You are Marv, a sarcastic bot."},
            {"role": "user", "content": "What is 3 plus 3?"},
        ],
        temperature=0,
        max_tokens=20,
    )
    # The adapted model has learnt Marv's answers: it replies in their shape.
    assert reply.model == done.fine_tuned_model and reply.choices[0].message.content.endswith(", obviously.")

    assert client.models.delete(done.fine_tuned_model).deleted is True
    client.files.delete(training.id)


def test_list_paginates_newest_first(ft_server: ServerThread, client: Any) -> None:
    training = client.files.create(file=("marv.jsonl", CHAT), purpose="fine-tune")
    made = [client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training.id).id for _ in range(3)]
    first = client.fine_tuning.jobs.list(limit=2)
    assert [j.id for j in first.data] == made[::-1][:2] and first.has_more
    rest = client.fine_tuning.jobs.list(limit=2, after=first.data[-1].id)
    assert rest.data[0].id == made[0]
    assert {j.id for j in client.fine_tuning.jobs.list()} >= set(made)


def test_a_limit_of_zero_is_a_valid_page_size(client: Any) -> None:
    # The spec sets `limit` no minimum: an empty page, with `has_more` saying whether jobs exist.
    assert client.fine_tuning.jobs.list(limit=0).data == []


@pytest.mark.parametrize(
    ("query", "param", "code"),
    [("limit=abc", "limit", "invalid_type"), ("limit=1.5", "limit", "invalid_type")],
)
def test_query_parameters_are_validated_like_body_fields(
    ft_server: ServerThread, response_guard: ResponseGuard, query: str, param: str, code: str
) -> None:
    http = response_guard.http(ft_server.base_url, {"Authorization": f"Bearer {API_KEY}"})
    response = http.get(f"/v1/fine_tuning/jobs?{query}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)
    assert error["message"] == "Invalid type for 'limit': expected an integer, but got a string instead."


def test_cancel_then_cancel_again_is_refused(client: Any) -> None:
    training = client.files.create(file=("marv.jsonl", CHAT), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model="gpt-3.5-turbo-0613", training_file=training.id)
    assert client.fine_tuning.jobs.cancel(job.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError, match="already been cancelled"):
        client.fine_tuning.jobs.cancel(job.id)


def test_a_bad_training_file_fails_the_job_with_its_line(ft_server: ServerThread, client: Any) -> None:
    training = client.files.create(file=("bad.jsonl", CHAT + b"{}\n"), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model="gpt-3.5-turbo-0613", training_file=training.id)
    advance(ft_server, 600)
    failed = client.fine_tuning.jobs.retrieve(job.id)
    assert failed.status == "failed" and failed.error.code == "invalid_training_file"
    assert "Line 11 is in prompt-completion format" in failed.error.message


@pytest.mark.parametrize(
    ("kwargs", "error", "needle"),
    [
        pytest.param({"model": "gpt-4"}, "BadRequestError", "not available for fine-tuning", id="model"),
        pytest.param({"training_file": "file-missing"}, "NotFoundError", "No such File object", id="file"),
    ],
)
def test_create_is_validated(client: Any, kwargs: dict[str, str], error: str, needle: str) -> None:
    training = client.files.create(file=("marv.jsonl", CHAT), purpose="fine-tune")
    options = {"model": "gpt-3.5-turbo-0613", "training_file": training.id, **kwargs}
    with pytest.raises(getattr(openai, error), match=needle):
        client.fine_tuning.jobs.create(**options)


def test_jobs_are_invisible_to_other_organizations(
    ft_server: ServerThread, client: Any, response_guard: ResponseGuard
) -> None:
    training = client.files.create(file=("marv.jsonl", CHAT), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model="gpt-3.5-turbo-0613", training_file=training.id)
    other = response_guard.openai(ft_server.base_url, api_key=API_KEY, organization="org-x")
    with pytest.raises(openai.NotFoundError):
        other.fine_tuning.jobs.retrieve(job.id)
    assert list(other.fine_tuning.jobs.list()) == []


def test_gpt_4o_mini_2024_07_18_fine_tunes_end_to_end(ft_server: ServerThread, client: Any) -> None:
    training = client.files.create(file=("marv.jsonl", CHAT), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=training.id, suffix="marv")
    assert (job.model, job.status) == ("gpt-4o-mini-2024-07-18", "validating_files")
    hello = [{"role": "user", "content": "Hello!"}]
    with pytest.raises(openai.NotFoundError):  # the name is the job's, not yet a model: never inferred meanwhile
        client.chat.completions.create(model=f"ft:gpt-4o-mini-2024-07-18:modern:marv:{job.id[6:14]}", messages=hello)

    advance(ft_server, 3600)
    done = client.fine_tuning.jobs.retrieve(job.id)
    assert done.status == "succeeded"
    assert done.fine_tuned_model == f"ft:gpt-4o-mini-2024-07-18:modern:marv:{job.id[6:14]}"
    assert {m.id: m.owned_by for m in client.models.list()}[done.fine_tuned_model] == ORG
    question = [
        {"role": "system", "content": "You are Marv, a sarcastic bot."},
        {"role": "user", "content": "What is 3 plus 3?"},
    ]
    reply = client.chat.completions.create(model=done.fine_tuned_model, messages=question, temperature=0, max_tokens=20)
    assert reply.choices[0].message.content.endswith(", obviously.")
    # Its tokens are its base's o200k ones (cl100k counts this text as 16 tokens, o200k as 9).
    russian = [{"role": "user", "content": "Привет, как дела у тебя сегодня?"}]
    counted = client.chat.completions.create(model=done.fine_tuned_model, messages=russian, max_tokens=1)
    base = client.chat.completions.create(model="gpt-4o-mini-2024-07-18", messages=russian, max_tokens=1)
    older = client.chat.completions.create(model="gpt-3.5-turbo-0125", messages=russian, max_tokens=1)
    assert counted.usage.prompt_tokens == base.usage.prompt_tokens == older.usage.prompt_tokens - 7

    other = openai.OpenAI(base_url=f"{ft_server.base_url}/v1", api_key=API_KEY, organization="org-x", max_retries=0)
    with pytest.raises(openai.NotFoundError):  # another organization's model is not inferred into existence
        other.chat.completions.create(model=done.fine_tuned_model, messages=russian, max_tokens=1)


def _running_job(ft_server: ServerThread, client: Any) -> Any:
    training = client.files.create(file=("marv.jsonl", CHAT), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=training.id)
    advance(ft_server, 30)  # files validated, queued, started: ten epochs of 20 s and more lie ahead
    assert client.fine_tuning.jobs.retrieve(job.id).status == "running"
    return job


def test_a_paused_job_makes_no_progress_until_resumed(
    ft_server: ServerThread, client: Any, response_guard: ResponseGuard
) -> None:
    # The SDK's status Literal (openai 3.57) lacks "paused", so the pausing call goes through a lax client.
    lax = response_guard.openai(
        ft_server.base_url, api_key=API_KEY, organization=ORG, _strict_response_validation=False
    )
    job = _running_job(ft_server, client)
    paused = lax.fine_tuning.jobs.pause(job.id)
    assert (paused.status, paused.estimated_finish) == ("paused", None)
    events_then = [e.message for e in lax.fine_tuning.jobs.list_events(job.id, limit=100)]
    assert events_then[0] == "Fine-tuning job paused"

    advance(ft_server, 10_000)
    assert lax.fine_tuning.jobs.retrieve(job.id).status == "paused"
    assert [e.message for e in lax.fine_tuning.jobs.list_events(job.id, limit=100)] == events_then
    assert lax.fine_tuning.jobs.checkpoints.list(job.id).data == []

    resumed = client.fine_tuning.jobs.resume(job.id)
    assert resumed.status == "running" and resumed.estimated_finish > paused.created_at + 10_000
    assert client.fine_tuning.jobs.list_events(job.id, limit=1).data[0].message == "Fine-tuning job resumed"
    advance(ft_server, 3600)
    done = client.fine_tuning.jobs.retrieve(job.id)
    assert done.status == "succeeded" and done.fine_tuned_model


@pytest.mark.parametrize(
    ("setup", "action", "code"),
    [
        ("validating", "pause", "job_not_pausable"),
        ("running", "resume", "job_not_resumable"),
        ("cancelled", "pause", "job_not_pausable"),
        ("cancelled", "resume", "job_not_resumable"),
    ],
    ids=["pause while validating", "resume while running", "pause once cancelled", "resume once cancelled"],
)
def test_the_transitions_table_refuses_the_rest(
    ft_server: ServerThread, client: Any, setup: str, action: str, code: str
) -> None:
    if setup == "running":
        job = _running_job(ft_server, client)
    else:
        training = client.files.create(file=("marv.jsonl", CHAT), purpose="fine-tune")
        job = client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=training.id)
        if setup == "cancelled":
            client.fine_tuning.jobs.cancel(job.id)
    with pytest.raises(openai.BadRequestError) as refused:
        getattr(client.fine_tuning.jobs, action)(job.id)
    error = refused.value.body
    assert (error["code"], error["param"], error["type"]) == (code, "fine_tuning_job_id", "invalid_request_error")


def test_a_paused_job_can_be_cancelled(ft_server: ServerThread, client: Any, response_guard: ResponseGuard) -> None:
    lax = response_guard.openai(
        ft_server.base_url, api_key=API_KEY, organization=ORG, _strict_response_validation=False
    )
    job = _running_job(ft_server, client)
    lax.fine_tuning.jobs.pause(job.id)
    assert client.fine_tuning.jobs.cancel(job.id).status == "cancelled"


def test_pausing_an_unknown_job_is_404(client: Any) -> None:
    with pytest.raises(openai.NotFoundError, match="No such fine-tuning job: ftjob-nope"):
        client.fine_tuning.jobs.pause("ftjob-nope")


def test_jobs_filter_by_metadata(client: Any) -> None:
    training = client.files.create(file=("marv.jsonl", CHAT), purpose="fine-tune")
    tagged = client.fine_tuning.jobs.create(
        model="gpt-4o-mini-2024-07-18", training_file=training.id, metadata={"team": "search", "run": "7"}
    )
    client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=training.id)
    assert tagged.metadata == {"team": "search", "run": "7"}
    found = client.fine_tuning.jobs.list(metadata={"team": "search"})
    assert [j.id for j in found.data] == [tagged.id]
    assert client.fine_tuning.jobs.list(metadata={"team": "search", "run": "8"}).data == []
