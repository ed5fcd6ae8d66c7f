"""Tests for deciding on a tool call: the instructions count, tools are not called twice in a row."""

from __future__ import annotations

import json
import random
from typing import Any

from mockai.engine.tool_calls import plan_tool_call

ROLL_DIE = {"name": "roll_die", "description": "Roll a six-sided die and return the result.", "parameters": {}}
PLAYER_NAME = {"name": "get_player_name", "description": "Get the player's name.", "parameters": {}}
DICE_SYSTEM = (
    "You're a dice game, you should roll the die and see if the number you get back matches the user's guess. "
    "If so, tell them they're a winner. Use the player's name in the response."
)
DICE = [{"role": "system", "content": DICE_SYSTEM}, {"role": "user", "content": "My guess is 4"}]


def _called(*functions: dict[str, Any], messages: list[dict[str, Any]], choice: object = "auto") -> str | None:
    planned = plan_tool_call(list(functions), choice, messages, random.Random(0))
    return planned.name if planned else None


def _tool_turn(name: str, result: str) -> list[dict[str, Any]]:
    call = {"id": f"call_{name}", "type": "function", "function": {"name": name, "arguments": "{}"}}
    return [
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": result},
    ]


def test_the_system_message_makes_a_guess_a_call_to_roll_the_die() -> None:
    assert _called(ROLL_DIE, PLAYER_NAME, messages=DICE) == "roll_die"


def test_after_the_roll_the_instructions_point_to_the_players_name_then_to_text() -> None:
    rolled = [*DICE, *_tool_turn("roll_die", "4")]
    assert _called(ROLL_DIE, PLAYER_NAME, messages=rolled) == "get_player_name"
    named = [*rolled, *_tool_turn("get_player_name", "Anne")]
    assert _called(ROLL_DIE, PLAYER_NAME, messages=named) is None


def test_a_user_message_about_nothing_the_tools_do_gets_text() -> None:
    messages = [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": "Hi"}]
    assert _called(ROLL_DIE, PLAYER_NAME, messages=messages) is None


def test_required_calls_the_best_tool_and_a_named_choice_always_calls() -> None:
    messages = [{"role": "user", "content": "Hi"}]
    assert _called(ROLL_DIE, PLAYER_NAME, messages=messages, choice="required") == "roll_die"
    named = {"type": "function", "function": {"name": "get_player_name"}}
    assert _called(ROLL_DIE, PLAYER_NAME, messages=DICE, choice=named) == "get_player_name"
    assert _called(ROLL_DIE, PLAYER_NAME, messages=DICE, choice="none") is None


def test_arguments_come_from_the_user_message() -> None:
    weather = {
        "name": "get_current_weather",
        "description": "Get the current weather in a given location",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]}},
            "required": ["location"],
        },
    }
    messages = [{"role": "user", "content": "What is the weather like in Boston today?"}]
    planned = plan_tool_call([weather], "auto", messages, random.Random(0))
    assert planned is not None and json.loads(planned.arguments)["location"] == "Boston"
