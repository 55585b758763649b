"""Portal pages as government and news sites publish them: TRS meta tags, datelines, 来源 lines,
furniture around and inside the body, and pages whose declared charset is wrong."""

import pytest

from bot.knowledge.files import read_article_file
from bot.knowledge.formats import parse_article

FIRST = "10月3日，全省秋粮收获进度过半，各地抢抓晴好天气组织机收，确保颗粒归仓。"
MIDDLE = "据省农业农村厅统计，截至目前全省已投入联合收割机4.2万台，日均机收面积超过300万亩。"
LAST = "下一步，全省将继续做好烘干、仓储和收购等环节的衔接，保障粮食安全。"
FURNITURE = ("无障碍", "字号", "打印", "关闭", "扫一扫在手机打开当前页", "【纠错】", "首页", "上一页", "尾页",
             "版权所有", "相关新闻", "分享到", "网站地图", "责任编辑", "政府网站标识码")


def portal_page(head: str = "", dateline: str = "", title_tag: str = "全省秋粮收获进度过半_某某省人民政府网站",
                headline: str = "全省秋粮收获进度过半", charset: str = "utf-8") -> str:
    """A page laid out like a provincial portal: navigation, breadcrumb, headline, dateline, body, furniture."""
    nav = "".join(f'<li><a href="/c{i}/">栏目{i}</a></li>' for i in range(30))
    related = "".join(f'<li><a href="/n/{i}.html">某县召开第{i}次秋收工作推进会，部署下一阶段粮食收购工作</a></li>'
                      for i in range(8))
    return f"""<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{title_tag}</title>{head}
<script>var _hmt = _hmt || []; document.write("统计代码");</script></head>
<body><div class="top"><a href="/wza/">无障碍</a> <a href="/">长者模式</a></div>
<div class="menu"><ul>{nav}</ul></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/xw/">要闻动态</a> &gt; 正文</div>
<div class="article"><h1 class="art-title">{headline}</h1>
<div class="info">{dateline}<span>字号：<a>大</a> <a>中</a> <a>小</a></span> <a href="javascript:window.print()">打印</a>
<a href="javascript:window.close()">关闭</a></div>
<div class="share">分享到：<a>微信</a><a>微博</a> 扫一扫在手机打开当前页</div>
<div class="content" id="zoom"><p>{FIRST}</p><p style="text-align:center"><img src="a.jpg"></p>
<p>　　{MIDDLE}</p><h3>加强烘干仓储衔接</h3><p>{LAST}</p></div>
<div class="editor">【纠错】 责任编辑：王五</div>
<div class="page">首页 | 上一页 1 下一页 | 尾页</div></div>
<div class="related"><h3>相关新闻</h3><ul>{related}</ul></div>
<div class="foot"><a href="/map/">网站地图</a> | <a href="/lx/">联系我们</a><br>
主办：某某省人民政府办公厅 版权所有：某某省人民政府 政府网站标识码：1100000001 某ICP备05000000号</div>
</body></html>"""


def assert_body_clean(article):
    body = article.body
    assert body.splitlines()[0] == FIRST
    assert body.splitlines()[-1] == LAST
    assert MIDDLE in body
    for furniture in FURNITURE:
        assert furniture not in body, furniture


def test_trs_meta_tags_give_title_date_and_source():
    head = ('<meta name="ArticleTitle" content="全省秋粮收获进度过半">'
            '<meta name="PubDate" content="2020-10-04 09:30">'
            '<meta name="ContentSource" content="某某省农业农村厅">'
            '<meta name="author" content="王五">')
    article = parse_article("articles/trs.html", portal_page(head=head, dateline="<span>阅读次数：12</span>"))
    assert (article.title, article.date, article.time, article.source) == (
        "全省秋粮收获进度过半", "2020-10-04", "09:30", "某某省农业农村厅")
    assert article.section == "要闻动态"
    assert_body_clean(article)
    assert [b.text for b in article.blocks if b.is_heading] == ["加强烘干仓储衔接"]


def test_date_and_source_only_in_the_visible_dateline_never_a_byline():
    dateline = ("<span>发布时间：2020年10月04日</span> <span>作者：张三</span> "
                "<span>来源：某某省农业农村厅</span> <span>编辑：李四</span>")
    article = parse_article("articles/dateline.html", portal_page(dateline=dateline))
    assert (article.title, article.date, article.time, article.source) == (
        "全省秋粮收获进度过半", "2020-10-04", None, "某某省农业农村厅")
    assert_body_clean(article)


def test_dateline_with_time_and_source_glued_to_the_date():
    article = parse_article("articles/glued.html", portal_page(dateline="<span>来源：人民日报2019-12-10 08:07:29</span>"))
    assert (article.date, article.time, article.source) == ("2019-12-10", "08:07", "人民日报")


@pytest.mark.parametrize("title_tag", [
    "全省秋粮收获进度过半--要闻动态--某某网",
    "\n  全省秋粮收获进度过半-某某新闻网\n",
    "全省秋粮收获进度过半 _要闻 _某某网",
    "首页-某某省人民政府",  # a generic <title>: the headline under which the dateline sits wins
])
def test_headline_without_the_site_suffix(title_tag):
    article = parse_article("articles/t.html", portal_page(title_tag=title_tag, dateline="2020-10-04 09:30"))
    assert article.title == "全省秋粮收获进度过半"


def test_title_tag_suffix_is_stripped_when_there_is_no_headline_element():
    page = ("<html><head><title>某县开展防汛演练_某某市人民政府网站</title></head><body>"
            f"<p>{FIRST}</p><p>{LAST}</p></body></html>")
    assert parse_article("articles/x.html", page).title == "某县开展防汛演练"


def test_headline_with_a_bar_inside_keeps_it():
    page = portal_page(title_tag="视界｜全省秋粮收获进度过半-某某网河北频道-某某网", headline="视界｜全省秋粮收获进度过半",
                       dateline="2020-10-04 09:30 来源：某某网")
    assert parse_article("articles/bar.html", page).title == "视界｜全省秋粮收获进度过半"


def test_json_ld_date_and_hidden_player_text(tmp_path):
    head = ('<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",'
            '"headline":"全省秋粮收获进度过半","datePublished":"2021-06-01T08:00:00+08:00"}</script>')
    page = portal_page(head=head).replace(f"<p>{FIRST}", f'<div class="load-layer hidden">Play Video</div><p>{FIRST}')
    article = parse_article("articles/ld.html", page)
    assert (article.date, article.time) == ("2021-06-01", "08:00")
    assert "Play Video" not in article.body
    assert_body_clean(article)


@pytest.mark.parametrize("declared, encoding", [("gb2312", "utf-8"), ("gbk", "gbk"), ("utf-8", "gb18030")])
def test_declared_charset_is_not_trusted(tmp_path, declared, encoding):
    path = tmp_path / "articles" / "page.html"
    path.parent.mkdir()
    path.write_bytes(portal_page(charset=declared, dateline="2020-10-04").encode(encoding))
    source = read_article_file(path, tmp_path, 5_000_000, path.parent)
    article = parse_article(source.key, source.text)
    assert article.title == "全省秋粮收获进度过半"
    assert_body_clean(article)


def test_page_saved_as_text_gives_the_same_article_as_its_html():
    related = "\n".join(f"某县召开第{i}次秋收工作推进会，部署下一阶段粮食收购工作" for i in range(8))
    text = f"""无障碍 长者模式
首页 | 要闻动态 | 政务公开 | 办事服务 | 互动交流
当前位置：首页 > 要闻动态 > 正文
全省秋粮收获进度过半
发布时间：2020年10月04日 作者：张三 来源：某某省农业农村厅 编辑：李四
字号：大 中 小 打印 关闭
分享到：
扫一扫在手机打开当前页
{FIRST}
　　{MIDDLE}
加强烘干仓储衔接
{LAST}
【纠错】 责任编辑：王五
首页 | 上一页 1 下一页 | 尾页
相关新闻
{related}
网站地图 | 联系我们 | 隐私声明 | 网站纠错
主办：某某省人民政府办公厅 版权所有：某某省人民政府 政府网站标识码：1100000001 某ICP备05000000号
"""
    as_text = parse_article("articles/saved.txt", text)
    dateline = ("<span>发布时间：2020年10月04日</span> <span>作者：张三</span> "
                "<span>来源：某某省农业农村厅</span> <span>编辑：李四</span>")
    as_html = parse_article("articles/saved.html", portal_page(dateline=dateline))
    assert (as_text.title, as_text.date, as_text.source, as_text.section) == (
        "全省秋粮收获进度过半", "2020-10-04", "某某省农业农村厅", "要闻动态")
    assert (as_text.title, as_text.date, as_text.source, as_text.section) == (
        as_html.title, as_html.date, as_html.source, as_html.section)
    assert as_text.blocks == as_html.blocks
    assert_body_clean(as_text)


def test_old_table_layout_page_with_labelled_dateline():
    """A portal page laid out with tables: menu cells, a side column of links, the article in a cell."""
    page = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>全省秋粮收获进度过半</title></head><body>
<table width="100%"><tr><td><a href="/">首页</a></td><td><a href="/a">机构概况</a></td><td><a href="/b">政务公开</a></td></tr></table>
<table><tr><td class="dqwz">您现在的位置：<a href="/">首页</a> &gt;&gt; <a href="/x">工作动态</a></td></tr></table>
<table width="980"><tr><td width="200" valign="top"><a href="/1">通知公告</a><br><a href="/2">政策法规</a><br>
<a href="/3">办事指南</a></td><td valign="top"><table>
<tr><td align="center"><font size="5"><b>全省秋粮收获进度过半</b></font></td></tr>
<tr><td align="center">发布日期：2021-03-05　　信息来源：市应急管理局　　浏览次数：<span>321</span></td></tr>
<tr><td class="content">　　{FIRST}<br><br>　　{MIDDLE}<br><br>　　{LAST}<br></td></tr>
<tr><td align="right">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</td></tr>
</table></td></tr></table>
<table><tr><td>主办单位：某市人民政府办公室 地址：某市某路1号 电话：0000-1234567</td></tr></table></body></html>"""
    article = parse_article("articles/table.html", page)
    assert (article.title, article.date, article.source, article.section) == (
        "全省秋粮收获进度过半", "2021-03-05", "市应急管理局", "工作动态")
    assert article.body.splitlines() == [FIRST, MIDDLE, LAST]


def test_dateline_split_into_year_and_month_day_parts():
    """Some news pages print the date as separate pieces: 2024 05/09 22:27:02."""
    dateline = '<span class="year"><em> 2024</em></span><span class="day"><em> 05</em>/<em>09</em></span> <span>22:27:02</span>'
    article = parse_article("articles/split.html", portal_page(dateline=dateline))
    assert (article.date, article.time) == ("2024-05-09", "22:27")


def test_a_data_table_in_the_body_reads_a_row_a_line():
    table = ("<table><tr><th>地区</th><th>收购网点（个）</th><th>收购资金（亿元）</th></tr>"
             "<tr><td>甲市</td><td>7</td><td>3</td></tr><tr><td>乙市</td><td></td><td>6</td></tr></table>")
    page = portal_page(dateline="2020-10-04").replace(f"<p>{LAST}</p>", f"{table}<p>{LAST}</p>")
    body = parse_article("articles/data.html", page).body.splitlines()
    assert body[-4:] == ["地区 | 收购网点（个） | 收购资金（亿元）", "甲市 | 7 | 3", "乙市 | — | 6", LAST]
