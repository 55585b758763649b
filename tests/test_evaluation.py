"""`qabot eval` and `qabot bench` on a small SQuAD-format set written to disk (the bench times its phases in child processes)."""

import json
import random
from pathlib import Path

from bot.config import load_config
from bot.evaluation.bench_data import filler_article, load_material, write_base
from bot.evaluation.squad import load_squad

PLACES = ["青龙湖", "白鹭洲", "金沙滩", "紫云山", "翠屏峰", "石门渡", "桃花坞", "落霞谷"]
STOCK_SENTENCE = "该地已列入省级风景名胜区名录。"  # under every title: a set's stock phrase


def squad_set(path: Path) -> Path:
    """Eight places, two paragraphs each, one question per paragraph, answers in the context."""
    articles = []
    for number, place in enumerate(PLACES):
        area, year = 10 + number, 1950 + number
        first = f"{place}位于云阳县北部，面积约为{area}平方公里。{STOCK_SENTENCE}湖畔多柳树。"
        second = f"{place}景区始建于{year}年，由当地乡绅出资修建。每年春季举办赏花节。"
        articles.append({"title": place, "paragraphs": [
            {"context": first, "qas": [{"id": f"{number}a", "question": f"{place}的面积约为多少？",
                                        "answers": [{"text": f"{area}平方公里", "answer_start": first.index(str(area))}]}]},
            {"context": second, "qas": [{"id": f"{number}b", "question": f"{place}景区始建于哪一年？",
                                         "answers": [{"text": f"{year}年", "answer_start": second.index(str(year))}]}]},
        ]})
    path.write_text(json.dumps({"version": "test", "data": articles}, ensure_ascii=False), encoding="utf-8")
    return path


def test_eval_prints_the_figures_as_json_and_finds_the_answers(qabot, tmp_path):
    result = qabot("eval", str(squad_set(tmp_path / "set.json")), "--json", "--knowledge", str(tmp_path / "k"))
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["questions"] == 2 * len(PLACES)
    assert figures["answer-in-top1"] >= 0.9
    assert figures["answer-in-top5"] >= figures["answer-in-top1"]
    assert figures["baseline"] is None


def test_the_bench_holds_out_whole_source_articles_and_keeps_their_sentences_out_of_the_filler(tmp_path):
    material = load_material([squad_set(tmp_path / "set.json")], eval_paragraphs=3)
    held_titles = {text.splitlines()[0].removeprefix("标题：") for _, text in material.eval_articles}
    # Whole titles: three paragraphs wanted, so two titles of two paragraphs each.
    assert len(held_titles) == 2 and len(material.eval_articles) == 4 and len(material.questions) == 4
    assert not held_titles & set(material.titles)
    held_text = "".join(text for _, text in material.eval_articles)
    assert material.sentences and not any(sentence in held_text for sentence in material.sentences)
    assert STOCK_SENTENCE not in material.sentences
    for place in held_titles:
        assert not any(place in sentence for sentence in material.sentences)
    keys = {q.article_key for q in material.questions}
    assert keys == {f"articles/{name}" for name, _ in material.eval_articles}

    article = filler_article(random.Random(1), material, 5)
    assert article.startswith("标题：") and "发布时间：2023-06-06" in article
    assert not any(place in article for place in held_titles)


def test_write_base_writes_the_held_out_articles_and_filler_beside_them(tmp_path):
    set_path = squad_set(tmp_path / "set.json")
    material = load_material([set_path], eval_paragraphs=3)
    settings = load_config(knowledge_dir=tmp_path).passages
    n_filler = write_base(tmp_path / "base", material, 200, settings)
    files = list((tmp_path / "base" / "articles").rglob("*.txt"))
    assert n_filler > 0 and len(files) == n_filler + len(material.eval_articles)
    assert len(load_squad(set_path)) == len(PLACES)


def test_bench_measures_every_size_and_the_incremental_rebuild(qabot, tmp_path):
    set_path = squad_set(tmp_path / "set.json")
    output = tmp_path / "figures.json"
    result = qabot("bench", str(set_path), "--sizes", "60", "--incremental-at", "60", "--no-baseline",
                   "--work", str(tmp_path / "work"), "--output", str(output), "--knowledge", str(tmp_path / "k"))
    assert result.returncode == 0, result.stderr
    figures = json.loads(output.read_text(encoding="utf-8"))
    assert [row["target"] for row in figures["sizes"]] == [0, 60]
    small, bigger = figures["sizes"]
    assert small["build"]["passages"] < bigger["build"]["passages"]
    for row in figures["sizes"]:
        assert 0 < row["serve"]["top1"] <= 1 and row["serve"]["p50_ms"] > 0 and row["disk_mb"] >= 0
        assert row["serve"]["load_s"] > 0 and row["build"]["tree_peak_rss_mb"] > 0
    assert bigger["incremental"]["analysed"] == 1
    assert "passages" in result.stdout  # the table


def test_bench_on_a_set_too_small_to_split_says_so_in_one_line(qabot, tmp_path):
    one_title = tmp_path / "one.json"
    data = json.loads(squad_set(tmp_path / "set.json").read_text(encoding="utf-8"))
    one_title.write_text(json.dumps({"data": data["data"][:1]}, ensure_ascii=False), encoding="utf-8")
    result = qabot("bench", str(one_title), "--sizes", "60", "--no-baseline", "--work", str(tmp_path / "work"))
    assert result.returncode != 0
    assert "too small for a bench" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def other_set(path: Path) -> Path:
    """Questions no place article answers: off-topic for the set above."""
    questions = ["比特币今天的价格是多少？", "明天北京会下雨吗？", "怎么做红烧肉？", "世界杯冠军是哪个国家？",
                 "苹果公司的首席执行官是谁？", "珠穆朗玛峰有多高？"]
    data = [{"title": f"其他{n}", "paragraphs": [{"context": "无关的内容。", "qas": [
        {"id": f"o{n}", "question": q, "answers": [{"text": "无关", "answer_start": 0}]}]}]} for n, q in enumerate(questions)]
    path.write_text(json.dumps({"data": data}, ensure_ascii=False), encoding="utf-8")
    return path


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    from bot.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_eval_in_small_bases_asks_each_article_its_questions_and_samples_the_off_topic_ones(tmp_path, capsys):
    set_path, others = squad_set(tmp_path / "set.json"), other_set(tmp_path / "other.json")
    code, out, err = run_cli(capsys, "eval", str(set_path), "--base-articles", "3", "--unanswerable", str(others),
                             "--unanswerable-per-base", "2", "--baseline", "--json", "--knowledge", str(tmp_path / "k"))
    assert code == 0, err
    figures = json.loads(out.strip().splitlines()[-1])
    assert figures["base_articles"] == 3 and figures["bases"] == 3  # eight articles: 3 + 3 + 2
    assert figures["questions"] == 2 * len(PLACES)
    assert figures["answer-in-top1"] >= 0.9 and figures["answered-right"] <= figures["answer-in-top1"]
    # Plain BM25 answers whatever shares a character with some passage; the bot refuses them.
    assert figures["false-answer"] == 0.0 and figures["baseline"]["false-answer"] > 0.5
    assert "answered-when-shown" in out


def test_eval_in_small_bases_is_seeded(tmp_path, capsys):
    set_path, others = squad_set(tmp_path / "set.json"), other_set(tmp_path / "other.json")
    runs = []
    for _ in range(2):
        code, out, _ = run_cli(capsys, "eval", str(set_path), "--base-articles", "1", "--unanswerable", str(others),
                               "--json", "--seed", "7", "--knowledge", str(tmp_path / "k"))
        figures = json.loads(out.strip().splitlines()[-1])
        runs.append({k: v for k, v in figures.items() if not k.endswith("_ms") and k != "build_s"})
    assert code == 0 and runs[0] == runs[1] and runs[0]["bases"] == len(PLACES)


def test_fit_confidence_prints_the_weights_line_to_paste(tmp_path, capsys):
    from bot.retrieval.confidence import FEATURES

    set_path, others = squad_set(tmp_path / "set.json"), other_set(tmp_path / "other.json")
    code, out, err = run_cli(capsys, "fit-confidence", str(set_path), str(others), "--sizes", "4,all",
                             "--off-topic", "6", "--knowledge", str(tmp_path / "k"))
    assert code == 0, err
    weights = next(line for line in out.splitlines() if line.startswith("WEIGHTS = ("))
    assert len(weights.removeprefix("WEIGHTS = (").rstrip(")").split(",")) == len(FEATURES) + 1
    assert "set @4" in out and "set @all" in out
    related = [line.split() for line in out.splitlines() if line.startswith("set @")]
    assert int(related[0][6]) > 0 and int(related[1][6]) == 0  # bases of 4 are asked about the others; "all" has none
    trade = out[out.index("related weight"):].splitlines()[1:]
    assert [float(line.split()[0]) for line in trade] == [0.0, 0.25, 0.5, 1.0]
    assert all(0.0 <= float(x) <= 1.0 for line in trade for x in line.split()[1:])


def test_fit_confidence_needs_two_sets(tmp_path, capsys):
    code, _, err = run_cli(capsys, "fit-confidence", str(squad_set(tmp_path / "set.json")))
    assert code == 2 and "at least two sets" in err and len(err.strip().splitlines()) == 1


def test_fit_asks_a_small_base_about_the_sets_other_articles_but_not_its_own_or_their_copies():
    from bot.evaluation.fit import _asked_elsewhere
    from bot.evaluation.squad import Question

    here = [Question("甲地在哪？", "a", ("北",)), Question("乙地在哪？", "b", ("南",))]
    own = here + [Question("丙地在哪？", "c", ("东",)),
                  Question("丁地在哪？", "d", ("西",), also_right=frozenset({"a"})),  # a repost of a
                  Question("戊地在哪？", "b", ("中",))]
    assert [q.text for q in _asked_elsewhere(own, here)] == ["丙地在哪？"]
