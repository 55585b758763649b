"""`qabot bench --startup` runs the real commands in fresh processes and reports their medians (never judged here)."""

from __future__ import annotations

import json
from pathlib import Path

from bot.cli import main
from tests.conftest import write_articles


def test_startup_bench_runs_ask_and_build_in_fresh_processes_and_writes_every_figure(tmp_path, capsys, monkeypatch):
    knowledge = tmp_path / "knowledge"
    write_articles(knowledge, {"panda.txt": "大熊猫的食物\n\n大熊猫的食物几乎全部是竹子，一天大约吃掉12到38公斤竹子。\n"})
    monkeypatch.setenv("QABOT_KNOWLEDGE", str(tmp_path / "elsewhere"))  # the runs must not see it
    output = tmp_path / "startup.json"

    assert main(["bench", "--startup", "--runs", "2", "--knowledge", str(knowledge), "--output", str(output)]) == 0

    printed = capsys.readouterr().out
    assert "median of 2 fresh processes each (panda.txt)" in printed
    for phase in ("python -c pass", "qabot ask (cold)", "qabot build (1 article)"):
        assert phase in printed
    figures = json.loads(output.read_text(encoding="utf-8"))
    assert figures["article"] == "panda.txt" and figures["runs"] == 2 and figures["target_s"] == 0.5
    phases = {"python -c pass", "qabot ask (cold)", "qabot build (1 article)"}
    for kind in ("median_s", "samples_s", "median_cpu_s", "samples_cpu_s"):
        assert set(figures[kind]) == phases, kind
    assert all(len(times) == 2 and all(t > 0 for t in times) for times in figures["samples_s"].values())
    assert all(len(times) == 2 for times in figures["samples_cpu_s"].values())
    assert figures["median_cpu_s"]["qabot build (1 article)"] > 0
    assert not (knowledge / ".index").exists()  # the runs work on copies


def test_startup_bench_without_articles_says_so_in_one_line(tmp_path, capsys):
    (tmp_path / "articles").mkdir()
    assert main(["bench", "--startup", "--knowledge", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"qabot: error: no article to time in {tmp_path / 'articles'}"


def test_bench_without_sets_or_startup_asks_for_one(capsys):
    assert main(["bench"]) == 2
    assert "give one or more FILE.json sets, or --startup" in capsys.readouterr().err
