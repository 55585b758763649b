"""Bad input: each kind of unusable file is skipped with its reason, and the build goes on."""

import os
import shutil
import subprocess
import sys

import pytest

from bot.errors import BuildFailed
from bot.index.knowledge_base import KnowledgeBase
from bot.knowledge.builder import build_knowledge_base
from tests.support.knowledge import REPO, config_for, make_knowledge
from tests.support.processes import clean_env


def skipped_reasons(report):
    return {s.key: s.reason for s in report.skipped}


def test_each_bad_file_is_skipped_with_a_reason(tmp_path):
    sample_text = (REPO / "knowledge/articles/000_be29e6b4f69db29d.txt").read_bytes()
    knowledge = make_knowledge(tmp_path, files={
        "empty.txt": "",
        "blank.txt": "   \n\n  ",
        "binary.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200),
        "undecodable.txt": b"\xff\xfe\xfa" * 10 + bytes(range(1, 31)) * 20,
        "copy/duplicate.txt": sample_text,
        "big.txt": "很长的文章。" * 400_000,
        "punctuation.txt": "。，！？……——“”《》\n、；：",
        "bad-front-matter.md": "---\ntitle: [broken\n---\n正文。",
        "good.md": "---\ntitle: 好文章\n---\n好文章的正文内容，讲的是桥梁建设。",
        "broken.pdf": b"%PDF-1.4",
    })
    (knowledge / "articles" / "dangling.txt").symlink_to(tmp_path / "does-not-exist.txt")
    report = build_knowledge_base(config_for(knowledge))
    reasons = skipped_reasons(report)
    assert reasons["articles/empty.txt"] == "file is empty"
    assert reasons["articles/blank.txt"] == "file is empty"
    assert reasons["articles/binary.txt"] == "file is binary, not text"
    assert reasons["articles/undecodable.txt"] == "file is neither UTF-8 nor GB18030 text (not UTF-8 from line 1)"
    assert reasons["articles/copy/duplicate.txt"] == "duplicate of articles/000_be29e6b4f69db29d.txt"
    assert reasons["articles/big.txt"].startswith("file is 7.2 MB, over the 5.0 MB limit")
    assert reasons["articles/punctuation.txt"].startswith("no indexable text")
    assert reasons["articles/bad-front-matter.md"].startswith("malformed front matter")
    assert reasons["articles/dangling.txt"].startswith("cannot read file")
    assert reasons["articles/broken.pdf"].startswith("PDF 文件已损坏，无法读取")
    assert report.articles == 2
    assert sorted(a.key for a in KnowledgeBase(config_for(knowledge).index_path).articles) == [
        "articles/000_be29e6b4f69db29d.txt", "articles/good.md"]
    assert all("\n" not in reason for reason in reasons.values())


def test_size_limit_comes_from_config(tmp_path):
    knowledge = make_knowledge(tmp_path, files={"medium.txt": "中等长度的文章内容。" * 30_000})
    (knowledge / "config.yaml").write_text("knowledge:\n  max_file_mb: 0.5\n", encoding="utf-8")
    report = build_knowledge_base(config_for(knowledge))
    assert skipped_reasons(report)["articles/medium.txt"].endswith("over the 0.5 MB limit")


def test_no_usable_article_fails_and_keeps_what_was_stored(qabot, tmp_path):
    knowledge = make_knowledge(tmp_path)
    config = config_for(knowledge)
    build_knowledge_base(config)
    for path in (knowledge / "articles").iterdir():
        path.write_bytes(b"")
    with pytest.raises(BuildFailed, match="no usable article"):
        build_knowledge_base(config)
    assert KnowledgeBase(config.index_path).articles[0].title.startswith("迎接省党代会")
    result = qabot("build", "--knowledge", str(knowledge))
    assert result.returncode == 2 and "no usable article" in result.stderr and "Traceback" not in result.stderr


def test_missing_articles_directory(tmp_path):
    with pytest.raises(BuildFailed, match="articles directory not found"):
        build_knowledge_base(config_for(tmp_path / "nowhere"))


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="needs POSIX permissions")
def test_unreadable_file_and_directory_are_skipped(tmp_path):
    """Permissions don't bind root, so as root the build runs without the capabilities that bypass them."""
    prefix = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv (util-linux) to drop CAP_DAC_OVERRIDE")
        caps = "-dac_override,-dac_read_search"
        prefix = [setpriv, "--bounding-set", caps, "--inh-caps", caps]
    knowledge = make_knowledge(tmp_path, files={"secret.txt": "秘密文章\n\n内容。", "locked/inner.txt": "里面\n\n内容。"})
    (knowledge / "articles" / "secret.txt").chmod(0o000)
    (knowledge / "articles" / "locked").chmod(0o000)
    try:
        result = subprocess.run([*prefix, sys.executable, "-m", "bot", "build", "--knowledge", str(knowledge),
                                 "--no-progress"], capture_output=True, text=True, env=clean_env(), cwd=REPO)
    finally:
        (knowledge / "articles" / "locked").chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert "articles/secret.txt: 无法读取文件：没有读取权限" in result.stdout
    assert "articles/locked: 无法读取目录：没有读取权限" in result.stdout
    assert "articles: 1," in result.stdout
