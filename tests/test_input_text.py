"""Text that is not valid Unicode (lone surrogates from JSON, argument bytes that are not UTF-8) never breaks a reply."""

import subprocess
import sys

from bot.telegram.handlers import SOMETHING_WRONG
from tests.conftest import GROUP_ID, PANDA_FACT, USER_ID, make_config
from tests.support.knowledge import make_knowledge
from tests.support.processes import REPO, clean_env

LONE = "\ud800"


def test_lone_surrogates_over_telegram_get_a_real_answer(bot, api, question_log):
    before = len(api.sent_messages(USER_ID))
    api.push_private_text(USER_ID, f"{LONE}成年大熊猫每天吃多少公斤竹子{LONE}")
    reply = api.wait_for_messages(USER_ID, before + 1)[before]
    assert PANDA_FACT in reply["text"] and reply["text"] != SOMETHING_WRONG

    api.push_group_text(GROUP_ID, USER_ID, f"/ask 成年大熊猫每天吃多少{LONE}公斤竹子")
    group_reply = api.wait_for_messages(GROUP_ID, 1)[0]
    assert PANDA_FACT in group_reply["text"]

    update = api.push_inline_query(USER_ID, f"成年大熊猫每天吃多少公斤竹子{LONE}")
    query_id = update["inline_query"]["id"]
    answer = api.wait_for(lambda s: next((a for a in s.inline_answers if a["inline_query_id"] == query_id), None),
                          what="the inline answer")
    assert answer["results"] and "12到38" in answer["results"][0]["input_message_content"]["message_text"]
    assert question_log.stats(days=1).asked == 2  # stored, with U+FFFD in place of the surrogate


def test_argument_bytes_that_are_not_utf8_are_replaced_with_one_warning(tmp_path):
    knowledge = make_knowledge(tmp_path)
    command = [sys.executable, "-m", "bot", "ask", "--knowledge", str(knowledge)]
    result = subprocess.run([*command, b"\xff\xfe\xe8\xbf\x91\xe4\xb8\x89\xe5\xb9\xb4\xe5\xbc\x95\xe8\xbf\x9b\xe4\xba"
                             b"\x86\xe5\xa4\x9a\xe5\xb0\x91\xe6\x80\xa5\xe9\x9c\x80\xe7\xb4\xa7\xe7\xbc\xba\xe4\xba\xba\xe6"
                             b"\x89\x8d"], env=clean_env(), cwd=REPO, capture_output=True)
    assert result.returncode == 0, result.stderr
    stderr = result.stderr.decode()
    assert "Traceback" not in stderr
    warnings = [line for line in stderr.splitlines() if line.startswith("qabot: warning")]
    assert warnings == ["qabot: warning: the question has bytes that are not UTF-8; they were replaced by \ufffd"]
    assert "9778" in result.stdout.decode()

    piped = subprocess.run([*command, "--json", "-"], input=b"\xff\xfe\xe5\xa4\xa7\xe7\x86\x8a\xe7\x8c\xab\n\xe4\xba\xba\xe6\x89\x8d\n",
                           env=clean_env(), cwd=REPO, capture_output=True)
    assert piped.returncode == 0 and b"Traceback" not in piped.stderr
    lines = piped.stdout.decode().splitlines()
    assert len(lines) == 2 and lines[0].startswith('{"question": "\ufffd\ufffd大熊猫"')


def test_the_service_cleans_questions_itself(tmp_path):
    """The service itself cleans too: `qabot chat` and any caller get the same protection."""
    from bot.knowledge.builder import build_knowledge_base
    from bot.service import QAService

    config = make_config(make_knowledge(tmp_path))
    build_knowledge_base(config)
    answer = QAService.open(config).ask(f"近三年引进了多少急需紧缺人才{LONE}")
    assert answer.answered and "9778" in answer.best.snippet
