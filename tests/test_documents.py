"""PDF and Word attachments: CJK CID fonts, wrapped lines rejoined, running headers, footers and
page numbers dropped, two columns in order, tables as lines, and unreadable ones skipped with a
Chinese reason. Every file is made here, by reportlab and python-docx."""

import pytest

from bot.knowledge.builder import build_knowledge_base
from bot.knowledge.documents import rejoin_lines
from bot.knowledge.formats import ParseError, parse_document
from bot.index.knowledge_base import KnowledgeBase
from bot.knowledge.build_wording import skip_reason_zh
from tests.support.documents import make_docx, make_pdf, make_scanned_pdf
from tests.support.knowledge import config_for, make_knowledge

TITLE = "关于做好2020年秋粮收购工作的通知"
HEADER = "某某省人民政府办公厅文件"
FOOTER = "某某省人民政府办公厅 2020年10月9日印发"
PARAGRAPHS = [
    f"第{n}条 {place}要落实秋粮最低收购价政策，设立收购网点{n * 7}个，严禁压级压价、打白条等损害农民利益的行为，"
    f"确保收购资金{n * 3}亿元及时足额到位，做到农民交售粮食随到随收。"
    for n, place in enumerate(["甲市", "乙市", "丙县", "丁县", "戊区", "己区", "庚镇", "辛镇", "壬乡", "癸乡", "子村", "丑村"], 1)
]


def pdf(**options):
    return make_pdf(PARAGRAPHS + ["某某省人民政府办公厅", "2020年10月9日"], heading=TITLE, header=HEADER,
                    footer=FOOTER, lines_per_page=18, **options)


@pytest.mark.parametrize("columns", [1, 2])
def test_pdf_with_cid_font_header_footer_and_page_numbers(columns):
    article = parse_document("articles/notice.pdf", pdf(columns=columns))
    assert article.title == TITLE
    assert article.date == "2020-10-09"
    paragraphs = article.body.splitlines()
    # Every paragraph comes back whole and in order: lines wrapped at the column edge and across
    # page and column breaks are joined again, and nothing of the page furniture is left inside.
    assert paragraphs[:len(PARAGRAPHS)] == PARAGRAPHS
    assert paragraphs[len(PARAGRAPHS):] == ["某某省人民政府办公厅", "2020年10月9日"]
    assert HEADER not in article.body and "印发" not in article.body and "—" not in article.body


def test_pdf_title_from_metadata_wins_over_the_first_line():
    article = parse_document("articles/n.pdf", make_pdf(PARAGRAPHS[:3], title="秋粮收购通知（正式稿）"))
    assert article.title == "秋粮收购通知（正式稿）"
    assert article.body.splitlines() == PARAGRAPHS[:3]


def test_scanned_and_encrypted_pdfs_are_refused_with_a_reason():
    with pytest.raises(ParseError, match="没有文字层"):
        parse_document("articles/scan.pdf", make_scanned_pdf())
    with pytest.raises(ParseError, match="已加密"):
        parse_document("articles/secret.pdf", pdf(encrypt="secret"))
    with pytest.raises(ParseError, match="已损坏"):
        parse_document("articles/cut.pdf", pdf()[:300])


def test_rejoin_keeps_short_lines_and_list_items_apart():
    lines = ["一、总体要求", "　　坚持市场化收购与政策性收购相", "结合，确保收购工作平稳有序开展。",
             "（一）加强组织领导。各地要成立工", "作专班，压实责任。", "2020年10月9日"]
    assert rejoin_lines(lines) == ["一、总体要求", "坚持市场化收购与政策性收购相结合，确保收购工作平稳有序开展。",
                                   "（一）加强组织领导。各地要成立工作专班，压实责任。", "2020年10月9日"]


def test_docx_paragraphs_headings_and_table_rows():
    data = make_docx(TITLE, PARAGRAPHS[:3], heading="一、收购网点", table=[["地区", "网点（个）", "资金（亿元）"],
                                                                          ["甲市", "7", "3"], ["乙市", "14", "6"]],
                     after_table="以上数据截至2020年10月8日。")
    article = parse_document("articles/notice.docx", data)
    assert article.title == TITLE
    assert [(b.text, b.is_heading) for b in article.blocks] == [
        (PARAGRAPHS[0], False), ("一、收购网点", True), (PARAGRAPHS[1], False), (PARAGRAPHS[2], False),
        ("地区 | 网点（个） | 资金（亿元）", False), ("甲市 | 7 | 3", False), ("乙市 | 14 | 6", False),
        ("以上数据截至2020年10月8日。", False)]


def test_docx_title_from_core_properties():
    article = parse_document("articles/a.docx", make_docx("正文第一段的标题", PARAGRAPHS[:2], core_title="元数据里的标题"))
    assert article.title == "元数据里的标题"


def test_build_indexes_documents_and_skips_bad_ones_with_chinese_reasons(tmp_path):
    knowledge = make_knowledge(tmp_path, with_sample=False, files={
        "notice.pdf": pdf(columns=2),
        "table.docx": make_docx("收购网点一览", PARAGRAPHS[:2], table=[["地区", "网点"], ["甲市", "7"]]),
        "scan.pdf": make_scanned_pdf(),
        "secret.pdf": pdf(encrypt="secret"),
        "fake.docx": "这不是 Word 文件".encode(),
    })
    report = build_knowledge_base(config_for(knowledge))
    reasons = {s.key: s.reason for s in report.skipped}
    assert reasons == {
        "articles/scan.pdf": "PDF 没有文字层（可能是扫描件），需要先做文字识别",
        "articles/secret.pdf": "PDF 已加密，需要密码才能打开，无法读取文字",
        "articles/fake.docx": reasons["articles/fake.docx"],
    }
    assert reasons["articles/fake.docx"] == "不是有效的 Word（.docx）文件（旧的 .doc 格式请另存为 .docx）"
    assert all(skip_reason_zh(reason) == reason for reason in reasons.values())  # /reload shows them as they are
    kb = KnowledgeBase(config_for(knowledge).index_path)
    assert {a.key: a.title for a in kb.articles} == {"articles/notice.pdf": TITLE, "articles/table.docx": "收购网点一览"}
    assert any("设立收购网点35个" in text for text in kb.passage_texts)


def test_one_page_notice_title_below_letterhead_and_document_number():
    data = make_pdf(["某某省人民政府办公厅文件", "某政办发〔2020〕12号", TITLE] + PARAGRAPHS[:2])
    article = parse_document("articles/one.pdf", data)
    assert article.title == TITLE
    assert article.body.splitlines() == PARAGRAPHS[:2]
