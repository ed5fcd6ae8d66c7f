"""Do replies answer the question? A fixed set of English and Chinese questions, asked as a new user would.

Prints, at temperature 0 (one reply each) and temperature 1 (three seeds each):
- on-topic rate. A reply to a *covered* question is on topic when most of its content terms (retrieval terms:
  stemmed words without function words; Chinese character bigrams) come from the corpus answer of the pair it
  paraphrases: shared / reply terms >= 0.5 and at least min(3, answer terms) shared. A computed question is on
  topic when its reply holds the exact result. An *uncovered* question has no answer in the corpus and is measured
  against its own topic words: on topic when the reply mentions at least one of them.
- loop rate: a reply holding a stretch of 1-30 characters with a letter in it three times in a row, a sentence of
  15 characters or more twice, or running into the 2,048-token budget.
- cut-word rate: a reply that ended by itself (`stop`) anywhere but a natural end (`mockai.engine.guard.natural_end`),
  or holding an English word that is neither in the corpus nor in the question (a word spliced from pieces).
- median reply length in tokens; the corpus size; the fitted model's build time (process time, this run).

Run: .venv/bin/python bench/bench_answers.py [--seeds 3]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from dataclasses import dataclass

from mockai.engine.chat_format import render_chat_prompt
from mockai.engine.corpus import corpus_files, read_corpus
from mockai.engine.generate import GenerationRun
from mockai.engine.guard import natural_end
from mockai.engine.retrieval import terms
from mockai.engine.sampler import SamplingParams
from mockai.engine.token_model import fit_corpus_model
from mockai.engine.tokenizer import get_encoding

BUDGET = 2048  # what a chat request without max_tokens may use


@dataclass(frozen=True)
class Question:
    text: str
    pair: str | None = None  # the corpus question of the pair it asks for
    topic: tuple[str, ...] = ()  # uncovered: words an on-topic reply would use
    result: str | None = None  # computed: the exact result


def pair(text: str, corpus_question: str) -> Question:
    return Question(text, pair=corpus_question)


QUESTIONS = [
    pair("What's the capital city of France?", "What is the capital of France?"),
    pair("What is the capital of France?", "What is the capital of France?"),
    Question("What's 2 + 2?", result="4"),
    Question("What is 7 times 8?", result="56"),
    pair("Hello!", "Hello!"),
    pair("Say this is a test!", "Say this is a test!"),
    pair("I left my wallet at home, how can I pay for lunch?", "I forgot my wallet. How can I buy food?"),
    pair(
        "Yesterday it rained and I had no umbrella with me. What happened?",
        "It rained yesterday and I went out without an umbrella. What would have happened?",
    ),
    pair("How should I cook white rice?", "How do I cook rice?"),
    pair("Any tips for getting over jet lag?", "How do I get over jet lag?"),
    pair("I want to learn to code. Where do I begin?", "How do I learn to program?"),
    pair("Can you explain what an API is?", "What is an API?"),
    pair("Why does the sky look blue?", "Why is the sky blue?"),
    pair("How many planets does our solar system have?", "How many planets are in the solar system?"),
    pair("What temperature does water boil at?", "At what temperature does water boil?"),
    pair("How can I fall asleep more quickly?", "What should I do if I cannot fall asleep?"),
    pair("My wallet got stolen, what do I do now?", "Someone stole my wallet. What should I do?"),
    pair("How do I flip a string backwards in Python?", "How do I reverse a string in Python?"),
    pair("What does git do?", "What is git used for?"),
    pair("Is a folding umbrella better than a long one?", "What kind of umbrella should I buy?"),
    pair("How much water should I drink every day?", "How much water should I drink a day?"),
    pair("Who are you?", "What are you?"),
    pair("Can you look things up on the internet?", "Can you browse the internet?"),
    pair("Tell me a joke", "Tell me a joke."),
    pair("What is the capital of Japan?", "What is the capital of Japan?"),
    pair("How do I make fried rice from leftovers?", "How do I make fried rice?"),
    pair("How do I keep my wallet safe from pickpockets?", "How do I protect my wallet from pickpockets?"),
    pair("What's a good way to study for an exam?", "How should I prepare for an exam?"),
    pair("How do I stop putting things off?", "How do I stop procrastinating?"),
    pair("What is a variable in programming?", "What is a variable?"),
    pair("How do I make a password that is hard to guess?", "How do I create a strong password?"),
    pair("How long does a cold usually last?", "How long does a common cold last?"),
    pair("What causes thunder?", "What is thunder?"),
    pair("How do I dry shoes that got wet in the rain?", "How do I dry wet shoes?"),
    pair("Give me a quick healthy lunch idea.", "What is a quick and healthy lunch?"),
    pair("How do I boil an egg so the yolk stays runny?", "How do I boil an egg?"),
    pair("What is the speed of light?", "What is the speed of light?"),
    pair("How do I turn Celsius into Fahrenheit?", "How do I convert Celsius to Fahrenheit?"),
    pair(
        "What's the difference between a list and a dict in Python?",
        "What is the difference between a list and a dictionary in Python?",
    ),
    Question("How do I care for a bonsai tree?", topic=("bonsai", "tree", "plant", "water", "soil", "light", "leaves")),
    Question("What is the capital of Peru?", topic=("capital", "city", "country", "peru")),
    Question("How do I make sourdough bread?", topic=("bread", "dough", "flour", "bake", "oven", "sourdough")),
    Question("What should I check before buying a used car?", topic=("car", "check", "price", "drive", "buy")),
    Question("How do I learn to play the guitar?", topic=("guitar", "learn", "practice", "practise", "play", "music")),
    Question("Explain quantum computing simply.", topic=("quantum", "computer", "computing", "program")),
    pair("我出门没带钱包 怎么买饭", "我出门没带钱包，怎么买饭？"),
    pair("昨天下雨了,我出门没带伞,会怎么样", "昨天下雨了，我出门没带伞，会怎么样？"),
    pair("你是什么引擎", "你是什么引擎？"),
    pair("你俩哪里不一样", "你俩哪里不一样？"),
    pair("中国的首都是哪座城市？", "中国的首都是哪里？"),
    pair("米饭应该怎么煮才好吃？", "米饭怎么煮？"),
    pair("钱包掉了该怎么处理？", "钱包丢了怎么办？"),
    pair("晚上老是失眠怎么办？", "睡不着怎么办？"),
    pair("得了感冒怎么办？", "感冒了怎么办？"),
    pair("怎样开始学习编程？", "怎么学编程？"),
    pair("天空为什么是蓝的？", "天空为什么是蓝色的？"),
    pair("一年一共有几天？", "一年有多少天？"),
    pair("怎样才能存下钱？", "怎样存钱？"),
    pair("彩虹是怎样形成的？", "彩虹是怎么形成的？"),
    pair("你好", "你好！"),
    pair("打雷的时候我该怎么做？", "打雷的时候应该怎么办？"),
    pair("鞋被雨淋湿了怎么弄干？", "鞋子被雨淋湿了怎么办？"),
    pair("蛋炒饭的做法", "蛋炒饭怎么做？"),
    pair("API接口是什么东西？", "什么是API？"),
    pair("学外语有什么好办法？", "学外语有什么好方法？"),
    pair("手机电池不耐用怎么办？", "怎样让手机电池更耐用？"),
    Question("7乘以8等于多少？", result="56"),
    pair("伞坏了怎么办", "下雨天发现伞坏了怎么办？"),
    pair("压力太大了，怎么缓解？", "怎样缓解压力？"),
    Question("我想学吉他", topic=("吉他", "练习", "学习", "音乐")),
    Question("怎么在家做蛋糕", topic=("蛋糕", "面粉", "烤", "鸡蛋", "糖")),
    Question("秘鲁的首都是哪里？", topic=("首都", "城市", "秘鲁")),
    Question("怎样养金鱼？", topic=("鱼", "水", "喂", "养")),
    Question("如何修理自行车的链条？", topic=("自行车", "链条", "修", "车")),
    Question("我应该买什么样的手机？", topic=("手机", "电池", "价格", "买")),
]

_LOOP = re.compile(r"(.{1,30}?)\1{2,}", re.DOTALL)
_SENTENCE = re.compile(r"[^.!?。！？\n]{15,}[.!?。！？]")
_WORD = re.compile(r"[A-Za-z]+")


def _normal(text: str) -> str:
    return "".join(char for char in text.lower() if char.isalnum())


def content_terms(text: str) -> set[str]:
    """Retrieval terms without lone CJK characters (too generic to say what a reply is about)."""
    return {term for term in terms(text) if not (len(term) == 1 and not term.isascii())}


def loops(text: str, finish_reason: str | None) -> bool:
    if finish_reason == "length":
        return True
    if any(re.search(r"[^\W\d_]", match.group(1)) for match in _LOOP.finditer(text)):
        return True
    sentences = [sentence.strip() for sentence in _SENTENCE.findall(text)]
    return len(sentences) != len(set(sentences))


def cut_word(text: str, finish_reason: str | None, known: set[str]) -> bool:
    if finish_reason == "stop" and not natural_end(text):
        return True
    return any(word.lower() not in known for word in _WORD.findall(text))


def on_topic(question: Question, reply: str, answers: dict[str, str]) -> bool:
    if question.result is not None:
        return question.result in reply
    if question.pair is None:
        words = content_terms(reply)
        return any(topic in reply if not topic.isascii() else terms(topic)[0] in words for topic in question.topic)
    expected, said = content_terms(answers[question.pair]), content_terms(reply)
    shared = len(expected & said)
    return bool(said) and shared / len(said) >= 0.5 and shared >= min(3, len(expected))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="temperature-1 samples per question")
    seeds = parser.parse_args().seeds
    encoding = get_encoding("cl100k_base")
    pairs = read_corpus()
    started = time.process_time()
    model = fit_corpus_model("cl100k_base")
    fit_seconds = time.process_time() - started
    answers = {asked: item.answer for item in pairs for asked in item.questions}
    missing = [q.pair for q in QUESTIONS if q.pair is not None and q.pair not in answers]
    if missing:
        raise SystemExit(f"bench questions name corpus questions that do not exist: {missing}")
    corpus_tokens = sum(len(encoding.encode(path.read_text(encoding="utf-8"))) for path in corpus_files())
    known = {word.lower() for item in pairs for text in (*item.questions, item.answer) for word in _WORD.findall(text)}
    asked = {_normal(text) for item in pairs for text in item.questions}
    paraphrased = sum(_normal(q.text) not in asked for q in QUESTIONS)
    covered = [q for q in QUESTIONS if q.topic == ()]
    print(f"corpus: {len(pairs)} pairs, {corpus_tokens} cl100k tokens; model fit {fit_seconds:.2f} s (process time)")
    print(
        f"questions: {len(QUESTIONS)} ({len(covered)} covered, {len(QUESTIONS) - len(covered)} uncovered), "
        f"{paraphrased} phrased unlike any corpus question"
    )
    for temperature, runs in ((0.0, 1), (1.0, seeds)):
        tally = {"covered": [0, 0], "uncovered": [0, 0]}
        loop_count = cut_count = replies = 0
        lengths: list[int] = []
        for question in QUESTIONS:
            prompt = encoding.encode(
                render_chat_prompt([{"role": "user", "content": question.text}]), disallowed_special=()
            )
            for seed in range(runs):
                run = GenerationRun(
                    model.for_prompt(prompt),
                    prompt,
                    SamplingParams(temperature=temperature),
                    random.Random(seed),
                    encoding=encoding,
                    max_tokens=BUDGET,
                    end_token=encoding.eot_token,
                )
                list(run)
                kind = "covered" if question.topic == () else "uncovered"
                tally[kind][0] += on_topic(question, run.text, answers)
                tally[kind][1] += 1
                loop_count += loops(run.text, run.finish_reason)
                cut_count += cut_word(
                    run.text, run.finish_reason, known | {w.lower() for w in _WORD.findall(question.text)}
                )
                replies += 1
                lengths.append(run.completion_tokens)
        hits, total = tally["covered"]
        off_hits, off_total = tally["uncovered"]
        print(
            f"temperature {temperature:g}: on-topic {hits / total:.0%} covered ({hits}/{total}), "
            f"{off_hits / off_total:.0%} uncovered ({off_hits}/{off_total}); loops {loop_count}/{replies}, "
            f"cut words {cut_count}/{replies}, median length {statistics.median(lengths):g} tokens"
        )


if __name__ == "__main__":
    main()
