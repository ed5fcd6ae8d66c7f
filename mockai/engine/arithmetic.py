"""Simple arithmetic in a question, computed exactly: "What's 2 + 2?" is answered "2 + 2 = 4.", never guessed.

A corpus cannot hold every sum, and a language model that guesses sums is the failure people try first. So the
grounding step looks for one arithmetic expression (numbers, `+ - * / × ÷`, parentheses, or the words plus, minus,
times, divided by, 加, 减, 乘, 除) and states its exact value. The evaluator is a tiny recursive-descent parser over
`Fraction`s with bounded operands: nothing is `eval`ed, and huge or malformed input just means "no arithmetic here".

>>> arithmetic_answer("What's 2 + 2?")
'2 + 2 = 4.'
>>> arithmetic_answer("12 除以 4 等于几？")
'12 ÷ 4 = 3。'
>>> arithmetic_answer("How are you?") is None
True
"""

from __future__ import annotations

import re
from fractions import Fraction

__all__ = ["arithmetic_answer"]

_WORDS = (
    (re.compile(r"\bdivided\s+by\b|\bover\b|除以", re.IGNORECASE), "/"),
    (re.compile(r"\bmultiplied\s+by\b|\btimes\b|乘以|乘", re.IGNORECASE), "*"),
    (re.compile(r"\bplus\b|加上|加", re.IGNORECASE), "+"),
    (re.compile(r"\bminus\b|减去|减", re.IGNORECASE), "-"),
)
_SYMBOLS = str.maketrans({"×": "*", "÷": "/", "＋": "+", "－": "-", "（": "(", "）": ")", "x": "*", "X": "*"})
# An expression: numbers joined by at least one operator (a bare number is not a question about arithmetic).
_EXPRESSION = re.compile(r"[(\s]*-?\d+(?:\.\d+)?[)\s]*(?:[-+*/][(\s]*-?\d+(?:\.\d+)?[)\s]*)+")
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[-+*/()]")
# "1/2 cup of sugar" or a date is not a sum to work out: the question must ask for a value, or be mostly the sum.
_ASKS = re.compile(r"what(?:'s|s| is| are)|how much|calculate|compute|work out|solve|equals?|=|等于|多少|几|算", re.I)
_DATE_OR_PHONE = re.compile(r"\d+(?:-\d+)+")
_MAX_DIGITS = 15  # operands and results beyond this are not "simple arithmetic"
_SHOWN = {"*": "×", "/": "÷"}


def arithmetic_answer(question: str) -> str | None:
    """The exact result of the one arithmetic expression in `question` as a sentence, or None."""
    text = question
    for pattern, symbol in _WORDS:
        text = pattern.sub(f" {symbol} ", text)
    # "2x3" is a product, but the x of a word ("box") is not: only between digits.
    text = re.sub(r"(?<=\d)\s*[xX]\s*(?=\d)", " * ", text).translate(_SYMBOLS)
    found = [match.group(0).strip() for match in _EXPRESSION.finditer(text)]
    if len(found) != 1 or _DATE_OR_PHONE.fullmatch(found[0]):
        return None
    if not _ASKS.search(question) and len(found[0].replace(" ", "")) * 2 < len(question.replace(" ", "")):
        return None
    tokens = _TOKEN.findall(found[0])
    try:
        value, position = _sum(tokens, 0)
    except (ArithmeticError, ValueError, IndexError):
        return None
    if position != len(tokens) or len(str(abs(value.numerator))) > _MAX_DIGITS:
        return None
    shown = " ".join(_SHOWN.get(token, token) for token in _spaced(tokens)).replace("( ", "(").replace(" )", ")")
    chinese = re.search(r"[\u4e00-\u9fff]", question) is not None
    return f"{shown} = {_format(value)}{'。' if chinese else '.'}"


def _spaced(tokens: list[str]) -> list[str]:
    """Tokens with a unary minus glued to its number, so "-3" shows as -3 and "2 - 3" keeps its spaces."""
    joined: list[str] = []
    for token in tokens:
        if joined and joined[-1] == "-" and (len(joined) == 1 or joined[-2] in "+-*/(") and token[0].isdigit():
            joined[-1] = "-" + token
        else:
            joined.append(token)
    return joined


def _format(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    decimal = f"{float(value):.6f}".rstrip("0")
    return decimal if Fraction(decimal) == value else f"{value.numerator}/{value.denominator} (about {decimal})"


def _number(tokens: list[str], position: int) -> tuple[Fraction, int]:
    token = tokens[position]
    if token == "(":
        value, position = _sum(tokens, position + 1)
        if tokens[position] != ")":
            raise ValueError("unbalanced parenthesis")
        return value, position + 1
    if token == "-":
        value, position = _number(tokens, position + 1)
        return -value, position
    if not token[0].isdigit() or len(token) > _MAX_DIGITS:
        raise ValueError(f"not a number: {token}")
    return Fraction(token), position + 1


def _product(tokens: list[str], position: int) -> tuple[Fraction, int]:
    value, position = _number(tokens, position)
    while position < len(tokens) and tokens[position] in "*/":
        operator = tokens[position]
        operand, position = _number(tokens, position + 1)
        value = value * operand if operator == "*" else value / operand  # ZeroDivisionError: not answered here
    return value, position


def _sum(tokens: list[str], position: int) -> tuple[Fraction, int]:
    value, position = _product(tokens, position)
    while position < len(tokens) and tokens[position] in "+-":
        operator = tokens[position]
        operand, position = _product(tokens, position + 1)
        value = value + operand if operator == "+" else value - operand
    return value, position
