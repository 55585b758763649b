"""Text that is not valid Unicode (lone surrogates from JSON, argument bytes that are not UTF-8) never breaks a reply."""

from bot.telegram.handlers import SOMETHING_WRONG
from tests.conftest import GROUP_ID, PANDA_FACT, USER_ID, make_config
from tests.support.knowledge import make_knowledge

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


def test_argument_bytes_that_are_not_utf8_are_replaced_with_one_warning(qabot, tmp_path):
    knowledge = make_knowledge(tmp_path)
    command = ["ask", "--knowledge", str(knowledge)]
    question = b"\xff\xfe" + "近三年引进了多少急需紧缺人才".encode()
    # Python hands argv bytes that are not UTF-8 to main() as lone surrogates (surrogateescape).
    result = qabot(*command, question.decode("utf-8", "surrogateescape"))
    assert result.returncode == 0, result.stderr
    stderr = result.stderr
    assert "Traceback" not in stderr
    warnings = [line for line in stderr.splitlines() if line.startswith("qabot: warning")]
    assert warnings == ["qabot: warning: the question has bytes that are not UTF-8; they were replaced by \ufffd"]
    assert "9778" in result.stdout

    piped = qabot(*command, "--json", "-", stdin=b"\xff\xfe" + "大熊猫\n人才\n".encode())
    assert piped.returncode == 0 and "Traceback" not in piped.stderr
    lines = piped.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith('{"question": "\ufffd\ufffd大熊猫"')


def test_the_service_cleans_questions_itself(tmp_path):
    """The service itself cleans too: `qabot chat` and any caller get the same protection."""
    from bot.knowledge.builder import build_knowledge_base
    from bot.service import QAService

    config = make_config(make_knowledge(tmp_path))
    build_knowledge_base(config)
    answer = QAService.open(config).ask(f"近三年引进了多少急需紧缺人才{LONE}")
    assert answer.answered and "9778" in answer.best.snippet
