"""Any text at all is a question the retriever survives, with a well-formed answer."""

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from bot.config import RetrievalSettings
from bot.knowledge.builder import build_knowledge_base
from bot.replies.render import answer_to_json, render_plain, render_result_html
from bot.service import QAService
from tests.support.knowledge import config_for, make_knowledge

SNIPPET_CHARS = RetrievalSettings().snippet_chars  # the services below use the default config


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    config = config_for(make_knowledge(tmp_path_factory.mktemp("robust")))
    build_knowledge_base(config)
    return QAService.open(config)


def check(answer):
    data = json.loads(json.dumps(answer_to_json(answer), ensure_ascii=False))
    assert isinstance(data["answered"], bool)
    for result in answer.results:
        assert 0 < len(result.snippet) <= SNIPPET_CHARS
        assert 0.0 <= result.score <= 1.0
        for start, end in result.highlights:
            assert 0 <= start < end <= len(result.snippet)
        render_result_html(result)
    render_plain(answer)


questions = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(categories=["Lo", "Nd", "Po", "Zs", "Cc", "Cf", "So"]), max_size=200),
    st.sampled_from(["", " ", "\n\t", "\u200b\u200d", "？？？", "<b>&</pre>", "**粗体** _斜体_ [链接](http://x)",
                     "مرحبا بالعالم", "\u202e反转文字", "👍🏽🇨🇳", "近三年引進了多少急需緊缺人才", "a" * 4096, "党" * 4096]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(questions)
def test_any_question_gets_a_well_formed_answer(service, question):
    check(service.ask(question, k=5))


@pytest.mark.parametrize("question", ["", "   ", "\u200b", "。，！", "的了是", "1", "2020", "３？", "是 1 吗"])
def test_questions_without_content_are_not_answered(service, question):
    answer = service.ask(question)
    assert answer.answered is False and answer.results == ()


def test_traditional_question_meets_simplified_text(service):
    answer = service.ask("近三年引進了多少急需緊缺人才？")
    assert answer.answered and "9778" in answer.best.snippet


def test_paging_returns_the_next_results(service):
    first = service.ask("党员干部教育培训", k=2)
    second = service.ask("党员干部教育培训", k=2, offset=2)
    assert len(first.results) == 2 and len(second.results) == 2
    ids = [r.passage.passage_id for r in first.results + second.results]
    assert len(set(ids)) == 4
