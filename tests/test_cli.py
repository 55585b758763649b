"""The `qabot` command as users and other tools call it: `bot.cli.main` in this process, real files.

A few run as real processes: the installed entry point, and the exit status a shell sees.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import RetrievalSettings
from tests.support.cli import subcommands
from tests.support.knowledge import make_knowledge
from tests.support.processes import clean_env

QUESTION = "近三年引进了多少急需紧缺人才？"
RESULT_KEYS = {"snippet", "passage", "title", "source", "date", "url", "article", "passage_id", "score"}
SNIPPET_CHARS = RetrievalSettings().snippet_chars


@pytest.fixture
def knowledge(tmp_path):
    return make_knowledge(tmp_path)


def check_result_shape(result):
    assert set(result) == RESULT_KEYS
    assert isinstance(result["snippet"], str) and 0 < len(result["snippet"]) <= SNIPPET_CHARS
    assert result["snippet"] in result["passage"] or len(result["passage"]) > 0
    assert isinstance(result["score"], float)
    assert result["date"] is None or len(result["date"]) == 10
    assert len(result["passage_id"]) == 16


def test_ask_builds_when_needed_and_answers_the_sample(qabot, knowledge):
    result = qabot("ask", "--knowledge", str(knowledge), QUESTION)
    assert result.returncode == 0, result.stderr
    assert "9778" in result.stdout
    assert "迎接省党代会系列新闻发布会党的建设和组织工作专场举行" in result.stdout
    assert "贵州省人民政府" in result.stdout and "2022-04-11" in result.stdout
    assert "**" in result.stdout  # matched words are marked
    assert "building" in result.stderr


def test_ask_json_contract(qabot, knowledge):
    result = qabot("ask", "--json", "-k", "3", "--knowledge", str(knowledge), QUESTION)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    answer = json.loads(lines[0])
    assert set(answer) == {"question", "answered", "results"}
    assert answer["question"] == QUESTION and answer["answered"] is True
    assert 1 <= len(answer["results"]) <= 3
    for item in answer["results"]:
        check_result_shape(item)
    best = answer["results"][0]
    assert "9778" in best["snippet"]
    assert best["article"] == "articles/000_be29e6b4f69db29d.txt"
    assert (best["source"], best["date"], best["url"]) == ("贵州省人民政府", "2022-04-11", None)
    scores = [r["score"] for r in answer["results"]]
    assert scores == sorted(scores, reverse=True)


def test_ask_json_lines_from_stdin(qabot, knowledge):
    questions = [QUESTION, "", "量子纠缠的实验原理", "全省新发展党员多少名？"]
    result = qabot("ask", "--json", "-", "--knowledge", str(knowledge), stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["question"] for a in answers] == [QUESTION, "量子纠缠的实验原理", "全省新发展党员多少名？"]
    assert answers[0]["answered"] and "9778" in answers[0]["results"][0]["snippet"]
    assert answers[1]["answered"] is False
    assert "26.98万" in answers[2]["results"][0]["snippet"]


def test_knowledge_from_environment(qabot, knowledge, tmp_path):
    result = qabot("ask", "--json", QUESTION, env={"QABOT_KNOWLEDGE": str(knowledge)}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["answered"] is True


def test_build_summary(qabot, knowledge):
    (knowledge / "articles" / "empty.txt").write_text("")
    result = qabot("build", "--knowledge", str(knowledge))
    assert result.returncode == 0, result.stderr
    assert "articles: 1, passages: 18" in result.stdout
    assert "added: 1, changed: 0, removed: 0" in result.stdout
    assert "articles/empty.txt: 文件是空的" in result.stdout
    assert "MB/s" in result.stdout


@pytest.mark.parametrize("config_text, message", [
    ("retrieval:\n  top_kk: 3\n", "unknown config key 'retrieval.top_kk'"),
    ("retrieval:\n  top_k: many\n", "config key 'retrieval.top_k' must be of type int"),
    ("colour: blue\n", "unknown config key 'colour'"),
    ("passages: [1, 2\n", "is not valid YAML"),
    ("passages:\n  target_chars: 200\n  max_chars: 100\n", "max_chars must not be smaller"),
    ("retrieval:\n  candidates: 501\n", "retrieval.candidates must be between retrieval.top_k and 500"),
])
def test_config_errors_are_one_line(qabot, knowledge, tmp_path, config_text, message):
    config = tmp_path / "bad.yaml"
    config.write_text(config_text, encoding="utf-8")
    result = qabot("ask", "--knowledge", str(knowledge), "--config", str(config), QUESTION)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_config_from_environment_variable(qabot, knowledge, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("retrieval:\n  snippet_chars: 60\n", encoding="utf-8")
    result = qabot("ask", "--json", "--knowledge", str(knowledge), QUESTION, env={"QABOT_CONFIG": str(config)})
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["results"][0]["snippet"]) <= 60


def test_every_command_has_help(qabot):
    commands = subcommands()
    assert {"build", "ask", "chat", "eval", "fit-confidence", "bench", "run"} <= set(commands)
    for command in commands:
        result = qabot(command, "--help")
        assert result.returncode == 0 and result.stdout.startswith(f"usage: qabot {command}"), command


def test_the_installed_entry_point_runs_and_exits_with_the_status_a_shell_sees(knowledge, tmp_path):
    """The `qabot` script pip installed (not `python -m bot`): --version, and exit status 2 for a bad config."""
    script = shutil.which("qabot", path=str(Path(sys.executable).parent))
    assert script is not None, "pip install -e . installs a qabot script beside this Python"
    version = subprocess.run([script, "--version"], capture_output=True, text=True, env=clean_env(), timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("qabot ")
    config = tmp_path / "bad.yaml"
    config.write_text("colour: blue\n", encoding="utf-8")
    bad = subprocess.run([script, "ask", "--knowledge", str(knowledge), "--config", str(config), QUESTION],
                         capture_output=True, text=True, env=clean_env(), timeout=60)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("qabot: error: unknown config key 'colour'") and bad.stderr.count("\n") == 1


def test_an_os_error_is_one_line_and_keeps_the_served_index(qabot, knowledge):
    assert qabot("build", "--knowledge", str(knowledge)).returncode == 0
    current = knowledge / ".index" / "CURRENT"
    target = current.resolve()
    # Something in the way of the swap: CURRENT replaced by a directory that holds a file.
    current.unlink()
    current.mkdir()
    (current / "stray").write_text("x")
    result = qabot("build", "--knowledge", str(knowledge))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "CURRENT" in result.stderr or "directory" in result.stderr.lower()
    assert target.exists()
