"""The snippet's three parts on hand-made text, with the exact strings a reader sees.

Where text may be cut (clauses), how a long sentence is windowed, how matches are marked, and
through the retriever: a snippet that starts at a boundary, "…" where text was left out, and no
result that repeats an earlier one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.builder import build_knowledge_base
from bot.retrieval.snippet import ELLIPSIS, asks_for_description, clause_window, clauses, head_of, introduces_list, mark_spans
from bot.service import QAService
from tests.conftest import make_config, write_articles

NOTICE = "对国家确定的重点企业，中央财政给予贴息50%，省财政再给予25%的贴息；贴息期限不超过1年，对省确定的企业按1,000元标准补助。"


def marked(text: str, needles: list[str]) -> str:
    """The text with every marked span in [brackets], as a reader would see the bold."""
    out, last = [], 0
    for start, end in mark_spans(text, needles):
        out += [text[last:start], "[", text[start:end], "]"]
        last = end
    return "".join(out + [text[last:]])


def test_clauses_cut_after_commas_and_semicolons_but_not_inside_numbers() -> None:
    assert clauses(NOTICE) == ["对国家确定的重点企业，", "中央财政给予贴息50%，", "省财政再给予25%的贴息；",
                               "贴息期限不超过1年，", "对省确定的企业按1,000元标准补助。"]
    assert "".join(clauses(NOTICE)) == NOTICE


def test_the_head_of_a_sentence_is_whole_clauses_and_says_where_it_stops() -> None:
    assert head_of(NOTICE, 30) == "对国家确定的重点企业，中央财政给予贴息50%，…"
    assert head_of("短句。", 30) == "短句。"
    assert head_of(NOTICE, 5) == ""  # not even one clause fits: nothing rather than half a clause


def test_a_long_sentence_is_windowed_at_clause_boundaries_around_the_match() -> None:
    window = clause_window(NOTICE, 40, NOTICE.find("贴息期限"))
    assert window == "…贴息期限不超过1年，对省确定的企业按1,000元标准补助。"
    assert len(window) <= 40
    assert clause_window(NOTICE, 40, 0) == "对国家确定的重点企业，中央财政给予贴息50%，省财政再给予25%的贴息；…"
    # A clause longer than the whole snippet is cut, and the cut is shown.
    assert clause_window("甲" * 50 + "，" + "乙" * 10, 20, 10) == "甲" * 19 + ELLIPSIS


def test_marks_never_split_a_number() -> None:
    text = "比去年增加3200人，2020年增加20人"
    assert marked(text, ["20", "加3", "0人"]) == "比去年增[加]3200[人]，2020年增加[20人]"
    assert marked("全长约6300公里", ["63", "公里"]) == "全长约6300[公里]"
    assert marked("近3年引进9778人", ["3年", "9778"]) == "近[3年]引进[9778]人"


def test_list_introductions_are_recognised() -> None:
    assert introduces_list("发布的6条针对菜场商超的管理要求明确：")
    assert introduces_list("（四）对疫情防控重点保障企业贷款给予财政贴息支持。")
    assert introduces_list("二、加大财政金融支持")
    assert not introduces_list("大熊猫的食物几乎全部是竹子。")


POLICY = """关于支持企业复工复产的若干措施

2020年02月10日 来源：市人民政府

为支持企业复工复产，做好疫情防控期间的经济工作，经市政府同意，现提出以下措施。

（一）减免企业房租。对承租国有资产类经营用房的中小企业，免收2月份房租，减半收取3月份和4月份房租。

（二）加大金融支持。对受疫情影响较大的企业，银行不得盲目抽贷、断贷、压贷；对到期还款困难的企业，予以展期或续贷。

（三）稳定职工队伍。对不裁员或少裁员的企业，返还其上年度实际缴纳失业保险费的50%，所需资金从失业保险基金中列支。

（四）延期缴纳税款。因疫情影响不能按期办理纳税申报的企业，可依法申请延期申报；有特殊困难的，可依法申请延期缴纳税款，最长不超过3个月。

（五）降低用电成本。对中小企业生产经营所需的用电、用气、用水，实行“欠费不停供”措施，疫情结束后3个月内补缴。

本措施自发布之日起施行，有效期至疫情结束后3个月。各区县可结合实际制定具体实施办法。
"""


@pytest.fixture(scope="module")
def policy_service(tmp_path_factory: pytest.TempPathFactory) -> QAService:
    root = write_articles(tmp_path_factory.mktemp("policy"), {"policy.txt": POLICY})
    build_knowledge_base(make_config(Path(root)), workers=1)
    return QAService.open(make_config(Path(root)))


def test_a_numbered_measure_is_shown_with_what_follows_it(policy_service: QAService) -> None:
    answer = policy_service.ask("中小企业的房租怎么减免？")
    assert "（一）减免企业房租。对承租国有资产类经营用房的中小企业，免收2月份房租，减半收取3月份和4月份房租。" \
        in answer.best.snippet


def test_snippets_start_at_a_boundary_and_later_results_repeat_nothing(policy_service: QAService) -> None:
    answer = policy_service.ask("企业复工复产有哪些支持措施", k=5)
    assert len(answer.results) >= 2
    body = "".join(POLICY.split("\n\n", 2)[2].split())  # paragraph breaks aside
    for result in answer.results:
        assert len(result.snippet) <= policy_service.config.retrieval.snippet_chars
        pieces = ["".join(piece.split()) for piece in result.snippet.split(ELLIPSIS)]
        assert all(piece in body for piece in pieces if piece)  # every piece is the article's own text
        start = body.index(pieces[0])
        assert start == 0 or body[start - 1] in "。；，"  # begins where a sentence or clause begins
    sentences = [s for r in answer.results for s in r.snippet.replace(ELLIPSIS, "。").split("。") if len(s) > 6]
    assert len(sentences) == len(set(sentences))  # no sentence is shown twice


LONG_SENTENCE = ("各区要加强组织领导，落实属地责任，" + "，".join(f"第{n}项工作由相关部门牵头负责并按期完成" for n in range(1, 9))
                 + "，对新建的社区卫生服务站每个补助30万元，所需资金由市财政统筹安排，确保各项措施落到实处。")


def test_a_clause_cut_from_a_long_sentence_is_shown_with_ellipses(tmp_path: Path) -> None:
    root = write_articles(tmp_path, {"long.txt": f"关于加强社区卫生工作的通知\n\n2021年05月06日 来源：市政府\n\n{LONG_SENTENCE}\n"})
    build_knowledge_base(make_config(root), workers=1)
    answer = QAService.open(make_config(root)).ask("新建的社区卫生服务站每个补助多少钱？")
    snippet = answer.best.snippet
    assert "每个补助30万元" in snippet and len(snippet) <= make_config(root).retrieval.snippet_chars
    assert snippet.startswith(ELLIPSIS)  # the sentence began long before this clause
    assert "".join(snippet.strip(ELLIPSIS).split()) in LONG_SENTENCE


PROCEDURE = """关于做好创业担保贷款工作的通知

2020年03月02日 来源：市人力资源和社会保障局

个人申请创业担保贷款，应先向户籍所在地人社部门提交申请。人社部门在5个工作日内完成资格审核。审核通过后由经办银行进行贷前调查。银行在10个工作日内发放贷款。贷款到期后，借款人应按时还本付息。

各区要加强组织领导，明确责任分工，确保各项工作落到实处。各部门要密切配合，形成工作合力，及时研究解决工作中遇到的困难和问题。要加强宣传引导，通过多种渠道宣传政策内容，营造良好的社会氛围。要建立工作台账，定期调度工作进展情况。

个人申请创业担保贷款的，贷款额度最高为20万元，贷款期限最长不超过3年。
"""


def test_a_how_question_is_shown_the_sentences_that_follow_its_answer(tmp_path: Path) -> None:
    root = write_articles(tmp_path, {"procedure.txt": PROCEDURE})
    build_knowledge_base(make_config(root), workers=1)
    service = QAService.open(make_config(root))
    steps = "个人申请创业担保贷款，应先向户籍所在地人社部门提交申请。人社部门在5个工作日内完成资格审核。" \
            "审核通过后由经办银行进行贷前调查。银行在10个工作日内发放贷款。"
    # The steps are read in order, before a sentence elsewhere that merely shares the question's words.
    assert service.ask("个人如何申请创业担保贷款？").best.snippet.startswith(steps)
    # A question after one fact is shown the sentences that hold most of it, wherever they are.
    assert "20万元" in service.ask("个人申请创业担保贷款的额度是多少？").best.snippet


def test_questions_that_ask_how_or_which_things_want_a_run_of_sentences() -> None:
    for question in ("个人如何申请创业担保贷款", "复工需要满足哪些条件", "对餐饮单位有什么要求", "具体措施是什么"):
        assert asks_for_description(question), question
    for question in ("贷款额度最高是多少", "通知是哪天发布的", "谁负责审核", "审核需要几个工作日"):
        assert not asks_for_description(question), question
