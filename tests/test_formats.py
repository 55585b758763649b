"""Article formats: the sample portal page, Markdown with front matter, HTML, encodings."""

import pytest

from bot.knowledge.files import decode_text
from bot.knowledge.formats import ParseError, parse_article
from tests.support.knowledge import SAMPLE_ARTICLE


def sample():
    return parse_article("articles/" + SAMPLE_ARTICLE.name, SAMPLE_ARTICLE.read_text(encoding="utf-8"))


def test_sample_metadata_exactly():
    article = sample()
    assert article.title == "迎接省党代会系列新闻发布会党的建设和组织工作专场举行"
    assert article.date == "2022-04-11"
    assert article.time == "11:26"
    assert article.source == "贵州省人民政府"
    assert article.section == "时政要闻"
    assert article.url is None


def test_sample_page_furniture_never_reaches_the_body():
    body = sample().body
    for furniture in ("首页", "阅读:2310", "收藏本文", "编辑:盘北经济开发区", "2022年04月11日 11:26"):
        assert furniture not in body
    assert body.startswith("迎接省第十三次党代会系列新闻发布会")


def test_sample_headings_are_recognised():
    headings = [b.text for b in sample().blocks if b.is_heading]
    assert "加强党的政治建设 打造硬核干部队伍" in headings
    assert "深化体制机制改革 打造人才集聚高地" in headings
    assert "抓实基层党建工作 围绕中心服务大局" in headings
    assert all("。" not in h for h in headings)


def test_markdown_front_matter_and_headings():
    text = """---
title: 新区建设进展
source: 某市日报
date: 2023-05-06
url: https://example.org/a/1
tags: [城建, 新区]
---

# 新区建设进展

## 交通

新区地铁2号线**已经开通**，全长[18.5公里](https://example.org/map)。

- 第一项：新建学校3所；
- 第二项：新建医院1所。
"""
    article = parse_article("articles/a.md", text)
    assert (article.title, article.source, article.date, article.url) == (
        "新区建设进展", "某市日报", "2023-05-06", "https://example.org/a/1")
    assert article.tags == ("城建", "新区")
    assert [b.text for b in article.blocks if b.is_heading] == ["交通"]
    assert "新区地铁2号线已经开通，全长18.5公里。" in article.body
    assert "第一项：新建学校3所；" in article.body
    assert "**" not in article.body and "](" not in article.body


def test_markdown_malformed_front_matter_is_a_clear_error():
    with pytest.raises(ParseError, match="malformed front matter"):
        parse_article("articles/bad.md", "---\ntitle: [unclosed\n---\n正文内容。\n")


def test_html_main_text_without_scripts_navigation_or_styles():
    page = """<!doctype html><html><head><title>站点 - 标题</title>
<meta property="og:title" content="市政府召开常务会议">
<meta property="article:published_time" content="2024-03-02T09:15:00+08:00">
<meta property="og:site_name" content="某市人民政府">
<link rel="canonical" href="https://gov.example.cn/news/1.html">
<style>.x{color:red}</style><script>var token = "secret";</script></head>
<body><nav>首页 | 新闻 | 关于</nav>
<div class="breadcrumb">首页 &gt; 政务动态 &gt; 正文</div>
<article><h1>市政府召开常务会议</h1>
<p>会议研究了2024年重点工作。会议强调，要做好&lt;民生&gt;保障。</p>
<h2>部署安排</h2><p>全年计划新建保障房1200套。</p></article>
<footer>版权所有 © 某市</footer><script>track()</script></body></html>"""
    article = parse_article("articles/page.html", page)
    assert article.title == "市政府召开常务会议"
    assert (article.date, article.time) == ("2024-03-02", "09:15")
    assert article.source == "某市人民政府"
    assert article.url == "https://gov.example.cn/news/1.html"
    assert article.section == "政务动态"
    body = article.body
    assert "会议研究了2024年重点工作。会议强调，要做好<民生>保障。" in body
    assert "全年计划新建保障房1200套。" in body
    for junk in ("token", "color", "首页", "版权所有", "track", "站点"):
        assert junk not in body
    assert [b.text for b in article.blocks if b.is_heading] == ["部署安排"]


def test_plain_text_with_labelled_header():
    text = "标题：农村公路建设情况\n来源：交通运输厅\n发布时间：2021/7/9\n链接：https://example.org/x\n\n全省新改建农村公路1.2万公里。"
    article = parse_article("articles/x.txt", text)
    assert (article.title, article.source, article.date, article.url) == (
        "农村公路建设情况", "交通运输厅", "2021-07-09", "https://example.org/x")
    assert article.body == "全省新改建农村公路1.2万公里。"


@pytest.mark.parametrize("raw", [
    "\ufeff测试文本".encode("utf-8"),
    "测试文本".encode("utf-8"),
    "测试文本".encode("gb18030"),
])
def test_decoding_utf8_bom_and_gb18030(raw):
    assert decode_text(raw) == "测试文本"


def test_undecodable_bytes_are_refused():
    assert decode_text(bytes(range(1, 32)) * 50 + b"\xff\xfe\xfd") is None
