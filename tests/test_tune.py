"""`qabot tune` on a hand-made set: its figures are eval's, and a weight that decides an answer shows it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_config
from bot.evaluation.command import evaluate
from bot.evaluation.tune import grid, tune
from bot.evaluation.tune_caps import tune_caps

FILLER = "".join(f"第{i}段说明当地的天气和交通情况。" for i in range(1, 12))


def article(title: str, context: str, question: str, answer: str) -> dict:
    qa = {"id": question, "question": question, "answers": [{"text": answer, "answer_start": context.index(answer)}]}
    return {"title": title, "paragraphs": [{"context": context, "qas": [qa]}]}


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory) -> Path:
    """Three articles. In the first, two sentences hold the same words of the question 多少; only the
    later one has a number, and a 40-character snippet has no room for both: the question-type
    prior alone puts the answer first."""
    path = tmp_path_factory.mktemp("tune") / "set.json"
    data = [
        article("青龙湖游记", "青龙湖的游客来自全国各地和世界上其他国家和地区以及港澳台。" + FILLER * 2
                + "青龙湖的游客每年约30万人次。" + FILLER, "青龙湖的游客有多少？", "30万人次"),
        article("青龙湖", "青龙湖位于云阳县北部。" + FILLER + "湖区景区始建于1950年，由乡绅出资修建。",
                "青龙湖景区始建于哪一年？", "1950年"),
        article("白鹭洲", "白鹭洲景区始建于1962年，景区由乡绅出资修建，景区规模很大。" + FILLER,
                "白鹭洲景区有多大？", "规模很大"),
    ]
    path.write_text(json.dumps({"data": data}, ensure_ascii=False), encoding="utf-8")
    return path


def short_snippets(knowledge: Path):
    config = load_config(knowledge_dir=knowledge)
    return dataclasses.replace(config, retrieval=dataclasses.replace(config.retrieval, snippet_chars=40))


def row(report: str, weight: str, value: str) -> list[str]:
    return next(line.split() for line in report.splitlines() if line.split()[:2] == [weight, value])


def test_the_tuner_measures_what_eval_measures_and_shows_a_weight_that_decides_an_answer(hand_made, tmp_path):
    config = short_snippets(tmp_path / "k")
    report = tune([hand_made], config, sample=10, seed=0, names=["type_prior", "article_weight"])
    figures = evaluate([hand_made], [], config)
    assert figures["answer-in-top1"] == 1.0 and figures["right-article@1"] == 1.0
    assert "shipped: answer-in-top1 1.000 (mean 1.000), right-article@1 1.000 (mean 1.000)" in report
    # Without the prior the sentence without a number leads, and the 40 characters hold no answer:
    # one question of three, -33.3 points; the article is still right.
    assert row(report, "type_prior", "0") == ["type_prior", "0", "-33.3", "0", "-33.3"]
    assert row(report, "type_prior", "0.08") == ["type_prior", "0.08", "0", "0", "0", "shipped"]
    assert row(report, "article_weight", "2") == ["article_weight", "2", "0", "0", "0", "shipped"]
    assert [line.split()[1] for line in report.splitlines() if line.startswith("article_weight")] == \
        ["0", "1", "1.5", "2", "3", "4"]
    assert "type_prior=0.08" in report.splitlines()[-2]  # best: the shipped value wins a tie
    assert report.splitlines()[-1] == "the best values together: answer-in-top1 0 points, right-article@1 0 points"


def test_shares_are_never_tried_above_one():
    assert grid("neighbour_credit") == [0.0, 0.25, 0.375, 0.75, 1.0]
    assert grid("type_prior") == [0.0, 0.04, 0.06, 0.12, 0.16]


def test_candidates_are_tried_around_the_configured_number_and_never_below_top_k():
    from bot.config import RetrievalSettings

    assert grid("candidates") == [10, 20, 50, 100]
    assert grid("candidates", RetrievalSettings(top_k=8, candidates=12)) == [8, 20, 40]


def test_an_unknown_weight_is_one_line_naming_it(hand_made, capsys):
    assert main(["tune", str(hand_made), "--weights", "type_prior,article_wieght"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qabot: error: --weights: no weight named article_wieght (known: char_weight,")
    assert len(err.strip().splitlines()) == 1


def test_caps_are_tuned_on_a_generated_base_and_cut_nothing_in_a_small_one(tmp_path):
    from tests.test_evaluation import PLACES, squad_set

    report = tune_caps([squad_set(tmp_path / "set.json")], load_config(knowledge_dir=tmp_path / "k"),
                       passages=300, sample=20, seed=0)
    lines = report.splitlines()
    assert lines[0].startswith("a generated base of ") and lines[0].endswith(
        f" passages, {len(PLACES)} held-out questions; one cap moved at a time")
    rows = [line.split() for line in lines[3:]]
    assert [row[0] for row in rows] == ["term"] * 5 + ["char"] * 5 + ["term_share"] * 5 + ["char_share"] * 5
    assert [row[1] for row in rows if row[-1] == "shipped"] == ["20000", "5000", "0.1", "0.02"]
    # No list of a base of 300 passages is longer than the smallest cap tried: every row finds the same.
    assert {tuple(row[2:4]) for row in rows} == {("1.000", "1.000")}


def no_questions(title: str, context: str) -> dict:
    return {"title": title, "paragraphs": [{"context": context, "qas": []}]}


def test_candidates_too_few_to_reach_the_answers_passage_lose_its_answer(tmp_path):
    """Four short news items repeat the question's words and outscore the long answer passage in
    stage one; the rerank prefers the answer's number, but only once it reads five passages."""
    path = tmp_path / "set.json"
    data = [article("白鹭洲景区", "白鹭洲景区门票价格为每人80元。" + FILLER * 3, "白鹭洲景区的门票价格是多少？", "80元")]
    data += [no_questions(f"{place}地新闻", f"{place}地的白鹭洲景区门票价格表，白鹭洲景区门票价格调整。")
             for place in "甲乙丙丁"]
    path.write_text(json.dumps({"data": data}, ensure_ascii=False), encoding="utf-8")
    config = load_config(knowledge_dir=tmp_path / "k")
    config = dataclasses.replace(config, retrieval=dataclasses.replace(config.retrieval, top_k=1, candidates=5))
    report = tune([path], config, sample=10, seed=0, names=["candidates"])
    assert [row(report, "candidates", value) for value in ("2", "3", "5", "8", "17")] == [
        ["candidates", "2", "-100.0", "-100.0", "-100.0"], ["candidates", "3", "-100.0", "-100.0", "-100.0"],
        ["candidates", "5", "0", "0", "0", "shipped"], ["candidates", "8", "0", "0", "0"],
        ["candidates", "17", "0", "0", "0"]]
    assert report.splitlines()[-2].endswith(", retrieval.candidates=5")


def test_a_sentence_cap_decides_whether_the_snippet_reaches_the_answer(tmp_path):
    """One 50-character sentence: whole, a 40-character snippet shows its start; cut at 40, the
    clause with the number is a sentence of its own and leads."""
    from bot.evaluation.tune_sentences import tune_sentence_chars

    path = tmp_path / "set.json"
    context = FILLER + "青龙湖景区的门票价格经过多次调整，旺季和淡季的价格有所不同，由当地物价部门统一核定，成人门票每人80元。" + FILLER
    path.write_text(json.dumps({"data": [article("青龙湖", context, "青龙湖的成人门票多少钱？", "80元")]},
                               ensure_ascii=False), encoding="utf-8")
    report = tune_sentence_chars([path], short_snippets(tmp_path / "k"), [40, 120], sample=10, seed=0)
    assert report.splitlines()[0] == "sets (questions sampled, seed 0): set (1); each set built once per cap"
    assert [line.split() for line in report.splitlines()[3:]] == [
        ["40", "1.000", "1.000", "1.000/1.000"], ["120", "0.000", "1.000", "0.000/1.000", "shipped"]]


def test_a_parallel_builds_workers_cut_sentences_at_the_tuned_cap(tmp_path):
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    from bot.config import PassageSettings
    from bot.knowledge.builder import _analyse_in_worker, _init_worker
    from bot.knowledge.files import SourceFile

    text = "# 青龙湖\n\n" + "，".join(f"第{i}条规定由当地物价部门统一核定" for i in range(12)) + "。\n"
    source = SourceFile("a.md", tmp_path / "a.md", text, "0" * 64)
    longest = []
    for cap in (None, 40):
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker,
                                 initargs=([], 300, os.getpid(), cap)) as pool:
            (analysed,) = pool.submit(_analyse_in_worker, [source], PassageSettings()).result()
        longest.append(max(int(end - start) for spans in analysed.analysis.sentence_spans for start, end in spans))
    assert longest[0] > 40 >= longest[1]


def test_the_sentence_cap_of_a_tuning_build_is_in_its_fingerprint_and_the_shipped_one_unchanged(tmp_path):
    from bot.knowledge.builder import pipeline_fingerprint

    config = load_config(knowledge_dir=tmp_path / "k")
    assert pipeline_fingerprint(config) == pipeline_fingerprint(config, None) != pipeline_fingerprint(config, 90)


@pytest.mark.parametrize("argv, message", [
    (["--sentence-chars", "90,abc"], "--sentence-chars: '90,abc' is not a list of sentence lengths such as 90,120,160"),
    (["--sentence-chars", "90", "--passages", "100k"],
     "--passages and --sentence-chars tune different things: give one of them"),
])
def test_a_wrong_sentence_cap_is_one_line(hand_made, capsys, argv, message):
    assert main(["tune", str(hand_made), *argv]) == 2
    assert capsys.readouterr().err.strip() == f"qabot: error: {message}"
